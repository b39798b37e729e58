"""Make pip verify again without weakening anything: the library's repair verbs.

pipssl writes a CA bundle of its own (certifi's roots + the OS store's roots + CAs the
user named or confirmed by fingerprint) and points pip's ``cert`` at it, in the one config
file the user's pip reads for the scope asked.  certifi's and pip's bundles, and the OS
store, are never touched; ``trusted-host`` is never written.  Every write goes through a
journal transaction (atomic, backed up, journaled, locked); a repair that does not verify
is rolled back.

The flow: :func:`plan` (diagnose once, plan) -> consent ->
:func:`~pipssl.repairing.apply.apply` (that plan).  :func:`repair` does all three for
callers whose consent is the call itself.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, cast

from pipssl import commands
from pipssl.certs.consent import Consent, read_consent
from pipssl.diagnosis.api import DEFAULT_TIMEOUT, make_diagnosis, validate_timeout
from pipssl.errors import UsageError
from pipssl.interpreter.facts import inspect
from pipssl.repairing import location
from pipssl.repairing.apply import apply, consented_to_policy, preview
from pipssl.repairing.cas import (
    NamedCa,
    accepted_cas,
    named_cas,
    normal_fingerprint,
    require_roots,
)
from pipssl.repairing.clients import plan_client
from pipssl.repairing.location import Scope
from pipssl.repairing.plan import plan_repair, read
from pipssl.repairing.result import Options, Plan, RepairOptions, RepairResult


def plan(options: Optional[RepairOptions] = None, **changes: object) -> Plan:
    """Diagnose once and plan the repair, changing nothing.
    Inspect the plan (its ``actions``, what is ``manual``), get consent, then
    ``pipssl.apply(plan)``.

    Args:
        options: what to repair and how (default: :class:`RepairOptions`' defaults).
        changes: fields of :class:`RepairOptions` given as keywords, over ``options``
            (``plan(ca_files=["corp-root.pem"], scope="user")``).

    Raises:
        PipsslError: bad input (a CA file that is not a CA, holds a key, a bad scope ...).
    """
    # the names are checked by the dataclass (TypeError, as for any unknown keyword)
    asked = replace(options or RepairOptions(), **cast(Dict[str, Any], changes))
    named = named_cas(asked.ca_files, datetime.now(timezone.utc))
    validate_timeout(asked.timeout)
    diagnosis = make_diagnosis(
        python=asked.python,
        index_urls=asked.index_urls,
        timeout=asked.timeout,
        environ=asked.environ,
        cwd=asked.cwd,
        project=asked.project,
    )
    cas = named + accepted_cas(asked.accept_ca, diagnosis)
    require_roots(cas, diagnosis)
    with commands.aiming(diagnosis.target.executable):  # the commands left for the user
        return plan_repair(diagnosis, _resolved(asked, cas))


def _resolved(asked: RepairOptions, cas: Sequence[NamedCa]) -> Options:
    """The planner's options: ``asked`` with its CAs read, and how the command line named
    them (for a fix that says "run it again with one more")."""
    named = [("--ca", os.path.abspath(f)) for f in asked.ca_files]
    named += [("--accept-ca", normal_fingerprint(f)) for f in asked.accept_ca]
    return Options(
        scope=asked.scope,
        extra_cas=tuple(cas),
        remove_trusted_host=asked.remove_trusted_host,
        clients_for=tuple(asked.clients_for),
        forget=tuple(asked.forget),
        ca_arguments=tuple(word for pair in named for word in pair),
    )


def repair(
    options: Optional[RepairOptions] = None,
    *,
    dry_run: bool = False,
    label: str = "pipssl repair",
    lock_timeout: float = 30.0,
    **changes: object,
) -> RepairResult:
    """Diagnose, then fix what is safe to fix, verify, and keep the changes only if pip
    now verifies: :func:`pipssl.plan` then :func:`pipssl.apply`, the call itself being
    the consent.  Never prompts, never prints.

    Args:
        options: what to repair and how (:class:`RepairOptions`).
        dry_run: plan only; change nothing.
        label: what the journal calls this repair (``undo`` shows it).
        lock_timeout: seconds to wait for another repair to finish.
        changes: fields of :class:`RepairOptions` given as keywords, over ``options``
            (``repair(ca_files=["corp-root.pem"], scope="user")``).

    Returns:
        A :class:`~pipssl.RepairResult`.

    Raises:
        PipsslError: bad input (a CA file that is not a CA, holds a key, a bad scope ...),
            a file that cannot be written, or another repair holding the lock.
    """
    planned = plan(options, **changes)
    if dry_run:
        return preview(planned)
    return apply(planned, label=label, lock_timeout=lock_timeout, confirm=consented_to_policy)


def consented(*, environ: Optional[Mapping[str, str]] = None) -> Tuple[Consent, ...]:
    """The CAs the user told pipssl to trust (``--ca``, ``--accept-ca``), oldest first: every
    bundle pipssl builds holds them until :func:`forget` withdraws them.

    Raises:
        PipsslError: ``consent-corrupt``, ``no-state-dir``.
    """
    return read_consent(dict(os.environ if environ is None else environ))


def plan_forget(
    fingerprints: Sequence[str],
    *,
    scope: Scope = "auto",
    python: Optional[str] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
) -> Plan:
    """Plan withdrawing consent for CAs (arguments as for :func:`forget`), changing nothing.

    Raises:
        PipsslError: ``usage-error`` for a fingerprint no consented CA has; as :func:`plan`.
    """
    env = dict(os.environ if environ is None else environ)
    have = {c.sha256 for c in read_consent(env)}
    wanted = [normal_fingerprint(f, option="forget") for f in fingerprints]
    if not wanted:
        raise UsageError(
            "forget: give the SHA-256 of a consented CA",
            hint=f"`{commands.pipssl('forget')}` lists them",
        )
    planned = plan(scope=scope, python=python, timeout=timeout, environ=env, forget=wanted)
    # a CA another user consented to for a shared bundle is withdrawn from it the same way
    dropped = {c.sha256 for c in planned.bundle_diff.removed} if planned.bundle_diff else set()
    for fingerprint in wanted:
        if fingerprint not in have and fingerprint not in dropped:
            raise UsageError(
                f"forget: no CA you consented to has SHA-256 {fingerprint}",
                hint=f"`{commands.pipssl('forget')}` with no argument lists them",
            )
    return planned


def forget(
    fingerprints: Sequence[str],
    *,
    scope: Scope = "auto",
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
    planned = plan_forget(
        fingerprints, scope=scope, python=python, timeout=timeout, environ=environ
    )
    return apply(planned, label=label, confirm=consented_to_policy)


def bundle_path(
    scope: Scope,
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
    scope: Scope = "auto",
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
