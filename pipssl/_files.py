"""Reading and atomically replacing files: the one place pipssl does either.

Every file pipssl writes (a CA bundle, a pip or client config file, its journal, a restored
backup, the bootstrap script) goes through :func:`write_atomic`, so a reader, or a process
killed mid-write, only ever sees the old file or the new one.  Recovery after a crash finds
the temporary files such a kill leaves with :func:`leftover_temps`, by their exact name.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Tuple, Union

from pipssl import _faults
from pipssl._text import shown
from pipssl.errors import PipsslError, write_failed

__all__ = ["leftover_temps", "read_optional", "write_atomic", "write_new"]

# Marks write_atomic's temporary files, so recovery after a crash can find its own.
_TEMP_TAG = "pipssl-"

#: The largest certificate file (or OS store listing) pipssl reads: a bundle of every
#: public root is about 250 KB; a file 80 times that is not a CA file, and reading it
#: whole could exhaust memory.
MAX_CA_BYTES = 20 * 1024 * 1024

_BINARY = getattr(os, "O_BINARY", 0)


def read_optional(path: str, *, directory_is_missing: bool = False) -> Optional[bytes]:
    """Return the content of ``path``, or None when there is no such file.

    Args:
        path: the file to read.
        directory_is_missing: a directory at ``path`` counts as no file, rather than as
            a file that cannot be read.

    Raises:
        PipsslError: ``read-failed`` when the file exists but cannot be read.
    """
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if directory_is_missing and isinstance(exc, IsADirectoryError):
            return None
        raise PipsslError(f"cannot read {path}: {exc.strerror}", reference="read-failed") from None


def write_atomic(path: Union[str, os.PathLike[str]], data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` so readers see the old file or the new one, never half.

    The temporary file lives in the same directory (``os.replace`` is atomic only within
    one file system) and is created with ``mode`` from the start, so the content is
    never readable with looser permissions.  A file that exists keeps its owner: the
    temporary file is given it before the rename (see :func:`_keep_owner`).  The file is
    fsync'd before the rename and its directory after it, so the new content survives a
    power cut once this returns.

    Args:
        path: the file to create or replace.
        data: its new content.
        mode: permission bits of the result (applied exactly, whatever the umask).

    Raises:
        PipsslError: ``write-failed`` when the file cannot be written, or belongs to
            another user and this one cannot give the new file that owner; no temporary
            file is left behind.
    """
    target = os.path.abspath(os.fspath(path))
    owner = _owner_of(target)
    directory, base = os.path.split(target)
    temp = os.path.join(directory, f".{base}.{_TEMP_TAG}{os.urandom(6).hex()}.tmp")
    try:
        write_new(temp, data, mode)
    except OSError as exc:
        raise write_failed("write", target, exc) from None
    try:
        _keep_owner(temp, owner, target)
        _faults.point(f"{base}: temporary file written")
        os.replace(temp, target)
    except (OSError, PipsslError) as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, PipsslError):
            raise
        raise write_failed("write", target, exc) from None
    _fsync_directory(directory)
    _faults.point(f"{base}: replaced")


def write_new(path: str, data: bytes, mode: int, *, flags: int = 0) -> None:
    """Create ``path``, which must not exist, holding ``data`` with exactly ``mode`` from
    the first byte, and fsync it; a file this call created is removed again on failure.

    Raises:
        OSError: as ``os.open`` and ``os.write`` raise it (``flags`` are added to the
            open, e.g. ``O_NOFOLLOW``).
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY | flags, mode)
    try:
        if hasattr(os, "fchmod"):  # the umask must not loosen or tighten the result
            os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)


def leftover_temps(path: Union[str, os.PathLike[str]]) -> List[str]:
    """Temporary files :func:`write_atomic` left beside ``path`` when killed mid-write.

    Only names of the form it creates (``.<name>.pipssl-<12 hex>.tmp``) are returned, so
    recovery never removes a file pipssl did not make.
    """
    directory, base = os.path.split(os.path.abspath(os.fspath(path)))
    pattern = re.compile(re.escape(f".{base}.{_TEMP_TAG}") + r"[0-9a-f]{12}\.tmp")
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(os.path.join(directory, n) for n in names if pattern.fullmatch(n))


def _owner_of(path: str) -> Optional[Tuple[int, int]]:
    """The (uid, gid) of the file at ``path`` (a link followed); None when there is none,
    or on a system without file owners."""
    if not hasattr(os, "chown"):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_uid, info.st_gid


def _keep_owner(temp: str, owner: Optional[Tuple[int, int]], target: str) -> None:
    """Give ``temp`` the owner of the file it replaces.

    Replacing a file with a new one would otherwise hand it to whoever runs pipssl: root
    repairing a user's pip.conf (or one a link points to) would take it from that user.
    Only root can give a file away; anyone else is refused rather than taking the file
    over.  A group this user cannot give is left as the new file's (its mode is kept).

    Raises:
        PipsslError: ``write-failed`` when the file belongs to another user and this
            process cannot make the new one theirs.
    """
    if owner is None:
        return
    info = os.stat(temp)
    uid, gid = owner
    if (info.st_uid, info.st_gid) == owner:
        return
    try:
        os.chown(temp, uid, gid)
    except PermissionError:
        if uid != info.st_uid:
            raise PipsslError(
                f"will not replace {shown(target)}: it belongs to uid {uid}, and a file"
                f" written now would belong to uid {info.st_uid}",
                reference="write-failed",
                hint="Run pipssl as the user who owns that file, then run again.",
            ) from None


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open directories.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
