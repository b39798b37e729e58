"""Safe writes for ``repair`` and their exact undo: atomic, backed up, journaled, locked.

A :class:`Transaction` backs up each file before it replaces or removes it, and its
``commit`` appends one :class:`Record` to ``journal.json`` in pipssl's private state
directory.  Before each write the journal already holds a *pending* record naming the
file, its backup and the content about to be written (write-ahead), so a process killed
at any step leaves enough behind to put things back: the next transaction or ``undo``
rolls an interrupted one back before doing anything else.

:func:`undo_last` puts back what the newest record changed, but only when every file
still holds what pipssl wrote: anything else means someone edited it since, and
overwriting their work would be worse than doing nothing.

The journal holds paths, SHA-256 digests and backup paths, never file contents.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple, Type, Union

from pipssl import _faults
from pipssl._files import leftover_temps, write_atomic
from pipssl._redact import redact
from pipssl.errors import PipsslError, write_failed

__all__ = [
    "Change",
    "Lock",
    "Record",
    "Transaction",
    "busy_since",
    "last_record",
    "recover",
    "state_dir",
    "undo_last",
]

JOURNAL_NAME = "journal.json"
LOCK_NAME = "lock"
BACKUPS_NAME = "backups"

_PRIVATE_DIR = 0o700
_PRIVATE_FILE = 0o600
_NEW_FILE = 0o644
_NEW_PARENT = 0o755
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# A record's id names its backup directory, which undo deletes: never a path.
_RECORD_ID = re.compile(r"[0-9A-Za-z-]+")

PathLike = Union[str, "os.PathLike[str]"]


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
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        local = environ.get("LOCALAPPDATA")
        if local:
            return Path(local) / "pipssl" / "state"
        profile = environ.get("USERPROFILE")
        if profile:
            return Path(profile) / "AppData" / "Local" / "pipssl" / "state"
        raise _no_home("neither LOCALAPPDATA nor USERPROFILE is set")
    home = environ.get("HOME")
    if platform == "darwin":
        if home:
            return Path(home) / "Library" / "Application Support" / "pipssl" / "state"
        raise _no_home("HOME is not set")
    xdg = environ.get("XDG_STATE_HOME", "")
    # The XDG spec says relative paths there are invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "pipssl"
    if home:
        return Path(home) / ".local" / "state" / "pipssl"
    raise _no_home("HOME is not set")


def _no_home(why: str) -> PipsslError:
    return PipsslError(
        f"cannot find pipssl's state directory: {why}",
        reference="no-state-dir",
        hint="Set HOME (or XDG_STATE_HOME) to your home directory and run again.",
    )


def _private_dir(path: Path) -> Path:
    """Create ``path`` (0700) if missing, then refuse it unless only this user controls it."""
    try:
        os.makedirs(path, _PRIVATE_DIR)
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
        os.chmod(path, _PRIVATE_DIR)
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

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds.

        Raises:
            PipsslError: ``locked`` when another process still holds it after the wait;
                ``unsafe-state-dir`` when the directory cannot be trusted.
        """
        if self._fd is not None:
            raise PipsslError(f"{self.path} is already held by this process", reference="locked")
        _private_dir(self.path.parent)
        flags = os.O_RDWR | os.O_CREAT | _NOFOLLOW | _BINARY
        try:
            fd = os.open(self.path, flags, _PRIVATE_FILE)
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
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    else:
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Change:
    """What one transaction did to one file.

    Attributes:
        path: absolute path of the file (symbolic links resolved).
        before_sha256: digest of the old content; None when the file did not exist.
        after_sha256: digest of the new content; None when the file was removed.
        backup: path of the copy of the old content, if there was any.
        mode: permission bits of the old file, if there was one.
        written: every digest the transaction wrote (or was about to write) to the file;
            kept while the record is pending, so recovery can tell pipssl's content
            from someone else's.
    """

    path: str
    before_sha256: Optional[str]
    after_sha256: Optional[str]
    backup: Optional[str]
    mode: Optional[int]
    written: Tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the file's content (or existence) differs from before."""
        return self.before_sha256 != self.after_sha256


@dataclass(frozen=True)
class Record:
    """One committed transaction, as stored in the journal.

    Attributes:
        id: unique, sortable identifier (also the name of its backup directory).
        label: what the transaction was for, credentials masked.
        created: when it was committed (or, while pending, started), ISO 8601 in UTC.
        changes: one entry per file, in the order they were first touched.
        pending: the transaction had not committed yet: it was still writing, or was
            killed while doing so.
    """

    id: str
    label: str
    created: str
    changes: Tuple[Change, ...]
    pending: bool = False


class Transaction:
    """Backed-up atomic writes that are journaled together, under the state lock.

    Use it as a context manager: leaving the block normally commits, leaving it with an
    exception rolls everything back.  ``rollback`` may also be called on purpose, e.g.
    when verification after the writes fails.

    Args:
        state: pipssl's state directory (see :func:`state_dir`).
        label: what the transaction is for, shown by ``undo``; credentials are masked.
        timeout: seconds to wait for a concurrent repair to finish.
    """

    def __init__(self, state: Path, *, label: str, timeout: float = 30.0) -> None:
        self.state = Path(state)
        self.label = redact(label)
        self.id = f"{_stamp(datetime.now(timezone.utc))}-{secrets.token_hex(3)}"
        self._lock = Lock(self.state, timeout=timeout)
        self._changes: Dict[str, Change] = {}
        self._open = False
        self._closed = False
        self._backups = 0
        self._intended = False  # a pending record for this transaction is on disk

    def __enter__(self) -> Transaction:
        if self._open or self._closed:
            raise PipsslError("a transaction can only be entered once", reference="internal")
        self._lock.acquire()
        try:
            recover(self.state)
        except BaseException:
            self._lock.release()
            raise
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        try:
            if not self._closed:
                if exc_type is None:
                    self.commit()
                else:
                    self.rollback()
        finally:
            self._lock.release()
            self._open = False

    @property
    def backup_dir(self) -> Path:
        """Where this transaction keeps copies of the files it changes."""
        return self.state / BACKUPS_NAME / self.id

    def write(self, path: PathLike, data: bytes, *, mode: Optional[int] = None) -> Change:
        """Replace (or create) ``path`` with ``data``, atomically, after backing it up.

        Args:
            path: the file; a symbolic link is followed so the file it points to changes.
            data: the new content.  Identical content is a no-op: nothing is written.
            mode: permission bits for the file; by default an existing file keeps its
                own and a new one gets 0644.  Missing parent directories get 0755.

        Returns:
            What this transaction has done to the file so far.

        Raises:
            PipsslError: ``not-a-regular-file`` for a directory or device, ``write-failed``
                when a file cannot be read or written, ``transaction-closed`` outside the
                ``with`` block or after commit/rollback.
        """
        self._check_open()
        target = os.path.realpath(os.fspath(path))
        old = _read(target)
        current_sha = _sha256(old[0]) if old is not None else None
        new_sha = _sha256(data)
        seen = self._changes.get(target)
        if new_sha == current_sha:
            return seen or Change(target, current_sha, current_sha, None, _mode_of(old))
        new_mode = mode if mode is not None else (old[1] if old is not None else _NEW_FILE)
        change = self._intend(seen, target, old, new_sha)
        try:
            parent = os.path.dirname(target)
            if not os.path.isdir(parent):
                os.makedirs(parent, _NEW_PARENT, exist_ok=True)
            write_atomic(target, data, new_mode)
        except (OSError, PipsslError) as exc:
            # The file is untouched (write_atomic leaves no half-written file); the
            # pending record may still name it, and rollback will find it unchanged.
            if isinstance(exc, PipsslError):
                raise
            raise write_failed("write", target, exc) from None
        return replace(change, written=())

    def remove(self, path: PathLike) -> Change:
        """Delete ``path`` after backing it up; a missing file is a no-op.

        Args:
            path: the file; a symbolic link is followed and the file it points to removed.

        Returns:
            What this transaction has done to the file so far.

        Raises:
            PipsslError: ``not-a-regular-file``, ``write-failed`` or ``transaction-closed``.
        """
        self._check_open()
        target = os.path.realpath(os.fspath(path))
        old = _read(target)
        seen = self._changes.get(target)
        if old is None:
            return seen or Change(target, None, None, None, None)
        change = self._intend(seen, target, old, None)
        try:
            os.unlink(target)
        except OSError as exc:
            raise write_failed("remove", target, exc) from None
        _faults.point(f"{os.path.basename(target)}: removed")
        return replace(change, written=())

    def commit(self) -> Record:
        """Turn this transaction's pending journal record into a committed one, and end it.

        Returns:
            The record; its ``changes`` are empty when nothing changed, and then no record
            is kept at all (a repeated repair leaves the journal as it was).

        Raises:
            PipsslError: ``journal-corrupt`` when the journal cannot be read,
                ``write-failed`` when it cannot be written, ``transaction-closed``.
        """
        self._check_open()
        changes = []
        for change in self._changes.values():
            if _current_sha(change.path) == change.before_sha256:
                continue  # written and written back, or a write that failed: as before
            changes.append(replace(change, written=()))
        record = Record(self.id, self.label, _now(), tuple(changes))
        if changes or self._intended:
            records = [r for r in _load(self.state) if r.id != self.id]
            _save(self.state, [*records, record] if changes else records)
            _faults.point("journal: committed")
        keep = {c.backup for c in changes}
        for change in self._changes.values():
            if change.backup is not None and change.backup not in keep:
                _unlink_quietly(change.backup)
        if not changes:
            _rmdir_quietly(self.backup_dir)
        self._closed = True
        return record

    def rollback(self) -> None:
        """Put every file this transaction touched back as it was, and end it.

        Raises:
            PipsslError: ``write-failed`` naming the first file that could not be
                restored (every other one is still tried; the pending record then stays,
                so the next transaction or ``undo`` tries again); ``transaction-closed``.
        """
        self._check_open()
        self._closed = True
        failure: Optional[PipsslError] = None
        for change in reversed(list(self._changes.values())):
            try:
                if _current_sha(change.path) != change.before_sha256:
                    _restore(change, _backup_bytes(change))
                    _faults.point(f"{os.path.basename(change.path)}: restored")
            except PipsslError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        if self._intended:
            _save(self.state, [r for r in _load(self.state) if r.id != self.id])
        shutil.rmtree(self.backup_dir, ignore_errors=True)

    def _check_open(self) -> None:
        if not self._open or self._closed:
            raise PipsslError(
                "the transaction is not open (use it in a with block, once)",
                reference="transaction-closed",
            )

    def _intend(
        self,
        seen: Optional[Change],
        target: str,
        old: Optional[Tuple[bytes, int]],
        new_sha: Optional[str],
    ) -> Change:
        """Back ``target`` up (first time only) and write the pending record naming the
        change about to be made, before it is made.

        One entry per file: its state before the transaction and after its last step, so
        undo has a single thing to check and restore.
        """
        if seen is None:
            before = _sha256(old[0]) if old is not None else None
            backup = self._backup(target, old[0]) if old is not None else None
            change = Change(target, before, new_sha, backup, _mode_of(old))
        else:
            change = replace(seen, after_sha256=new_sha)
        if new_sha is not None and new_sha not in change.written:
            change = replace(change, written=(*change.written, new_sha))
        self._changes[target] = change
        pending = Record(self.id, self.label, _now(), tuple(self._changes.values()), True)
        records = [r for r in _load(self.state) if r.id != self.id]
        _save(self.state, [*records, pending])
        self._intended = True
        _faults.point(f"journal: pending record for {os.path.basename(target)}")
        return change

    def _backup(self, target: str, content: bytes) -> str:
        _private_dir(self.state)
        _private_dir(self.state / BACKUPS_NAME)
        _private_dir(self.backup_dir)
        self._backups += 1
        name = "{:03d}-{}".format(self._backups, os.path.basename(target) or "file")
        backup = os.path.join(str(self.backup_dir), name)
        # O_EXCL + O_NOFOLLOW: never write through a link someone planted, and the
        # content is never readable by others, not even for a moment.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
        try:
            fd = os.open(backup, flags, _PRIVATE_FILE)
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, _PRIVATE_FILE)
                view = memoryview(content)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            _unlink_quietly(backup)
            raise write_failed("back up", backup, exc) from None
        _faults.point(f"backup of {os.path.basename(target)} written")
        return backup


def recover(state: Path) -> Tuple[Record, ...]:
    """Roll back every transaction a killed process left pending, and tidy up after it.

    The caller holds the state lock.  For each file a pending record names: content
    still as before is left alone; content pipssl wrote is replaced by the backup;
    anything else means a person edited it since, and nothing is touched.  Backup
    directories no record refers to, and temporary files of killed atomic writes, go.

    Args:
        state: pipssl's state directory.

    Returns:
        The records that were rolled back (usually none).

    Raises:
        PipsslError: ``changed-since``, ``backup-damaged``, ``journal-corrupt``,
            ``write-failed``.
    """
    state = Path(state)
    if not os.path.isdir(state):
        return ()
    records = _load(state)
    pending = [r for r in records if r.pending]
    for record in pending:
        # Check every file first, as undo does: all of them are put back, or none.
        todo = []
        for change in reversed(record.changes):
            current = _current_sha(change.path)
            if current == change.before_sha256:
                continue
            if current != change.after_sha256 and current not in change.written:
                raise PipsslError(
                    f"a pipssl repair or undo was interrupted while changing {change.path},"
                    " and the file was edited since; pipssl will not overwrite it",
                    reference="changed-since",
                    hint=f"Compare it with the backup {change.backup} and fix it by hand,"
                    f" then move {state / JOURNAL_NAME} away.",
                )
            todo.append((change, _backup_bytes(change)))
        for change, old in todo:
            _restore(change, old)
            _faults.point(f"{os.path.basename(change.path)}: restored by recovery")
        for change in record.changes:
            for temp in leftover_temps(change.path):
                _unlink_quietly(temp)
        records = [r for r in records if r.id != record.id]
        _save(state, records)
        shutil.rmtree(state / BACKUPS_NAME / record.id, ignore_errors=True)
    _sweep(state, {r.id for r in records})
    return tuple(pending)


def _sweep(state: Path, live: Set[str]) -> None:
    """Remove backup directories of transactions that never wrote a record (killed
    while backing up), and the journal's own leftover temporary files."""
    try:
        names = os.listdir(state / BACKUPS_NAME)
    except OSError:
        names = []
    for name in names:
        if _RECORD_ID.fullmatch(name) and name not in live:
            shutil.rmtree(state / BACKUPS_NAME / name, ignore_errors=True)
    for temp in leftover_temps(state / JOURNAL_NAME):
        _unlink_quietly(temp)


def last_record(state: Path) -> Optional[Record]:
    """Return the newest record ``undo`` would act on, or None when there is none.

    Args:
        state: pipssl's state directory.

    Returns:
        The newest journal record, or None.

    Raises:
        PipsslError: ``unsafe-state-dir`` or ``journal-corrupt``.
    """
    state = Path(state)
    if not os.path.lexists(state):
        return None
    _private_dir(state)
    records = _load(state)
    return records[-1] if records else None


def busy_since(state: Path, started: datetime) -> bool:
    """Whether another pipssl run changed things since ``started``, or is changing them.

    True when the newest record is pending (a transaction running now, or one that was
    killed) or was committed after ``started``; a repair then plans again under the lock
    instead of trusting what it saw before.

    Raises:
        PipsslError: ``unsafe-state-dir`` or ``journal-corrupt``.
    """
    last = last_record(state)
    return last is not None and (last.pending or last.id >= _stamp(started))


def _stamp(when: datetime) -> str:
    """A record id's sortable prefix."""
    return when.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def undo_last(state: Path, *, timeout: float = 30.0) -> Record:
    """Restore every file the newest record changed, all or nothing, and drop the record.

    Every file is checked before any is touched: each must still hold exactly what
    pipssl wrote (or still be absent if pipssl removed it), and each backup must be
    intact.  A second call then undoes the record before, and so on.  A repair that was
    killed before it committed, or an undo killed half-way, is finished first (see
    :func:`recover`).

    Args:
        state: pipssl's state directory.
        timeout: seconds to wait for a concurrent repair to finish.

    Returns:
        The record that was undone (``pending`` when it was an interrupted repair).

    Raises:
        PipsslError: ``nothing-to-undo``; ``changed-since`` naming the file modified
            since (nothing is restored then); ``backup-damaged``; ``locked``;
            ``unsafe-state-dir``; ``journal-corrupt``; ``write-failed``.
    """
    state = Path(state)
    with Lock(state, timeout=timeout):
        interrupted = recover(state)
        if interrupted:
            return interrupted[-1]
        records = _load(state)
        if not records:
            raise PipsslError(
                "nothing to undo: the pipssl journal has no repair left",
                reference="nothing-to-undo",
            )
        record = records[-1]
        for change in record.changes:
            _current_for_undo(change)
            _backup_bytes(change)
        # From here on the undo is a pending record like an interrupted repair's: if this
        # process dies half-way, the next pipssl run finishes putting the files back.
        records[-1] = replace(record, pending=True)
        _save(state, records)
        _faults.point("journal: undo started")
        recover(state)
    return record


def _current_for_undo(change: Change) -> Optional[Tuple[bytes, int]]:
    try:
        info = os.lstat(change.path)
    except FileNotFoundError:
        if change.after_sha256 is None:
            return None
        raise _changed_since(change.path, "it was removed") from None
    except OSError as exc:
        raise write_failed("read", change.path, exc) from None
    if change.after_sha256 is None:
        raise _changed_since(change.path, "it was created again")
    if not stat.S_ISREG(info.st_mode):
        raise _changed_since(change.path, "it is no longer a regular file")
    current = _read(change.path)
    if current is None or _sha256(current[0]) != change.after_sha256:
        raise _changed_since(change.path, "its content changed")
    return current


def _current_sha(path: str) -> Optional[str]:
    """Digest of the regular file at ``path``, None when there is none."""
    current = _read(path)
    return None if current is None else _sha256(current[0])


def _changed_since(path: str, why: str) -> PipsslError:
    return PipsslError(
        f"{path} was changed since pipssl's last repair ({why}); nothing was restored",
        reference="changed-since",
        hint="Undo your own edit of that file first, or fix the files by hand.",
    )


def _backup_bytes(change: Change) -> Optional[bytes]:
    if change.before_sha256 is None:
        return None
    problem = "is missing"
    if change.backup is not None:
        try:
            with open(change.backup, "rb") as handle:
                data = handle.read()
        except OSError:
            pass
        else:
            if _sha256(data) == change.before_sha256:
                return data
            problem = "does not match the journal"
    raise PipsslError(
        f"the backup of {change.path} ({change.backup}) {problem}; nothing was restored",
        reference="backup-damaged",
        hint="Restore the file by hand; pipssl's backups are in its state directory.",
    )


def _restore(change: Change, old: Optional[bytes]) -> None:
    if old is None:
        _unlink_missing_ok(change.path)
    else:
        write_atomic(change.path, old, _NEW_FILE if change.mode is None else change.mode)


def _read(path: str) -> Optional[Tuple[bytes, int]]:
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
        with open(path, "rb") as handle:
            return handle.read(), stat.S_IMODE(info.st_mode)
    except OSError as exc:
        raise write_failed("read", path, exc) from None


def _mode_of(old: Optional[Tuple[bytes, int]]) -> Optional[int]:
    return old[1] if old is not None else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unlink_missing_ok(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise write_failed("remove", path, exc) from None


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _rmdir_quietly(path: Path) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass


def _load(state: Path) -> List[Record]:
    path = state / JOURNAL_NAME
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise _corrupt(path, exc.strerror or str(exc)) from None
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, list):
            raise ValueError("not a list of records")
        return [_record_from_json(item) for item in data]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _corrupt(path, str(exc)) from None


def _record_from_json(item: Any) -> Record:
    changes = tuple(
        Change(
            path=_typed(change["path"], str),
            before_sha256=_optional(change["before_sha256"], str),
            after_sha256=_optional(change["after_sha256"], str),
            backup=_optional(change["backup"], str),
            mode=_optional(change["mode"], int),
            written=tuple(_typed(d, str) for d in change.get("written", [])),
        )
        for change in item["changes"]
    )
    record_id = _typed(item["id"], str)
    if not _RECORD_ID.fullmatch(record_id):
        raise ValueError(f"bad record id {record_id!r}")
    return Record(
        id=record_id,
        label=_typed(item["label"], str),
        created=_typed(item["created"], str),
        changes=changes,
        pending=_flag(item.get("pending", False)),
    )


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _optional(value: Any, kind: type) -> Any:
    return None if value is None else _typed(value, kind)


def _corrupt(path: Path, why: str) -> PipsslError:
    return PipsslError(
        f"cannot read pipssl's journal {path}: {why}",
        reference="journal-corrupt",
        hint="Move the file away to start a new journal; undo will not know older repairs.",
    )


def _save(state: Path, records: List[Record]) -> None:
    _private_dir(state)
    if not records:  # no repair left to undo: no journal, as before the first repair
        _unlink_missing_ok(str(state / JOURNAL_NAME))
        return
    data = [
        {
            "id": record.id,
            "label": record.label,
            "created": record.created,
            "changes": [
                {
                    "path": change.path,
                    "before_sha256": change.before_sha256,
                    "after_sha256": change.after_sha256,
                    "backup": change.backup,
                    "mode": change.mode,
                    **({"written": list(change.written)} if record.pending else {}),
                }
                for change in record.changes
            ],
            **({"pending": True} if record.pending else {}),
        }
        for record in records
    ]
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    write_atomic(state / JOURNAL_NAME, text.encode("utf-8"), _PRIVATE_FILE)
