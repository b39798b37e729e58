"""Undo: put back what the newest repair changed, list the stack, drop a record; and the
data they return.

Kept apart from the repair machinery so that ``pipssl undo`` loads only the journal and
the model of where a repair writes (an undo is a few file operations; importing the
planner and the probes would be most of it).  Every path the journal names is checked
against that model (:mod:`~pipssl.repairing.places`) before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from pipssl import commands
from pipssl._text import shown
from pipssl.errors import PipsslError
from pipssl.journal.fileops import Guard
from pipssl.journal.recover import last_record
from pipssl.journal.rollback import drop, tidy, undo_next
from pipssl.journal.state import state_dir
from pipssl.journal.status import RecordStatus, undo_stack
from pipssl.repairing.places import places_for


@dataclass(frozen=True)
class StackFile:
    """One file of a journal record, and where it stands now.

    Attributes:
        path: the file.
        status: ``as-written`` (what pipssl wrote), ``as-before`` (what it held before
            the repair) or ``changed`` (anything else: undo will not overwrite it).
        detail: for ``changed``, how (``its content changed``, ``it was removed`` ...).
        held_by: for ``changed``, the number of the later repair that wrote the file
            since (None: not pipssl, someone edited it).
    """

    path: str
    status: str
    detail: Optional[str] = None
    held_by: Optional[int] = None

    def to_dict(self) -> Dict[str, object]:
        return {
            "path": self.path,
            "status": self.status,
            "detail": self.detail,
            "held_by": self.held_by,
        }

    def to_text(self) -> str:
        line = f"    {self.status:<11} {shown(self.path)}"
        if self.held_by is not None:
            return line + f" (written since by repair {self.held_by}: undo that first)"
        return line + (f" ({shown(self.detail)})" if self.detail else "")


@dataclass(frozen=True)
class StackRecord:
    """One repair on pipssl's undo stack.

    Attributes:
        number: its place, 1 for the newest (what ``undo`` acts on first; what
            ``undo --forget N`` takes).
        id: the journal record's id.
        label: the command that made it (credentials masked when it was written).
        created: when, ISO 8601 in UTC.
        status: ``undoable``, ``put-back`` (every file already as before), ``held``
            (a later repair wrote its files since: undo that one first), ``blocked`` (a
            file changed since, not by pipssl) or ``pending`` (a run that did not finish;
            the next pipssl run rolls it back).
        files: its files, each with where it stands.
    """

    number: int
    id: str
    label: str
    created: str
    status: str
    files: Tuple[StackFile, ...]

    def to_dict(self) -> Dict[str, object]:
        return {
            "number": self.number,
            "id": self.id,
            "label": self.label,
            "created": self.created,
            "status": self.status,
            "files": [f.to_dict() for f in self.files],
        }

    def to_text(self) -> str:
        lines = [
            f"{self.number:>2}  {self.status:<9} {shown(self.created)}  {shown(self.id)}",
            f"    {shown(self.label)}",
        ]
        lines += [f.to_text() for f in self.files]
        return "\n".join(lines)


@dataclass(frozen=True)
class UndoResult:
    """What :func:`pipssl.undo` restored: the journal record, its label (the command that
    made it), and the files put back.

    Attributes:
        record / label: the record undone.
        paths: the files put back (removed again, if the repair had created them).
        already_before: the record's files that already held what they held before the
            repair, left alone.
        put_back: the records above it whose files had all been put back by hand,
            dropped from the journal.
    """

    record: str
    label: str
    paths: Tuple[str, ...]
    already_before: Tuple[str, ...] = ()
    put_back: Tuple[StackRecord, ...] = ()

    def to_dict(self) -> Dict[str, object]:
        """JSON-ready data (schema 1)."""
        return {
            "schema": 1,
            "ok": True,
            "record": self.record,
            "label": self.label,
            "restored": list(self.paths),
            "already_before": list(self.already_before),
            "put_back": [r.to_dict() for r in self.put_back],
        }

    def to_text(self) -> str:
        lines = [
            f"dropped {r.label!r} ({r.created}) from the journal: its files were already"
            " put back by hand"
            for r in self.put_back
        ]
        lines.append(f"restored what {self.label!r} changed:")
        lines += [f"  {shown(path)}" for path in self.paths]
        if self.already_before:
            lines.append("left alone, already as before that repair:")
            lines += [f"  {shown(path)}" for path in self.already_before]
        return "\n".join(lines)


@dataclass(frozen=True)
class UndoList:
    """What :func:`~pipssl.repairing.api.undo_list` found: the undo stack, newest first."""

    records: Tuple[StackRecord, ...]

    def to_dict(self) -> Dict[str, object]:
        """JSON-ready data (schema 1)."""
        return {"schema": 1, "ok": True, "records": [r.to_dict() for r in self.records]}

    def to_text(self) -> str:
        if not self.records:
            return "nothing to undo: the pipssl journal has no repair left"
        # one journal per user: every Python and scope this user repaired shares it
        lines = [
            "pipssl's undo stack for this user, newest first: one stack for every Python"
            " and scope repaired (`pipssl undo` starts at 1, whichever Python it was):"
        ]
        lines += [r.to_text() for r in self.records]
        if any(r.status == "pending" for r in self.records):
            lines.append(
                "\nA pending repair or undo did not finish (it was killed): the next pipssl"
                " run puts its files back first, unless one was edited since."
            )
        if any(r.status == "held" for r in self.records):
            lines.append(
                "\nA held repair's files were written since by a later pipssl repair, not"
                " edited: `pipssl undo` undoes that later one first, then this one."
            )
        blocked = [r.number for r in self.records if r.status == "blocked"]
        if blocked:
            lines.append(
                "\nA blocked repair is never undone over your edit: undo your edit, or keep"
                " your version and drop the repair from the journal with"
                f" `{commands.pipssl('undo', '--forget', str(blocked[0]))}` (every file stays as"
                " it is)."
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class DropResult:
    """What :func:`~pipssl.repairing.api.undo_drop` dropped from the journal: the
    record, and its files, which were left exactly as they are."""

    record: str
    label: str
    created: str
    paths: Tuple[str, ...]

    def to_dict(self) -> Dict[str, object]:
        """JSON-ready data (schema 1)."""
        return {
            "schema": 1,
            "ok": True,
            "forgotten": self.record,
            "label": self.label,
            "created": self.created,
            "left_as_they_are": list(self.paths),
        }

    def to_text(self) -> str:
        lines = [
            f"dropped {self.label!r} ({self.created}) from pipssl's journal and deleted"
            " its backups; nothing was restored, its files were left as they are:"
        ]
        return "\n".join(lines + [f"  {shown(path)}" for path in self.paths])


def undo(*, environ: Optional[Mapping[str, str]] = None) -> UndoResult:
    """Restore exactly what the last repair changed.

    Repairs on top of the stack whose files were all put back by hand are dropped
    first (``put_back``); of the next one, the files still as pipssl wrote them are
    restored and those already as before are left alone.

    Args:
        environ: the environment whose state dir holds the journal (default: ours).

    Returns:
        An :class:`~pipssl.UndoResult`.

    Raises:
        PipsslError: ``nothing-to-undo`` (and then nothing is created), ``changed-since``
            (a file changed since; nothing is restored; the hint says how to go on),
            ``journal-corrupt``, ``unsafe-state-dir``, ``locked``.
    """
    state = _state(environ)
    # Refuse before undo_next takes the lock: an undo that does nothing creates nothing
    # (but removes what an undo killed after its last journal write left behind).
    if last_record(state) is None:
        tidy(state, guard=_guard(environ))
        raise PipsslError(
            "nothing to undo: the pipssl journal has no repair left",
            reference="nothing-to-undo",
        )
    done = undo_next(state, guard=_guard(environ))
    return UndoResult(
        done.record.id,
        done.record.label,
        done.restored,
        done.already_before,
        tuple(_stack_record(n, r) for n, r in enumerate(done.put_back, 1)),
    )


def undo_list(*, environ: Optional[Mapping[str, str]] = None) -> UndoList:
    """The undo stack, newest first, with where each repair's files stand now.

    Changes nothing and takes no lock: a snapshot.

    Args:
        environ: the environment whose state dir holds the journal (default: ours).

    Raises:
        PipsslError: ``journal-corrupt``, ``unsafe-state-dir``, ``write-failed`` (a file
            that cannot be read).
    """
    stack = undo_stack(_state(environ))
    numbers = {r.record.id: n for n, r in enumerate(stack, 1)}
    return UndoList(tuple(_stack_record(n, r, numbers) for n, r in enumerate(stack, 1)))


def undo_drop(n: int, *, environ: Optional[Mapping[str, str]] = None) -> DropResult:
    """Drop repair ``n`` of the undo stack (1 = the newest) without restoring anything:
    its files stay as they are, its backups are deleted.  The way past a repair that is
    blocked because you keep your own version of a file.

    Args:
        n: the repair's number, as :func:`undo_list` gives it.
        environ: the environment whose state dir holds the journal (default: ours).

    Raises:
        PipsslError: ``usage-error`` when there is no repair ``n``, ``journal-corrupt``,
            ``unsafe-state-dir``, ``locked``.
    """
    record = drop(_state(environ), n, guard=_guard(environ))
    return DropResult(
        record.id, record.label, record.created, tuple(c.path for c in record.changes)
    )


def _state(environ: Optional[Mapping[str, str]]) -> Path:
    return state_dir(dict(os.environ if environ is None else environ))


def _guard(environ: Optional[Mapping[str, str]]) -> Guard:
    return places_for(dict(os.environ if environ is None else environ)).refusal


def _stack_record(
    number: int, now: RecordStatus, numbers: Optional[Mapping[str, int]] = None
) -> StackRecord:
    """``now`` as the stack shows it; ``numbers``: each record's number, by id."""
    numbers = numbers or {}
    files = tuple(
        StackFile(f.path, f.status, f.detail, numbers.get(f.held_by or "")) for f in now.files
    )
    record = now.record
    return StackRecord(number, record.id, record.label, record.created, now.status, files)
