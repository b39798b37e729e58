"""pipssl's private state directory and the lock that keeps two repairs from racing.

The directory holds the journal, the backups and the lock file.  It is created 0700 and
refused when someone else could change it (a symbolic link, another owner, group- or
world-writable): whoever controls it controls what ``undo`` writes back.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from pathlib import Path
from typing import Mapping, Optional

from pipssl import _dirs
from pipssl.errors import PipsslError

__all__ = ["Lock", "private_dir", "state_dir"]

JOURNAL_NAME = "journal.json"
LOCK_NAME = "lock"
BACKUPS_NAME = "backups"

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
BINARY = getattr(os, "O_BINARY", 0)


def state_dir(environ: Mapping[str, str], *, platform: Optional[str] = None) -> Path:
    """Return pipssl's private state directory (journal, backups, lock) for this user.

    Args:
        environ: the environment to read ``HOME``, ``XDG_STATE_HOME``, ``LOCALAPPDATA``
            or ``USERPROFILE`` from; the process's own is never consulted behind its back.
        platform: a ``sys.platform`` value; defaults to the running one.

    Returns:
        ``$XDG_STATE_HOME/pipssl`` (default ``~/.local/state/pipssl``) on Linux and other
        POSIX systems, ``~/Library/Application Support/pipssl/state`` on macOS and
        ``%LOCALAPPDATA%\\pipssl\\state`` on Windows.  The directory may not exist yet.

    Raises:
        PipsslError: ``no-state-dir`` when the environment names no home directory.
    """
    return Path(
        _dirs.user_dir(_dirs.STATE, sys.platform if platform is None else platform, environ)
    )


def private_dir(path: Path) -> Path:
    """Create ``path`` (0700) if missing, then refuse it unless only this user controls it."""
    try:
        os.makedirs(path, PRIVATE_DIR)
    except FileExistsError:
        pass
    except OSError as exc:
        raise PipsslError(
            f"cannot create pipssl's state directory {path}: {exc.strerror or exc}",
            reference="write-failed",
            hint="Check that its parent directory exists and is writable.",
        ) from None
    else:
        # The umask may have taken owner bits away; it can never have added any.
        os.chmod(path, PRIVATE_DIR)
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise _unsafe(path, exc.strerror or str(exc)) from None
    if stat.S_ISLNK(info.st_mode):
        raise _unsafe(path, "it is a symbolic link")
    if not stat.S_ISDIR(info.st_mode):
        raise _unsafe(path, "it is not a directory")
    if os.name == "posix":
        if info.st_uid != os.geteuid():
            raise _unsafe(path, f"it is owned by uid {info.st_uid}, not by you")
        if info.st_mode & 0o022:
            mode = stat.S_IMODE(info.st_mode)
            raise _unsafe(path, f"it is writable by group or others (mode {mode:04o})")
    return path


def _unsafe(path: Path, why: str) -> PipsslError:
    return PipsslError(
        f"refusing to use pipssl's state directory {path}: {why}",
        reference="unsafe-state-dir",
        hint="Remove it, or make it a directory owned by you with mode 0700, and run again.",
    )


class Lock:
    """An exclusive lock on ``<directory>/lock`` that keeps two repairs from racing.

    The lock is held by the open file (``flock`` on POSIX, ``msvcrt.locking`` on
    Windows), so it disappears with the process that held it; the file itself stays.

    Args:
        directory: pipssl's state directory; created 0700 and checked if needed.
        timeout: seconds to wait for another holder to let go.
    """

    def __init__(self, directory: Path, *, timeout: float = 30.0) -> None:
        self.path = Path(directory) / LOCK_NAME
        self.timeout = timeout
        self._fd: Optional[int] = None

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()  # whether or not the block raised

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds.

        Raises:
            PipsslError: ``locked`` when another process still holds it after the wait;
                ``unsafe-state-dir`` when the directory cannot be trusted.
        """
        if self._fd is not None:
            raise PipsslError(f"{self.path} is already held by this process", reference="locked")
        private_dir(self.path.parent)
        flags = os.O_RDWR | os.O_CREAT | NOFOLLOW | BINARY
        try:
            fd = os.open(self.path, flags, PRIVATE_FILE)
        except OSError as exc:
            raise PipsslError(
                f"cannot open the lock file {self.path}: {exc.strerror or exc}",
                reference="locked",
                hint="Remove it if it is not a regular file, then run again.",
            ) from None
        deadline = time.monotonic() + self.timeout
        delay = 0.01
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise PipsslError(
                    f"another pipssl repair is running: {self.path} is locked "
                    f"(waited {self.timeout:g} s)",
                    reference="locked",
                    hint="Wait for the other pipssl repair or undo to finish, then run again.",
                )
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.2)
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock; does nothing if it is not held."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt  # noqa: PLC0415 Windows only

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    else:
        import fcntl  # noqa: PLC0415 POSIX only

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt  # noqa: PLC0415 Windows only

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl  # noqa: PLC0415 POSIX only

        fcntl.flock(fd, fcntl.LOCK_UN)
