"""From a diagnosis to the list of changes that would fix it safely: a pure function of the
diagnosis, the options and the files as they are (every file read is recorded, with its
SHA-256, in the plan's ``inputs``).

The actions, in order: write pipssl's bundle, set ``cert`` in the config file of the scope,
remove a broken ``cert`` that would win over it, edit the ``--for`` clients' files, remove
``trusted-host`` (only when asked), record the consented CAs.  Findings no
client-side change can fix, and environment variables that override the config, are left
for the user.

The bundle is always certifi + the OS store + every consented CA as they are now (see
:mod:`pipssl.certs.compose`): a CA the user consented to in an earlier repair, or that the
bundle holds as consented (another user's, for a shared venv), stays until they withdraw
it (``forget``, recorded in ``forgotten.json``), and a root certifi or the OS store
withdrew goes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Mapping, Optional, Tuple

from pipssl import codes, commands
from pipssl._files import read_optional, sha256
from pipssl._text import shown
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
from pipssl.diagnosis import refused
from pipssl.diagnosis.checks import unset_fix
from pipssl.diagnosis.ownbundle import bundle_consented, certifi_copies
from pipssl.errors import PipsslError
from pipssl.findings import Finding
from pipssl.journal.state import private_dir
from pipssl.repairing import confedit
from pipssl.repairing.clients import ClientPlan, not_here, plan_client, user_wide_refusal
from pipssl.repairing.location import bundle_path, choose_scope
from pipssl.repairing.result import Action, ActionKind, Options, Plan
from pipssl.target import pipconfig
from pipssl.target.facts import Target
from pipssl.target.trust import ENV_BUNDLES

if TYPE_CHECKING:
    from pipssl.diagnosis.run import Diagnosis

#: Findings a new bundle + ``cert`` can answer, and those only the user can.
FIXABLE = codes.with_remedy(codes.BUNDLE)
MANUAL = codes.with_remedy(codes.USER)


#: A file's bytes, None when it does not exist; ``read-failed`` when it cannot be read.
read = read_optional


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
    target, environ = diagnosis.target, diagnosis.env
    config = config or diagnosis.config
    findings = diagnosis.report.findings
    for found in findings:
        if found.code == refused.CODE:  # never edit around a file pip cannot read
            raise refused.refusal(found)
    kind, config_file = choose_scope(options.scope, target, environ)
    fixable = {f.code for f in findings} & FIXABLE
    bundle = bundle_path("user" if kind == "env" else kind, target, environ)
    manual = [f for f in findings if f.code in MANUAL]
    if not target.ssl.ok:
        # pip cannot verify anything here, so no change could be checked; and the
        # config auto picks outside a venv is the user's, read by every Python of theirs
        return Plan(kind, bundle, config_file, (), tuple(manual), (), options=options,
                    diagnosis=diagnosis)  # fmt: skip
    actions: List[Action] = []
    contents: Dict[str, Optional[bytes]] = {}
    # pip's config files shape the plan even where nothing is edited (which value wins)
    inputs: Dict[str, Optional[str]] = {f.path: fingerprint(f.path) for f in config.files}
    # A variable the real pip reaches an index without (confirm.py made its finding an
    # error): unsetting it is the repair, whatever else is planned.
    env_to_unset: List[str] = [
        f.target for f in findings if f.code == "env-shadows-config" and f.severity == "error"
    ]

    def planned(path: str) -> Optional[bytes]:
        """The file as the plan leaves it so far (several actions may edit one file)."""
        if path in contents:
            return contents[path]
        data = read(path)
        inputs[path] = sha256(data)
        return data

    consent_file = consent_path(environ)
    state = os.path.dirname(consent_file)
    if os.path.lexists(state):
        # consent read from a directory someone else controls would be theirs, not the user's
        private_dir(Path(state))
    stored = planned(consent_file)
    kept = parse_consent(stored, consent_file)
    carried = []
    if stored is None:
        # A bundle written before consent was kept apart is the only record of it.
        carried = consents_in_bundle(planned(bundle), bundle)
    # this user's consents (their store); each bundle also keeps the consents it holds
    home = merged(kept, [*carried, *options.extra_cas], options.forget, diagnosis.now)

    # the CAs this user withdrew leave every bundle they rebuild; one given again is back
    forgotten_file = forgotten_path(environ)
    given = {cert.sha256 for cert, _ in options.extra_cas}
    was_forgotten = parse_forgotten(planned(forgotten_file), forgotten_file)
    forgotten = {*was_forgotten, *options.forget} - given

    def consented_in(path: str) -> List[Consent]:
        return bundle_consented(home, planned(path), path, forgotten)

    if not consented_in(bundle):
        # certifi + the OS store cannot cover an issuer nobody on this machine trusts.
        fixable.discard("untrusted-issuer-unknown")
    answers = tuple(sorted(fixable))

    def change(
        kind_: ActionKind,
        path: str,
        scope_: str,
        new: Optional[bytes],
        detail: str,
        answers_: Tuple[str, ...] = answers,
    ) -> None:
        old = planned(path)
        if old == new:
            return
        contents[path] = new
        actions.append(Action(kind_, path, scope_, answers_, sha256(old), sha256(new), detail))

    # wanted: point pip at pipssl's bundle; rebuild: bring the bundle up to date
    wanted = bool(answers) or bool(options.extra_cas)
    cert = config.get("cert")
    if cert is not None and os.path.abspath(cert.value.strip()) == bundle:
        wanted = True  # keep our own bundle up to date once it is in use
    client_plans, skipped = _plan_clients(diagnosis, options, bundle, kind, planned)
    rebuild = wanted or bool(client_plans)
    if options.forget and not rebuild:
        rebuild = planned(bundle) is not None  # withdrawn from the bundle it is in
    copies = certifi_copies(target)
    changes = BundleDiff()
    withdrawn: List[str] = []

    def write_bundle(path: str, scope_: str, answers_: Tuple[str, ...]) -> None:
        nonlocal changes
        old, consented = planned(path), consented_in(path)
        entries = compose(copies, environ, consented, old, path).entries
        new = render(entries)
        delta = diff(certificates_of(old, path), [e.cert for e in entries])
        changes = changes.union(delta)
        labels = bundle_labels(old)
        withdrawn.extend(
            c.sha256
            for c in delta.removed
            if c.sha256 in forgotten or from_sources(labels.get(c.sha256, ""))
        )
        cas = f"{len(consented)} CA{'' if len(consented) == 1 else 's'} consented to"
        what = f"pipssl's CA bundle (certifi + OS store + {cas})"
        detail = what + (f": {delta.describe()}" if old and delta else "")
        change("write-bundle", path, scope_, new, detail, answers_)

    if rebuild:
        write_bundle(bundle, kind, answers if wanted else ())  # else only the clients asked
    # A withdrawn CA leaves every bundle pipssl wrote for this Python, not only the one of
    # the scope asked (a venv's and the user's, say).
    for other_scope, other in (
        _other_bundles(kind, bundle, target, environ) if options.forget else ()
    ):
        held = certificates_of(planned(other), other)
        if any(c.sha256 in options.forget for c in held):
            write_bundle(other, other_scope, ())
    if wanted:
        text = confedit.decoded(config_file, planned(config_file))
        edited = confedit.set_value(text, "global", "cert", bundle)
        change(
            "set-cert",
            config_file,
            kind,
            edited.encode("utf-8"),
            f"cert = {shown(bundle)} in [global]",
        )
        # A cert elsewhere that pip would prefer over ours: fix it if it is broken,
        # report it otherwise; an environment variable can only be reported.
        ours = _precedence(kind)
        for value in config.get_all("cert"):
            if value.kind == "env-var":
                env_to_unset.append(value.name)
                continue
            wins = _precedence(value.kind) > ours or (
                value.kind == kind and value.section not in (None, "global")
            )
            if not wins or value.file is None:
                continue
            if ca_setting_problem(value.value.strip()) is not None:
                path = value.file
                text = confedit.decoded(path, planned(path))
                new = confedit.remove_value(text, _section(value), value.name)
                change(
                    "remove-cert",
                    path,
                    value.kind,
                    new.encode("utf-8"),
                    f"remove broken {shown(value.where())}",
                )
            else:
                # Another --scope would not help (the same file's [install] wins over its
                # [global]), and writing over it would drop its CAs: move them into the bundle.
                unset = unset_fix(value, config, target.executable)
                again = commands.pipssl(
                    "repair", *options.ca_arguments, "--ca", value.value.strip()
                )
                manual.append(
                    Finding.make(
                        "env-shadows-config",
                        value.where(),
                        f"{shown(value.where())} names another CA file and wins over pipssl's",
                        f"cert = {shown(value.value)}",
                        "to have pip use pipssl's bundle, with that file's CAs in it:\n"
                        f"{unset}\n{again}",
                    )
                )
    env_to_set: List[Tuple[str, str]] = []
    for client, client_plan in client_plans:
        for ed in client_plan.edits:
            change(ed.kind, ed.path, client, ed.data, ed.detail, ())
        env_to_set += client_plan.env_to_set
        env_to_unset += client_plan.env_to_unset
        manual += client_plan.manual
    for name in ENV_BUNDLES:
        if environ.get(name) and environ[name] != bundle:
            env_to_unset.append(name)
    if options.remove_trusted_host:
        for value in config.get_all("trusted-host"):
            if value.file is None or value.kind == "env-var":
                env_to_unset.append(value.name)
                continue
            path = value.file
            text = confedit.decoded(path, planned(path))
            for host in pipconfig.split_list(value.value):
                text = confedit.remove_list_item(text, _section(value), value.name, host)
            change(
                "remove-trusted-host",
                path,
                value.kind,
                text.encode("utf-8"),
                f"remove trusted-host from {shown(value.where())}",
            )
    if wanted or options.forget:
        change(
            "record-consent",
            consent_file,
            "pipssl",
            render_consent(home),
            f"the CAs you consented to: {len(home)} "
            f"({commands.pipssl('forget', 'SHA256')} withdraws one)",
            (),
        )
        change(
            "record-consent",
            forgotten_file,
            "pipssl",
            render_forgotten(forgotten),
            f"the CAs you withdrew: {len(forgotten)} (they leave every bundle you rebuild)",
            (),
        )
    return Plan(
        kind,
        bundle,
        config_file,
        tuple(actions),
        tuple(manual),
        tuple(n for n in dict.fromkeys(env_to_unset) if n not in dict(env_to_set)),
        contents,
        tuple(dict(env_to_set).items()),
        tuple(c for c, _ in client_plans),
        tuple(sorted(inputs.items())),
        options,
        diagnosis,
        changes or None,
        tuple(dict.fromkeys(withdrawn)),
        tuple(skipped),
    )


def _plan_clients(
    diagnosis: Diagnosis,
    options: Options,
    bundle: str,
    kind: str,
    planned: Callable[[str], Optional[bytes]],
) -> Tuple[List[Tuple[str, ClientPlan]], List[Tuple[str, str]]]:
    """Each ``--for`` client's plan, and (client, why) for those left alone: not found for
    this Python, or a user-wide file of theirs that would name a bundle inside a venv."""
    found = [c.client for c in diagnosis.report.clients]
    skipped = list(not_here(options.clients_for, found, diagnosis.target.executable))
    plans: List[Tuple[str, ClientPlan]] = []
    for client in [c for c in options.clients_for if c not in dict(skipped)]:
        client_plan = plan_client(
            client,
            bundle,
            diagnosis.target,
            diagnosis.env,
            read=planned,
            cwd=diagnosis.cwd,
            allow_insecure_fix=options.remove_trusted_host,
        )
        why = user_wide_refusal(client, client_plan.edits, bundle, kind)
        if why:
            skipped.append((client, why))
        else:
            plans.append((client, client_plan))
    return plans, skipped


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
