"""The findings for a probe that stopped before any certificate was judged: DNS, the TCP
connection, the proxy, a port that does not speak TLS, a TLS version or handshake problem,
a client certificate demanded.  One row per failure kind: its summary and its fix.
"""

from __future__ import annotations

from typing import Tuple
from urllib.parse import urlsplit

from pipssl import commands
from pipssl._text import shown
from pipssl.diagnosis.chainfaults import tls_error
from pipssl.findings import Finding
from pipssl.net.probe import ProbeResult

#: failure kind -> (summary, fix), formatted with host, port, proxy, the proxy URL with
#: http:// (fixed), the proxy's host:port, the proxy's HTTP status and the target's
#: ``pip config`` command.
_TRANSPORT = {
    "dns-failure": ("{host} does not resolve", "check the host name, DNS, or proxy settings"),
    "connection-refused": (
        "nothing listens on {host}:{port}",
        "check the index URL's port, or whether a proxy is needed",
    ),
    "timeout": (
        "no answer from {host}:{port} in time",
        "check firewall or proxy settings (HTTPS_PROXY)",
    ),
    "proxy-unreachable": (
        "the proxy {proxy} cannot be reached",
        "check the proxy address (HTTPS_PROXY or pip's proxy option)",
    ),
    "proxy-denied": (
        "the proxy {proxy} refuses the tunnel to {host}:{port} (HTTP {status})",
        "ask your IT department to allow {host}:{port} through the proxy {proxy}; if it is "
        "allowed already, a 502 or 504 can also mean the proxy cannot reach {host} itself",
    ),
    "proxy-auth-required": (
        "the proxy {proxy} asks for credentials (407)",
        "pip never asks for a proxy's password: put your user name and password in place "
        "of USER and **** (percent-encoded: @ is %40), where the proxy is set now - "
        "HTTPS_PROXY, or pip's proxy option, which wins from pip 22.1:\n"
        "export HTTPS_PROXY=http://USER:****@{proxy_host}",
    ),
    "proxy-scheme-mismatch": (
        "the proxy URL says https://, but {proxy} speaks plain HTTP",
        "export HTTPS_PROXY={fixed}",
    ),
    "not-tls": (
        "{host}:{port} answers, but not with TLS",
        "check the index URL's port: it must be the index's TLS port (most often 443); if "
        "the index offers no TLS at all, ask its owners for it",
    ),
    "tls-version-unsupported": (
        "{host} and this Python share no TLS version (>= 1.2)",
        "the server must support TLS 1.2 or newer",
    ),
    "client-cert-required": (
        "{host} demands a client certificate",
        "get a client certificate (with its key, in one PEM file) from the server's owners, "
        "then:\n{pip_config} --user set global.client-cert /path/client.pem",
    ),
}


def _proxy_host(proxy: str) -> str:
    """host:port of a proxy URL, its credentials left out."""
    netloc = urlsplit(proxy if "://" in proxy else "http://" + proxy).netloc
    return netloc.rpartition("@")[2] or "proxy:port"


#: (failure kind, stage) -> (summary, fix) where the stage says which hop failed: the
#: proxy (its answer to CONNECT, or what came through the tunnel it opened) or the index's
#: HTTP answer after a good handshake.  ``{via}`` names the proxy the index was reached by.
_BY_STAGE = {
    ("timeout", "proxy"): (
        "the proxy {proxy} stalls: no whole answer in time for {host}:{port}",
        "check that the proxy address is right and the proxy is up (HTTPS_PROXY or pip's "
        "proxy option); if it is, ask whoever runs the proxy {proxy}",
    ),
    ("timeout", "http"): (
        "{host}:{port}{via} did not finish its answer in time",
        "the index{via} sends its answer too slowly or never ends it: ask the index's owners"
        " (or whoever runs the proxy); if the network is only slow, give it more time: "
        "pipssl's --timeout, and pip's own timeout setting",
    ),
    ("not-tls", "proxy"): (
        "the proxy {proxy} opened a tunnel to {host}:{port}, but what came through is not TLS",
        "ask whoever runs the proxy {proxy} to pass TLS to {host}:{port} through unchanged: it"
        " sent its own answer instead (a filter's page, or it is no CONNECT proxy); if the "
        "index itself offers no TLS on that port, use the index's TLS port",
    ),
}

#: errno name -> (summary, fix) of ``network-unreachable``: each OS condition as it is.
_NETWORK = {
    "ENETUNREACH": (
        "no route to the network of {host} (ENETUNREACH)",
        "check the network connection and the VPN, or whether a proxy is needed (HTTPS_PROXY)",
    ),
    "EHOSTUNREACH": (
        "no route to the host {host} (EHOSTUNREACH)",
        "check the host name, the network connection and the VPN, or whether a proxy is "
        "needed (HTTPS_PROXY)",
    ),
    "EADDRNOTAVAIL": (
        "no address of this machine can reach {host}:{port} (EADDRNOTAVAIL)",
        "check the network setup (an IPv6 address with no IPv6 here?), the VPN, or whether "
        "a proxy is needed (HTTPS_PROXY)",
    ),
    "ECONNRESET": (
        "the connection to {host}:{port} was cut (ECONNRESET)",
        "something on the path cut the connection, most often a firewall or proxy that "
        "blocks this host: ask whoever runs the network, or check whether a proxy is needed"
        " (HTTPS_PROXY)",
    ),
}
_NETWORK["EHOSTDOWN"] = _NETWORK["EHOSTUNREACH"]
_NETWORK["ENETDOWN"] = _NETWORK["ENETUNREACH"]
_NETWORK["ECONNABORTED"] = _NETWORK["ECONNRESET"]
_NETWORK_OTHER = (
    "the connection to {host}:{port} failed",
    "check the network connection, the VPN, and whether a proxy is needed (HTTPS_PROXY)",
)


def _wording(result: ProbeResult) -> Tuple[str, str]:
    """The summary and fix of a transport failure: by its kind, its stage (the hop), and
    the errno the OS named."""
    code = result.failure
    if code == "network-unreachable":
        return _NETWORK.get(result.errno, _NETWORK_OTHER)
    if code == "proxy-unreachable" and result.first_bytes:
        return (
            "the proxy {proxy} does not answer as an HTTP proxy",
            "check the proxy address and port (HTTPS_PROXY or pip's proxy option): what "
            "answers there is no HTTP proxy",
        )
    return _BY_STAGE.get((code, result.stage), _TRANSPORT[code])


def transport_finding(result: ProbeResult, executable: str) -> Finding:
    """The finding for a probe that stopped before verification; a failure kind without a
    row of its own (``tls-error`` and any other) is reported as OpenSSL said it."""
    if result.failure not in _TRANSPORT and result.failure != "network-unreachable":
        return tls_error(result.url, result.host, result.error, f"stage: {result.stage}")
    code = result.failure
    summary, fix = _wording(result)
    proxy = result.proxy or ""
    fixed = proxy.replace("https://", "http://", 1)
    # Every value is the network's or a config file's: shown() in prose, quoted for the
    # shell in a command (exact, and a proxy value cannot become a second command).
    fmt = {
        "host": shown(result.host),
        "port": result.port,
        "proxy": shown(proxy),
        "fixed": commands.quote(fixed),
        "status": result.http_status,
        "proxy_host": commands.quote(_proxy_host(fixed)),
        "pip_config": commands.pip(executable, "config"),
        "via": f", through the proxy {shown(proxy)}," if proxy else "",
    }
    if code == "client-cert-required" and result.client_cert:
        # pip's client-cert was presented (as pip presents it): asking to set it is wrong.
        cert = shown(result.client_cert).replace("{", "{{").replace("}", "}}")
        summary = "{host} refused the client certificate pip presents, " + cert
        fix = (
            "ask the server's owners which CA they accept client certificates from, and get a"
            " certificate from it; the file must hold that certificate and its key"
        )
    return Finding.make(
        code,
        result.url,
        summary.format(**fmt),
        f"{shown(result.error)} (stage: {result.stage})",
        fix.format(**fmt),
    )
