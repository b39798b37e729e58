"""Where pipssl may write: the one answer used by repair, undo and recovery after a kill.

A repair writes only these files: the pip config files of every scope, as pipssl's model
of pip's config names them (and the file ``PIP_CONFIG_FILE`` names); pipssl's own bundle
(user, global, or inside a Python prefix); its consent store; and the config files of the
other installers ``repair --for`` edits (each client's module names them: poetry's
``config.toml``, conda's user ``.condarc``).  The journal records the paths a repair
wrote, and ``undo`` writes them back: a journal someone edited, or planted, could
otherwise make ``undo`` overwrite any file the user may write.  So every path is checked
here before anything is written, and a path that is none of those files is refused.

A site file (``<prefix>/pip.conf``, ``<prefix>/share/pipssl/ca-bundle.pem``) is known by
its place: ``undo`` does not know which interpreter the repair was for, so the directory
must be a Python prefix (a virtual environment's ``pyvenv.cfg``, conda's ``conda-meta``,
or the standard library's ``lib/pythonX.Y``/``Lib``).
"""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass
from typing import FrozenSet, Iterable, List, Mapping, Optional

from pipssl.certs.consent import consent_path, forgotten_path
from pipssl.clients.registry import CLIENTS
from pipssl.interpreter import pipfiles
from pipssl.repairing.location import BUNDLE_NAME, bundle_location

__all__ = ["Places", "places_for"]


@dataclass(frozen=True)
class Places:
    """The files a repair may write, for one environment and platform.

    Attributes:
        files: every such file named outright, symbolic links resolved (case folded where
            the file system folds it).
        config_name: ``pip.conf`` (``pip.ini`` on Windows): a site file's name.
    """

    files: FrozenSet[str]
    config_name: str

    def refusal(self, path: str) -> Optional[str]:
        """Why pipssl may not write ``path``; None when it may."""
        real = os.path.realpath(path)
        if os.path.normcase(real) in self.files:
            return None
        parent = os.path.dirname(real)
        if os.path.basename(real) == self.config_name and _python_prefix(parent):
            return None  # a site config file
        share = os.path.dirname(parent)
        if (
            os.path.basename(real) == BUNDLE_NAME
            and os.path.basename(parent) == "pipssl"
            and os.path.basename(share) == "share"
            and _python_prefix(os.path.dirname(share))
        ):
            return None  # a site bundle
        return (
            "it is not a file a repair writes (a pip or client config file, pipssl's bundle"
            " or its consent store)"
        )


def places_for(
    environ: Mapping[str, str],
    platform: str = sys.platform,
    *,
    prefix: Optional[str] = None,
    base_prefix: Optional[str] = None,
) -> Places:
    """The files a repair may write for ``environ`` on ``platform``.

    Args:
        environ: the environment of the run (its HOME, XDG_*, PIP_CONFIG_FILE, CONDARC...).
        platform: the target interpreter's ``sys.platform``.
        prefix / base_prefix: the target interpreter's, when known (a repair); ``undo``
            does not know them, and site files are then known by their place alone.
    """
    named: List[str] = []
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file and env_file != os.devnull:
        named.append(env_file)
    # Every pip release's rules: the repair may have been for an older or newer pip.
    for release in (None, (0,), *pipfiles.RULE_CHANGES):
        host = pipfiles.Host(environ, platform, prefix, base_prefix, release)
        for paths in host.candidates().values():
            named.extend(paths)
    for scope in ("user", "global"):
        named.append(bundle_location(scope, platform, environ, prefix or ""))
    named += [consent_path(environ), forgotten_path(environ)]
    for client in CLIENTS:
        named += client.writes(environ, platform)
    name = "pip.ini" if platform.startswith("win") else "pip.conf"
    return Places(frozenset(_resolved(named)), name)


def _resolved(paths: Iterable[str]) -> Iterable[str]:
    for path in paths:
        if path and os.path.isabs(path):
            yield os.path.normcase(os.path.realpath(path))


def _python_prefix(directory: str) -> bool:
    """Whether ``directory`` holds a Python installation or virtual environment."""
    join = os.path.join
    return (
        os.path.isfile(join(directory, "pyvenv.cfg"))
        or os.path.isdir(join(directory, "conda-meta"))
        or bool(glob.glob(join(glob.escape(directory), "lib", "python[0-9]*")))
        or os.path.isdir(join(directory, "Lib", "site-packages"))
    )
