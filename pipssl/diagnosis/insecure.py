"""Settings that take TLS away: ``trusted-host``, and plain-HTTP indexes.

pip skips certificate checks for a trusted host (``insecure-trusted-host``), and ignores
a plain ``http://`` index unless its host is a secure origin to pip: loopback, or in
``trusted-host`` (``http-index-ignored``).  Neither touches the network.
"""

from __future__ import annotations

import ipaddress
from typing import List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pipssl import commands
from pipssl._redact import redact
from pipssl._text import shown
from pipssl.diagnosis.checks import unset_fix
from pipssl.findings import Finding
from pipssl.target import pipconfig


def check_trusted_host(config: pipconfig.PipConfig, executable: str) -> List[Finding]:
    """insecure-trusted-host: every trusted-host entry, with where it is set (``executable``:
    the interpreter whose pip the fix runs)."""
    findings = []
    for value in config.get_all("trusted-host"):
        for host in pipconfig.split_list(value.value):
            findings.append(
                Finding.make(
                    "insecure-trusted-host",
                    host,
                    f"pip does not check certificates for {shown(host)}",
                    f"set by {shown(value.where())}",
                    unset_fix(value, config, executable),
                )
            )
    return findings


def _host_port(netloc: str) -> Tuple[str, Optional[int]]:
    """``host``, ``host:port``, ``[v6]:port`` -> (host, port), as pip's parse_netloc."""
    try:
        parts = urlsplit("//" + netloc)
        host = parts.hostname
    except ValueError:  # an unclosed '[' (Python >= 3.11.4): the entry as written
        return netloc.lower(), None
    try:
        port = parts.port
    except ValueError:
        port = None
    return (host or netloc).lower(), port


def _pip_trusts_plain_http(host: str, port: Optional[int], trusted: Sequence[str]) -> bool:
    """pip's is_secure_origin for an http:// URL: loopback (its SECURE_ORIGINS: localhost,
    127.0.0.0/8, ::1, matched by IP literal or by that exact name, never resolved) or a
    trusted-host entry (a name, or name:port)."""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        if host == "localhost":
            return True
    for entry in trusted:
        name, entry_port = _host_port(entry)
        if name == host and entry_port in (None, port):
            return True
    return False


def check_http_indexes(config: pipconfig.PipConfig, executable: str) -> List[Finding]:
    """http-index-ignored: an http:// index-url or extra-index-url that pip skips, with
    "is not a trusted or secure host and is being ignored", for its host is neither
    loopback nor in trusted-host.  (Trusted, it is used: insecure-trusted-host says so.)"""
    trusted_value = config.get("trusted-host")
    trusted = pipconfig.split_list(trusted_value.value) if trusted_value else []
    findings = []
    for key in ("index-url", "extra-index-url"):
        value = config.get(key)
        for url in pipconfig.split_list(value.value) if value else []:
            parts = urlsplit(url)
            if parts.scheme.lower() != "http" or not parts.hostname:
                continue
            host, port = _host_port(parts.netloc.rpartition("@")[2])
            if _pip_trusts_plain_http(host, port, trusted):
                continue
            findings.append(
                Finding.make(
                    "http-index-ignored",
                    redact(url),
                    f"pip ignores the plain-HTTP index {shown(url)}",
                    f"{key} set by {shown(value.where()) if value else '?'}\n"
                    f"pip: The repository located at {shown(parts.hostname)} is not a trusted or "
                    "secure host and is being ignored",
                    "use the index's https:// URL, if it has one\n"
                    "# only on a network you trust (pip then reads it unencrypted and "
                    "unverified):\n"
                    + commands.pip(
                        executable, "config", "--user", "set", "global.trusted-host", host
                    ),
                )
            )
    return findings
