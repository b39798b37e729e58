"""Turn a failed probe into findings: which of the known TLS failures this is.

The peer's chain (read by :mod:`pipssl.net.probe`) is compared with what pip trusts and with
what the OS trusts, to tell an intercepting proxy's CA that the OS knows from one that
nobody knows, a missing intermediate from an unknown issuer, a wrong clock from an
expired certificate, and an expired certificate the server sends from an expired root this
machine trusts for it (:mod:`pipssl.diagnosis.rootexpiry`).  Only OpenSSL's issuer codes
lead to an ``untrusted-issuer-*`` finding: a chain too weak, and any failure not positively
recognised, are told as what they are (:mod:`pipssl.diagnosis.chainfaults`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import List, Mapping, Optional, Tuple

from pipssl import commands
from pipssl._text import shown
from pipssl.certs import bundle as cabundle
from pipssl.certs import store
from pipssl.certs.consent import refusal
from pipssl.certs.der import Name
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.diagnosis.chainfaults import WEAK_CODES, tls_error, weak_certificate
from pipssl.diagnosis.checks import check_clock
from pipssl.diagnosis.rootexpiry import (
    ExpiredRoot,
    cross_signed,
    current_root,
    expired_root,
    root_expired,
)
from pipssl.diagnosis.transport import transport_finding
from pipssl.errors import BundleError, CertificateError, PipsslError
from pipssl.findings import Finding
from pipssl.net.probe import ProbeResult
from pipssl.net.verify_codes import (
    ISSUER_CODES,
    X509_V_ERR_CERT_HAS_EXPIRED,
    X509_V_ERR_CERT_NOT_YET_VALID,
    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
    X509_V_ERR_HOSTNAME_MISMATCH,
    X509_V_ERR_IP_ADDRESS_MISMATCH,
)
from pipssl.target.facts import Target
from pipssl.target.trust import TRUSTSTORE_PIP, TRUSTSTORE_PYTHON, PipTrust

#: The longest placeholder file name made from a CA's name, before ``.pem``.
_FILE_STEM_LIMIT = 60


def ca_file_for(name: Name) -> str:
    """The file name the fixes use for the certificate of the CA ``name``, the user gets
    from IT: made from its common name (else the whole name), so two CAs' fixes name two
    files that cannot overwrite each other: ``Acme Corp Root CA`` -> ``acme-corp-root-ca.pem``.
    Only ``[a-z0-9-]`` is kept: a name from a certificate must not reach a shell line."""
    text = name.common_name or str(name)
    stem = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:_FILE_STEM_LIMIT].strip("-")
    if not stem:  # a name of other scripts only: its digest keeps two such CAs apart
        stem = "ca-" + hashlib.sha256(name.der or str(name).encode()).hexdigest()[:12]
    return stem + ".pem"


#: Names that interception products put in their roots' subjects.
INTERCEPTION_PRODUCTS = (
    "Zscaler",
    "Netskope",
    "Blue Coat",
    "Symantec Web",
    "Fortinet",
    "FortiGate",
    "Palo Alto",
    "Cisco Umbrella",
    "Forcepoint",
    "Sophos",
    "Check Point",
    "Kaspersky",
    "Avast",
    "AVG",
    "ESET",
    "Bitdefender",
    "McAfee",
    "Trend Micro",
    "mitmproxy",
    "Charles Proxy",
    "Fiddler",
    "PortSwigger",
    "Cloudflare Gateway",
    "iboss",
)


@dataclass(frozen=True)
class Stores:
    """Certificates pip trusts and certificates the OS trusts, parsed once."""

    pip: Tuple[Certificate, ...]
    os: Tuple[Certificate, ...]
    truststore: bool

    def pip_has(self, cert: Certificate) -> bool:
        return any(c.sha256 == cert.sha256 or c.subject == cert.subject for c in self.pip)

    def os_match(self, cert: Certificate) -> Optional[Certificate]:
        """The OS root that is ``cert`` or issued it, if any."""
        for c in self.os:
            if c.sha256 == cert.sha256:
                return c
        for c in self.os:
            if c.subject == cert.issuer and (cert.aki is None or c.ski in (None, cert.aki)):
                return c
        return None


def _parse_all(pem: str, source: str) -> List[Certificate]:
    try:
        return cabundle.read_pem(pem, source=source)
    except PipsslError:
        return []


def load_stores(trust: PipTrust, os_pem: str) -> Stores:
    """What pip trusts (its files, its CA directories' hashed entries, and ``os_pem`` when
    it reads the OS store) and what the OS store holds."""
    from pipssl.certs.store import linux

    pip_certs: List[Certificate] = []
    for path in trust.files:
        try:
            pip_certs.extend(cabundle.load_cafile(path))
        except BundleError:
            continue
    for directory in trust.directories:
        # Read as OpenSSL's capath lookup reads it: the <hash>.<n> names only.
        pip_certs.extend(_parse_all(linux.read_ca_directory(directory), directory))
    os_certs = _parse_all(os_pem, store.LABEL)
    if trust.os_store:
        pip_certs.extend(os_certs)
    return Stores(tuple(pip_certs), tuple(os_certs), trust.truststore)


def _product(name: str) -> str:
    for product in INTERCEPTION_PRODUCTS:
        if product.lower() in name.lower():
            return product
    return ""


def _fetch_issuer(
    cert: Certificate,
    timeout: float,
    environ: Optional[Mapping[str, str]] = None,
    pip_proxy: Optional[str] = None,
) -> Optional[Certificate]:
    """Follow the leaf's AIA caIssuers URL (http only) to tell a missing intermediate
    from an unknown CA.  Used for classification only, never as a trust anchor.

    The URL is fetched through the proxy pip would use for it (``select_proxy`` with the
    diagnosis' environment and pip's ``proxy`` option, NO_PROXY honoured), never through
    whatever this process's environment says; ``timeout`` bounds each fetch as a whole.
    """
    from pipssl.net.fetch import http_get
    from pipssl.net.proxy import select_proxy

    for url in cert.ca_issuers:
        if not url.startswith("http://"):
            continue
        try:
            proxy = select_proxy(url, environ or {}, pip_proxy)
        except (PipsslError, ValueError):
            continue  # a proxy URL pip could not use either: the probe reports it
        # The proxy pip would use, or none: never whatever this process's environment says.
        data = http_get(url, timeout, proxy.url if proxy is not None else None)
        if data is None:
            continue
        try:
            certs = cabundle.read_pem(data) if b"-----BEGIN" in data else [parse_certificate(data)]
        except PipsslError:
            continue
        if certs:
            return certs[0]
    return None


def _trust_fix(cert: Certificate, now: datetime) -> str:
    """Trusting the CA ``cert`` the index presented, when repair would accept it (the one
    rule: :func:`pipssl.certs.consent.refusal`); otherwise why it cannot be trusted."""
    why = refusal(cert, now)
    if why is not None:
        return f"pipssl cannot trust it: {why}; ask its owner for a certificate from a CA"
    return (
        "check this fingerprint with your IT department before trusting it:\n"
        f"  {cert.sha256}\n"
        "then trust it for pip (in a bundle of pipssl's own; certifi is not touched):\n"
        f"{commands.pipssl('repair', '--accept-ca', cert.sha256)}\n"
        "# or, with the CA's certificate file: "
        f"{commands.pipssl('repair', '--ca', ca_file_for(cert.subject))}"
    )


def _issuer_fix(issuer: str, ca_file: str) -> str:
    """The CA is not in the chain the server sent: the user has to get its file."""
    return (
        f"get the certificate of '{issuer}' (and of the root above it, if it is an "
        f"intermediate) from your IT department as a PEM file, {ca_file}; check its "
        "fingerprint with them, then trust it for pip:\n"
        f"openssl x509 -in {ca_file} -noout -subject -fingerprint -sha256\n"
        f"{commands.pipssl('repair', '--ca', ca_file)}"
    )


def _truststore_fix(target: Target) -> str:
    """pip cannot reach its index yet: the bundle first, then (where it can help) the pip
    that reads the OS store, so the upgrade itself can be downloaded."""
    repair = commands.pipssl("repair")
    if target.version_info[:2] < TRUSTSTORE_PYTHON:
        return (
            f"on Python {target.version} no pip reads the OS store; a bundle of pipssl's own "
            f"holds its roots:\n{repair}"
        )
    wanted = "pip>=" + ".".join(map(str, TRUSTSTORE_PIP))
    return f"{repair}\n# then, to have pip read the OS store itself from now on:\n" + commands.pip(
        target.executable, "install", "--upgrade", wanted
    )


def _certifi_roots(target: Target) -> List[Tuple[Certificate, str]]:
    """The roots of the certifi a bundle rebuilt now takes (:mod:`pipssl.certs.compose`),
    each with which certifi it is."""
    from pipssl.certs.compose import choose_certifi
    from pipssl.diagnosis.ownbundle import certifi_copies

    chosen = choose_certifi(certifi_copies(target), None, "")
    if chosen is None:
        return []
    try:
        return [(c, chosen.describe()) for c in chosen.roots()]
    except PipsslError:
        return []


def _root_expired(
    result: ProbeResult,
    found: ExpiredRoot,
    stores: Stores,
    target: Target,
    now: datetime,
    where: str,
) -> Finding:
    """root-expired, with the current root this machine may already hold: the OS store's
    or certifi's, which a rebuilt bundle takes."""
    held = [(c, "the OS store") for c in stores.os] + _certifi_roots(target)
    in_os = any(c.sha256 == found.root.sha256 for c in stores.os)
    ca_file = ca_file_for(found.wanted.subject)
    current = current_root(found, held, now)
    return root_expired(result.url, result.host, found, current, in_os, where, ca_file)


def classify(
    result: ProbeResult,
    stores: Stores,
    target: Target,
    now: datetime,
    timeout: float,
    environ: Optional[Mapping[str, str]] = None,
    pip_proxy: Optional[str] = None,
) -> List[Finding]:
    """Turn a failed probe into findings (empty when the probe succeeded).  ``environ``
    and ``pip_proxy`` (pip's ``proxy`` option) choose the proxy of the AIA fetch."""
    url = result.url
    host = shown(result.host)  # the URL's host, and below every certificate field: shown()
    if result.ok or result.failure == "http-error":
        return []
    if result.failure != "verify-failed":
        return [transport_finding(result, target.executable)]
    chain: List[Certificate] = []
    for der in result.chain:
        try:
            chain.append(parse_certificate(der))
        except CertificateError:
            break
    code = result.verify_code
    message = result.verify_message
    leaf = chain[0] if chain else None
    where = f"OpenSSL: {shown(message)} (code {code})"
    expired = expired_root(chain, stores.pip, now) if code == X509_V_ERR_CERT_HAS_EXPIRED else None
    if expired is not None:  # the server's certificates are valid: the root is not
        return [_root_expired(result, expired, stores, target, now, where)]
    if code == X509_V_ERR_CERT_HAS_EXPIRED and chain and all(c.is_valid_at(now) for c in chain):
        # Nothing pipssl sees is out of date: naming the leaf (its valid dates beside it)
        # and sending its owner to renew it would be a guess.
        seen = (
            f"{where}\nno certificate {host} sends, nor a root pipssl finds for them, has expired"
        )
        return [tls_error(url, result.host, message or f"verify code {code}", seen)]
    if code in (X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED):
        bad = next((c for c in chain if not c.is_valid_at(now)), leaf)
        dates = f"valid {bad.not_before.date()} to {bad.not_after.date()}" if bad else ""
        # clock-skew itself is reported once, by diagnose(); here it only changes the advice
        skew = bool(check_clock(stores.pip, now))
        findings: List[Finding] = []
        if code == X509_V_ERR_CERT_HAS_EXPIRED:
            findings.append(
                Finding.make(
                    "cert-expired",
                    url,
                    "{} presents an expired certificate{}".format(
                        host, f" ({shown(bad.subject)})" if bad else ""
                    ),
                    f"{where}\n{dates}",
                    "nothing to fix on this machine: the server's owner must renew it"
                    if not skew
                    else "fix the clock first",
                )
            )
        else:
            findings.append(
                Finding.make(
                    "cert-not-yet-valid",
                    url,
                    "{}'s certificate is not valid yet{}".format(
                        host, f" ({shown(bad.subject)})" if bad else ""
                    ),
                    "{}\n{}; this clock: {}".format(where, dates, now.strftime("%Y-%m-%d %H:%M")),
                    "if this clock is right, the server's owner must fix the certificate; "
                    "otherwise set the clock",
                )
            )
        return findings
    if code in (X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH):
        names = ", ".join(leaf.san_dns + leaf.san_ip) if leaf else "?"
        return [
            Finding.make(
                "hostname-mismatch",
                url,
                f"{host}'s certificate is for another host",
                "{}\ncertificate names: {}".format(
                    where, shown(names or leaf.subject) if leaf else "?"
                ),
                "use the host name the certificate names, or ask the server's owner to fix it;"
                " never turn checking off",
            )
        ]
    if code in WEAK_CODES:
        return [weak_certificate(url, result.host, code, chain, where)]
    if code not in ISSUER_CODES and code != X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        # Only the issuer codes say "not among the roots": a CA cannot fix anything else.
        return [tls_error(url, result.host, message or f"verify code {code}", where)]
    if code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT or (
        leaf is not None and len(chain) == 1 and leaf.self_issued
    ):
        return [
            Finding.make(
                "self-signed",
                url,
                f"{host} presents a self-signed certificate",
                "{}\nsubject: {}\nsha256: {}".format(
                    where, shown(leaf.subject) if leaf else "?", leaf.sha256 if leaf else "?"
                ),
                "ask the server's owner for a certificate from a CA (a private CA of "
                "theirs is fine: pipssl can trust that CA)"
                + (
                    "; if you run it and this certificate is your CA, " + _trust_fix(leaf, now)
                    if leaf is not None and refusal(leaf, now) is None
                    else "; pipssl never trusts a server certificate that is not a CA"
                ),
            )
        ]
    top = chain[-1] if chain else None
    if top is None:
        return [
            Finding.make(
                "untrusted-issuer-unknown",
                url,
                f"{host}'s certificate is not trusted",
                where,
            )
        ]
    anchor_name = str(top.subject if top.self_issued else top.issuer)
    in_os = stores.os_match(top)
    if in_os is not None and not stores.pip_has(in_os):
        findings = [
            Finding.make(
                "untrusted-issuer-in-system-store",
                url,
                f"{shown(in_os.subject)} is trusted by the OS, but not by what this pip uses",
                f"{where}\nissuer: {shown(in_os.subject)}\nsha256: {in_os.sha256}\n"
                "pip verifies with its own bundle, which lacks it",
                "point pip at a bundle of certifi's and the OS store's roots:\n"
                + commands.pipssl("repair"),
            )
        ]
        if (
            target.pip_version is None
            or target.pip_version < TRUSTSTORE_PIP
            or (target.version_info[:2] < TRUSTSTORE_PYTHON)
        ):
            findings.append(
                Finding.make(
                    "pip-too-old-for-truststore",
                    target.executable,
                    "pip {} on Python {} does not read the OS trust store".format(
                        target.pip.version if target.pip else "?", target.version
                    ),
                    "the OS store is used by pip >= 24.2 on Python >= 3.10 (truststore)",
                    _truststore_fix(target),
                )
            )
        return findings
    if not top.self_issued and len(chain) == 1:
        issuer = _fetch_issuer(top, min(timeout, 3.0), environ, pip_proxy)
        if issuer is not None and (
            stores.pip_has(issuer) or any(c.subject == issuer.issuer for c in stores.pip)
        ):
            return [
                Finding.make(
                    "incomplete-chain",
                    url,
                    f"{host} does not send its intermediate certificate ({shown(top.issuer)})",
                    f"{where}\nits issuer, fetched from {shown(top.ca_issuers[0])} "
                    "(for diagnosis only), chains to a root "
                    "pip trusts",
                    "the server's owner must configure the full chain; meanwhile no safe "
                    "client-side fix is needed beyond waiting or using another mirror",
                )
            ]
    product = _product(anchor_name)
    looks = f" - this looks like {product}, a TLS-intercepting product" if product else ""
    detail = f"{where}\nissuer: {shown(anchor_name)}{looks}"
    if top.self_issued:
        detail += f"\nsha256: {top.sha256}"
    elif len(chain) == 1:
        detail += (
            "\nthe server sent only its own certificate; it may also be missing an intermediate"
        )
    return [
        Finding.make(
            "untrusted-issuer-unknown",
            url,
            "{}'s issuer is trusted nowhere on this machine{}".format(
                host, f" ({product})" if product else ""
            ),
            detail,
            _trust_fix(top, now)
            if top.self_issued
            else _issuer_fix(shown(anchor_name), ca_file_for(top.issuer))
            + _cross_signed_fix(host, cross_signed(chain)),
        )
    ]


def _cross_signed_fix(host: str, offered: Optional[Certificate]) -> str:
    """When the server sends a root cross-signed by the unknown issuer, that root's own
    certificate is the other way in (and the only one, once the old root expired)."""
    if offered is None:
        return ""
    name, ca_file = shown(offered.subject), ca_file_for(offered.subject)
    return (
        f"\n# {host} also sends '{name}' issued by that CA: if '{name}' is a root of its own "
        "(a new root cross-signed by an older one), its certificate does instead:\n"
        f"openssl x509 -in {ca_file} -noout -subject -fingerprint -sha256\n"
        + commands.pipssl("repair", "--ca", ca_file)
    )
