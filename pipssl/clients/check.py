"""Which clients are here, and whether each would verify pip's indexes: :func:`detect`
reads each client's precedence table, :func:`check` probes the same index URLs ``doctor``
checks for pip with that client's CA material, through :mod:`pipssl.net.probe`, and turns
what fails into findings.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pipssl.certs import bundle as cabundle
from pipssl.certs.bundle import cafile_problem
from pipssl.clients import conda, poetry, requests_, uv
from pipssl.clients.model import CLIENTS, ClientReport, ClientTarget, ClientTrust, Context
from pipssl.errors import PipsslError
from pipssl.findings import Finding
from pipssl.net import verify_codes as V
from pipssl.net.probe import ProbeResult, probe
from pipssl.net.proxy import select_proxy
from pipssl.shell import unset_lines
from pipssl.target.facts import Target

#: OpenSSL's verify codes for "the issuer is not among the roots": a bundle fixes these.
ISSUER_CODES = frozenset(
    {
        V.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
        V.X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
        V.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        V.X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
    }
)


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
    wanted = set(only or CLIENTS)
    out: List[ClientTrust] = []
    if "uv" in wanted:
        out += [t for t in [uv.trust(ctx)] if t is not None]
    if "poetry" in wanted:
        out += poetry.trusts(ctx)
    if "conda" in wanted:
        out += [t for t in [conda.trust(ctx)] if t is not None]
    if "requests" in wanted:
        out += [t for t in [requests_.trust(ctx)] if t is not None]
    return out


def _cadata(trust: ClientTrust, os_store_pem: str) -> Tuple[List[str], Optional[str], str]:
    """(usable CA files, PEM text, what was unusable) for a probe with ``trust``."""
    files: List[str] = []
    problems: List[str] = []
    for path in trust.cafiles:
        problem = cafile_problem(path) if path else None
        if path and problem is None:
            files.append(path)
        else:
            problems.append(str(problem) if problem else "no CA file")
    texts: List[str] = [os_store_pem] if trust.os_store and os_store_pem else []
    for directory in trust.cadirs:
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


def check(
    trusts: Sequence[ClientTrust],
    urls: Sequence[str],
    environ: Mapping[str, str],
    *,
    os_store_pem: str,
    timeout: float,
) -> Tuple[List[ClientReport], List[Finding]]:
    """Probe each index with each client's CA material.

    Args:
        trusts: from :func:`detect`.
        urls: the index URLs doctor checks for pip.
        environ: for the proxy each client would use (all read ``HTTPS_PROXY``).
        os_store_pem: the OS store's roots, for clients that use it.
        timeout: seconds per probe.

    Returns:
        (one :class:`ClientReport` per client, findings): ``client-cannot-verify`` for a client
        whose roots lack the index's issuer, ``client-verify-disabled`` for a client that
        does not verify at all.
    """
    reports: List[ClientReport] = []
    findings: List[Finding] = []
    done: Dict[Tuple[Any, ...], ProbeResult] = {}
    # A poetry source covers its own host; its "default" entry covers the others.
    covered = {(t.client, t.netloc) for t in trusts if t.netloc is not None}
    for trust in trusts:
        results: List[ClientTarget] = []
        files, cadata, problem = _cadata(trust, os_store_pem)
        for url in urls:
            host, netloc = urlsplit(url).hostname or "", urlsplit(url).netloc
            if trust.netloc is not None and netloc != trust.netloc:
                continue
            if trust.netloc is None and (trust.client, netloc) in covered:
                continue
            if not trust.verify or host in trust.insecure_hosts:
                continue
            key = (url, tuple(files), cadata)
            if key not in done:
                proxy = select_proxy(url, environ)
                done[key] = probe(url, proxy=proxy, cafiles=files, cadata=cadata, timeout=timeout)
            result = done[key]
            results.append(ClientTarget(result.url, result.ok, result.stage, result.error))
            if result.failure == "verify-failed" and result.verify_code in ISSUER_CODES:
                findings.append(_cannot_verify(trust, result, problem))
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


def _cannot_verify(trust: ClientTrust, result: ProbeResult, problem: str) -> Finding:
    detail = f"{trust.label} verifies with {trust.describe()}\n{result.verify_message}"
    if problem:
        detail += f"\nunusable: {problem} (so it trusts none of it)"
    return Finding.make(
        "client-cannot-verify",
        trust.label,
        f"{trust.label} would not verify {result.url}",
        detail,
        f"pipssl repair --for {trust.client}",
        client=trust.client,
    )


def _verify_off(trust: ClientTrust) -> Finding:
    if trust.verify:
        what = f"{trust.label} does not check certificates for {', '.join(trust.insecure_hosts)}"
        setting = next(
            s for s in trust.settings if s.name in ("allow-insecure-host", "UV_INSECURE_HOST")
        )
    else:
        what = f"{trust.label} does not check certificates at all"
        setting = next(
            s for s in trust.settings if s.value.strip().lower() in ("false", "no", "off", "0")
        )
    fix = (
        f"remove {setting.name} from {setting.file}" if setting.file else unset_lines(setting.name)
    )
    return Finding.make(
        "client-verify-disabled",
        trust.label,
        what,
        f"{setting.name} = {setting.value} ({setting.where})",
        fix + f"\n# then, if it still fails: pipssl repair --for {trust.client}",
        client=trust.client,
    )
