"""The data a repair passes along: the actions of a plan, the plan, and the results.

A :class:`Plan` is what the user consents to: it carries the SHA-256 of every file it was
computed from, so applying it can tell whether the world changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Optional, Tuple

from pipssl.certs.compose import BundleDiff
from pipssl.diagnosis.report import Report
from pipssl.findings import Finding
from pipssl.repairing.cas import NamedCa

if TYPE_CHECKING:
    from pipssl.diagnosis.run import Diagnosis


@dataclass(frozen=True)
class Action:
    """One change a repair makes.

    Attributes:
        kind: ``write-bundle``, ``set-cert``, ``remove-cert``, ``record-consent`` (the
            consent store) or ``remove-trusted-host`` (and, for ``--for`` clients, their
            config edits).
        path: the file changed.
        scope: ``user``, ``site``, ``global`` or ``env`` (the PIP_CONFIG_FILE file), the
            client whose file it is, or ``pipssl`` (its own state).
        answers: the finding codes it answers.
        before / after: SHA-256 of the file's bytes (None: no such file).
        detail: one line for humans.
    """

    kind: str
    path: str
    scope: str
    answers: Tuple[str, ...]
    before: Optional[str]
    after: Optional[str]
    detail: str

    def to_dict(self) -> Dict[str, object]:
        return {
            "kind": self.kind,
            "path": self.path,
            "scope": self.scope,
            "answers": list(self.answers),
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Options:
    """What the user asked a repair for (the same options plan it again under the lock).

    Attributes:
        scope: ``auto``, ``user``, ``site`` or ``global``.
        extra_cas: CAs the user named or confirmed in this run, with where the consent
            came from (those of earlier runs are in the consent store).
        remove_trusted_host: also remove ``trusted-host`` (``--yes --remove-trusted-host``).
        clients_for: other installers to point at the same bundle.
        forget: SHA-256 fingerprints of consented CAs to withdraw (``pipssl forget``).
    """

    scope: str = "auto"
    extra_cas: Tuple[NamedCa, ...] = ()
    remove_trusted_host: bool = False
    clients_for: Tuple[str, ...] = ()
    forget: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What a repair would change, what it leaves to the user, and what it was made from.

    Attributes:
        scope: the config kind edited (``user``, ``site``, ``global``, ``env``).
        bundle: pipssl's bundle for that scope.
        config_file: the pip config file edited.
        actions: the changes, in order.
        manual: findings only the user can answer.
        env_to_unset / env_to_set: variables the user must change in their shell.
        contents: each changed file's new bytes (None: remove it).
        clients: the other installers asked for.
        inputs: every file the plan was computed from, with the SHA-256 of its bytes then
            (None: it did not exist); applying re-checks them under the lock.
        options: what the user asked for.
        diagnosis: the diagnosis it answers.
        bundle_diff: the roots the new bundle adds and drops (None: no bundle written, or
            it trusts what the old one did).
    """

    scope: str
    bundle: str
    config_file: str
    actions: Tuple[Action, ...]
    manual: Tuple[Finding, ...]
    env_to_unset: Tuple[str, ...]
    contents: Dict[str, Optional[bytes]] = field(default_factory=dict, repr=False)
    env_to_set: Tuple[Tuple[str, str], ...] = ()
    clients: Tuple[str, ...] = ()
    inputs: Tuple[Tuple[str, Optional[str]], ...] = ()
    options: Options = Options()
    diagnosis: Optional[Diagnosis] = field(default=None, repr=False, compare=False)
    bundle_diff: Optional[BundleDiff] = None

    def same_changes(self, other: Plan) -> bool:
        """Whether ``other`` writes exactly what this plan writes (consent carries over)."""
        return [(a.kind, a.path, a.after) for a in self.actions] == [
            (a.kind, a.path, a.after) for a in other.actions
        ] and (self.env_to_unset, self.env_to_set) == (other.env_to_unset, other.env_to_set)


@dataclass(frozen=True)
class RepairResult:
    """The outcome of :func:`pipssl.repair`.

    Attributes:
        ok: pip verifies every index now (or would, once ``env_to_unset`` are unset),
            and nothing was left for the user to do.
        changed: files were written (False for a dry run or a no-op).
        actions: the planned (dry run) or applied changes.
        verification: the diagnosis made after applying (None for a dry run).
        findings: what remains to be done by hand, with the exact commands.
        env_to_unset: variables that override pipssl's fix; unset them in your shell.
        rolled_back: the changes did not verify and were undone.
        message: one line summing it up.
        record: the journal record of the change (``undo`` restores it), when changed.
        env_to_set: variables the clients asked for read pipssl's bundle from.
        bundle_diff: the roots the new bundle added and dropped, when it changed.
        still_failing: the indexes (and clients' indexes) that did not verify after a
            repair that was kept because it fixed others and broke none.
    """

    ok: bool
    changed: bool
    actions: Tuple[Action, ...]
    verification: Optional[Report]
    findings: Tuple[Finding, ...]
    env_to_unset: Tuple[str, ...]
    rolled_back: bool
    message: str
    record: Optional[str] = None
    env_to_set: Tuple[Tuple[str, str], ...] = ()
    bundle_diff: Optional[BundleDiff] = None
    still_failing: Tuple[str, ...] = ()

    def to_dict(self) -> Dict[str, object]:
        """JSON-ready data (schema 1)."""
        return {
            "schema": 1,
            "ok": self.ok,
            "changed": self.changed,
            "rolled_back": self.rolled_back,
            "message": self.message,
            "record": self.record,
            "actions": [a.to_dict() for a in self.actions],
            "findings": [f.to_dict() for f in self.findings],
            "env_to_unset": list(self.env_to_unset),
            "env_to_set": dict(self.env_to_set),
            "bundle": self.bundle_diff.to_dict() if self.bundle_diff else None,
            "still_failing": list(self.still_failing),
            "verification": self.verification.to_dict() if self.verification else None,
        }


@dataclass(frozen=True)
class StackFile:
    """One file of a journal record, and where it stands now.

    Attributes:
        path: the file.
        status: ``as-written`` (what pipssl wrote), ``as-before`` (what it held before
            the repair) or ``changed`` (anything else: undo will not overwrite it).
        detail: for ``changed``, how (``its content changed``, ``it was removed`` ...).
    """

    path: str
    status: str
    detail: Optional[str] = None

    def to_dict(self) -> Dict[str, object]:
        return {"path": self.path, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class StackRecord:
    """One repair on pipssl's undo stack.

    Attributes:
        number: its place, 1 for the newest (what ``undo`` acts on first; what
            ``undo --forget N`` takes).
        id: the journal record's id.
        label: the command that made it (credentials masked when it was written).
        created: when, ISO 8601 in UTC.
        status: ``undoable``, ``put-back`` (every file already as before), ``blocked``
            (a file changed since) or ``pending`` (a run that did not finish; the next
            pipssl run rolls it back).
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
            f"{self.number:>2}  {self.status:<9} {self.created}  {self.id}",
            f"    {self.label}",
        ]
        for f in self.files:
            lines.append(f"    {f.status:<11} {f.path}" + (f" ({f.detail})" if f.detail else ""))
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
        lines += [f"  {path}" for path in self.paths]
        if self.already_before:
            lines.append("left alone, already as before that repair:")
            lines += [f"  {path}" for path in self.already_before]
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
        lines = ["pipssl's undo stack, newest first (`pipssl undo` starts at 1):"]
        lines += [r.to_text() for r in self.records]
        if any(r.status == "pending" for r in self.records):
            lines.append(
                "\nA pending repair or undo did not finish (it was killed): the next pipssl"
                " run puts its files back first, unless one was edited since."
            )
        blocked = [r.number for r in self.records if r.status == "blocked"]
        if blocked:
            lines.append(
                "\nA blocked repair is never undone over your edit: undo your edit, or keep"
                " your version and drop the repair from the journal with"
                f" `pipssl undo --forget {blocked[0]}` (every file stays as it is)."
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class ForgetResult:
    """What :func:`~pipssl.repairing.api.undo_forget` dropped from the journal: the
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
        return "\n".join(lines + [f"  {path}" for path in self.paths])
