"""``diagnose()``: gather the facts, run the checks, probe every index, classify.

It finds the target interpreter, pip's configuration as that pip reads it, the CA
material pip would use and the OS store; runs the local checks
(:mod:`pipssl.diagnosis.localsetup`); reaches every index pip would contact
(:mod:`pipssl.net.probe`); and explains each failure (:mod:`pipssl.diagnosis.classify`).
The result is one frozen :class:`Diagnosis`, which ``repair`` plans from; the
:class:`~pipssl.Report` users see is rendered from it.  It changes nothing.

The children (the real pip, requests' real check, the target's facts) are started by
:mod:`pipssl.diagnosis.starting`; the CLI starts them before it imports this module, so
that pipssl's own modules load while they run.  The real pip's modules (the confirmation,
its log reader) are imported only when the verdict is confirmed: ``--quick`` loads none.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import (
    TYPE_CHECKING,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

from pipssl import commands
from pipssl._limits import run_limit, validate_timeout
from pipssl._threads import Beside
from pipssl.certs import bundle, store
from pipssl.certs.bundle import cafile_problem
from pipssl.certs.openssl import special_hashed_name
from pipssl.clients import check as clients_check
from pipssl.clients.real import Early, Running
from pipssl.diagnosis import insecure, localsetup, refused, starting
from pipssl.diagnosis.classify import load_stores
from pipssl.diagnosis.downloadpath import path_project
from pipssl.diagnosis.indexes import pip_proxy_for, reach_indexes, urls_to_check
from pipssl.diagnosis.ownbundle import certifi_copies, check_own_bundle
from pipssl.diagnosis.report import PipInfo, PythonInfo, Report, TargetResult
from pipssl.diagnosis.starting import Started, stalls
from pipssl.diagnosis.storecheck import check_os_store
from pipssl.errors import ConfigError, PipsslError
from pipssl.findings import Finding
from pipssl.interpreter import pipconfig
from pipssl.interpreter.facts import Target
from pipssl.interpreter.pipconfig import PipConfig
from pipssl.interpreter.trust import PipTrust, pip_trust
from pipssl.net.context import ssl_module
from pipssl.net.probe import ProbeResult

if TYPE_CHECKING:
    from pipssl.interpreter.askpip import Asking

__all__ = ["DEFAULT_TIMEOUT", "Diagnosis", "diagnose", "make_diagnosis", "validate_timeout"]

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Diagnosis:
    """Everything one diagnosis learned, computed once; repair plans from it.

    Attributes:
        target: the interpreter pip runs in.
        environ: the environment pip was diagnosed with (name, value), sorted.
        config: pip's configuration as that pip reads it, every value with its provenance.
        urls: the https indexes pip would contact.
        trust: what pip verifies with, and why.
        probes: one result per URL probed, with the chain the server presented.
        report: what the user sees (findings, per-index results, the clients).
        now: the time certificates were judged against.
        index_urls: the URLs asked for instead of the configured ones (None: configured).
        timeout: seconds allowed per probe.
        cwd: the project directory uv and poetry read their settings from.
        project: the project whose path to its files was followed (None: pip itself).
    """

    target: Target
    environ: Tuple[Tuple[str, str], ...]
    config: PipConfig
    urls: Tuple[str, ...]
    trust: PipTrust
    probes: Tuple[ProbeResult, ...]
    report: Report
    now: datetime
    index_urls: Optional[Tuple[str, ...]] = None
    timeout: float = DEFAULT_TIMEOUT
    cwd: Optional[str] = None
    project: Optional[str] = None

    @property
    def env(self) -> Dict[str, str]:
        """The environment, as a new dict."""
        return dict(self.environ)

    def chains(self) -> Iterable[bytes]:
        """Every certificate (DER) the indexes presented, leaf first per index."""
        for probe in self.probes:
            yield from probe.chain


def load_config(target: Target, env: Mapping[str, str]) -> PipConfig:
    """pip's configuration as the target's pip reads it, from the files on disk now."""
    return pipconfig.load(env, **target.config_args())


def diagnose(
    *,
    python: Optional[str] = None,
    index_urls: Optional[Sequence[str]] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
    now: Optional[datetime] = None,
    confirm: bool = True,
) -> Report:
    """Diagnose why pip (of ``python``) can or cannot verify its index.  Changes nothing.

    Args:
        python: the interpreter whose pip to diagnose (default: this one).
        index_urls: index URLs to check instead of the configured ones (``[]``: check
            none, only the local setup).
        timeout: seconds allowed for each index probe.
        environ: the environment pip would run with (default: ``os.environ``).
        now: the time to judge certificate validity and the clock against.
        confirm: also ask the real pip to reach each index (its verdict wins where it
            and pipssl's probe disagree); False: pipssl's probes alone, about 0.5 s
            sooner (pip's own start-up).

    Returns:
        A :class:`~pipssl.Report`.

    Raises:
        PipsslError: bad input: an index URL without scheme, a non-positive timeout.
            A config file pip itself refuses is a finding (``pip-config-invalid``).
    """
    return make_diagnosis(
        python=python,
        index_urls=index_urls,
        timeout=timeout,
        environ=environ,
        now=now,
        confirm=confirm,
    ).report


def make_diagnosis(
    *,
    python: Optional[str] = None,
    index_urls: Optional[Sequence[str]] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
    now: Optional[datetime] = None,
    cwd: Optional[str] = None,
    confirm: bool = True,
    project: Optional[str] = None,
    started: Optional[Started] = None,
) -> Diagnosis:
    """:func:`diagnose`, returning the whole :class:`Diagnosis` (repair's input).
    ``project``: the project whose path to its files to follow (the first one a failed
    command asked for; None: pip itself, which every mirror of the default index serves).
    ``started``: the children :func:`pipssl.diagnosis.starting.start` started for this
    very diagnosis (same python, environment, URLs, timeout, cwd and ``confirm``); None:
    they are started here."""
    validate_timeout(timeout)
    env: Dict[str, str] = dict(os.environ if environ is None else environ)
    if started is None:
        started = starting.start(python, env, index_urls, timeout, cwd, confirm)
    try:
        warm_os_store(env)
        target = started.inspection.result()
    except BaseException:  # no child is left running that nobody will read
        started.cancel()
        raise
    asking, early = started.asking, started.early
    if early is not None:
        early.program = target.executable  # the interpreter it runs in, as it names itself
    return diagnosis_of(
        target,
        env,
        index_urls=index_urls,
        timeout=timeout,
        now=now,
        cwd=cwd,
        asking=asking,
        confirm=confirm,
        project=project,
        early=early,
    )


def warm_os_store(env: Mapping[str, str]) -> None:
    """Read and parse the OS store while the target interpreter answers (on the other core,
    if there is one): :func:`pipssl.certs.store.os_store` and the PEM parser keep what they
    read while its files are unchanged, and the diagnosis, reading the store again with the
    target's OpenSSL paths (most often this interpreter's), finds it there.  Nothing is
    returned: what the diagnosis uses is what it reads itself; this only makes that sooner.
    Measured for a Debian store (about 150 files) on the shared 2-core machine, loaded:
    130-420 ms the first time, 2-30 ms once cached."""
    try:
        ssl_module()
    except ImportError:
        return  # nothing will be probed; the store is read when it is needed
    pem = store.os_store(environ=env).pem
    try:
        bundle.read_pem(pem, source=store.LABEL)
    except PipsslError:
        pass  # the diagnosis reports it


def diagnosis_of(
    target: Target,
    env: Mapping[str, str],
    *,
    index_urls: Optional[Sequence[str]] = None,
    timeout: float = DEFAULT_TIMEOUT,
    now: Optional[datetime] = None,
    cwd: Optional[str] = None,
    asking: Optional[Asking] = None,
    confirm: bool = True,
    project: Optional[str] = None,
    early: Optional[Early] = None,
) -> Diagnosis:
    """:func:`make_diagnosis` for an interpreter already inspected (repair verifies the same one
    after its changes; pip's config is read from disk each time).  ``cwd`` is the project
    directory uv and poetry read their settings from; ``asking``, the real pip already
    asked (else, with ``confirm``, it is asked here, while the probes run); ``early``,
    requests' check already started.  Without ``confirm`` no real client is asked either:
    pipssl's model alone."""
    if asking is None and confirm:
        asking = starting.ask_pip(target.executable, env, index_urls, timeout)
    pending: List[Asking] = [asking] if asking is not None else []
    try:
        with commands.aiming(target.executable):  # the fixes act on this interpreter
            return _gather(
                target,
                env,
                index_urls,
                timeout,
                now,
                cwd,
                asking,
                pending,
                project,
                early,
                confirm,
            )
    finally:
        for started in pending:  # a pip whose answer nobody will read
            started.cancel()
        if early is not None:
            early.cancel()  # no requests job took it


def _gather(
    target: Target,
    env: Mapping[str, str],
    index_urls: Optional[Sequence[str]],
    timeout: float,
    now: Optional[datetime],
    cwd: Optional[str],
    asking: Optional[Asking],
    pending: List[Asking],
    project: Optional[str],
    early: Optional[Early],
    ask_clients: bool,
) -> Diagnosis:
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    try:
        config = load_config(target, env)
        urls = urls_to_check(target, config, index_urls)
        for url in urls:  # a malformed proxy URL, named where it is set
            pip_proxy_for(url, target, config, env)
    except ConfigError as exc:  # pip itself refuses the file or URL: a finding, not bad input
        asking = _unless_stalled(asking, [exc.path or ""])
        return _only(target, env, refused.finding(exc, asking), now, index_urls, timeout, cwd)
    findings: List[Finding] = []
    findings += localsetup.check_ssl(target)
    findings += localsetup.check_pip(target)
    trust = pip_trust(target, config, env)
    client = [trust.client_cert.path] if trust.client_cert else []
    asking = _unless_stalled(asking, trust.files + trust.directories + client)
    findings += localsetup.check_cafiles(
        config, env, target.executable, truststore=trust.truststore, unread=trust.unread
    )
    shadowing = localsetup.check_env_shadows(config, env, trust.unread)
    findings += shadowing
    asking_without = None
    if asking is not None:  # --quick imports nothing of the real pip's
        from pipssl.diagnosis.confirm import ask_without  # noqa: PLC0415 the real pip's modules: --quick loads none

        asking_without = ask_without(target, env, shadowing, index_urls, timeout, asking)
    if asking_without is not None:
        pending.append(asking_without[1])
    followed = path_project(project)
    findings += insecure.check_trusted_host(config, target.executable)
    findings += insecure.check_http_indexes(config, index_urls)
    findings += localsetup.check_certifi(target, env)
    findings += check_own_bundle(config, env, certifi_copies(target), now)
    # A CA directory is no broken file: requests hands it to OpenSSL as capath (broken
    # only with a FIFO or device under a hashed name, which OpenSSL would block on).
    broken = tuple(
        s.path
        for s in trust.sources
        if s.path and (special_hashed_name(s.path) if s.directory else cafile_problem(s.path))
    )
    probe_trust = pip_trust(target, config, env, skip=broken) if broken else trust
    # The OS store as the target's OpenSSL resolves it, by truststore's rule.
    paths = target.ssl.verify_paths
    os_store = store.os_store(environ=env, openssl_paths=paths)
    findings += check_os_store(os_store)
    stores = load_stores(probe_trust, os_store.pem)
    findings += localsetup.check_clock(stores.pip, now)
    results: List[TargetResult] = []
    probes: List[ProbeResult] = []
    # The other clients' own checks are started now (requests' took its job, if it was
    # started early), to run beside pip's probes; --quick asks none of them.
    have_ssl = _have_ssl()  # pipssl's own ssl module: nothing is probed without it
    client_trusts = clients_check.detect(target, env, cwd=cwd) if have_ssl else []
    running = (
        clients_check.start_real(client_trusts, urls, env, timeout=timeout, cwd=cwd, early=early)
        if ask_clients
        else Running([])
    )
    # The clients' probes (and the wait for their real checks) beside pip's: each loads
    # its own CA material into OpenSSL, which runs outside the GIL for a CA file.
    checking = Beside(
        lambda: clients_check.check(
            client_trusts,
            urls,
            env,
            os_store_pem=os_store.pem,
            timeout=timeout,
            running=running,
            cwd=cwd,
        )
    )
    if target.ssl.ok and target.pip is not None and have_ssl:
        reached = reach_indexes(
            target, config, env, urls, probe_trust, stores, os_store, broken, timeout, now,
            followed,
        )  # fmt: skip
        results, probes = reached.results, reached.probes
        findings += reached.findings
    # pip's way to a file, only where pip's path leaves the indexes' own hosts (there its
    # page fetch already proved them), within what is left of the diagnosis' bound
    asking_files = None
    if asking is not None and any(r.kind != "index" for r in results):
        from pipssl.diagnosis.confirm import ask_files  # noqa: PLC0415 the real pip's modules: --quick loads none

        left = run_limit(timeout) - (time.monotonic() - started)
        asking_files = ask_files(target, env, index_urls, timeout, followed, max(left, 1.0))
        pending.append(asking_files)
    client_reports, found = checking.result()
    findings += found
    if asking is not None and target.ssl.ok and target.pip is not None:
        from pipssl.diagnosis.confirm import confirm  # noqa: PLC0415 the real pip's modules: --quick loads none
        from pipssl.interpreter.piplog import answer  # noqa: PLC0415 the same

        without = None
        if asking_without is not None:
            without = (asking_without[0], answer(asking_without[1]))

        results, findings = confirm(
            results,
            findings,
            answer(asking),
            configured=index_urls is None,
            without=without,
            executable=target.executable,
            trusted=insecure.trusted_entries(config),
            files=answer(asking_files) if asking_files is not None else None,
        )
    findings += localsetup.check_repair_overridden(config, env, trust.unread, findings)
    findings = insecure.answer_trusted_hosts(findings, results)
    report = Report(
        python=PythonInfo.of(target),
        pip=PipInfo(
            target.pip.version if target.pip else None,
            trust.truststore,
            trust.describe() if target.pip else "",
            trust.sources,
            config.files,
        ),
        findings=tuple(_ordered(findings)),
        targets=tuple(results),
        clients=tuple(client_reports),
    )
    return Diagnosis(
        target,
        tuple(sorted(env.items())),
        config,
        tuple(urls),
        trust,
        tuple(probes),
        report,
        now,
        None if index_urls is None else tuple(index_urls),
        timeout,
        cwd,
        project,
    )


def _only(
    target: Target,
    env: Mapping[str, str],
    finding: Finding,
    now: datetime,
    index_urls: Optional[Sequence[str]],
    timeout: float,
    cwd: Optional[str],
) -> Diagnosis:
    """The diagnosis when nothing else can be checked: pip will not run at all."""
    report = Report(
        python=PythonInfo.of(target),
        pip=PipInfo(target.pip.version if target.pip else None, False, ""),
        findings=(finding,),
    )
    explicit = None if index_urls is None else tuple(index_urls)
    return Diagnosis(
        target, tuple(sorted(env.items())), PipConfig((), ()), (), PipTrust(False, ()), (),
        report, now, explicit, timeout, cwd,
    )  # fmt: skip


def _unless_stalled(asking: Optional[Asking], paths: Sequence[str]) -> Optional[Asking]:
    """``asking``, or None (pip stopped) when one of the files pip opens would stall it."""
    if asking is None:
        return None
    if stalls(paths):
        asking.cancel()
        return None
    return asking


def _have_ssl() -> bool:
    try:
        ssl_module()
    except ImportError:
        return False
    return True


def _ordered(findings: Iterable[Finding]) -> List[Finding]:
    """Errors first; one finding per (code, target) even when several indexes share it."""
    rank = {"error": 0, "warning": 1, "info": 2}
    seen = set()
    unique = []
    for finding in findings:
        if (finding.code, finding.target) not in seen:
            seen.add((finding.code, finding.target))
            unique.append(finding)
    return sorted(unique, key=lambda f: rank.get(f.severity, 3))
