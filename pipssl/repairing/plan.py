"""From a diagnosis to the list of changes that would fix it safely: a pure function of the
diagnosis, the options and the files as they are (every file read is recorded, with its
SHA-256, in the plan's ``inputs``).

The actions, in order: write pipssl's bundle, set ``cert`` in the config file of the scope,
remove a broken ``cert`` that would win over it, edit the ``--for`` clients' files, remove
``trusted-host`` (only when asked), record the consented CAs.  Findings no
client-side change can fix, and environment variables that override the config, are left
for the user.  Each of those is one step: a short function that adds its changes to one
:class:`Draft` (which remembers every file read); the draft ends as the :class:`Plan`.
The words of the actions are :mod:`pipssl.diagnosis.wording`'s.

The bundle is always certifi + the OS store + every consented CA as they are now (see
:mod:`pipssl.certs.compose`): a CA the user consented to in an earlier repair, or that the
bundle holds as consented (another user's, for a shared venv), stays until they withdraw
it (``forget``, recorded in ``forgotten.json``), and a root certifi or the OS store
withdrew goes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from pipssl import codes, commands
from pipssl._files import read_optional, sha256
from pipssl.certs.bundle import ca_setting_problem
from pipssl.certs.compose import (
    BundleDiff,
    bundle_labels,
    certificates_of,
    compose,
    consents_in_bundle,
    diff,
    from_sources,
    render,
)
from pipssl.certs.consent import (
    Consent,
    consent_path,
    forgotten_path,
    merged,
    parse_consent,
    parse_forgotten,
    render_consent,
    render_forgotten,
)
from pipssl.diagnosis import refused, wording
from pipssl.diagnosis.ownbundle import bundle_consented, certifi_copies
from pipssl.diagnosis.wording import unset_fix
from pipssl.errors import PipsslError
from pipssl.findings import Finding
from pipssl.formats import ini_edit
from pipssl.formats.edit import decoded
from pipssl.interpreter import pipconfig
from pipssl.interpreter.facts import Target
from pipssl.interpreter.trust import ENV_BUNDLES
from pipssl.journal.state import private_dir
from pipssl.repairing.clients import ClientPlan, not_here, plan_client, user_wide_refusal
from pipssl.repairing.location import ConfigKind, bundle_path, choose_scope
from pipssl.repairing.result import Action, Options, Plan

if TYPE_CHECKING:
    from pipssl.diagnosis.api import Diagnosis

#: Findings a new bundle + ``cert`` can answer, and those only the user can.
FIXABLE = codes.with_remedy(codes.BUNDLE)
MANUAL = codes.with_remedy(codes.USER)


#: A file's bytes, None when it does not exist; ``read-failed`` when it cannot be read.
read = read_optional


@dataclass
class Draft:
    """The plan as its steps build it: the changes so far (several may edit one file), every
    file read with its SHA-256 then, and what is left to the user.

    Attributes:
        scope / config_file / bundle: the config kind edited, its file, pipssl's bundle.
        answers: the finding codes the bundle and ``cert`` answer.
    """

    diagnosis: Diagnosis
    options: Options
    config: pipconfig.PipConfig
    scope: ConfigKind
    config_file: str
    bundle: str
    answers: Tuple[str, ...] = ()
    actions: List[Action] = field(default_factory=list)
    contents: Dict[str, Optional[bytes]] = field(default_factory=dict)
    inputs: Dict[str, Optional[str]] = field(default_factory=dict)
    manual: List[Finding] = field(default_factory=list)
    env_to_unset: List[str] = field(default_factory=list)
    env_to_set: List[Tuple[str, str]] = field(default_factory=list)
    clients: List[str] = field(default_factory=list)
    skipped: List[Tuple[str, str]] = field(default_factory=list)
    bundle_diff: BundleDiff = field(default_factory=BundleDiff)
    withdrawn: List[str] = field(default_factory=list)

    def planned(self, path: str) -> Optional[bytes]:
        """The file as the plan leaves it so far; read (and remembered) the first time."""
        if path in self.contents:
            return self.contents[path]
        data = read(path)
        self.inputs[path] = sha256(data)
        return data

    def change(
        self,
        kind: str,
        path: str,
        scope: str,
        new: Optional[bytes],
        detail: str,
        answers: Optional[Tuple[str, ...]] = None,
    ) -> None:
        """Plan ``path``'s new bytes (None: remove it), unless they are the ones it holds;
        the action answers the plan's findings unless ``answers`` says otherwise."""
        old = self.planned(path)
        if old == new:
            return
        self.contents[path] = new
        answered = self.answers if answers is None else answers
        self.actions.append(Action(kind, path, scope, answered, sha256(old), sha256(new), detail))

    def plan(self) -> Plan:
        """The finished plan: a variable a client must see is not also one to unset."""
        to_set = dict(self.env_to_set)
        return Plan(
            scope=self.scope,
            bundle=self.bundle,
            config_file=self.config_file,
            actions=tuple(self.actions),
            manual=tuple(self.manual),
            env_to_unset=tuple(n for n in dict.fromkeys(self.env_to_unset) if n not in to_set),
            contents=self.contents,
            env_to_set=tuple(to_set.items()),
            clients=tuple(self.clients),
            inputs=tuple(sorted(self.inputs.items())),
            options=self.options,
            diagnosis=self.diagnosis,
            bundle_diff=self.bundle_diff or None,
            withdrawn=tuple(dict.fromkeys(self.withdrawn)),
            clients_skipped=tuple(self.skipped),
        )


@dataclass(frozen=True)
class Consents:
    """The consented CAs a rebuilt bundle holds, and the CAs withdrawn from every bundle.

    Attributes:
        consent_file / forgotten_file: this user's store and list of withdrawn CAs.
        home: this user's consents after this run (those given and withdrawn now counted).
        forgotten: the SHA-256 of every CA this user withdrew and did not give again now.
    """

    consent_file: str
    forgotten_file: str
    home: Tuple[Consent, ...]
    forgotten: FrozenSet[str]

    def of_bundle(self, draft: Draft, path: str) -> List[Consent]:
        """The consented CAs the bundle at ``path`` holds once rebuilt."""
        return bundle_consented(self.home, draft.planned(path), path, self.forgotten)


def plan_repair(
    diagnosis: Diagnosis, options: Options, *, config: Optional[pipconfig.PipConfig] = None
) -> Plan:
    """Turn ``diagnosis`` into the changes that would fix it safely.

    Args:
        diagnosis: what is wrong (its findings, target, environment and pip config).
        options: what the user asked for.
        config: pip's config as it is now, when it may differ from the diagnosis' (a
            plan made again under the lock).

    Returns:
        A :class:`Plan`; nothing is written.

    Raises:
        PipsslError: a bad scope, a config file that cannot be read or edited safely.
    """
    _refuse_around_refused(diagnosis.report.findings)
    draft = _start(diagnosis, options, config or diagnosis.config)
    if not diagnosis.target.ssl.ok:
        return _unverifiable(draft)
    _fingerprint_config(draft)
    consents = _read_consents(draft)
    draft.answers = _answers(draft, consents)
    wanted = _wanted(draft)
    client_plans = _plan_clients(draft)
    if _rebuild(draft, wanted, bool(client_plans)):
        # without ``wanted`` only the clients asked for it: it answers no finding of pip's
        _write_bundle(draft, consents, draft.bundle, draft.scope, draft.answers if wanted else ())
    _withdraw_from_other_bundles(draft, consents)
    if wanted:
        _point_pip(draft)
    _take_client_plans(draft, client_plans)
    _unset_bundle_variables(draft)
    if options.remove_trusted_host:
        _remove_trusted_hosts(draft)
    if wanted or options.forget:
        _record_consents(draft, consents)
    return draft.plan()


def _unverifiable(draft: Draft) -> Plan:
    """No change at all: pip cannot verify anything here, so no change could be checked;
    and the config ``auto`` picks outside a venv is the user's, read by every Python of
    theirs.  Only what the user can do is left."""
    return Plan(
        scope=draft.scope,
        bundle=draft.bundle,
        config_file=draft.config_file,
        actions=(),
        manual=tuple(draft.manual),
        env_to_unset=(),
        options=draft.options,
        diagnosis=draft.diagnosis,
    )


def _refuse_around_refused(findings: Sequence[Finding]) -> None:
    """Never edit around a config file pip refuses to read."""
    for found in findings:
        if found.code == refused.CODE:
            raise refused.refusal(found)


def _start(diagnosis: Diagnosis, options: Options, config: pipconfig.PipConfig) -> Draft:
    """The scope, its config file and bundle; the findings only the user can answer; the
    variables the real pip reaches an index without."""
    target, environ = diagnosis.target, diagnosis.env
    scope, config_file = choose_scope(options.scope, target, environ)
    bundle = bundle_path("user" if scope == "env" else scope, target, environ)
    findings = diagnosis.report.findings
    draft = Draft(diagnosis, options, config, scope, config_file, bundle)
    draft.manual = [f for f in findings if f.code in MANUAL]
    # confirm.py made such a finding an error: unsetting it is the repair, whatever else
    # is planned
    draft.env_to_unset = [
        f.target for f in findings if f.code == "env-shadows-config" and f.severity == "error"
    ]
    return draft


def _fingerprint_config(draft: Draft) -> None:
    """pip's config files shape the plan even where nothing is edited (which value wins)."""
    draft.inputs.update({f.path: fingerprint(f.path) for f in draft.config.files})


def _read_consents(draft: Draft) -> Consents:
    """This user's consents (their store; a bundle written before consent was kept apart
    is the only record of them) merged with the CAs given and withdrawn now; each bundle
    also keeps the consents it holds.  A CA this user withdrew leaves every bundle they
    rebuild; one given again is back."""
    environ, options = draft.diagnosis.env, draft.options
    consent_file = consent_path(environ)
    state = os.path.dirname(consent_file)
    if os.path.lexists(state):
        # consent read from a directory someone else controls would be theirs, not the user's
        private_dir(Path(state))
    stored = draft.planned(consent_file)
    kept = parse_consent(stored, consent_file)
    carried = (
        consents_in_bundle(draft.planned(draft.bundle), draft.bundle) if stored is None else []
    )
    home = merged(kept, [*carried, *options.extra_cas], options.forget, draft.diagnosis.now)
    forgotten_file = forgotten_path(environ)
    given = {cert.sha256 for cert, _ in options.extra_cas}
    was_forgotten = parse_forgotten(draft.planned(forgotten_file), forgotten_file)
    forgotten = frozenset({*was_forgotten, *options.forget} - given)
    return Consents(consent_file, forgotten_file, tuple(home), forgotten)


def _answers(draft: Draft, consents: Consents) -> Tuple[str, ...]:
    """The findings a new bundle + ``cert`` answer: certifi + the OS store cannot cover
    an issuer nobody on this machine trusts, only a consented CA can."""
    fixable = {f.code for f in draft.diagnosis.report.findings} & FIXABLE
    if not consents.of_bundle(draft, draft.bundle):
        fixable.discard("untrusted-issuer-unknown")
    return tuple(sorted(fixable))


def _wanted(draft: Draft) -> bool:
    """Whether to point pip at pipssl's bundle: it answers a finding, the user gave a CA,
    or pip uses it already (pipssl keeps its own bundle up to date once it is in use)."""
    cert = draft.config.get("cert")
    ours = cert is not None and os.path.abspath(cert.value.strip()) == draft.bundle
    return bool(draft.answers) or bool(draft.options.extra_cas) or ours


def _rebuild(draft: Draft, wanted: bool, for_clients: bool) -> bool:
    """Whether to write pipssl's bundle of this scope: pip or a client is pointed at it,
    or a CA withdrawn now leaves the bundle it is in."""
    if wanted or for_clients:
        return True
    return bool(draft.options.forget) and draft.planned(draft.bundle) is not None


def _write_bundle(
    draft: Draft, consents: Consents, path: str, scope: str, answers: Tuple[str, ...]
) -> None:
    """pipssl's bundle at ``path`` as :mod:`pipssl.certs.compose` makes it now, and the
    roots it drops that their source or the user withdrew."""
    old, consented = draft.planned(path), consents.of_bundle(draft, path)
    copies = certifi_copies(draft.diagnosis.target)
    entries = compose(copies, draft.diagnosis.env, consented, old, path).entries
    delta = diff(certificates_of(old, path), [e.cert for e in entries])
    draft.bundle_diff = draft.bundle_diff.union(delta)
    labels = bundle_labels(old)
    draft.withdrawn.extend(
        c.sha256
        for c in delta.removed
        if c.sha256 in consents.forgotten or from_sources(labels.get(c.sha256, ""))
    )
    detail = wording.bundle_written(len(consented), delta.describe() if old and delta else "")
    draft.change("write-bundle", path, scope, render(entries), detail, answers)


def _withdraw_from_other_bundles(draft: Draft, consents: Consents) -> None:
    """A withdrawn CA leaves every bundle pipssl wrote for this Python, not only the one of
    the scope asked (a venv's and the user's, say)."""
    forget = draft.options.forget
    if not forget:
        return
    target, environ = draft.diagnosis.target, draft.diagnosis.env
    for other_scope, other in _other_bundles(draft.scope, draft.bundle, target, environ):
        held = certificates_of(draft.planned(other), other)
        if any(c.sha256 in forget for c in held):
            _write_bundle(draft, consents, other, other_scope, ())


def _point_pip(draft: Draft) -> None:
    """``cert`` = pipssl's bundle in [global] of the scope's file; a ``cert`` elsewhere
    that pip would prefer over it is removed if broken, reported otherwise; a variable can
    only be reported."""
    path = draft.config_file
    edited = ini_edit.set_value(decoded(path, draft.planned(path)), "global", "cert", draft.bundle)
    draft.change(
        "set-cert", path, draft.scope, edited.encode("utf-8"), wording.cert_set(draft.bundle)
    )
    for value in draft.config.get_all("cert"):
        if value.kind == "env-var":
            draft.env_to_unset.append(value.name)
        elif _wins_over_ours(value, draft.scope) and value.file is not None:
            if ca_setting_problem(value.value.strip()) is not None:
                _remove_broken_cert(draft, value, value.file)
            else:
                draft.manual.append(_cert_elsewhere(draft, value))


def _wins_over_ours(value: pipconfig.Value, scope: str) -> bool:
    """Whether pip prefers ``value`` over a ``cert`` in [global] of the ``scope`` file."""
    return _precedence(value.kind) > _precedence(scope) or (
        value.kind == scope and value.section not in (None, "global")
    )


def _remove_broken_cert(draft: Draft, value: pipconfig.Value, path: str) -> None:
    text = decoded(path, draft.planned(path))
    new = ini_edit.remove_value(text, _section(value), value.name)
    draft.change("remove-cert", path, value.kind, new.encode("utf-8"), wording.cert_removed(value))


def _cert_elsewhere(draft: Draft, value: pipconfig.Value) -> Finding:
    """Another --scope would not help (the same file's [install] wins over its [global]),
    and writing over it would drop its CAs: the user moves them into the bundle."""
    unset = unset_fix(value, draft.config, draft.diagnosis.target.executable)
    again = commands.pipssl("repair", *draft.options.ca_arguments, "--ca", value.value.strip())
    words = wording.cert_elsewhere(value, unset, again)
    return words.finding("env-shadows-config", value.where())


def _plan_clients(draft: Draft) -> List[Tuple[str, ClientPlan]]:
    """Each ``--for`` client's plan; those left alone go to ``draft.skipped`` with why:
    not found for this Python, or a user-wide file of theirs that would name a bundle
    inside a venv."""
    diagnosis, options, bundle = draft.diagnosis, draft.options, draft.bundle
    found = [c.client for c in diagnosis.report.clients]
    draft.skipped = list(not_here(options.clients_for, found, diagnosis.target.executable))
    plans: List[Tuple[str, ClientPlan]] = []
    for client in [c for c in options.clients_for if c not in dict(draft.skipped)]:
        client_plan = plan_client(
            client,
            bundle,
            diagnosis.target,
            diagnosis.env,
            read=draft.planned,
            cwd=diagnosis.cwd,
            allow_insecure_fix=options.remove_trusted_host,
        )
        why = user_wide_refusal(client, client_plan.edits, bundle, draft.scope)
        if why:
            draft.skipped.append((client, why))
        else:
            plans.append((client, client_plan))
    return plans


def _take_client_plans(draft: Draft, client_plans: Sequence[Tuple[str, ClientPlan]]) -> None:
    """The clients' edits (they answer no finding of pip's) and the variables they need."""
    for client, client_plan in client_plans:
        for edit in client_plan.edits:
            draft.change(edit.kind, edit.path, client, edit.data, edit.detail, ())
        draft.env_to_set += client_plan.env_to_set
        draft.env_to_unset += client_plan.env_to_unset
        draft.manual += client_plan.manual
        draft.clients.append(client)


def _unset_bundle_variables(draft: Draft) -> None:
    """A bundle variable naming another file wins over pip's ``cert``."""
    environ = draft.diagnosis.env
    for name in ENV_BUNDLES:
        if environ.get(name) and environ[name] != draft.bundle:
            draft.env_to_unset.append(name)


def _remove_trusted_hosts(draft: Draft) -> None:
    """Every ``trusted-host`` item from the file that sets it (only when asked); a
    variable can only be unset by the user."""
    for value in draft.config.get_all("trusted-host"):
        if value.file is None or value.kind == "env-var":
            draft.env_to_unset.append(value.name)
            continue
        path = value.file
        text = decoded(path, draft.planned(path))
        for host in pipconfig.split_list(value.value):
            text = ini_edit.remove_list_item(text, _section(value), value.name, host)
        detail = wording.trusted_host_removed(value)
        draft.change("remove-trusted-host", path, value.kind, text.encode("utf-8"), detail)


def _record_consents(draft: Draft, consents: Consents) -> None:
    """This user's consents and withdrawals, in the transaction that writes the bundle."""
    home, forgotten = consents.home, consents.forgotten
    draft.change(
        "record-consent",
        consents.consent_file,
        "pipssl",
        render_consent(home),
        wording.consents_recorded(len(home)),
        (),
    )
    draft.change(
        "record-consent",
        consents.forgotten_file,
        "pipssl",
        render_forgotten(forgotten),
        wording.withdrawals_recorded(len(forgotten)),
        (),
    )


def fingerprint(path: str) -> Optional[str]:
    """What a plan remembers of a file: the SHA-256 of its bytes, None when it does not
    exist, and why not when it cannot be read (a directory, no permission)."""
    try:
        return sha256(read(path))
    except PipsslError:
        return "unreadable"


def stale_inputs(plan: Plan) -> List[str]:
    """The files ``plan`` was computed from that hold other bytes now."""
    return [path for path, digest in plan.inputs if fingerprint(path) != digest]


def _other_bundles(
    kind: str, bundle: str, target: Target, environ: Mapping[str, str]
) -> List[Tuple[str, str]]:
    """(scope, path) of pipssl's bundles for this Python's other scopes."""
    out = []
    for scope in ("user", "site", "global"):
        path = bundle_path(scope, target, environ)
        if path != bundle and os.path.isfile(path):
            out.append((scope, path))
    return out


def _section(value: pipconfig.Value) -> str:
    """The section to edit for ``value``: [DEFAULT] when the value is inherited from it."""
    if value.from_default:
        return "DEFAULT"
    return value.section or "global"


def _precedence(kind: str) -> int:
    return pipconfig.OVERRIDE_ORDER.index(kind)
