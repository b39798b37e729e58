"""Rolling back what a killed process left pending (an interrupted repair, or an undo:
undo marks its record pending and lets this finish it), and reading the stack's top.

Backups are put back only when every file still holds what pipssl wrote (or what it
held before; :mod:`~pipssl.journal.status` decides which): anything else means someone
edited it since, and overwriting their work would be worse than doing nothing.  Every
file is checked before any is touched.
"""

from __future__ import annotations

import os
import shutil
import stat
from datetime import datetime
from pathlib import Path
from typing import List, Optional, Set, Tuple

from pipssl import _faults, _files, commands
from pipssl._files import leftover_temps, sha256, write_atomic
from pipssl._text import shown
from pipssl.errors import PipsslError, write_failed
from pipssl.journal.fileops import (
    NEW_FILE,
    Guard,
    check_path,
    foreign_path,
    remove_empty_dirs,
    unlink_missing_ok,
    unlink_quietly,
)
from pipssl.journal.records import RECORD_ID, Change, Record, read_journal, stamp, write_journal
from pipssl.journal.state import BACKUPS_NAME, BINARY, JOURNAL_NAME, NOFOLLOW, private_dir
from pipssl.journal.status import AS_BEFORE, CHANGED, file_status

__all__ = ["busy_since", "last_record", "recover"]


def recover(state: Path, guard: Optional[Guard] = None) -> Tuple[Record, ...]:
    """Roll back every transaction a killed process left pending, and tidy up after it.

    The caller holds the state lock.  For each file a pending record names: content
    still as before is left alone; content pipssl wrote is replaced by the backup;
    anything else means a person edited it since, and nothing is touched.  Backup
    directories no record refers to, and temporary files of killed atomic writes, go.

    Args:
        state: pipssl's state directory.
        guard: where pipssl may write (see :mod:`pipssl.repairing.places`): a pending
            record naming any other file is refused before anything is touched.

    Returns:
        The records that were rolled back (usually none).

    Raises:
        PipsslError: ``foreign-path``, ``changed-since``, ``backup-damaged``,
            ``journal-corrupt``, ``write-failed``.
    """
    state = Path(state)
    if not os.path.isdir(state):
        return ()
    records = read_journal(state)
    pending = [r for r in records if r.pending]
    for record in pending:
        check_paths(record, records, guard)
        backups = state / BACKUPS_NAME / record.id
        # Check every file first, as undo does: all of them are put back, or none.
        todo = []
        for change in reversed(record.changes):
            now = file_status(change).status
            if now == AS_BEFORE:
                continue
            if now == CHANGED:
                number = len(records) - [r.id for r in records].index(record.id)
                raise PipsslError(
                    f"a pipssl repair or undo was interrupted while changing {change.path},"
                    " and the file was edited since; pipssl will not overwrite it",
                    reference="changed-since",
                    hint=f"Compare it with the backup {change.backup} and fix it by hand,"
                    f" then drop the interrupted record with"
                    f" `{commands.pipssl('undo', '--forget', str(number))}`"
                    " (it restores nothing and deletes that backup).",
                )
            todo.append((change, backup_bytes(change, backups)))
        for change, old in todo:
            restore(change, old)
            _faults.point(f"{os.path.basename(change.path)}: restored by recovery")
        for change in record.changes:
            for temp in leftover_temps(change.path):
                unlink_quietly(temp)
            if change.before_sha256 is None:  # absent again: its new directories go too
                remove_empty_dirs(change.created_dirs)
        records = [r for r in records if r.id != record.id]
        write_journal(state, records)
        _faults.point("journal: record dropped, its backups not yet")
        shutil.rmtree(backups, ignore_errors=True)
    _sweep(state, {r.id for r in records})
    return tuple(pending)


def check_paths(record: Record, records: List[Record], guard: Optional[Guard]) -> None:
    """Refuse ``record`` (one of ``records``, the journal) unless ``guard`` lets pipssl
    write every file it names (its backups are checked as they are read: :func:`backup_bytes`).

    Raises:
        PipsslError: ``foreign-path`` naming the first file pipssl may not write.
    """
    number = len(records) - [r.id for r in records].index(record.id)
    hint = (
        "A repair never writes that file: its journal was edited, or this run's"
        " environment (HOME, XDG_*, PIP_CONFIG_FILE ...) is not the repair's. Run again"
        " with the repair's environment, or drop that record with"
        f" `{commands.pipssl('undo', '--forget', str(number))}` (it touches no file but"
        " the journal and its backups)."
    )
    where = f"pipssl's journal names in '{shown(record.label)}'"
    for change in record.changes:
        check_path(guard, change.path, where, hint)


def _sweep(state: Path, live: Set[str]) -> None:
    """Remove backup directories of transactions that never wrote a record (killed
    while backing up), and the journal's own leftover temporary files."""
    try:
        names = os.listdir(state / BACKUPS_NAME)
    except OSError:
        names = []
    for name in names:
        if RECORD_ID.fullmatch(name) and name not in live:
            shutil.rmtree(state / BACKUPS_NAME / name, ignore_errors=True)
    for temp in leftover_temps(state / JOURNAL_NAME):
        unlink_quietly(temp)


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
    private_dir(state)
    records = read_journal(state)
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
    return last is not None and (last.pending or last.id >= stamp(started))


def backup_bytes(change: Change, directory: Path) -> Optional[bytes]:
    """The old content of ``change.path``, from its backup; None when there was no file.

    Args:
        change: the journal's entry for the file.
        directory: the record's own backup directory, the only place a backup is read
            from: a journal naming any other file would make undo copy it into a config
            file that others may read.

    Raises:
        PipsslError: ``foreign-path`` when the backup is outside ``directory`` or is not
            a regular file; ``backup-damaged`` when it is missing or does not hold what
            the journal says.
    """
    if change.before_sha256 is None:
        return None
    problem = "is missing"
    data = None if change.backup is None else _read_backup(change.backup, directory)
    if data is not None:
        if sha256(data) == change.before_sha256:
            return data
        problem = "does not match the journal"
    raise PipsslError(
        f"the backup of {change.path} ({change.backup}) {problem}; nothing was restored",
        reference="backup-damaged",
        hint="Restore the file by hand; pipssl's backups are in its state directory.",
    )


def _read_backup(backup: str, directory: Path) -> Optional[bytes]:
    """The bytes of ``backup``, a regular file right inside ``directory`` (None: missing)."""
    where = "the journal names as a backup"
    home = os.path.realpath(directory)
    if os.path.realpath(os.path.dirname(os.path.abspath(backup))) != home:
        raise foreign_path(backup, f"it is not in pipssl's backups directory {home}", where)
    if os.path.islink(backup):  # O_NOFOLLOW below closes the race where it exists
        raise foreign_path(backup, "it is a symbolic link", where)
    try:
        # not blocking: a FIFO planted as a backup must not stall undo
        fd = os.open(backup, os.O_RDONLY | NOFOLLOW | BINARY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise write_failed("read", backup, exc) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise foreign_path(backup, "it is not a regular file", where)
        data = handle.read(_files.REPLACED.limit + 1)
        if len(data) > _files.REPLACED.limit:
            raise foreign_path(backup, "it is larger than any file pipssl backs up", where)
        return data


def restore(change: Change, old: Optional[bytes]) -> None:
    """Put ``change.path`` back as it was: ``old`` with its old mode, or no file at all
    (and then none of the directories pipssl created for it, as far as they are empty)."""
    if old is None:
        unlink_missing_ok(change.path)
        remove_empty_dirs(change.created_dirs)
    else:
        write_atomic(change.path, old, NEW_FILE if change.mode is None else change.mode)
