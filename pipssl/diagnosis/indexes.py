"""Reach every index the way pip would, and explain each failure.

For each URL: the proxy pip would take (:mod:`pipssl.net.proxy`), the CA material pip
verifies that connection with (some pips drop truststore behind a proxy: pypa/pip#13288),
one probe (:mod:`pipssl.net.probe`), and the findings that explain a failure
(:mod:`pipssl.diagnosis.classify`).  Also which URLs pip contacts at all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

from pipssl._redact import redact
from pipssl._text import shown
from pipssl._threads import each_at_once
from pipssl.certs import store
from pipssl.certs.store import OsStore
from pipssl.diagnosis import downloadpath, localsetup
from pipssl.diagnosis.classify import Stores, classify, load_stores
from pipssl.diagnosis.downloadpath import Step
from pipssl.diagnosis.report import TargetResult
from pipssl.errors import ConfigError
from pipssl.findings import Finding
from pipssl.interpreter import pipconfig
from pipssl.interpreter.facts import Target
from pipssl.interpreter.pipconfig import PipConfig
from pipssl.interpreter.trust import (
    PipTrust,
    drops_truststore_behind_proxy,
    no_proxy_by_labels,
    pip_trust,
    proxy_option_wins,
)
from pipssl.net.probe import ProbeResult, probe
from pipssl.net.proxy import Proxy, select_proxy
from pipssl.net.urls import parse_url, split_url


@dataclass(frozen=True)
class Reached:
    """Every index probed, and the hosts on pip's path to its files: one result and one
    probe each (an index's own first, then its path's), and the findings."""

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


def _probe_one(plan: _Plan, timeout: float, keep_body: bool = False) -> ProbeResult:
    client = plan.trust.client_cert
    return probe(
        plan.url,
        proxy=plan.proxy,
        cafiles=plan.trust.files,
        capaths=plan.trust.directories,
        cadata=plan.os_pem if plan.trust.os_store else None,
        client_cert=client.path if client else None,
        timeout=timeout,
        keep_body=keep_body,
    )


def _probe_all(
    plans: Sequence[_Plan], timeout: float, walk: Callable[[_Plan, ProbeResult], List[Step]]
) -> List[Tuple[ProbeResult, List[Step]]]:
    """Every index probed at once, so that one ``timeout`` bounds them all: a slow or
    silent index cannot add its wait to the next one's (each probe is bounded by
    ``timeout`` itself, and they wait side by side).  Then, each index that answered, the
    hosts on pip's path to its files (:func:`downloadpath.walk`), within one more."""

    def one(plan: _Plan) -> Tuple[ProbeResult, List[Step]]:
        first = _probe_one(plan, timeout)
        return first, walk(plan, first)

    return each_at_once(one, plans, _MAX_PROBES_AT_ONCE)


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
    project: str = downloadpath.DEFAULT_PROJECT,
) -> Reached:
    """Probe each of ``urls`` as ``target``'s pip would reach it, and the hosts on the way
    to its files (``project``'s page there: its redirects, its links' hosts).

    Args:
        probe_trust: what pip verifies with (without the CA settings in ``broken``).
        stores: ``probe_trust``'s certificates and the OS store's, parsed.
        os_store: the OS store as the target's OpenSSL resolves it.
        broken: CA file settings that cannot be used, left out of ``probe_trust``.
    """
    found: List[Finding] = []
    proxy_value = config.get("proxy")
    pip_proxy = proxy_value.value if proxy_value else None
    planner = _Planner(target, config, env, probe_trust, stores, os_store, broken)
    plans: List[_Plan] = []
    for url in urls:
        plans.append(planner.plan(url))
        found += localsetup.check_known_bugs(target, plans[-1].trust, [url])

    def reach(url: str, seconds: float, keep_body: bool) -> ProbeResult:
        return _probe_one(planner.plan(url), seconds, keep_body)

    def walk(plan: _Plan, first: ProbeResult) -> List[Step]:
        return downloadpath.walk(plan.url, first, project, reach, timeout, known=urls)

    reached = _probe_all(plans, timeout, walk)
    results: List[TargetResult] = []
    probes: List[ProbeResult] = []
    for plan, (first, steps) in zip(plans, reached):
        kinds = [(plan, first, downloadpath.INDEX, "")]
        kinds += [(planner.plan(s.result.url), s.result, s.kind, s.via) for s in steps]
        for one, result, kind, via in kinds:
            found += classify(result, one.stores, target, now, timeout, env, pip_proxy)
            if one.trust is not probe_trust and result.failure == "verify-failed":
                found.append(localsetup.proxy_truststore_bug(target, one.url, one.trust))
            label = one.trust.describe()
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
                    kind=kind,
                    via=via,
                )
            )
            probes.append(result)
    return Reached(results, probes, found)


class _Planner:
    """How pip reaches each URL (:class:`_Plan`): the proxy for its host, and the trust
    of that connection (built once for the connections through a proxy)."""

    def __init__(
        self,
        target: Target,
        config: PipConfig,
        env: Mapping[str, str],
        probe_trust: PipTrust,
        stores: Stores,
        os_store: OsStore,
        broken: Tuple[str, ...],
    ) -> None:
        self.target, self.config, self.env = target, config, env
        self.probe_trust, self.stores, self.os_pem = probe_trust, stores, os_store.pem
        self.broken = broken
        self._behind_proxy: Optional[Tuple[PipTrust, Stores, str]] = None
        self._lock = threading.Lock()

    def plan(self, url: str) -> _Plan:
        proxy = pip_proxy_for(url, self.target, self.config, self.env)
        trust = self.probe_trust
        if proxy is None or not trust.truststore or not drops_truststore_behind_proxy(self.target):
            return _Plan(url, proxy, trust, self.stores, self.os_pem)
        with self._lock:  # the hosts of a path are planned from the probes' threads
            if self._behind_proxy is None:
                proxied = pip_trust(
                    self.target, self.config, self.env, skip=self.broken, proxied=True
                )
                # urllib3's load_default_certs(): OpenSSL's paths, no truststore search
                paths = self.target.ssl.verify_paths
                pem = store.os_store(environ=self.env, openssl_paths=paths, fallback=False).pem
                self._behind_proxy = (proxied, load_stores(proxied, pem), pem)
            proxied, stores, pem = self._behind_proxy
        return _Plan(url, proxy, proxied, stores, pem)
