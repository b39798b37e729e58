"""Which clients are here, and whether each would verify pip's indexes: :func:`detect`
reads each client's precedence table, :func:`check` probes the same index URLs ``doctor``
checks for pip with that client's CA material and rules (:mod:`pipssl.clients.profile`),
through :mod:`pipssl.net.probe`, asks the real client where it can be run
(:mod:`pipssl.clients.real`, whose verdict wins), and turns what fails into findings.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple
from urllib.parse import urlsplit

from pipssl._text import shown
from pipssl.certs import bundle as cabundle
from pipssl.certs.bundle import ca_setting_problem
from pipssl.certs.store.linux import read_ca_directory
from pipssl.clients import real
from pipssl.clients.model import ClientReport, ClientTarget, ClientTrust, Context
from pipssl.clients.profile import rejection
from pipssl.clients.registry import CLIENTS, client, repair_for
from pipssl.commands import unset_lines
from pipssl.errors import PipsslError
from pipssl.findings import Finding
from pipssl.interpreter.facts import Target
from pipssl.net.probe import ProbeResult, probe
from pipssl.net.proxy import select_proxy
from pipssl.net.verify_codes import ISSUER_CODES


def detect(
    target: Target,
    environ: Mapping[str, str],
    *,
    cwd: Optional[str] = None,
    only: Optional[Sequence[str]] = None,
) -> List[ClientTrust]:
    """The clients found on this machine and what each verifies with.

    Args:
        target: the interpreter diagnosed (its platform; requests must be importable by it).
        environ: the environment the clients run with.
        cwd: the project directory (default: the current one).
        only: restrict to these clients.

    Returns:
        One :class:`ClientTrust` per client found (poetry: one per source, and one for
        indexes no source names).

    Raises:
        ConfigError: a client's config file cannot be read safely.
    """
    ctx = Context(environ, target.platform, cwd or os.getcwd(), target)
    out: List[ClientTrust] = []
    for each in CLIENTS:
        if only is None or each.name in only:
            out += each.trusts(ctx)
    return out


def _cadata(trust: ClientTrust, os_store_pem: str) -> Tuple[List[str], Optional[str], str]:
    """(usable CA files, PEM text, what was unusable) for a probe with ``trust``."""
    files: List[str] = []
    problems: List[str] = []
    texts: List[str] = [os_store_pem] if trust.os_store and os_store_pem else []
    for path in trust.cafiles:
        problem = ca_setting_problem(path) if path else None
        if path and problem is None and os.path.isdir(path):
            # requests hands a directory to OpenSSL as capath: looked up by hashed names
            texts.append(read_ca_directory(path))
        elif path and problem is None:
            files.append(path)
        else:
            problems.append(str(problem) if problem else "no CA file")
    for directory in trust.cadirs:  # uv's SSL_CERT_DIR: it reads every file there
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            problems.append(f"{directory}: {exc.strerror}")
            continue
        for name in names:
            try:
                texts += [
                    cabundle.to_pem(c) for c in cabundle.load_cafile(os.path.join(directory, name))
                ]
            except PipsslError:
                continue
    return files, "\n".join(texts) or None, "; ".join(problems)


def _urls_for(trust: ClientTrust, urls: Sequence[str], covered: Set[Tuple[str, str]]) -> List[str]:
    """The index URLs ``trust`` is checked for: a poetry source covers its own host, its
    "default" entry the others; a host it does not verify is not checked."""
    out = []
    for url in urls:
        host, netloc = urlsplit(url).hostname or "", urlsplit(url).netloc
        if trust.netloc is not None and netloc != trust.netloc:
            continue
        if trust.netloc is None and (trust.client, netloc) in covered:
            continue
        if trust.verify and host not in trust.insecure_hosts:
            out.append(url)
    return out


def _covered(trusts: Sequence[ClientTrust]) -> Set[Tuple[str, str]]:
    return {(t.client, t.netloc) for t in trusts if t.netloc is not None}


def start_real(
    trusts: Sequence[ClientTrust],
    urls: Sequence[str],
    environ: Mapping[str, str],
    *,
    timeout: float,
    cwd: Optional[str] = None,
    early: Optional[real.Early] = None,
) -> real.Running:
    """Start the real clients' own checks (:mod:`pipssl.clients.real`) for every client
    that can be run here; :func:`check` reads them.  Start them early: they run beside
    everything else, each bounded by ``timeout``.  ``early``: requests' check already
    started in the target interpreter (given its job here, or stopped)."""
    covered = _covered(trusts)
    jobs = []
    for trust in trusts:
        wanted = _urls_for(trust, urls, covered)
        kind = client(trust.client).real
        if trust.program is None or not wanted or kind is None:
            continue
        jobs.append(
            real.Job(
                trust.label, kind, trust.program, tuple(wanted), trust.verify_arg, trust.python
            )
        )
    return real.start(jobs, environ, timeout=timeout, cwd=cwd, early=early)


def check(
    trusts: Sequence[ClientTrust],
    urls: Sequence[str],
    environ: Mapping[str, str],
    *,
    os_store_pem: str,
    timeout: float,
    running: Optional[real.Running] = None,
    cwd: Optional[str] = None,
) -> Tuple[List[ClientReport], List[Finding]]:
    """Probe each index with each client's CA material and rules, and ask each client
    that can be run here (its verdict wins where the two disagree).

    Args:
        trusts: from :func:`detect`.
        urls: the index URLs doctor checks for pip.
        environ: for the proxy each client would use (all read ``HTTPS_PROXY``), and the
            environment the real clients run with.
        os_store_pem: the OS store's roots, for clients that use it.
        timeout: seconds per probe, and per real client check.
        running: the real clients' checks, if :func:`start_real` started them already.
        cwd: the project directory the real clients run in.

    Returns:
        (one :class:`ClientReport` per client, findings): ``client-cannot-verify`` for a client
        whose roots lack the index's issuer (or that fails where pipssl's probe verified),
        ``client-rejects-certificate`` for one whose stricter rules refuse a certificate
        pip accepts, ``client-verify-disabled`` for a client that does not verify at all.
    """
    if running is None:
        running = start_real(trusts, urls, environ, timeout=timeout, cwd=cwd)
    probed: List[Tuple[ClientTrust, str, ProbeResult, str]] = []
    done: Dict[Tuple[Any, ...], ProbeResult] = {}
    covered = _covered(trusts)
    for trust in trusts:
        files, cadata, problem = _cadata(trust, os_store_pem)
        for url in _urls_for(trust, urls, covered):
            key = (url, tuple(files), cadata, trust.policy)
            if key not in done:
                proxy = select_proxy(url, environ)
                done[key] = probe(
                    url,
                    proxy=proxy,
                    cafiles=files,
                    cadata=cadata,
                    timeout=timeout,
                    policy=trust.policy,
                )
            probed.append((trust, url, done[key], problem))
    answers = running.results()
    reports: List[ClientReport] = []
    findings: List[Finding] = []
    for trust in trusts:
        results: List[ClientTarget] = []
        for _trust, url, result, problem in (p for p in probed if p[0] is trust):
            answer = answers.get((trust.label, url))
            target, found = _verdict(trust, result, answer, problem)
            results.append(target)
            findings += found
        if not trust.verify or trust.insecure_hosts:
            findings.append(_verify_off(trust))
        reports.append(
            ClientReport(
                trust.client,
                trust.label,
                trust.found,
                trust.verify,
                trust.describe(),
                trust.settings,
                trust.insecure_hosts,
                tuple(results),
            )
        )
    return reports, findings


def _verdict(
    trust: ClientTrust, result: ProbeResult, answer: Optional[real.RealResult], problem: str
) -> Tuple[ClientTarget, List[Finding]]:
    """One index for one client: the real client's answer wins over pipssl's probe."""
    if answer is None:
        target = ClientTarget(result.url, result.ok, result.stage, result.error)
    elif answer.ok:
        note = answer.by
        if not result.ok:
            note += (
                f" reached it, although pipssl's probe failed ({shown(result.error)}): its verdict"
                " stands"
            )
        return ClientTarget(result.url, True, "done", "", note), []
    else:
        stage = result.stage if not result.ok else "client"
        target = ClientTarget(result.url, False, stage, answer.detail, answer.by)
    found: List[Finding] = []
    if result.ok and answer is not None:
        found.append(_real_fails(trust, result, answer))
    elif result.failure == "verify-failed":
        finding = rejection(
            trust.label, trust.client, trust.stack, trust.policy, result, trust.cafiles
        )
        if finding is None and result.verify_code in ISSUER_CODES:
            finding = _cannot_verify(trust, result, problem)
        if finding is not None:
            found.append(_confirmed(finding, answer))
    return target, found


def _confirmed(finding: Finding, answer: Optional[real.RealResult]) -> Finding:
    if answer is None:
        return finding
    detail = f"{finding.detail}\n{answer.by} fails too: {shown(answer.detail)}"
    return Finding(finding.code, finding.severity, finding.target, finding.summary, detail,
                   finding.fix, finding.client)  # fmt: skip


def _real_fails(trust: ClientTrust, result: ProbeResult, answer: real.RealResult) -> Finding:
    return Finding.make(
        "client-cannot-verify",
        trust.label,
        f"{trust.label} itself cannot reach {shown(result.url)}, although pipssl's probe "
        "verified it",
        f"{answer.by}: {shown(answer.detail)}\npipssl's probe (with {trust.describe()}; "
        f"{trust.stack or 'its rules'}) verified; the real client's verdict stands",
        repair_for(trust.client),
        client=trust.client,
    )


def _cannot_verify(trust: ClientTrust, result: ProbeResult, problem: str) -> Finding:
    detail = f"{trust.label} verifies with {trust.describe()}\n{result.verify_message}"
    if problem:
        detail += f"\nunusable: {shown(problem)} (so it trusts none of it)"
    return Finding.make(
        "client-cannot-verify",
        trust.label,
        f"{trust.label} would not verify {shown(result.url)}",
        detail,
        repair_for(trust.client),
        client=trust.client,
    )


def _verify_off(trust: ClientTrust) -> Finding:
    if trust.verify:
        hosts = ", ".join(shown(h) for h in trust.insecure_hosts)
        what = f"{trust.label} does not check certificates for {hosts}"
        keys = client(trust.client).insecure_keys
        setting = next(s for s in trust.settings if s.name in keys)
    else:
        what = f"{trust.label} does not check certificates at all"
        setting = next(
            s for s in trust.settings if s.value.strip().lower() in ("false", "no", "off", "0")
        )
    fix = (
        f"remove {shown(setting.name)} from {shown(setting.file)}"
        if setting.file
        else unset_lines(setting.name)
    )
    return Finding.make(
        "client-verify-disabled",
        trust.label,
        what,
        f"{shown(setting.name)} = {shown(setting.value)} ({shown(setting.where)})",
        fix + "\n# then, if it still fails: " + repair_for(trust.client),
        client=trust.client,
    )
