"""The journal: its records, and reading and writing ``journal.json``.

The journal is a JSON list of records, oldest first, written atomically (0600) on every
change.  It holds paths, SHA-256 digests and backup paths, never file contents.  A
*pending* record also lists every digest its transaction wrote or was about to write,
so recovery can tell pipssl's content from someone else's.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, List, Optional, Tuple

from pipssl import _files
from pipssl._files import write_atomic
from pipssl.errors import PipsslError
from pipssl.journal.fileops import unlink_missing_ok
from pipssl.journal.state import JOURNAL_NAME, PRIVATE_FILE, private_dir

__all__ = ["Change", "Record"]

# A record's id names its backup directory, which undo deletes: never a path.
RECORD_ID = re.compile(r"[0-9A-Za-z-]+")


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
        created_dirs: the directories the transaction created to hold the file,
            outermost first; whatever puts the file back to "absent" removes them again
            while they are empty (journals older than this field have none).
    """

    path: str
    before_sha256: Optional[str]
    after_sha256: Optional[str]
    backup: Optional[str]
    mode: Optional[int]
    written: Tuple[str, ...] = ()
    created_dirs: Tuple[str, ...] = ()

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


def stamp(when: datetime) -> str:
    """A record id's sortable prefix."""
    return when.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def now() -> str:
    """A record's ``created``: the current time, ISO 8601 in UTC."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_journal(state: Path) -> List[Record]:
    """Every record of the journal in ``state``, oldest first (none without a journal).

    Raises:
        PipsslError: ``journal-corrupt`` when the file cannot be read or parsed.
    """
    path = state / JOURNAL_NAME
    try:
        raw = _files.read_file(path, _files.JOURNAL)
    except _files.FileRefused as exc:
        if exc.why == _files.MISSING:
            return []
        raise _corrupt(path, exc.problem) from None
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, list):
            raise ValueError("not a list of records")
        return [_record_from_json(item) for item in data]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _corrupt(path, str(exc)) from None


def _record_from_json(item: Any) -> Record:
    changes = tuple(_change_from_json(change) for change in item["changes"])
    record_id = _typed(item["id"], str)
    if not RECORD_ID.fullmatch(record_id):
        raise ValueError(f"bad record id {record_id!r}")
    return Record(
        id=record_id,
        label=_typed(item["label"], str),
        created=_typed(item["created"], str),
        changes=changes,
        pending=_flag(item.get("pending", False)),
    )


def _change_from_json(item: Any) -> Change:
    change = Change(
        path=_typed(item["path"], str),
        before_sha256=_optional(item["before_sha256"], str),
        after_sha256=_optional(item["after_sha256"], str),
        backup=_optional(item["backup"], str),
        mode=_optional(item["mode"], int),
        written=tuple(_typed(d, str) for d in item.get("written", [])),
        created_dirs=tuple(_typed(d, str) for d in item.get("created_dirs", [])),
    )
    # Undo removes these directories: they must be the file's own parents, outermost
    # first, so a damaged or planted journal can never name any other directory.
    parents = [change.path, *reversed(change.created_dirs)]
    for child, parent in zip(parents, parents[1:]):
        if os.path.dirname(child) != parent or parent == child:
            raise ValueError(f"{parent!r} is not the parent of {child!r}")
    return change


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


def write_journal(state: Path, records: List[Record]) -> None:
    """Replace the journal in ``state`` with ``records`` (no records: no journal file).

    Raises:
        PipsslError: ``unsafe-state-dir`` or ``write-failed``.
    """
    private_dir(state)
    if not records:  # no repair left to undo: no journal, as before the first repair
        unlink_missing_ok(str(state / JOURNAL_NAME))
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
                    **({"created_dirs": list(change.created_dirs)} if change.created_dirs else {}),
                }
                for change in record.changes
            ],
            **({"pending": True} if record.pending else {}),
        }
        for record in records
    ]
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    write_atomic(state / JOURNAL_NAME, text.encode("utf-8"), PRIVATE_FILE)
