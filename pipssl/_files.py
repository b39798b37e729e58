"""Reading and atomically replacing files: the one place pipssl does either.

Every file pipssl reads goes through :func:`read_file` (or :func:`read_head`,
:func:`open_file`, :func:`read_optional`): a path from a config file or the environment may
name a FIFO, which would block a plain ``open()`` for ever, or ``/dev/zero``, which never
ends.  Only regular files are read, each kind up to its own limit (:class:`Kind`, one table
below); anything else is a :class:`FileRefused` naming the path and why.

Every file pipssl writes (a CA bundle, a pip or client config file, its journal, a restored
backup, the bootstrap script) goes through :func:`write_atomic`, so a reader, or a process
killed mid-write, only ever sees the old file or the new one.  Recovery after a crash finds
the temporary files such a kill leaves with :func:`leftover_temps`, by their exact name.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from typing import TYPE_CHECKING, BinaryIO, List, NamedTuple, Optional, Tuple, Union, overload

from pipssl import _faults
from pipssl._text import shown
from pipssl.errors import PipsslError, write_failed

if TYPE_CHECKING:
    import zipfile

__all__ = [
    "FileRefused",
    "Kind",
    "check_file",
    "leftover_temps",
    "open_file",
    "read_file",
    "read_head",
    "read_member",
    "read_optional",
    "sha256",
    "write_atomic",
    "write_new",
]


@overload
def sha256(data: bytes) -> str: ...
@overload
def sha256(data: None) -> None: ...
@overload
def sha256(data: Optional[bytes]) -> Optional[str]: ...
def sha256(data: Optional[bytes]) -> Optional[str]:
    """Hex SHA-256 of ``data``, None for no file: the one digest the journal, the plans'
    actions and the wheelhouse manifest (its ``--hash=sha256:`` pins) compare."""
    return None if data is None else hashlib.sha256(data).hexdigest()


# Marks write_atomic's temporary files, so recovery after a crash can find its own.
_TEMP_TAG = "pipssl-"

_BINARY = getattr(os, "O_BINARY", 0)
# A FIFO opened without O_NONBLOCK waits for a writer for ever, and a terminal opened
# without O_NOCTTY may become the controlling one: neither may happen to a path pipssl
# only wants to read.  fstat() of the opened descriptor then decides what it is.
_READ_FLAGS = (
    os.O_RDONLY
    | _BINARY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_MB = 1024 * 1024


class Kind(NamedTuple):
    """A kind of file pipssl reads: how messages name it, and the most bytes read of it.
    A named tuple: the real pip's start reads this module, before ``dataclasses`` loads."""

    what: str
    limit: int


# The one table of read limits.  Each is far above any real file of its kind and far
# below what would exhaust memory: a larger file is refused by its size, before it is read.
#: pip's config files: a few lines each; 1 MB is tens of thousands of lines.
PIP_CONFIG = Kind("pip configuration file", 1 * _MB)
#: A bundle of every public root is about 250 KB; 80 times that is no CA file.
CA_FILE = Kind("CA file", 20 * _MB)
#: pip's client-cert: a certificate (maybe with its chain) and its key.
CLIENT_CERT = Kind("client certificate", 1 * _MB)
#: Other clients' config files: .condarc, uv.toml, poetry's config.toml, pyproject.toml.
CLIENT_CONFIG = Kind("client config file", 4 * _MB)
#: A requirements file given to wheelhouse, and the manifest inside a bundle (a few
#: hundred bytes per wheel).
REQUIREMENTS = Kind("requirements file", 4 * _MB)
MANIFEST = Kind("wheelhouse manifest", 16 * _MB)
#: A wheel's METADATA, read from the zip for its dependencies.
METADATA = Kind("wheel METADATA", 16 * _MB)
#: get-pipssl.py, carried into a bundle: pipssl and the wheels it needs, a few MB.
BOOTSTRAP = Kind("bootstrap script", 64 * _MB)
#: pipssl's own records in its state directory: the journal and the consented CAs.
JOURNAL = Kind("pipssl journal", 16 * _MB)
CONSENT = Kind("consent record", 4 * _MB)
#: A file pipssl replaces (pip's or a client's config, its bundle), or its backup.
REPLACED = Kind("file to back up or restore", CA_FILE.limit)
#: A Python source file read for a version line (pip's, urllib3's), or pipssl's own.
SOURCE = Kind("Python source file", 4 * _MB)
#: A script read for its #! line alone (what `pipssl run -- CMD` would start).
SCRIPT = Kind("script", 4096)
#: A wheel read whole (into a bundle), and a wheelhouse bundle, which is opened and
#: never read whole: its members are capped by the sizes its manifest states.
WHEEL = Kind("wheel", 1024 * _MB)
BUNDLE = Kind("wheelhouse bundle", 16 * 1024 * _MB)

#: The largest certificate file (or OS store listing) pipssl reads.
MAX_CA_BYTES = CA_FILE.limit

# Why a file was refused (``FileRefused.why``).
MISSING = "missing"
DIRECTORY = "directory"
SPECIAL = "not-regular"
TOO_LARGE = "too-large"
UNREADABLE = "unreadable"


class FileRefused(PipsslError):
    """A file pipssl must read is missing, not a regular file, too large, or unreadable.

    Attributes:
        kind: what the file was read as.
        path: the path as given.
        why: ``missing``, ``directory``, ``not-regular`` (a FIFO, socket or device),
            ``too-large`` or ``unreadable``.
        problem: the words after the path in the message ("is a named pipe (FIFO), ...").
        cause: the system's words when an open or read failed ("Permission denied").
    """

    def __init__(self, kind: Kind, path: str, why: str, problem: str, cause: str = "") -> None:
        message = f"{kind.what} {shown(path, 4096)} {problem}"
        if why in (DIRECTORY, SPECIAL):
            super().__init__(message, reference="not-a-regular-file")
        else:
            super().__init__(message, reference="read-failed")
        self.kind = kind
        self.path = path
        self.why = why
        self.problem = problem
        self.cause = cause


def read_file(path: Union[str, os.PathLike[str]], kind: Kind) -> bytes:
    """The whole content of the regular file ``path``, at most ``kind.limit`` bytes.

    The file is opened without blocking and judged by what was opened: a FIFO, socket,
    device or directory is refused before one byte is read, a file over the limit by its
    size, and one that grows past it while being read (a /proc file) when it does.

    Raises:
        FileRefused: it is missing, not a regular file, too large, or cannot be read.
    """
    name = os.fspath(path)
    fd = _open_regular(name, kind)
    try:
        return _read_capped(fd, name, kind, whole=True)
    finally:
        os.close(fd)


def read_head(path: Union[str, os.PathLike[str]], kind: Kind) -> bytes:
    """The first ``kind.limit`` bytes of the regular file ``path`` (the rest is not read).

    Raises:
        FileRefused: as :func:`read_file`, except that a longer file is no error.
    """
    name = os.fspath(path)
    fd = _open_regular(name, kind, sized=False)
    try:
        return _read_capped(fd, name, kind, whole=False)
    finally:
        os.close(fd)


def open_file(path: Union[str, os.PathLike[str]], kind: Kind) -> BinaryIO:
    """The regular file ``path`` opened for binary reading (for zipfile and streams), after
    :func:`read_file`'s checks; the caller closes it.

    Raises:
        FileRefused: as :func:`read_file`.
    """
    name = os.fspath(path)
    fd = _open_regular(name, kind)
    try:
        return os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        raise _unreadable(kind, name, exc) from None


def check_file(path: Union[str, os.PathLike[str]], kind: Kind) -> None:
    """Refuse ``path`` as :func:`read_file` would, reading nothing: for a path handed to a
    library that opens it itself (OpenSSL's CA file and client certificate), which would
    wait on a FIFO or read a device without end.

    Raises:
        FileRefused: as :func:`read_file`.
    """
    os.close(_open_regular(os.fspath(path), kind))


def read_member(archive: zipfile.ZipFile, name: str, kind: Kind) -> bytes:
    """The member ``name`` of a zip, refused by the size its header states when that is
    over ``kind.limit``: zipfile never inflates a member past that size, so a small zip
    that would inflate to gigabytes (a zip bomb) is refused before anything is inflated.

    Raises:
        FileRefused: ``too-large`` (the path is ``ARCHIVE:NAME``).
        KeyError, zipfile.BadZipFile, OSError: as ``ZipFile.read`` raises them.
    """
    info = archive.getinfo(name)
    if info.file_size > kind.limit:
        raise _too_large(kind, f"{archive.filename or '<zip>'}:{name}")
    return archive.read(info)


def read_optional(
    path: str, kind: Kind = REPLACED, *, directory_is_missing: bool = False
) -> Optional[bytes]:
    """Return the content of ``path``, or None when there is no such file.

    Args:
        path: the file to read.
        kind: what it is read as (its limit, its name in messages).
        directory_is_missing: a directory at ``path`` counts as no file, rather than as
            a file that cannot be read.

    Raises:
        FileRefused: the file exists but cannot be read (see :func:`read_file`).
    """
    try:
        return read_file(path, kind)
    except FileRefused as exc:
        if exc.why == MISSING or (directory_is_missing and exc.why == DIRECTORY):
            return None
        raise


def _open_regular(name: str, kind: Kind, *, sized: bool = True) -> int:
    """A descriptor of the regular file ``name``: opened without blocking, then judged by
    fstat() of what was opened (a path swapped for a FIFO after a check cannot block)."""
    try:
        fd = os.open(name, _READ_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        raise FileRefused(kind, name, MISSING, "does not exist") from None
    except OSError as exc:
        raise _refusal_of_path(kind, name, exc) from None
    try:
        info = os.fstat(fd)
        problem = _not_regular(info.st_mode)
        if problem:
            why = DIRECTORY if stat.S_ISDIR(info.st_mode) else SPECIAL
            raise FileRefused(kind, name, why, problem)
        if sized and info.st_size > kind.limit:
            raise _too_large(kind, name)
    except OSError as exc:
        os.close(fd)
        raise _unreadable(kind, name, exc) from None
    except FileRefused:
        os.close(fd)
        raise
    return fd


def _refusal_of_path(kind: Kind, name: str, exc: OSError) -> FileRefused:
    # The open itself failed: a directory on Windows, a socket (ENXIO), a device with no
    # driver, a name too long.  Say what the path is when stat() can tell.
    try:
        mode = os.stat(name).st_mode
    except OSError:
        return _unreadable(kind, name, exc)
    problem = _not_regular(mode)
    if problem:
        return FileRefused(kind, name, DIRECTORY if stat.S_ISDIR(mode) else SPECIAL, problem)
    return _unreadable(kind, name, exc)


def _not_regular(mode: int) -> str:
    """The words for a path that is no regular file, or "" for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    return "is not a regular file"


def _read_capped(fd: int, name: str, kind: Kind, *, whole: bool) -> bytes:
    """At most ``kind.limit`` bytes of ``fd``; one byte more proves a file too large."""
    limit = kind.limit
    chunks: List[bytes] = []
    size = 0
    try:
        while size <= limit:
            chunk = os.read(fd, min(_MB, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _unreadable(kind, name, exc) from None
    data = b"".join(chunks)
    if size > limit:
        if not whole:
            return data[:limit]
        raise _too_large(kind, name)
    return data


def _too_large(kind: Kind, name: str) -> FileRefused:
    size = f"{kind.limit // _MB} MB" if kind.limit >= _MB else f"{kind.limit} bytes"
    return FileRefused(kind, name, TOO_LARGE, f"is too large (over {size}) to be a {kind.what}")


def _unreadable(kind: Kind, name: str, exc: OSError) -> FileRefused:
    cause = exc.strerror or str(exc)
    return FileRefused(kind, name, UNREADABLE, f"cannot be read: {cause}", cause)


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
