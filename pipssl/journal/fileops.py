"""Reading, hashing and removing the files a transaction touches.

Transactions, recovery and undo all decide from digests alone whether a file is as
before, as pipssl wrote it, or edited by someone since; they read it the same way here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from pipssl import _files
from pipssl._files import sha256
from pipssl._text import shown
from pipssl.errors import PipsslError, write_failed

#: Says why pipssl may not write a path (None: it may).  The journal does not decide it:
#: :mod:`pipssl.repairing.places` does, and repair and undo hand its answer down.
Guard = Callable[[str], Optional[str]]

# Mode of a file pipssl creates, or puts back when the journal knows no mode for it.
NEW_FILE = 0o644


def read_regular(path: str) -> Optional[Tuple[bytes, int]]:
    """Return the content and permission bits of a regular file, or None if missing."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise write_failed("read", path, exc) from None
    if not stat.S_ISREG(info.st_mode):
        raise PipsslError(
            f"{path} is not a regular file; pipssl only replaces regular files",
            reference="not-a-regular-file",
            hint="Move it out of the way and run again.",
        )
    try:
        return _files.read_file(path, _files.REPLACED), stat.S_IMODE(info.st_mode)
    except _files.FileRefused as exc:
        if exc.why in (_files.UNREADABLE, _files.MISSING):
            raise write_failed("read", path, OSError(0, exc.cause or exc.problem)) from None
        # swapped for a FIFO since the stat(), or too large for a file pipssl writes
        raise PipsslError(exc.message, reference=exc.reference) from None


def check_path(guard: Optional[Guard], path: str, where: str, hint: Optional[str] = None) -> None:
    """Refuse ``path`` unless ``guard`` lets pipssl write it (no guard: any path).

    Raises:
        PipsslError: ``foreign-path`` naming the path, why, and ``where`` it came from.
    """
    why = None if guard is None else guard(path)
    if why is not None:
        raise foreign_path(path, why, where, hint)


def foreign_path(path: str, why: str, where: str, hint: Optional[str] = None) -> PipsslError:
    """The refusal of a path pipssl may not write, or of a backup it may not read."""
    return PipsslError(
        f"refusing {shown(path)}, which {where}: {why}; nothing was written",
        reference="foreign-path",
        hint=hint,
    )


def digest_of(path: str) -> Optional[str]:
    """Digest of the regular file at ``path``, None when there is none."""
    current = read_regular(path)
    return None if current is None else sha256(current[0])


def unlink_missing_ok(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise write_failed("remove", path, exc) from None


def unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def rmdir_quietly(path: Path) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass


def missing_parents(path: str) -> Tuple[str, ...]:
    """The directories above ``path`` that do not exist yet, outermost first: what
    ``os.makedirs`` of its parent would create."""
    missing: List[str] = []
    parent = os.path.dirname(path)
    while parent and not os.path.lexists(parent):
        missing.append(parent)
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
    return tuple(reversed(missing))


def remove_empty_dirs(dirs: Sequence[str]) -> None:
    """Remove ``dirs`` (outermost first, as :func:`missing_parents` lists them) deepest
    first, stopping at the first one that is not an empty directory: ``os.rmdir`` never
    removes anything else, so nobody's file goes with them."""
    for directory in reversed(dirs):
        try:
            os.rmdir(directory)
        except FileNotFoundError:
            continue  # already gone (a run killed after removing it)
        except OSError:
            return  # not empty, or not a directory: it and its parents stay
