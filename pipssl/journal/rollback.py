"""Undoing the repairs on top of the journal's stack, and dropping one on purpose.

Undo takes the stack from the top.  A record whose files all hold what they held before
(someone put them back by hand) has nothing left to undo: it is dropped.  The first
record with something to undo is undone, all or nothing: the files that still hold what
pipssl wrote get their backups back, those already as before are left alone.  A record
with a file someone changed since is refused, naming it: overwriting that file would
destroy their edit.  ``drop`` is the way past such a record when the user keeps their
version: it drops the record and its backups and leaves every file as it is.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import List, Optional, Tuple

from pipssl import _faults, commands
from pipssl._files import leftover_temps
from pipssl.errors import PipsslError, UsageError
from pipssl.journal.fileops import Guard, unlink_quietly
from pipssl.journal.records import Record, read_journal, write_journal
from pipssl.journal.recover import backup_bytes, check_paths, recover
from pipssl.journal.state import BACKUPS_NAME, Lock
from pipssl.journal.status import (
    AS_BEFORE,
    AS_WRITTEN,
    BLOCKED,
    PUT_BACK,
    RecordStatus,
    record_status,
)

__all__ = ["Undone", "drop", "tidy", "undo_last", "undo_next"]


@dataclass(frozen=True)
class Undone:
    """What one ``undo`` did.

    Attributes:
        record: the record undone (``pending`` when it was an interrupted repair or
            undo, finished first).
        restored: the files put back from their backups (or removed again).
        already_before: the record's files that already held what they held before,
            left alone.
        put_back: the records above it whose files had all been put back by hand,
            dropped from the journal, newest first (the first is the stack's 1).
    """

    record: Record
    restored: Tuple[str, ...]
    already_before: Tuple[str, ...] = ()
    put_back: Tuple[RecordStatus, ...] = ()


def undo_last(state: Path, *, timeout: float = 30.0, guard: Optional[Guard] = None) -> Record:
    """:func:`undo_next`, for callers that only need the record undone."""
    return undo_next(state, timeout=timeout, guard=guard).record


def undo_next(state: Path, *, timeout: float = 30.0, guard: Optional[Guard] = None) -> Undone:
    """Undo the newest record that has something to undo, all or nothing.

    Under the lock: a repair killed before it committed, or an undo killed half-way, is
    finished first (see :func:`~pipssl.journal.recover`), and that is the undo.  Else
    records on top whose files were all put back by hand are dropped, and the next one
    is undone: every file is checked before any is touched (each must hold what pipssl
    wrote, or what it held before, and each backup must be intact).  A second call then
    undoes the record below, and so on.

    Args:
        state: pipssl's state directory.
        timeout: seconds to wait for a concurrent repair to finish.
        guard: where pipssl may write (:mod:`pipssl.repairing.places`): a record naming
            any other file is refused, and nothing is written.

    Raises:
        PipsslError: ``foreign-path``; ``nothing-to-undo`` (also when the only records
            left had been put back by hand: they are dropped, and the message names them);
            ``changed-since`` naming the files changed since and how to get past them
            (nothing is restored or dropped then); ``backup-damaged``; ``locked``;
            ``unsafe-state-dir``; ``journal-corrupt``; ``write-failed``.
    """
    state = Path(state)
    with Lock(state, timeout=timeout):
        interrupted = recover(state, guard)
        if interrupted:
            last = interrupted[-1]
            return Undone(last, tuple(c.path for c in last.changes))
        records = read_journal(state)
        if not records:
            raise PipsslError(
                "nothing to undo: the pipssl journal has no repair left",
                reference="nothing-to-undo",
            )
        put_back: List[RecordStatus] = []
        target = None
        for number, record in enumerate(reversed(records), 1):
            now = record_status(record)
            if now.status == PUT_BACK:
                put_back.append(now)
            elif now.status == BLOCKED:
                raise _blocked(now, number)
            else:
                target = now
                break
        if target is None:
            # Every file of every record is as before: nothing is left for pipssl to do
            # but to stop listing them.
            write_journal(state, [])
            _drop_backups(state, [p.record for p in put_back])
            raise PipsslError(
                "nothing left to undo: the files of " + _labels(put_back) + " already hold"
                " what they held before (put back by hand); pipssl dropped "
                + ("it" if len(put_back) == 1 else "them")
                + " from its journal",
                reference="nothing-to-undo",
            )
        check_paths(target.record, records, guard)
        written = [f for f in target.files if f.status == AS_WRITTEN]
        for file in written:
            backup_bytes(file.change, state / BACKUPS_NAME / target.record.id)
        # From here on the undo is a pending record like an interrupted repair's: if this
        # process dies half-way, the next pipssl run finishes putting the files back.
        # Dropping the put-back records goes into the same journal write.
        dropped = [p.record for p in put_back]
        ids = {r.id for r in dropped}
        kept = [r for r in records if r.id not in ids]
        kept[-1] = replace(target.record, pending=True)
        write_journal(state, kept)
        _drop_backups(state, dropped)
        _faults.point("journal: undo started")
        recover(state, guard)
    return Undone(
        target.record,
        tuple(f.path for f in written),
        tuple(f.path for f in target.files if f.status == AS_BEFORE),
        tuple(put_back),
    )


def drop(
    state: Path, number: int, *, timeout: float = 30.0, guard: Optional[Guard] = None
) -> Record:
    """Drop record ``number`` of the stack (1 = the newest) without restoring anything.

    The user's explicit choice, for a record that is blocked because they keep their
    own version of a file: its files stay exactly as they are, its backups are deleted,
    and the records around it stay as they were.

    Args:
        state: pipssl's state directory.
        number: the record's position, as ``undo --list`` shows it.
        timeout: seconds to wait for a concurrent repair to finish.
        guard: where pipssl may write: a killed run's temporary files are removed only
            beside such files (a record naming another file is dropped all the same,
            which is the way out of a journal someone edited).

    Returns:
        The record dropped.

    Raises:
        PipsslError: ``usage-error`` when there is no record ``number`` (nothing is
            created then); ``locked``; ``unsafe-state-dir``; ``journal-corrupt``;
            ``write-failed``.
    """
    state = Path(state)
    if not os.path.lexists(state):  # refuse before the lock creates the state directory
        raise _no_such_record(number, 0)
    with Lock(state, timeout=timeout):
        records = read_journal(state)
        if not 1 <= number <= len(records):
            raise _no_such_record(number, len(records))
        record = records[-number]
        write_journal(state, [r for r in records if r.id != record.id])
        _drop_backups(state, [record])
        if record.pending:  # a killed run's temporary files are nobody's content
            for change in record.changes:
                if guard is not None and guard(change.path) is not None:
                    continue
                for temp in leftover_temps(change.path):
                    unlink_quietly(temp)
    return record


def tidy(state: Path, *, timeout: float = 30.0, guard: Optional[Guard] = None) -> None:
    """Remove the backups a killed run left behind when no record refers to them (an
    undo killed after it dropped its record): under the lock, as recovery does.  Does
    nothing, and creates nothing, when there are none.

    Raises:
        PipsslError: ``locked``, ``unsafe-state-dir``, ``journal-corrupt`` and what
            :func:`~pipssl.journal.recover.recover` raises.
    """
    state = Path(state)
    try:
        leftovers = os.listdir(state / BACKUPS_NAME)
    except OSError:
        return
    if leftovers:
        with Lock(state, timeout=timeout):
            recover(state, guard)


def _drop_backups(state: Path, records: List[Record]) -> None:
    # After the journal write: a kill in between leaves backups no record refers to,
    # which the next recovery sweeps away.
    if records:
        _faults.point("journal: records dropped, their backups not yet")
    for record in records:
        shutil.rmtree(state / BACKUPS_NAME / record.id, ignore_errors=True)


def _labels(records: List[RecordStatus]) -> str:
    return ", ".join(f"{r.record.label!r} ({r.record.created})" for r in records)


def _blocked(now: RecordStatus, number: int) -> PipsslError:
    changed = [f"{f.path} ({f.detail})" for f in now.changed]
    which = (
        "the last repair"
        if number == 1
        else f"repair {number} on the stack (those above it were put back by hand)"
    )
    return PipsslError(
        f"{' and '.join(changed)} {'is' if len(changed) == 1 else 'are'} not as pipssl left"
        f" {'it' if len(changed) == 1 else 'them'}, so {which} ({now.record.label!r})"
        " cannot be undone; nothing was restored",
        reference="changed-since",
        hint="Undo your edit and run undo again, or keep your version and drop that repair"
        f" from the journal with `{commands.pipssl('undo', '--forget', str(number))}` (every"
        " file stays as it is, its backups are deleted;"
        f" `{commands.pipssl('undo', '--list')}` shows the stack).",
    )


def _no_such_record(number: int, count: int) -> UsageError:
    held = "no record" if count == 0 else f"{count} record{'s' if count != 1 else ''}"
    return UsageError(
        f"there is no record {number} to forget: pipssl's journal holds {held}",
        hint=f"`{commands.pipssl('undo', '--list')}` numbers them, 1 for the newest.",
    )
