"""Every finding code pipssl can report: one place, stable names (they are API).

A test checks that each code here is documented in the README, and that each is
produced for real by the test bed.
"""

from __future__ import annotations

from typing import Dict

ERROR = "error"
WARNING = "warning"
INFO = "info"

#: code -> (default severity, one-line title used in docs and text output)
CODES: Dict[str, tuple[str, str]] = {
    "ssl-module-missing": (ERROR, "Python was built without the ssl module"),
    "ssl-module-broken": (ERROR, "the _ssl module exists but its OpenSSL library does not load"),
    "openssl-too-old": (ERROR, "the linked OpenSSL cannot speak TLS 1.2"),
    "tls-version-unsupported": (ERROR, "client and server share no TLS version"),
    "cafile-missing": (ERROR, "a CA file pip is told to use does not exist"),
    "cafile-unreadable": (ERROR, "a CA file pip is told to use cannot be read"),
    "cafile-empty": (ERROR, "a CA file pip is told to use holds no certificate"),
    "ca-not-a-certificate": (ERROR, "a CA file holds something that is not a certificate"),
    "untrusted-issuer-in-system-store": (
        ERROR,
        "the server's issuer is trusted by the OS but not by what pip uses",
    ),
    "untrusted-issuer-unknown": (ERROR, "the server's issuer is trusted nowhere on this machine"),
    "self-signed": (ERROR, "the server presents a self-signed certificate"),
    "incomplete-chain": (ERROR, "the server does not send its intermediate certificate"),
    "hostname-mismatch": (ERROR, "the certificate is for another host name"),
    "cert-expired": (ERROR, "the server's certificate has expired"),
    "cert-not-yet-valid": (ERROR, "the server's certificate is not valid yet"),
    "clock-skew": (ERROR, "this machine's clock looks wrong"),
    "proxy-auth-required": (ERROR, "the proxy asks for credentials (HTTP 407)"),
    "proxy-unreachable": (ERROR, "the proxy cannot be reached"),
    "dns-failure": (ERROR, "the host name does not resolve"),
    "connection-refused": (ERROR, "nothing listens on the index's port"),
    "timeout": (ERROR, "the connection timed out"),
    "not-tls": (ERROR, "the port answers, but not with TLS"),
    "proxy-scheme-mismatch": (ERROR, "an https:// proxy URL for a proxy that speaks plain HTTP"),
    "client-cert-required": (ERROR, "the server demands a client certificate"),
    "insecure-trusted-host": (WARNING, "trusted-host switches certificate checks off"),
    "certifi-modified": (WARNING, "certifi's cacert.pem differs from what its wheel installed"),
    "env-shadows-config": (WARNING, "an environment variable overrides pip's config file"),
    "pip-missing": (ERROR, "this Python has no pip"),
    "pip-too-old-for-truststore": (INFO, "this pip does not read the OS trust store"),
    "pip-known-bug": (ERROR, "a known bug of this pip version, with its workaround"),
    "client-cannot-verify": (
        ERROR,
        "another installer here (uv, poetry, conda, requests) lacks the index's CA",
    ),
    "client-verify-disabled": (WARNING, "another installer here has certificate checks off"),
}


def severity(code: str) -> str:
    """Return the default severity of ``code`` (KeyError for an unknown code)."""
    return CODES[code][0]
