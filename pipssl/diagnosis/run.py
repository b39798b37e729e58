"""``diagnose()``: gather the facts, run the checks, probe every index, classify.

It finds the target interpreter, pip's configuration as that pip reads it, the CA
material pip would use and the OS store; runs the local checks (:mod:`pipssl.diagnosis.checks`);
reaches every index pip would contact (:mod:`pipssl.net.tls`); and explains each failure
(:mod:`pipssl.diagnosis.classify`).  It changes nothing.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pipssl import clients
from pipssl.certs import store as _platform
from pipssl.diagnosis.checks import (
    cafile_problem,
    check_cafiles,
    check_certifi,
    check_clock,
    check_env_shadows,
    check_known_bugs,
    check_pip,
    check_ssl,
    check_trusted_host,
    proxy_truststore_bug,
    python_kind,
)
from pipssl.diagnosis.classify import Stores, classify, load_stores
from pipssl.diagnosis.report import Finding, Report, TargetResult
from pipssl.errors import UsageError
from pipssl.net import tls
from pipssl.target import pipconfig
from pipssl.target.facts import Target, inspect
from pipssl.target.trust import PipTrust, drops_truststore_behind_proxy, pip_trust

DEFAULT_TIMEOUT = 5.0


def config_args(target: Target) -> Dict[str, Any]:
    """What pip's config model needs to know about the interpreter pip runs in."""
    return {
        "platform": target.platform,
        "prefix": target.prefix,
        "base_prefix": target.base_prefix,
        "pip_version": target.pip_version,
    }


def load_config(target: Target, env: Mapping[str, str]) -> pipconfig.PipConfig:
    """pip's configuration as the target's pip reads it, from the files on disk now."""
    return pipconfig.load(env, **config_args(target))


def urls_to_check(
    target: Target, config: pipconfig.PipConfig, explicit: Optional[Sequence[str]] = None
) -> List[str]:
    """The https URLs pip would contact: index-url (or pip's default index and its file
    host, both read from the installed pip), then extra-index-url.  ``explicit`` (even
    empty) replaces them."""
    urls: List[str] = []
    if explicit is not None:
        urls.extend(explicit)
    else:
        value = config.get("index-url")
        if value is not None:
            urls.append(value.value.strip())
        elif target.pip and target.pip.get("default_index"):
            urls.append(target.pip["default_index"])
            if target.pip.get("file_host"):
                urls.append("https://{}/".format(target.pip["file_host"]))
        extra = config.get("extra-index-url")  # pip takes the winning value only
        if extra is not None:
            urls.extend(pipconfig.split_list(extra.value))
    seen: List[str] = []
    for url in urls:
        if explicit:
            tls.split_url(url)  # raises UsageError with the option named
        if urlsplit(url).scheme == "https" and url not in seen:
            seen.append(url)
    return seen


def diagnose(
    *,
    python: Optional[str] = None,
    index_urls: Optional[Sequence[str]] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
    now: Optional[datetime] = None,
) -> Report:
    """Diagnose why pip (of ``python``) can or cannot verify its index.  Changes nothing.

    Args:
        python: the interpreter whose pip to diagnose (default: this one).
        index_urls: index URLs to check instead of the configured ones (``[]``: check
            none, only the local setup).
        timeout: seconds allowed for each index probe.
        environ: the environment pip would run with (default: ``os.environ``).
        now: the time to judge certificate validity and the clock against.

    Returns:
        A :class:`~pipssl.Report`.

    Raises:
        PipsslError: bad input: a malformed pip config file, an index URL without
            scheme, a non-positive timeout, a ``cert`` that is a directory.
    """
    if not timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout}")
    env: Dict[str, str] = dict(os.environ if environ is None else environ)
    return diagnose_target(
        inspect(python, env=env), env, index_urls=index_urls, timeout=timeout, now=now
    )


def diagnose_target(
    target: Target,
    env: Mapping[str, str],
    *,
    index_urls: Optional[Sequence[str]] = None,
    timeout: float = DEFAULT_TIMEOUT,
    now: Optional[datetime] = None,
    cwd: Optional[str] = None,
) -> Report:
    """:func:`diagnose` for an interpreter already inspected (repair diagnoses the same
    one before and after its changes; pip's config is read from disk each time).
    ``cwd`` is the project directory uv and poetry read their settings from."""
    now = now or datetime.now(timezone.utc)
    config = load_config(target, env)
    urls = urls_to_check(target, config, index_urls)
    findings: List[Finding] = []
    findings += check_ssl(target)
    findings += check_pip(target)
    findings += check_cafiles(config, env)
    findings += check_env_shadows(config, env)
    findings += check_trusted_host(config)
    findings += check_certifi(target)
    trust = pip_trust(target, config, env)
    findings += check_known_bugs(target, trust, urls)
    broken = tuple(s.path for s in trust.sources if s.path and cafile_problem(s.path))
    probe_trust = pip_trust(target, config, env, skip=broken) if broken else trust
    os_store = _platform.os_store(environ=env)
    stores = load_stores(probe_trust, os_store.pem)
    findings += check_clock(stores.pip, now)
    results: List[TargetResult] = []
    can_probe = bool(target.ssl.get("ok")) and target.pip is not None and _have_ssl()
    if can_probe:
        proxy_value = config.get("proxy")
        behind_proxy: Optional[Tuple[PipTrust, Stores]] = None
        for url in urls:
            proxy = tls.select_proxy(url, env, proxy_value.value if proxy_value else None)
            url_trust, url_stores = probe_trust, stores
            if (
                proxy is not None
                and probe_trust.truststore
                and drops_truststore_behind_proxy(target)
            ):
                if behind_proxy is None:
                    proxied = pip_trust(target, config, env, skip=broken, proxied=True)
                    behind_proxy = (proxied, load_stores(proxied, os_store.pem))
                url_trust, url_stores = behind_proxy
            cadata = os_store.pem if url_trust.truststore else None
            result = tls.probe(
                url, proxy=proxy, cafiles=url_trust.files, cadata=cadata, timeout=timeout
            )
            findings += classify(result, url_stores, target, now, timeout)
            if url_trust is not probe_trust and result.failure == "verify-failed":
                findings.append(proxy_truststore_bug(target, url))
            label = url_trust.describe()
            if broken:
                label += " (if the broken CA setting were removed)"
            results.append(
                TargetResult(
                    result.url,
                    result.ok,
                    result.stage,
                    result.elapsed,
                    trust=label,
                    error=result.error,
                )
            )
    client_reports: List[clients.ClientReport] = []
    if _have_ssl():
        client_reports, found = clients.check(
            clients.detect(target, env, cwd=cwd),
            urls,
            env,
            os_store_pem=os_store.pem,
            timeout=timeout,
        )
        findings += found
    return Report(
        python={
            "executable": target.executable,
            "version": target.version,
            "kind": python_kind(target),
            "ssl": target.ssl.get("openssl") if target.ssl.get("ok") else None,
        },
        pip={
            "version": target.pip.get("version") if target.pip else None,
            "truststore": trust.truststore,
            "trust": trust.describe() if target.pip else "",
            "sources": [
                {"kind": s.kind, "path": s.path, "origin": s.origin} for s in trust.sources
            ],
            "config_files": [
                {
                    "kind": f.kind,
                    "path": f.path,
                    "exists": f.exists,
                    "loaded": f.loaded,
                    "note": f.note,
                }
                for f in config.files
            ],
        },
        findings=tuple(_ordered(findings)),
        targets=tuple(results),
        clients=tuple(client_reports),
    )


def _have_ssl() -> bool:
    try:
        tls.ssl_module()
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
