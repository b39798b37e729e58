"""A pip config file pip itself refuses: a finding, not bad input.

pip will not run at all with a config file it cannot parse ("Configuration file could not
be loaded"), so nothing else about it can be checked: the diagnosis is that one finding,
``pip-config-invalid``, naming the file and line, with pip's own words when the real pip
was asked.  ``doctor`` reports it (exit 1); ``repair`` refuses to edit around the file
(:func:`refusal`), as it must not guess at a file pip cannot read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Tuple

from pipssl._text import shown
from pipssl.errors import ConfigError
from pipssl.findings import Finding

if TYPE_CHECKING:  # the real pip's modules: --quick loads none of them
    from pipssl.interpreter.askpip import Asking

CODE = "pip-config-invalid"


def finding(error: ConfigError, asking: Optional[Asking]) -> Finding:
    """The finding for a config file pip refuses; the real pip's words added when it said."""
    said: Tuple[str, ...] = ()
    if asking is not None:
        from pipssl.interpreter.piplog import answer  # noqa: PLC0415 see TYPE_CHECKING above

        said = answer(asking).errors
    detail = shown(error)  # names the file and may quote its line
    if said:
        detail += "\nthe real pip says: " + shown(" ".join(said))
    where = error.path or "pip config"
    summary = f"pip refuses to run with {shown(where)}"
    return Finding.make(CODE, where, summary, detail, error.hint or "")


def refusal(found: Finding) -> ConfigError:
    """What ``repair`` raises instead of planning around a file pip refuses."""
    return ConfigError(found.detail.splitlines()[0], hint=found.fix)
