"""Every installer pipssl knows besides pip, listed once: diagnosis, repair, ``run`` and
the CLI loop over :data:`CLIENTS` and never name one.  Supporting another installer is
one module with a :class:`~pipssl.clients.model.Client` (``CLIENT``) and one line here.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from pipssl.clients import conda, pdm, poetry, requests_, uv
from pipssl.clients.model import Client, repair_command
from pipssl.errors import UsageError
from pipssl.interpreter.tool import InterpreterOf, Tool, resolve

#: The installers, in the order reports list them.
CLIENTS: Tuple[Client, ...] = (
    uv.CLIENT,
    poetry.CLIENT,
    conda.CLIENT,
    requests_.CLIENT,
    pdm.CLIENT,
)

#: Their names, as ``--for`` takes them.
NAMES: Tuple[str, ...] = tuple(c.name for c in CLIENTS)

_BY_NAME: Dict[str, Client] = {c.name: c for c in CLIENTS}


def client(name: str) -> Client:
    """The installer called ``name``.

    Raises:
        UsageError: no installer has that name.
    """
    found = _BY_NAME.get(name)
    if found is None:
        raise UsageError(f"--for {name!r}: choose from {', '.join(NAMES)}")
    return found


def repair_for(name: str, *more: str) -> str:
    """The repair that points installer ``name`` at pipssl's bundle: for one whose file is
    user-wide, the user's bundle (``--scope user``; one inside a venv is refused)."""
    return repair_command(name, client(name).user_wide, *more)


def readers_of(variable: str, names: Sequence[str]) -> List[str]:
    """Those of ``names`` that read pipssl's bundle from ``variable``."""
    return [n for n in names if client(n).bundle_variable == variable]


#: The installers ``pipssl run`` drives, each with how to tell its interpreter.
RUNS: Mapping[str, Optional[InterpreterOf]] = {
    c.name: c.interpreter for c in CLIENTS if c.interpreter is not None
}


def resolve_run(
    args: Sequence[str],
    *,
    python: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
) -> Tool:
    """:func:`pipssl.interpreter.tool.resolve` with every installer ``run`` drives."""
    return resolve(args, python=python, environ=environ, cwd=cwd, installers=RUNS)


def index_urls(name: str, environ: Mapping[str, str], platform: str, cwd: str) -> List[str]:
    """The indexes installer ``name``'s project configures (poetry's sources)."""
    return client(name).index_urls(environ, platform, cwd)
