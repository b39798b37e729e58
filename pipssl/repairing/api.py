"""Make pip verify again without weakening anything: the library's repair verbs.

pipssl writes a CA bundle of its own (certifi's roots + the OS store's roots + CAs the
user named or confirmed by fingerprint) and points pip's ``cert`` at it, in the one config
file the user's pip reads for the scope asked.  certifi's and pip's bundles, and the OS
store, are never touched; ``trusted-host`` is never written.  Every write goes through a
journal transaction (atomic, backed up, journaled, locked); a repair that does not verify
is rolled back.

The flow: :func:`prepare` (diagnose once, plan) -> consent -> :func:`~pipssl.repairing.apply.apply`
(that plan).  :func:`repair` does all three for callers whose consent is the call itself.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Dict, Mapping, Optional, Sequence, Tuple

from pipssl import commands
from pipssl.certs.consent import Consent, read_consent
from pipssl.diagnosis.run import DEFAULT_TIMEOUT, examine, validate_timeout
from pipssl.errors import UsageError
from pipssl.repairing import location
from pipssl.repairing.apply import apply, consented_to_policy, preview
from pipssl.repairing.cas import accepted_cas, named_cas, normal_fingerprint, require_roots
from pipssl.repairing.clients import plan_client
from pipssl.repairing.plan import plan_repair, read
from pipssl.repairing.result import (
    Options,
    Plan,
    RepairResult,
)
from pipssl.target.facts import inspect


def prepare(
    *,
    ca_files: Sequence[str] = (),
    accept_ca: Sequence[str] = (),
    scope: str = "auto",
    remove_trusted_host: bool = False,
    python: Optional[str] = None,
    index_urls: Optional[Sequence[str]] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
    clients_for: Sequence[str] = (),
    cwd: Optional[str] = None,
    forget: Sequence[str] = (),
    project: Optional[str] = None,
) -> Plan:
    """Diagnose once and plan the repair, changing nothing (arguments as for
    :func:`repair`; ``forget``: as for :func:`forget`; ``project``: the project whose
    path to its files to follow, the first a failed command asked for).  Show the plan,
    get consent, then ``apply(plan)``.

    Raises:
        PipsslError: bad input (a CA file that is not a CA, holds a key, a bad scope ...).
    """
    named = named_cas(ca_files, datetime.now(timezone.utc))
    validate_timeout(timeout)
    diagnosis = examine(
        python=python,
        index_urls=index_urls,
        timeout=timeout,
        environ=environ,
        cwd=cwd,
        project=project,
    )
    cas = named + accepted_cas(accept_ca, diagnosis)
    require_roots(cas, diagnosis)
    asked = [("--ca", os.path.abspath(f)) for f in ca_files]
    asked += [("--accept-ca", normal_fingerprint(f)) for f in accept_ca]
    options = Options(
        scope,
        tuple(cas),
        remove_trusted_host,
        tuple(clients_for),
        tuple(forget),
        tuple(word for pair in asked for word in pair),
    )
    with commands.aiming(diagnosis.target.executable):  # the commands left for the user
        return plan_repair(diagnosis, options)


def repair(
    *,
    ca_files: Sequence[str] = (),
    accept_ca: Sequence[str] = (),
    scope: str = "auto",
    dry_run: bool = False,
    remove_trusted_host: bool = False,
    python: Optional[str] = None,
    index_urls: Optional[Sequence[str]] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
    label: str = "pipssl repair",
    lock_timeout: float = 30.0,
    clients_for: Sequence[str] = (),
    cwd: Optional[str] = None,
) -> RepairResult:
    """Diagnose, then fix what is safe to fix, verify, and keep the changes only if pip
    now verifies.  Never prompts, never prints.

    Args:
        ca_files: PEM files of CAs to trust (each must be a CA; keys are refused).
        accept_ca: SHA-256 fingerprints (as ``doctor`` shows them) of CAs the indexes
            presented, to trust.
        scope: ``auto``, ``user``, ``site`` or ``global``: which pip config file to edit.
        dry_run: plan only; change nothing.
        remove_trusted_host: also remove ``trusted-host`` entries, once pip verifies.
        python: the interpreter whose pip to repair (default: this one).
        index_urls: the indexes to verify (default: the configured ones).
        timeout: seconds per index probe.
        environ: the environment pip runs with (default: ``os.environ``).
        label: what the journal calls this repair (``undo`` shows it).
        lock_timeout: seconds to wait for another repair to finish.
        clients_for: other installers to point at the same bundle (``uv``, ``poetry``,
            ``conda``, ``requests``); the changes stay only if each then verifies.
        cwd: the project directory uv and poetry read (default: the current one).

    Returns:
        A :class:`~pipssl.RepairResult`.

    Raises:
        PipsslError: bad input (a CA file that is not a CA, holds a key, a bad scope ...),
            a file that cannot be written, or another repair holding the lock.
    """
    plan = prepare(
        ca_files=ca_files,
        accept_ca=accept_ca,
        scope=scope,
        remove_trusted_host=remove_trusted_host,
        python=python,
        index_urls=index_urls,
        timeout=timeout,
        environ=environ,
        clients_for=clients_for,
        cwd=cwd,
    )
    if dry_run:
        return preview(plan)
    return apply(plan, label=label, lock_timeout=lock_timeout, confirm=consented_to_policy)


def consented(*, environ: Optional[Mapping[str, str]] = None) -> Tuple[Consent, ...]:
    """The CAs the user told pipssl to trust (``--ca``, ``--accept-ca``), oldest first: every
    bundle pipssl builds holds them until :func:`forget` withdraws them.

    Raises:
        PipsslError: ``consent-corrupt``, ``no-state-dir``.
    """
    return read_consent(dict(os.environ if environ is None else environ))


def prepare_forget(
    fingerprints: Sequence[str],
    *,
    scope: str = "auto",
    python: Optional[str] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
) -> Plan:
    """Plan withdrawing consent for CAs (arguments as for :func:`forget`), changing nothing.

    Raises:
        PipsslError: ``usage-error`` for a fingerprint no consented CA has; as :func:`prepare`.
    """
    env = dict(os.environ if environ is None else environ)
    have = {c.sha256 for c in read_consent(env)}
    wanted = [normal_fingerprint(f, option="forget") for f in fingerprints]
    if not wanted:
        raise UsageError(
            "forget: give the SHA-256 of a consented CA",
            hint=f"`{commands.pipssl('forget')}` lists them",
        )
    plan = prepare(scope=scope, python=python, timeout=timeout, environ=env, forget=wanted)
    # a CA another user consented to for a shared bundle is withdrawn from it the same way
    dropped = {c.sha256 for c in plan.bundle_diff.removed} if plan.bundle_diff else set()
    for fingerprint in wanted:
        if fingerprint not in have and fingerprint not in dropped:
            raise UsageError(
                f"forget: no CA you consented to has SHA-256 {fingerprint}",
                hint=f"`{commands.pipssl('forget')}` with no argument lists them",
            )
    return plan


def forget(
    fingerprints: Sequence[str],
    *,
    scope: str = "auto",
    python: Optional[str] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
    label: str = "pipssl forget",
) -> RepairResult:
    """Withdraw consent for CAs (by SHA-256, as :func:`consented` lists them): drop them
    from the consent store and rebuild the bundle of ``scope`` without them, journaled
    like a repair (``undo`` gives the consent back).  Indexes that relied on them stop
    verifying; the result names them.

    Raises:
        PipsslError: ``usage-error`` for a fingerprint no consented CA has; as :func:`repair`.
    """
    plan = prepare_forget(
        fingerprints, scope=scope, python=python, timeout=timeout, environ=environ
    )
    return apply(plan, label=label, confirm=consented_to_policy)


def bundle_path(
    scope: str,
    *,
    python: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> str:
    """The path of the CA bundle ``repair(scope=...)`` writes (it may not exist yet):
    point other tools at it (``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``) once a repair ran.

    Args:
        scope: the scope given to :func:`repair` (``auto``, ``user``, ``site`` or
            ``global``); no default, because each scope has its own bundle (inside a venv,
            ``auto`` is the venv's, not the one ``scope="user"`` wrote).
        python: the interpreter whose scope decides (default: this one).
        environ: the environment (default: ``os.environ``).

    Raises:
        PipsslError: a bad scope, or something planted at that path.
    """
    env: Dict[str, str] = dict(os.environ if environ is None else environ)
    target = inspect(python, env=env)
    kind, _config_file = location.choose_scope(scope, target, env)
    return location.bundle_path("user" if kind == "env" else kind, target, env)


def client_env(
    client: str,
    *,
    scope: str = "auto",
    python: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
) -> Dict[str, str]:
    """The variables ``client`` must see to use pipssl's bundle, once a repair wrote it
    (``pipssl run -- uv ...`` gives them to its child).

    Args:
        client: ``uv``, ``poetry``, ``conda`` or ``requests``.
        scope: as for :func:`repair`: whose bundle.
        python: the interpreter whose scope decides (default: this one).
        environ: the environment (default: ``os.environ``).
        cwd: the project directory (poetry's sources).

    Returns:
        ``{name: bundle}``; empty when there is no bundle yet or the client needs none.

    Raises:
        PipsslError: a bad scope, or a client config file that cannot be read.
    """
    env: Dict[str, str] = dict(os.environ if environ is None else environ)
    target = inspect(python, env=env)
    kind, _config_file = location.choose_scope(scope, target, env)
    bundle = location.bundle_path("user" if kind == "env" else kind, target, env)
    if not os.path.isfile(bundle):
        return {}
    return dict(plan_client(client, bundle, target, env, read=read, cwd=cwd).env_to_set)
