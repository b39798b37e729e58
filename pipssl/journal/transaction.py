"""Backed-up atomic writes that are journaled together, under the state lock.

Before each write the journal already holds a *pending* record naming the file, its
backup and the content about to be written (write-ahead), so a process killed at any
step leaves enough behind to put things back: the next transaction or ``undo`` rolls an
interrupted one back before doing anything else (:mod:`pipssl.journal.recover`).
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Dict, Optional, Tuple, Type, Union

from pipssl import _faults
from pipssl._files import sha256, write_atomic, write_new
from pipssl._redact import redact
from pipssl.errors import PipsslError, write_failed
from pipssl.journal.fileops import (
    NEW_FILE,
    Guard,
    check_path,
    digest_of,
    missing_parents,
    read_regular,
    remove_empty_dirs,
    rmdir_quietly,
    unlink_quietly,
)
from pipssl.journal.records import Change, Record, now, read_journal, stamp, write_journal
from pipssl.journal.recover import backup_bytes, recover, restore
from pipssl.journal.state import BACKUPS_NAME, NOFOLLOW, PRIVATE_FILE, Lock, private_dir

__all__ = ["Transaction"]

_NEW_PARENT = 0o755

PathLike = Union[str, "os.PathLike[str]"]


class Transaction:
    """Backed-up atomic writes that are journaled together, under the state lock.

    Use it as a context manager: leaving the block normally commits, leaving it with an
    exception rolls everything back.  ``rollback`` may also be called on purpose, e.g.
    when verification after the writes fails.

    Args:
        state: pipssl's state directory (see :func:`state_dir`).
        label: what the transaction is for, shown by ``undo``; credentials are masked.
        timeout: seconds to wait for a concurrent repair to finish.
        guard: where pipssl may write (:mod:`pipssl.repairing.places`): ``write`` and
            ``remove`` refuse any other file, and so does the recovery on entry.
    """

    def __init__(
        self, state: Path, *, label: str, timeout: float = 30.0, guard: Optional[Guard] = None
    ) -> None:
        self.state = Path(state)
        self.guard = guard
        self.label = redact(label)
        self.id = f"{stamp(datetime.now(timezone.utc))}-{secrets.token_hex(3)}"
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
            recover(self.state, self.guard)
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
                own and a new one gets 0644.  Missing parent directories get 0755; the
                change lists them, so putting the file back to absent removes them too.

        Returns:
            What this transaction has done to the file so far.

        Raises:
            PipsslError: ``not-a-regular-file`` for a directory or device, ``write-failed``
                when a file cannot be read or written, ``transaction-closed`` outside the
                ``with`` block or after commit/rollback.
        """
        self._check_open()
        target = os.path.realpath(os.fspath(path))
        check_path(self.guard, target, "this repair would write")
        old = read_regular(target)
        current_sha = sha256(old[0]) if old is not None else None
        new_sha = sha256(data)
        seen = self._changes.get(target)
        if new_sha == current_sha:
            return seen or Change(target, current_sha, current_sha, None, _mode_of(old))
        new_mode = mode if mode is not None else (old[1] if old is not None else NEW_FILE)
        change = self._intend(seen, target, old, new_sha, missing_parents(target))
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
        check_path(self.guard, target, "this repair would remove")
        old = read_regular(target)
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
            if digest_of(change.path) == change.before_sha256:
                # written and written back, or a write that failed: as before
                if change.before_sha256 is None:
                    remove_empty_dirs(change.created_dirs)
                continue
            changes.append(replace(change, written=()))
        record = Record(self.id, self.label, now(), tuple(changes))
        if changes or self._intended:
            records = [r for r in read_journal(self.state) if r.id != self.id]
            write_journal(self.state, [*records, record] if changes else records)
            _faults.point("journal: committed")
        keep = {c.backup for c in changes}
        for change in self._changes.values():
            if change.backup is not None and change.backup not in keep:
                unlink_quietly(change.backup)
        if not changes:
            rmdir_quietly(self.backup_dir)
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
                if digest_of(change.path) != change.before_sha256:
                    restore(change, backup_bytes(change, self.backup_dir))
                    _faults.point(f"{os.path.basename(change.path)}: restored")
            except PipsslError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        for change in self._changes.values():
            if change.before_sha256 is None:  # e.g. its write failed after the makedirs
                remove_empty_dirs(change.created_dirs)
        if self._intended:
            write_journal(self.state, [r for r in read_journal(self.state) if r.id != self.id])
            _faults.point("journal: rolled back, the backups not yet removed")
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
        new_dirs: Tuple[str, ...] = (),
    ) -> Change:
        """Back ``target`` up (first time only) and write the pending record naming the
        change about to be made, before it is made (with the directories it will create).

        One entry per file: its state before the transaction and after its last step, so
        undo has a single thing to check and restore.
        """
        if seen is None:
            before = sha256(old[0]) if old is not None else None
            backup = self._backup(target, old[0]) if old is not None else None
            change = Change(target, before, new_sha, backup, _mode_of(old), (), new_dirs)
        else:
            change = replace(
                seen, after_sha256=new_sha, created_dirs=seen.created_dirs or new_dirs
            )
        if new_sha is not None and new_sha not in change.written:
            change = replace(change, written=(*change.written, new_sha))
        self._changes[target] = change
        pending = Record(self.id, self.label, now(), tuple(self._changes.values()), True)
        records = [r for r in read_journal(self.state) if r.id != self.id]
        write_journal(self.state, [*records, pending])
        self._intended = True
        _faults.point(f"journal: pending record for {os.path.basename(target)}")
        return change

    def _backup(self, target: str, content: bytes) -> str:
        private_dir(self.state)
        private_dir(self.state / BACKUPS_NAME)
        private_dir(self.backup_dir)
        self._backups += 1
        name = "{:03d}-{}".format(self._backups, os.path.basename(target) or "file")
        backup = os.path.join(str(self.backup_dir), name)
        # O_EXCL + O_NOFOLLOW: never write through a link someone planted, and the
        # content is never readable by others, not even for a moment.
        try:
            write_new(backup, content, PRIVATE_FILE, flags=NOFOLLOW)
        except OSError as exc:
            raise write_failed("back up", backup, exc) from None
        _faults.point(f"backup of {os.path.basename(target)} written")
        return backup


def _mode_of(old: Optional[Tuple[bytes, int]]) -> Optional[int]:
    return old[1] if old is not None else None
