"""Which proxy pip would use for an index URL, decided as requests (inside pip) decides."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

from pipssl._redact import redact
from pipssl.errors import UsageError
from pipssl.net.connect import split_url


@dataclass(frozen=True)
class Proxy:
    """A proxy pip would use for a URL, and where that setting came from."""

    url: str
    origin: str

    @property
    def display(self) -> str:
        return redact(self.url)


def _bypass(host: str, no_proxy: str) -> bool:
    """requests' NO_PROXY rule: '*', host suffixes, and IP networks for IP hosts."""
    entries = [e.strip() for e in no_proxy.replace(" ", ",").split(",") if e.strip()]
    try:
        ip: Optional[Any] = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in entries:
        if entry == "*":
            return True
        name = entry.split(":")[0] if entry.count(":") == 1 else entry
        if ip is not None:
            try:
                if ip in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = name.lstrip(".").lower()
        if host.lower() == name or host.lower().endswith("." + name):
            return True
    return False


def select_proxy(
    url: str, environ: Mapping[str, str], pip_proxy: Optional[str] = None
) -> Optional[Proxy]:
    """The proxy pip would use for ``url``.

    requests (inside pip) merges the environment's proxies *over* pip's ``--proxy``
    session setting, and NO_PROXY only removes the environment's; we follow that.
    """
    scheme, host, _port, _path = split_url(url)
    lowered = {k.lower(): (k, v) for k, v in environ.items()}
    no_proxy = lowered.get("no_proxy", ("", ""))[1]
    if not _bypass(host, no_proxy):
        for name in (f"{scheme}_proxy", "all_proxy"):
            if name in lowered and lowered[name][1].strip():
                key, value = lowered[name]
                return _checked(Proxy(value.strip(), f"environment variable {key}"))
    if pip_proxy:
        return _checked(Proxy(pip_proxy, "pip option proxy"))
    return None


def _checked(proxy: Proxy) -> Proxy:
    """Refuse a proxy URL pip could not use either: no host, or a port out of range."""
    parts = urlsplit(proxy.url if "://" in proxy.url else "http://" + proxy.url)
    problem = "" if parts.hostname else "has no host name"
    try:
        _port = parts.port  # raises for a port that is not a number in 0-65535
    except ValueError:
        problem = "has an invalid port"
    if problem:
        raise UsageError(
            f"{proxy.origin}: proxy URL {proxy.display!r} {problem}",
            hint="set it to http://host:port (with user:password@ if the proxy needs it)",
        )
    return proxy
