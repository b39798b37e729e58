"""Which proxy pip would use for an index URL, decided as requests (inside pip) decides."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

from pipssl._redact import redact
from pipssl._text import shown
from pipssl.errors import ConfigError
from pipssl.net.urls import Url, parse_url, split_url


@dataclass(frozen=True)
class Proxy:
    """A proxy pip would use for a URL, and where that setting came from."""

    url: str
    origin: str

    @property
    def display(self) -> str:
        return redact(self.url)


def environ_proxies(environ: Mapping[str, str]) -> Dict[str, Tuple[str, str]]:
    """urllib's ``getproxies_environment()``, which requests asks: ``<scheme>_proxy`` in
    any case, then the lower-case spelling over it (set but empty: removed).

    Returns:
        ``{scheme: (variable name, value)}``, e.g. ``{"https": ("HTTPS_PROXY", ...)}``;
        scheme ``"no"`` is NO_PROXY.
    """
    found: Dict[str, Tuple[str, str]] = {}
    for name, value in environ.items():
        if len(name) > 5 and name[-6] == "_" and name[-5:].lower() == "proxy" and value:
            found[name[:-6].lower()] = (name, value)
    for name, value in environ.items():
        if name[-6:] == "_proxy":
            if value:
                found[name[:-6]] = (name, value)
            else:
                found.pop(name[:-6], None)
    return found


def _bypass(
    host: str, port: Optional[int], environ: Mapping[str, str], label_suffix: bool
) -> bool:
    """requests' ``should_bypass_proxies``: its own NO_PROXY match, then urllib's.

    ``label_suffix``: requests >= 2.34 (pip >= 26.2) matches an entry as a whole label
    suffix (``host`` does not bypass ``localhost``); older ones as a plain string suffix.
    """
    no_proxy = environ.get("no_proxy") or environ.get("NO_PROXY") or ""
    entries = [e for e in no_proxy.replace(" ", "").split(",") if e]
    host = host.lower()
    if _is_ipv4(host):
        # An IPv4 host matches an entry that is the same address or a CIDR network
        # holding it, never an entry with a port.
        for entry in entries:
            if "/" in entry:
                if _in_network(host, entry):
                    return True
            elif host == entry:
                return True
    else:
        with_port = host if port is None else f"{host}:{port}"
        for entry in entries:
            if not label_suffix:
                if host.endswith(entry) or with_port.endswith(entry):
                    return True
                continue
            name = entry.lstrip(".")
            if name in (host, with_port) or host.endswith("." + name):
                return True
            if with_port.endswith("." + name):
                return True
    return _urllib_bypass(host, environ_proxies(environ).get("no", ("", ""))[1])


def _urllib_bypass(host: str, no_proxy: str) -> bool:
    """urllib's ``proxy_bypass_environment(host)``: ``*`` alone, or a name or a dot-suffix
    (leading dots ignored), ports not considered."""
    if not no_proxy:
        return False
    if no_proxy == "*":
        return True
    split = re.fullmatch(r"(.*):([0-9]*)", host, re.DOTALL)
    hostonly = split.group(1) if split else host
    for entry in no_proxy.split(","):
        name = entry.strip().lstrip(".").lower()
        if not name:
            continue
        if name in (hostonly, host) or hostonly.endswith("." + name):
            return True
        if host.endswith("." + name):
            return True
    return False


def _is_ipv4(host: str) -> bool:
    try:
        socket.inet_aton(host)  # requests' is_ipv4_address
    except OSError:
        return False
    return True


def _in_network(host: str, entry: str) -> bool:
    """requests' ``is_valid_cidr`` and ``address_in_network``: a.b.c.d/n, n in 1..32."""
    address, _, bits = entry.partition("/")
    if not bits.isdigit() or not 1 <= int(bits) <= 32 or not _is_ipv4(address):
        return False
    try:
        network = ipaddress.ip_network(f"{address}/{bits}", strict=False)
        return ipaddress.ip_address(host) in network
    except ValueError:
        return False


def select_proxy(
    url: str,
    environ: Mapping[str, str],
    pip_proxy: Optional[str] = None,
    *,
    label_suffix: bool = True,
    option_wins: bool = True,
) -> Optional[Proxy]:
    """The proxy pip would use for ``url``.

    pip's own ``proxy`` option wins whenever it is set (``option_wins``, pip >= 22.1): pip
    passes it with every request (``proxies`` for http and https), which requests'
    environment merge only fills in around, and pip >= 24.1 turns the environment off
    altogether (``trust_env``); so NO_PROXY does not remove it either.  Without it, the
    environment's variable for the URL's scheme, then ALL_PROXY, unless NO_PROXY matches.
    Older pips set the option on the session only, and requests lets the environment's
    proxy win over it (NO_PROXY removes only the environment's).  ``label_suffix`` is
    False for pips whose requests matches NO_PROXY entries as plain string suffixes
    (pip < 26.2).  Measured with pips 22.0.4, 23.0.1, 24.2, 26.1, 26.2 and 26.3.
    """
    scheme, host, _port, _path = split_url(url)
    option = pip_proxy.strip() if pip_proxy else ""
    if option and option_wins:
        return _checked(Proxy(option, "pip option proxy"))
    parsed = parse_url(url)  # valid: split_url passed it
    port = parsed.named_port if isinstance(parsed, Url) else None  # only one the URL names
    if not _bypass(host, port, environ, label_suffix):
        proxies = environ_proxies(environ)
        for name in (scheme, "all"):
            if name in proxies and proxies[name][1].strip():
                key, value = proxies[name]
                return _checked(Proxy(value.strip(), f"environment variable {key}"))
    # older pips: NO_PROXY removes only the environment's proxy, pip's option stays
    return _checked(Proxy(option, "pip option proxy")) if option else None


def _checked(proxy: Proxy) -> Proxy:
    """Refuse a proxy URL pip could not use either ("Failed to parse" at its first
    request): malformed, no host, or a port out of range.

    Raises:
        ConfigError: naming where it is set (``path``: the variable, None for pip's option).
    """
    problem = parse_url(proxy.url, schemes=None, bare="http")
    if isinstance(problem, str):
        variable = proxy.origin.rpartition(" ")[2] if proxy.origin.startswith("env") else None
        raise ConfigError(
            f"{proxy.origin}: proxy URL '{shown(proxy.display)}' {problem}",
            hint="set it to http://host:port (with user:password@ if the proxy needs it)",
            path=variable,
        )
    return proxy
