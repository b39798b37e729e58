"""Every finding code pipssl can report: one place, stable names (they are API).

A test checks that each code here is documented in the README, and that each is
produced for real by the test bed.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Literal, NamedTuple

#: How bad a finding is (its JSON ``severity``).
Severity = Literal["error", "warning", "info"]
ERROR: Severity = "error"
WARNING: Severity = "warning"
INFO: Severity = "info"

#: How a finding is answered: by a bundle of pipssl's own plus pip's ``cert`` (repair
#: writes them), by the user alone (repair says exactly what to do), or by a repair step of
#: its own (``env-shadows-config``: unset a variable; ``insecure-trusted-host``: removed with
#: ``--remove-trusted-host``; the ``client-*`` codes: ``--for``) or not at all (information).
Remedy = Literal["bundle", "user", "own"]
BUNDLE: Remedy = "bundle"
USER: Remedy = "user"
OWN: Remedy = "own"


class Code(NamedTuple):
    """A finding code's row: its default severity, the one-line title used in docs and
    text output, and its remedy (``BUNDLE``, ``USER`` or ``OWN``)."""

    severity: Severity
    title: str
    remedy: Remedy


CODES: Dict[str, Code] = {
    "ssl-module-missing": Code(ERROR, "Python was built without the ssl module", USER),
    "ssl-module-broken": Code(
        ERROR, "the _ssl module exists but its OpenSSL library does not load", USER
    ),
    "openssl-too-old": Code(ERROR, "the linked OpenSSL cannot speak TLS 1.2", USER),
    "tls-version-unsupported": Code(ERROR, "client and server share no TLS version", USER),
    "tls-error": Code(
        ERROR,
        "TLS failed for a reason pipssl does not recognise (OpenSSL's reason shown verbatim)",
        USER,
    ),
    "weak-certificate": Code(
        ERROR,
        "a certificate in the server's chain has a key or digest too weak (RSA < 2048 bits,"
        " SHA-1): its owner must reissue it",
        USER,
    ),
    "cafile-missing": Code(ERROR, "a CA file pip is told to use does not exist", BUNDLE),
    "cafile-unreadable": Code(ERROR, "a CA file pip is told to use cannot be read", BUNDLE),
    "cafile-empty": Code(
        ERROR,
        "a CA file (or CA directory) pip is told to use holds no certificate it can find",
        BUNDLE,
    ),
    "ca-not-a-certificate": Code(
        ERROR, "a CA file holds something that is not a certificate", BUNDLE
    ),
    "os-store-bad-block": Code(
        WARNING, "a certificate block of the OS trust store cannot be read", USER
    ),
    "untrusted-issuer-in-system-store": Code(
        ERROR,
        "the server's issuer is trusted by the OS but not by what pip uses",
        BUNDLE,
    ),
    "untrusted-issuer-unknown": Code(
        ERROR, "the server's issuer is trusted nowhere on this machine", BUNDLE
    ),
    "self-signed": Code(ERROR, "the server presents a self-signed certificate", USER),
    "incomplete-chain": Code(ERROR, "the server does not send its intermediate certificate", USER),
    "hostname-mismatch": Code(ERROR, "the certificate is for another host name", USER),
    "cert-expired": Code(ERROR, "the server's certificate has expired", USER),
    "root-expired": Code(
        ERROR,
        "the root this machine trusts for the server's chain has expired: it needs the new root",
        BUNDLE,
    ),
    "cert-not-yet-valid": Code(ERROR, "the server's certificate is not valid yet", USER),
    "clock-skew": Code(ERROR, "this machine's clock looks wrong", USER),
    "proxy-auth-required": Code(ERROR, "the proxy asks for credentials (HTTP 407)", USER),
    "proxy-unreachable": Code(ERROR, "the proxy cannot be reached", USER),
    "proxy-denied": Code(
        ERROR, "the proxy refuses to open a tunnel to the index (403, 502, ...)", USER
    ),
    "dns-failure": Code(ERROR, "the host name does not resolve", USER),
    "connection-refused": Code(ERROR, "nothing listens on the index's port", USER),
    "network-unreachable": Code(
        ERROR,
        "the network path to the index fails: no route, no host, or the connection cut",
        USER,
    ),
    "timeout": Code(ERROR, "the connection timed out", USER),
    "not-tls": Code(ERROR, "the port answers, but not with TLS", USER),
    "proxy-scheme-mismatch": Code(
        ERROR, "an https:// proxy URL for a proxy that speaks plain HTTP", USER
    ),
    "client-cert-required": Code(ERROR, "the server demands a client certificate", USER),
    "insecure-trusted-host": Code(WARNING, "trusted-host switches certificate checks off", OWN),
    "http-index-ignored": Code(
        WARNING, "pip ignores a plain-HTTP index whose host is not in trusted-host", USER
    ),
    "certifi-modified": Code(
        WARNING, "certifi's cacert.pem differs from what its wheel installed", OWN
    ),
    "env-shadows-config": Code(
        WARNING, "an environment variable overrides pip's config file", OWN
    ),
    "pip-missing": Code(ERROR, "this Python has no pip", USER),
    "pip-too-old-for-truststore": Code(INFO, "this pip does not read the OS trust store", OWN),
    "pip-known-bug": Code(ERROR, "a known bug of this pip version, with its workaround", USER),
    # the finding names the installer: a title that listed them would need every new one
    "client-cannot-verify": Code(ERROR, "another installer here lacks the index's CA", OWN),
    "client-rejects-certificate": Code(
        ERROR,
        "another installer's stricter rules refuse a certificate pip accepts (reissue it)",
        USER,
    ),
    "client-verify-disabled": Code(
        WARNING, "another installer here has certificate checks off", OWN
    ),
    "bundle-stale": Code(
        WARNING,
        "pipssl's bundle no longer matches its sources (certifi, the OS store, the consented CAs)",
        BUNDLE,
    ),
    "consented-ca-expiring": Code(WARNING, "a CA you told pipssl to trust expires soon", USER),
    "consented-ca-expired": Code(ERROR, "a CA you told pipssl to trust has expired", USER),
    "pip-reaches": Code(INFO, "the real pip reaches an index pipssl's own probe could not", USER),
    "pip-config-invalid": Code(ERROR, "pip refuses to run with one of its config files", USER),
    "pip-cannot-reach": Code(
        ERROR, "the real pip cannot reach an index pipssl's own probe could", USER
    ),
}


def severity(code: str) -> Severity:
    """Return the default severity of ``code`` (KeyError for an unknown code)."""
    return CODES[code].severity


def with_remedy(remedy: Remedy) -> FrozenSet[str]:
    """The codes answered by ``remedy``."""
    return frozenset(code for code, row in CODES.items() if row.remedy == remedy)
