"""Reach every index the way pip would, and explain each failure.

For each URL: the proxy pip would take (:mod:`pipssl.net.proxy`), the CA material pip
verifies that connection with (some pips drop truststore behind a proxy: pypa/pip#13288),
one probe (:mod:`pipssl.net.probe`), and the findings that explain a failure
(:mod:`pipssl.diagnosis.classify`).  Also which URLs pip contacts at all.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import List, Mapping, Optional, Sequence, Tuple

from pipssl._redact import redact
from pipssl._text import shown
from pipssl.certs import store
from pipssl.certs.store import OsStore
from pipssl.diagnosis import checks
from pipssl.diagnosis.classify import Stores, classify, load_stores
from pipssl.diagnosis.report import TargetResult
from pipssl.errors import ConfigError
from pipssl.findings import Finding
from pipssl.net.probe import ProbeResult, probe
from pipssl.net.proxy import Proxy, select_proxy
from pipssl.target import pipconfig
from pipssl.target.facts import Target
from pipssl.target.pipconfig import PipConfig
from pipssl.target.trust import (
    PipTrust,
    drops_truststore_behind_proxy,
    no_proxy_by_labels,
    pip_trust,
    proxy_option_wins,
)


@dataclass(frozen=True)
class Reached:
    """Every index probed: one result and one probe each, and the findings."""

    results: List[TargetResult]
    probes: List[ProbeResult]
    findings: List[Finding]


def urls_to_check(
    target: Target, config: PipConfig, explicit: Optional[Sequence[str]] = None
) -> List[str]:
    """The https URLs pip would contact: index-url (or pip's default index and its file
    host, both read from the installed pip), then extra-index-url.  ``explicit`` (even
    empty) replaces them.

    Raises:
        UsageError: an ``explicit`` URL is malformed (it came from the command line).
        ConfigError: a configured http(s) URL is malformed: pip cannot run with it (its
            own parse fails with a traceback), so it is the finding ``pip-config-invalid``.
    """
    from pipssl.net.connect import parse_url, split_url

    urls: List[Tuple[str, Optional[pipconfig.Value]]] = []
    if explicit is not None:
        urls.extend((url, None) for url in explicit)
    else:
        value = config.get("index-url")
        if value is not None:
            urls.append((value.value.strip(), value))
        elif target.pip and target.pip.default_index:
            urls.append((target.pip.default_index, None))
            if target.pip.file_host:
                urls.append((f"https://{target.pip.file_host}/", None))
        extra = config.get("extra-index-url")  # pip takes the winning value only
        if extra is not None:
            urls.extend((url, extra) for url in pipconfig.split_list(extra.value))
    seen: List[str] = []
    for url, source in urls:
        if explicit:
            split_url(url)  # raises UsageError with the option named
        scheme = url.strip().partition("://")[0].lower()
        if scheme not in ("http", "https"):
            continue  # a path or file:// index: no connection to check
        parsed = parse_url(url)
        if isinstance(parsed, str):
            raise _malformed(url, parsed, source)
        if parsed.scheme == "https" and url not in seen:
            seen.append(url)
    return seen


def _malformed(url: str, why: str, source: Optional[pipconfig.Value]) -> ConfigError:
    where = source.where() if source is not None else "pip's default index"
    blame = (source.file or source.name) if source is not None else None
    return ConfigError(
        f"{where}: index URL '{shown(redact(url))}' {why}",
        hint="Give a full URL such as https://host.example/simple/, or remove the setting.",
        path=blame,
    )


def pip_proxy_for(
    url: str, target: Target, config: PipConfig, env: Mapping[str, str]
) -> Optional[Proxy]:
    """The proxy ``target``'s pip takes to ``url``: pip's option and the environment, by
    that pip version's rules (:func:`pipssl.net.proxy.select_proxy`).

    Raises:
        ConfigError: that proxy URL is malformed, naming where it is set.
    """
    option = config.get("proxy")
    try:
        return select_proxy(
            url,
            env,
            option.value if option else None,
            label_suffix=no_proxy_by_labels(target),
            option_wins=proxy_option_wins(target),
        )
    except ConfigError as exc:
        if exc.path is None and option is not None:  # pip's own option: name where it is set
            raise ConfigError(
                exc.message.replace("pip option proxy", option.where(), 1),
                hint=exc.hint,
                path=option.file or option.name,
            ) from None
        raise


@dataclass(frozen=True)
class _Plan:
    """How pip would reach one index: the proxy, and the CA material of that connection."""

    url: str
    proxy: Optional[Proxy]
    trust: PipTrust
    stores: Stores
    os_pem: str


def _probe_one(plan: _Plan, timeout: float) -> ProbeResult:
    client = plan.trust.client_cert
    return probe(
        plan.url,
        proxy=plan.proxy,
        cafiles=plan.trust.files,
        capaths=plan.trust.directories,
        cadata=plan.os_pem if plan.trust.os_store else None,
        client_cert=client.path if client else None,
        timeout=timeout,
    )


def _probe_all(plans: Sequence[_Plan], timeout: float) -> List[ProbeResult]:
    """Every index probed at once, so that one ``timeout`` bounds them all: a slow or
    silent index cannot add its wait to the next one's (each probe is bounded by
    ``timeout`` itself, and they wait side by side)."""
    if len(plans) < 2:
        return [_probe_one(plan, timeout) for plan in plans]
    with ThreadPoolExecutor(max_workers=min(len(plans), _MAX_PROBES_AT_ONCE)) as pool:
        return list(pool.map(lambda plan: _probe_one(plan, timeout), plans))


#: pip's config rarely names more than a few indexes; past this many they queue.
_MAX_PROBES_AT_ONCE = 8


def reach_indexes(
    target: Target,
    config: PipConfig,
    env: Mapping[str, str],
    urls: Sequence[str],
    probe_trust: PipTrust,
    stores: Stores,
    os_store: OsStore,
    broken: Tuple[str, ...],
    timeout: float,
    now: datetime,
) -> Reached:
    """Probe each of ``urls`` as ``target``'s pip would reach it.

    Args:
        probe_trust: what pip verifies with (without the CA settings in ``broken``).
        stores: ``probe_trust``'s certificates and the OS store's, parsed.
        os_store: the OS store as the target's OpenSSL resolves it.
        broken: CA file settings that cannot be used, left out of ``probe_trust``.
    """
    found: List[Finding] = []
    paths = target.ssl.verify_paths
    proxy_value = config.get("proxy")
    pip_proxy = proxy_value.value if proxy_value else None
    behind_proxy: Optional[Tuple[PipTrust, Stores, str]] = None
    plans: List[_Plan] = []
    for url in urls:
        proxy = pip_proxy_for(url, target, config, env)
        url_trust, url_stores, os_pem = probe_trust, stores, os_store.pem
        if proxy is not None and probe_trust.truststore and drops_truststore_behind_proxy(target):
            if behind_proxy is None:
                proxied = pip_trust(target, config, env, skip=broken, proxied=True)
                # urllib3's load_default_certs(): OpenSSL's paths, no truststore search
                pem = store.os_store(environ=env, openssl_paths=paths, fallback=False).pem
                behind_proxy = (proxied, load_stores(proxied, pem), pem)
            url_trust, url_stores, os_pem = behind_proxy
        found += checks.check_known_bugs(target, url_trust, [url])
        plans.append(_Plan(url, proxy, url_trust, url_stores, os_pem))
    probes = _probe_all(plans, timeout)
    results: List[TargetResult] = []
    for plan, result in zip(plans, probes):
        found += classify(result, plan.stores, target, now, timeout, env, pip_proxy)
        if plan.trust is not probe_trust and result.failure == "verify-failed":
            found.append(checks.proxy_truststore_bug(target, plan.url, plan.trust))
        label = plan.trust.describe()
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
    return Reached(results, probes, found)
