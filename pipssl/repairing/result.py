"""The data a repair passes along: the actions of a plan, the plan, and the results.

A :class:`Plan` is what the user consents to: it carries the SHA-256 of every file it was
computed from, so applying it can tell whether the world changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, Literal, Mapping, Optional, Sequence, Tuple

from pipssl.certs.compose import BundleDiff
from pipssl.diagnosis.api import DEFAULT_TIMEOUT
from pipssl.diagnosis.report import Report
from pipssl.errors import UsageError
from pipssl.findings import Finding
from pipssl.repairing.cas import NamedCa
from pipssl.repairing.location import ConfigKind, Scope

if TYPE_CHECKING:
    from pipssl.diagnosis.api import Diagnosis


#: What an action of pip's side does (its JSON ``kind``): pipssl's bundle, pip's ``cert``,
#: the consent store, ``trusted-host``.  A client's config edit has the kind its module
#: names (:class:`pipssl.clients.model.ConfigEdit`: ``set-poetry-cert``, ...).
ActionKind = Literal[
    "write-bundle",
    "set-cert",
    "remove-cert",
    "record-consent",
    "remove-trusted-host",
]

#: ``read(path)``: a file's bytes as a plan leaves it so far (None: no such file).
Reader = Callable[[str], Optional[bytes]]


@dataclass(frozen=True)
class Action:
    """One change a repair makes.

    Attributes:
        kind: ``write-bundle``, ``set-cert``, ``remove-cert``, ``record-consent`` (the
            consent store) or ``remove-trusted-host`` (:data:`ActionKind`); for ``--for``
            clients, the kind of their config edit (its module names it).
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
class RepairOptions:
    """What a script asks :func:`pipssl.plan` and :func:`pipssl.repair` for (the command
    line builds the same from its options).  Sequences given as lists are kept as tuples.

    Attributes:
        ca_files: PEM files of CAs to trust (each must be a CA; keys are refused).
        accept_ca: SHA-256 fingerprints (as ``doctor`` shows them) of CAs the indexes
            presented, to trust.
        scope: ``auto``, ``user``, ``site`` or ``global``: which pip config file to edit.
        remove_trusted_host: also remove ``trusted-host`` entries, once pip verifies.
        python: the interpreter whose pip to repair (None: this one).
        index_urls: the indexes to verify (None: the configured ones).
        timeout: seconds per index probe.
        environ: the environment pip runs with (None: ``os.environ``).
        clients_for: other installers to point at the same bundle (``uv``, ``poetry``,
            ``conda``, ``requests``); the changes stay only if each then verifies.
        cwd: the project directory uv and poetry read (None: the current one).
        forget: SHA-256 fingerprints of consented CAs to withdraw (as :func:`pipssl.forget`).
        project: the project whose path to its files to follow (None: the one pipssl
            picks; ``pipssl run`` passes the first one a failed command asked for).
    """

    ca_files: Sequence[str] = ()
    accept_ca: Sequence[str] = ()
    scope: Scope = "auto"
    remove_trusted_host: bool = False
    python: Optional[str] = None
    index_urls: Optional[Sequence[str]] = None
    timeout: float = DEFAULT_TIMEOUT
    environ: Optional[Mapping[str, str]] = None
    clients_for: Sequence[str] = ()
    cwd: Optional[str] = None
    forget: Sequence[str] = ()
    project: Optional[str] = None

    def __post_init__(self) -> None:
        # a lone string would be read as one file (or fingerprint) per character
        for name in ("ca_files", "accept_ca", "index_urls", "clients_for", "forget"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)):
                raise UsageError(f"{name}: give a list, not one string", hint=f"{name}=[...]")
            if value is not None:
                object.__setattr__(self, name, tuple(value))


@dataclass(frozen=True)
class Options:
    """What the planner works from: a :class:`RepairOptions` with its CAs read and
    checked (the same options plan it again under the lock).

    Attributes:
        scope: ``auto``, ``user``, ``site`` or ``global``.
        extra_cas: CAs the user named or confirmed in this run, with where the consent
            came from (those of earlier runs are in the consent store).
        remove_trusted_host: also remove ``trusted-host`` (``--yes --remove-trusted-host``).
        clients_for: other installers to point at the same bundle.
        forget: SHA-256 fingerprints of consented CAs to withdraw (``pipssl forget``).
        ca_arguments: how this run named its CAs on pipssl's command line (``--ca PATH``,
            ``--accept-ca SHA256``), for a fix that says "run it again with one more".
    """

    scope: Scope = "auto"
    extra_cas: Tuple[NamedCa, ...] = ()
    remove_trusted_host: bool = False
    clients_for: Tuple[str, ...] = ()
    forget: Tuple[str, ...] = ()
    ca_arguments: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What a repair would change, what it leaves to the user, and what it was made from:
    what :func:`pipssl.plan` returns and :func:`pipssl.apply` takes (frozen: the plan
    agreed to is the plan applied).

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
        withdrawn: the SHA-256 of each dropped root its source withdrew (certifi, the OS
            store) or the user did (``forget``); any other drop is no excuse to break an index.
        clients_skipped: (client, why) for each ``--for`` client left alone (not
            installed, or its user-wide file would name a bundle inside a venv).
    """

    scope: ConfigKind
    bundle: str
    config_file: str
    actions: Tuple[Action, ...]
    manual: Tuple[Finding, ...]
    env_to_unset: Tuple[str, ...]
    contents: Mapping[str, Optional[bytes]] = field(default_factory=dict, repr=False)
    env_to_set: Tuple[Tuple[str, str], ...] = ()
    clients: Tuple[str, ...] = ()
    inputs: Tuple[Tuple[str, Optional[str]], ...] = ()
    options: Options = Options()
    diagnosis: Optional[Diagnosis] = field(default=None, repr=False, compare=False)
    bundle_diff: Optional[BundleDiff] = None
    withdrawn: Tuple[str, ...] = ()
    clients_skipped: Tuple[Tuple[str, str], ...] = ()

    def same_changes(self, other: Plan) -> bool:
        """Whether ``other`` writes exactly what this plan writes (consent carries over)."""
        return [(a.kind, a.path, a.after) for a in self.actions] == [
            (a.kind, a.path, a.after) for a in other.actions
        ] and (self.env_to_unset, self.env_to_set) == (other.env_to_unset, other.env_to_set)


@dataclass(frozen=True)
class RepairResult:
    """The outcome of :func:`pipssl.repair` and :func:`pipssl.apply`.

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
        clients_skipped: (client, why) for each ``--for`` client left alone.
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
    clients_skipped: Tuple[Tuple[str, str], ...] = ()

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
            "clients_skipped": [{"client": c, "why": w} for c, w in self.clients_skipped],
            "verification": self.verification.to_dict() if self.verification else None,
        }
