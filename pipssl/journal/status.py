"""Where each file of a journal record stands now, and so what ``undo`` can do with it.

The one place that decides it.  A file is ``as-written`` (it holds what pipssl wrote,
or is still absent if pipssl removed it), ``as-before`` (it holds what it held before
the repair: someone put it back by hand, or pipssl never got to write it) or ``changed``
(anything else: edited, removed, created again, no longer a regular file).  Undo,
recovery after a kill and ``undo --list`` all go by this.

A record is then ``undoable`` (nothing changed, something to put back), ``put-back``
(every file already as before: nothing left to undo) or ``blocked`` (some file changed:
putting the backup back would destroy someone's edit).  On the stack (:func:`undo_stack`)
a record whose changed files were all written since by a later record, from what this one
wrote, is ``held``: pipssl's own later repair, not an edit, stands in the way, and undoing
that one first frees it.  A record still ``pending`` is a
repair or undo that did not finish; the next pipssl run under the lock rolls it back.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Tuple

from pipssl._files import sha256
from pipssl.errors import write_failed
from pipssl.journal.fileops import read_regular
from pipssl.journal.records import Change, Record, read_journal
from pipssl.journal.state import private_dir

__all__ = ["FileStatus", "RecordStatus", "file_status", "record_status", "undo_stack"]

AS_WRITTEN, AS_BEFORE, CHANGED = "as-written", "as-before", "changed"
UNDOABLE, PUT_BACK, BLOCKED, PENDING = "undoable", "put-back", "blocked", "pending"
HELD = "held"


@dataclass(frozen=True)
class FileStatus:
    """Where one file of a record stands now.

    Attributes:
        change: the journal's entry for the file.
        status: ``as-written``, ``as-before`` or ``changed``.
        detail: for ``changed``, how: ``its content changed``, ``it was removed``,
            ``it was created again`` or ``it is no longer a regular file``.
        held_by: for ``changed``, the id of the later record that wrote the file over
            what this one wrote (set by :func:`undo_stack` only).
    """

    change: Change
    status: str
    detail: Optional[str] = None
    held_by: Optional[str] = None

    @property
    def path(self) -> str:
        return self.change.path


@dataclass(frozen=True)
class RecordStatus:
    """Where one journal record stands now: its files' statuses, and what they add up to.

    Attributes:
        record: the journal record.
        files: one status per file, in the record's order.
    """

    record: Record
    files: Tuple[FileStatus, ...]

    @property
    def status(self) -> str:
        """``pending``, ``held``, ``blocked``, ``put-back`` or ``undoable``."""
        if self.record.pending:
            return PENDING
        if self.changed:
            return HELD if all(f.held_by for f in self.changed) else BLOCKED
        if all(f.status == AS_BEFORE for f in self.files):
            return PUT_BACK
        return UNDOABLE

    @property
    def changed(self) -> Tuple[FileStatus, ...]:
        """The files someone changed since: what blocks the record."""
        return tuple(f for f in self.files if f.status == CHANGED)


def file_status(change: Change) -> FileStatus:
    """Compare the file ``change`` names with what the journal says it held.

    A pending record's ``written`` digests count as pipssl's content too: a killed
    transaction may have written any of them.

    Raises:
        PipsslError: ``write-failed`` when the file exists but cannot be read.
    """
    try:
        info = os.lstat(change.path)
    except FileNotFoundError:
        if change.before_sha256 is None:
            return FileStatus(change, AS_BEFORE)
        if change.after_sha256 is None:
            return FileStatus(change, AS_WRITTEN)
        return FileStatus(change, CHANGED, "it was removed")
    except OSError as exc:
        raise write_failed("read", change.path, exc) from None
    if not stat.S_ISREG(info.st_mode):
        if change.after_sha256 is None:
            return FileStatus(change, CHANGED, "it was created again")
        return FileStatus(change, CHANGED, "it is no longer a regular file")
    current = read_regular(change.path)
    digest = None if current is None else sha256(current[0])
    if digest is not None and digest == change.before_sha256:
        return FileStatus(change, AS_BEFORE)
    if digest is not None and (digest == change.after_sha256 or digest in change.written):
        return FileStatus(change, AS_WRITTEN)
    if change.after_sha256 is None:
        return FileStatus(change, CHANGED, "it was created again")
    return FileStatus(change, CHANGED, "its content changed")


def record_status(record: Record) -> RecordStatus:
    """The status of every file of ``record`` (each read now)."""
    return RecordStatus(record, tuple(file_status(c) for c in record.changes))


def undo_stack(state: Path) -> Tuple[RecordStatus, ...]:
    """Every journal record with its status, newest first: the order ``undo`` takes them.

    Reads only: takes no lock and creates nothing, so what it shows is a snapshot.

    Raises:
        PipsslError: ``unsafe-state-dir``, ``journal-corrupt``, ``write-failed`` (a file
            that cannot be read).
    """
    state = Path(state)
    if not os.path.lexists(state):
        return ()
    private_dir(state)
    records = tuple(reversed(read_journal(state)))
    return tuple(_held(record_status(r), records[:i]) for i, r in enumerate(records))


def _held(now: RecordStatus, later: Tuple[Record, ...]) -> RecordStatus:
    """``now`` with each changed file that a ``later`` record wrote over what this one
    wrote marked as held by it (the nearest such record: the one to undo first)."""
    files = []
    for f in now.files:
        holder = None
        if f.status == CHANGED and not now.record.pending:
            ours = {f.change.after_sha256, *f.change.written}
            holder = next(
                (
                    r.id
                    for r in reversed(later)
                    for c in r.changes
                    if c.path == f.path and c.before_sha256 in ours
                ),
                None,
            )
        files.append(replace(f, held_by=holder) if holder else f)
    return RecordStatus(now.record, tuple(files))
