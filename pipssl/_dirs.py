"""pipssl's own per-user directories, per OS, in one place: where its bundle lives
(``data``) and where its journal, backups and lock live (``state``).

The environment is always passed in (a repair for another user's environment, a test's
scrubbed one); the process's own is never consulted behind the caller's back.

========  ===============================================  =========================
platform  data (the bundle)                                state (journal, lock)
========  ===============================================  =========================
Linux     ``$XDG_DATA_HOME/pipssl``, ``~/.local/share``    ``$XDG_STATE_HOME/pipssl``,
                                                           ``~/.local/state/pipssl``
macOS     ``~/Library/Application Support/pipssl``         the same, ``/state``
Windows   ``%LOCALAPPDATA%\\pipssl``                        the same, ``\\state``
========  ===============================================  =========================
"""

from __future__ import annotations

import os
from typing import Mapping

from pipssl.errors import PipsslError

DATA = "data"
STATE = "state"
_XDG = {DATA: ("XDG_DATA_HOME", "share"), STATE: ("XDG_STATE_HOME", "state")}


def user_dir(purpose: str, platform: str, environ: Mapping[str, str]) -> str:
    """pipssl's directory for ``purpose`` (``DATA`` or ``STATE``) for this user.

    Args:
        purpose: ``DATA`` or ``STATE``.
        platform: a ``sys.platform`` value (the target interpreter's).
        environ: the environment to read ``HOME``, ``XDG_*``, ``LOCALAPPDATA`` and
            ``USERPROFILE`` from.

    Returns:
        The directory (it may not exist yet).

    Raises:
        PipsslError: ``no-state-dir`` when the environment names no home directory.
    """
    leaf = [STATE] if purpose == STATE else []
    if platform == "win32":
        local = environ.get("LOCALAPPDATA")
        if not local:
            profile = environ.get("USERPROFILE")
            if not profile:
                raise _no_home("neither LOCALAPPDATA nor USERPROFILE is set")
            local = os.path.join(profile, "AppData", "Local")
        return os.path.join(local, "pipssl", *leaf)
    home = environ.get("HOME")
    if platform == "darwin":
        if not home:
            raise _no_home("HOME is not set")
        return os.path.join(home, "Library", "Application Support", "pipssl", *leaf)
    variable, default = _XDG[purpose]
    xdg = environ.get(variable, "")
    # The XDG spec says relative paths there are invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "pipssl")
    if not home:
        raise _no_home("HOME is not set")
    return os.path.join(home, ".local", default, "pipssl")


def _no_home(why: str) -> PipsslError:
    return PipsslError(
        f"cannot find pipssl's directory: {why}",
        reference="no-state-dir",
        hint="Set HOME (or XDG_STATE_HOME) to your home directory and run again.",
    )
