"""The findings for a probe that stopped before any certificate was judged: DNS, the TCP
connection, the proxy, a port that does not speak TLS, a TLS version or handshake problem,
a client certificate demanded.  One row per failure kind: its summary and its fix.
"""

from __future__ import annotations

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
        "use http:// for this index only if it is truly plain HTTP on a trusted "
        "network, or the right TLS port",
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


def transport_finding(result: ProbeResult, executable: str) -> Finding:
    """The finding for a probe that stopped before verification; a failure kind without a
    row of its own (``tls-error`` and any other) is reported as OpenSSL said it."""
    if result.failure not in _TRANSPORT:
        return tls_error(result.url, result.host, result.error, f"stage: {result.stage}")
    code = result.failure
    summary, fix = _TRANSPORT[code]
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
