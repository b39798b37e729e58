"""Settings that take TLS away: ``trusted-host``, and plain-HTTP indexes.

pip skips certificate checks for a trusted host (``insecure-trusted-host``), and ignores
a plain ``http://`` index unless its host is a secure origin to pip: loopback, or in
``trusted-host`` (``http-index-ignored``).  Neither touches the network.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pipssl import codes, commands
from pipssl._redact import redact
from pipssl._text import shown
from pipssl.diagnosis.wording import unset_fix
from pipssl.findings import Finding
from pipssl.interpreter import pipconfig

if TYPE_CHECKING:
    from pipssl.diagnosis.report import TargetResult


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
    return _listed(host, port, trusted)


def _listed(host: str, port: Optional[int], trusted: Sequence[str]) -> bool:
    """A trusted-host entry names ``host`` (an entry without a port: any port)."""
    for entry in trusted:
        name, entry_port = _host_port(entry)
        if name == host and entry_port in (None, port):
            return True
    return False


def trusted_entries(config: pipconfig.PipConfig) -> List[str]:
    """Every trusted-host entry pip reads."""
    return [h for v in config.get_all("trusted-host") for h in pipconfig.split_list(v.value)]


def verification_off(url: str, trusted: Sequence[str]) -> bool:
    """pip checks no certificate for ``url``: it mounts its unverified adapter on
    ``https://HOST/`` and, for an entry without a port, on ``https://HOST:`` too; a
    trusted-host entry names this URL's host (and its port, when the entry has one)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        return False
    host, port = _host_port(parts.netloc.rpartition("@")[2])
    return _listed(host, port, trusted)


def answer_trusted_hosts(
    findings: Sequence[Finding], results: Sequence[TargetResult]
) -> List[Finding]:
    """An index pip reaches only because trusted-host switches its checks off, and that
    fails verified: unsetting the entry alone would stop pip, so its finding's fix becomes
    the repair that makes the index verify and removes the entry in the same step."""
    out: List[Finding] = []
    for found in findings:
        failing = [] if found.code != "insecure-trusted-host" else _failing(found, results)
        if not failing:
            out.append(found)
            continue
        causes = [f for f in findings if f.target == failing[0].url and f.severity == "error"]
        out.append(_combined(found, failing[0], causes))
    return out


def _failing(found: Finding, results: Sequence[TargetResult]) -> List[TargetResult]:
    return [r for r in results if not r.ok and verification_off(r.url, [found.target])]


def _combined(found: Finding, failing: TargetResult, causes: Sequence[Finding]) -> Finding:
    url, names = shown(failing.url), ", ".join(f.code for f in causes) or failing.stage
    detail = (
        f"{found.detail}\npip checks no certificate for {url}, and checked it fails "
        f"({names}): removing the entry alone would stop pip reaching it"
    )
    lines = _repair_lines(causes)
    if not lines:
        fix = (
            f"first the index's own problem ({names}: see its finding); once pip verifies "
            f"{url}, remove the entry:\n{found.fix}"
        )
        return replace(found, detail=detail, fix=fix)
    fix = (
        f"make pip verify {url} and remove the entry in one step (pipssl removes it only "
        "once pip verifies):\n" + "\n".join(lines)
    )
    return replace(found, detail=detail, fix=fix)


_ACCEPT = re.compile(r"--accept-ca ([0-9A-Fa-f:]{64,95})")
# The CA file an unknown-issuer fix names (made from the CA's name: [a-z0-9-] and .pem).
_CA_FILE = re.compile(r"--ca ([a-z0-9-]+\.pem)\b")


def _repair_lines(causes: Sequence[Finding]) -> List[str]:
    """The repair commands the causes' own fixes offer, each with the entry removed."""
    done = ("--yes", "--remove-trusted-host")
    lines: List[str] = []
    for cause in causes:
        accepted = _ACCEPT.search(cause.fix)
        if accepted:
            lines.append(commands.pipssl("repair", *done, "--accept-ca", accepted.group(1)))
        named = _CA_FILE.search(cause.fix)
        if named:
            line = commands.pipssl("repair", *done, "--ca", named.group(1))
            lines.append(f"# or, with the CA's certificate file: {line}" if lines else line)
        elif not lines and cause.code in codes.with_remedy(codes.BUNDLE):
            lines.append(commands.pipssl("repair", *done))
        if lines:
            return lines
    return lines


def check_http_indexes(
    config: pipconfig.PipConfig, explicit: Optional[Sequence[str]] = None
) -> List[Finding]:
    """http-index-ignored: an http:// index-url or extra-index-url that pip skips, with
    "is not a trusted or secure host and is being ignored", for its host is neither
    loopback nor in trusted-host.  (Trusted, it is used: insecure-trusted-host says so.)
    ``explicit``: the URLs given on pipssl's command line, which pip is asked about; pip
    ignores a plain-HTTP one there just as in its config (checked too: the local setup)."""
    trusted_value = config.get("trusted-host")
    trusted = pipconfig.split_list(trusted_value.value) if trusted_value else []
    given = [(url.strip(), "given with --index-url") for url in explicit or ()]
    for key in ("index-url", "extra-index-url"):
        value = config.get(key)
        where = f"{key} set by {shown(value.where()) if value else '?'}"
        given += [(url, where) for url in pipconfig.split_list(value.value if value else "")]
    findings = []
    for url, where in given:
        parts = urlsplit(url)
        if parts.scheme.lower() != "http" or not parts.hostname:
            continue
        host, port = _host_port(parts.netloc.rpartition("@")[2])
        if not _pip_trusts_plain_http(host, port, trusted):
            findings.append(_ignored(url, where))
    return findings


def _ignored(url: str, where: str) -> Finding:
    """http-index-ignored for ``url``: the fix is its https:// URL, never trusted-host
    (that would have pip read the index unencrypted and unverified)."""
    return Finding.make(
        "http-index-ignored",
        redact(url),
        f"pip ignores the plain-HTTP index {shown(url)}",
        f"{where}\npip: The repository located at {shown(urlsplit(url).hostname or '')} is "
        "not a trusted or secure host and is being ignored",
        "use the index's https:// URL, if it has one (ask its owners for one if not)",
    )
