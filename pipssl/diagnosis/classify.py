"""Turn a failed probe into findings: which of the known TLS failures this is.

The peer's chain (read by :mod:`pipssl.net.probe`) is compared with what pip trusts and with
what the OS trusts, to tell an intercepting proxy's CA that the OS knows from one that
nobody knows, a missing intermediate from an unknown issuer, a wrong clock from an
expired certificate, and an expired certificate the server sends from an expired root this
machine trusts for it (:mod:`pipssl.diagnosis.rootexpiry`).  Only OpenSSL's issuer codes
lead to an ``untrusted-issuer-*`` finding: a chain too weak, and any failure not positively
recognised, are told as what they are (:mod:`pipssl.diagnosis.chainfaults`).

Each verify code OpenSSL may give has one short handler (:data:`BY_VERIFY_CODE`); the
handlers decide which finding it is, and :mod:`pipssl.diagnosis.wording` words it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from pipssl.certs import bundle as cabundle
from pipssl.certs import store
from pipssl.certs.compose import choose_certifi
from pipssl.certs.consent import refusal
from pipssl.certs.der import Name
from pipssl.certs.store import linux
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.diagnosis import wording
from pipssl.diagnosis.chainfaults import WEAK_CODES, tls_error, weak_certificate
from pipssl.diagnosis.localsetup import check_clock
from pipssl.diagnosis.ownbundle import certifi_copies
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
from pipssl.interpreter.facts import Target
from pipssl.interpreter.trust import TRUSTSTORE_PIP, TRUSTSTORE_PYTHON, PipTrust
from pipssl.net.fetch import http_get
from pipssl.net.probe import ProbeResult
from pipssl.net.proxy import select_proxy
from pipssl.net.verify_codes import (
    ISSUER_CODES,
    X509_V_ERR_CERT_HAS_EXPIRED,
    X509_V_ERR_CERT_NOT_YET_VALID,
    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
    X509_V_ERR_HOSTNAME_MISMATCH,
    X509_V_ERR_IP_ADDRESS_MISMATCH,
)

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


def _certifi_roots(target: Target) -> List[Tuple[Certificate, str]]:
    """The roots of the certifi a bundle rebuilt now takes (:mod:`pipssl.certs.compose`),
    each with which certifi it is."""
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


@dataclass(frozen=True)
class Failed:
    """A verification that failed, as each handler below reads it."""

    result: ProbeResult
    chain: Tuple[Certificate, ...]  # the certificates sent, leaf first, up to one unreadable
    stores: Stores
    target: Target
    now: datetime
    timeout: float
    environ: Optional[Mapping[str, str]]
    pip_proxy: Optional[str]

    @property
    def code(self) -> Optional[int]:
        return self.result.verify_code

    @property
    def leaf(self) -> Optional[Certificate]:
        return self.chain[0] if self.chain else None

    @property
    def where(self) -> str:
        return wording.openssl_said(self.result.verify_message, self.code)


#: What a handler gives: the findings of one failed verification.
Handler = Callable[[Failed], List[Finding]]


def _found(code: str, failed: Failed, words: wording.Words) -> List[Finding]:
    """The one finding of ``failed``'s index."""
    return [words.finding(code, failed.result.url)]


def _unrecognised(failed: Failed, detail: str = "") -> List[Finding]:
    """A code no handler knows: OpenSSL's words, and no change on this machine."""
    result = failed.result
    reason = result.verify_message or f"verify code {failed.code}"
    return [tls_error(result.url, result.host, reason, detail or failed.where)]


def _expired(failed: Failed) -> List[Finding]:
    """An expired root this machine trusts, else the expired certificate the server sends."""
    chain, now = failed.chain, failed.now
    found = expired_root(chain, failed.stores.pip, now)
    if found is not None:  # the server's certificates are valid: the root is not
        return [
            _root_expired(failed.result, found, failed.stores, failed.target, now, failed.where)
        ]
    if chain and all(c.is_valid_at(now) for c in chain):
        # Nothing pipssl sees is out of date: naming the leaf (its valid dates beside it)
        # and sending its owner to renew it would be a guess.
        return _unrecognised(failed, wording.nothing_expired(failed.where, failed.result.host))
    words = wording.cert_expired(
        failed.result.host, _out_of_date(failed), failed.where, _skew(failed)
    )
    return _found("cert-expired", failed, words)


def _not_yet_valid(failed: Failed) -> List[Finding]:
    words = wording.cert_not_yet_valid(
        failed.result.host, _out_of_date(failed), failed.where, failed.now
    )
    return _found("cert-not-yet-valid", failed, words)


def _out_of_date(failed: Failed) -> Optional[Certificate]:
    """The first certificate sent that is outside its dates (the leaf when none is)."""
    return next((c for c in failed.chain if not c.is_valid_at(failed.now)), failed.leaf)


def _skew(failed: Failed) -> bool:
    """A wrong clock: clock-skew itself is reported once, by diagnose(); here it only
    changes the advice."""
    return bool(check_clock(failed.stores.pip, failed.now))


def _hostname_mismatch(failed: Failed) -> List[Finding]:
    words = wording.hostname_mismatch(failed.result.host, failed.leaf, failed.where)
    return _found("hostname-mismatch", failed, words)


def _weak(failed: Failed) -> List[Finding]:
    result = failed.result
    assert failed.code is not None  # only a verify code leads here
    return [weak_certificate(result.url, result.host, failed.code, failed.chain, failed.where)]


def _self_signed(failed: Failed) -> List[Finding]:
    """The server's own certificate, signed by itself: pipssl offers to trust it only
    when it is a CA pipssl would accept."""
    leaf = failed.leaf
    trust = None
    if leaf is not None and refusal(leaf, failed.now) is None:
        trust = wording.trust_fix(leaf, None, ca_file_for(leaf.subject))
    words = wording.self_signed(failed.result.host, leaf, failed.where, trust)
    return _found("self-signed", failed, words)


def _untrusted_issuer(failed: Failed) -> List[Finding]:
    """OpenSSL's issuer codes: the chain leads to a CA pip does not trust.  Which CA, and
    whether the OS trusts it, the server leaves an intermediate out, or the leaf is alone
    and self-signed, decides the finding."""
    chain, leaf = failed.chain, failed.leaf
    if leaf is not None and len(chain) == 1 and leaf.self_issued:
        return _self_signed(failed)
    if not chain:
        return _found(
            "untrusted-issuer-unknown",
            failed,
            wording.not_trusted(failed.result.host, failed.where),
        )
    in_os = failed.stores.os_match(chain[-1])
    if in_os is not None and not failed.stores.pip_has(in_os):
        return _in_system_store(failed, in_os)
    return _incomplete_chain(failed) or _unknown_issuer(failed)


def _in_system_store(failed: Failed, in_os: Certificate) -> List[Finding]:
    """The OS trusts the issuer; and a pip that cannot read the OS store is named too."""
    found = _found(
        "untrusted-issuer-in-system-store", failed, wording.in_system_store(in_os, failed.where)
    )
    target = failed.target
    python_can = target.version_info[:2] >= TRUSTSTORE_PYTHON
    if target.pip_version is None or target.pip_version < TRUSTSTORE_PIP or not python_can:
        words = wording.too_old_for_truststore(target, python_can)
        found.append(words.finding("pip-too-old-for-truststore", target.executable))
    return found


def _incomplete_chain(failed: Failed) -> List[Finding]:
    """The leaf came alone and its issuer, fetched from its AIA URL, leads to pip's roots:
    the server leaves its intermediate out (empty: it does not, or pipssl cannot tell)."""
    top, stores = failed.chain[-1], failed.stores
    if top.self_issued or len(failed.chain) != 1:
        return []
    issuer = _fetch_issuer(top, min(failed.timeout, 3.0), failed.environ, failed.pip_proxy)
    if issuer is None or not (
        stores.pip_has(issuer) or any(c.subject == issuer.issuer for c in stores.pip)
    ):
        return []
    return _found(
        "incomplete-chain", failed, wording.incomplete_chain(failed.result.host, top, failed.where)
    )


def _unknown_issuer(failed: Failed) -> List[Finding]:
    """A CA nobody on this machine trusts: trusting it (the root was sent) or getting its
    certificate from IT (it was not), and a cross-signed root the server sends as the
    other way in."""
    top, host = failed.chain[-1], failed.result.host
    anchor = str(top.subject if top.self_issued else top.issuer)
    if top.self_issued:
        fix = wording.trust_fix(top, refusal(top, failed.now), ca_file_for(top.subject))
    else:
        offered = cross_signed(list(failed.chain))
        fix = wording.issuer_fix(anchor, ca_file_for(top.issuer)) + wording.cross_signed_fix(
            host, None if offered is None else (offered, ca_file_for(offered.subject))
        )
    words = wording.unknown_issuer(
        host, anchor, _product(anchor), top, len(failed.chain), failed.where, fix
    )
    return _found("untrusted-issuer-unknown", failed, words)


#: OpenSSL's verify code -> the handler that knows what it means; any other code is told
#: as OpenSSL says it (:func:`_unrecognised`): a CA cannot fix what is not about the issuer.
BY_VERIFY_CODE: Dict[int, Handler] = {
    X509_V_ERR_CERT_HAS_EXPIRED: _expired,
    X509_V_ERR_CERT_NOT_YET_VALID: _not_yet_valid,
    X509_V_ERR_HOSTNAME_MISMATCH: _hostname_mismatch,
    X509_V_ERR_IP_ADDRESS_MISMATCH: _hostname_mismatch,
    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: _self_signed,
    **{code: _weak for code in WEAK_CODES},
    **{code: _untrusted_issuer for code in ISSUER_CODES},
}


def _read_chain(result: ProbeResult) -> Tuple[Certificate, ...]:
    """The certificates the server sent, up to the first pipssl cannot read."""
    chain: List[Certificate] = []
    for der in result.chain:
        try:
            chain.append(parse_certificate(der))
        except CertificateError:
            break
    return tuple(chain)


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
    if result.ok or result.failure == "http-error":
        return []
    if result.failure != "verify-failed":
        return [transport_finding(result, target.executable)]
    chain = _read_chain(result)
    failed = Failed(result, chain, stores, target, now, timeout, environ, pip_proxy)
    handler = BY_VERIFY_CODE.get(result.verify_code or 0, _unrecognised)
    return handler(failed)
