"""Failures that no CA on this machine fixes: a weak certificate, and what pipssl does not know.

:func:`pipssl.diagnosis.classify.classify` sends here the verify codes that are not about
dates, host names or the issuer.  A weak key or digest is the chain's own fault: the issuer
may well be trusted, and sending the user to IT for a CA (``untrusted-issuer-*``) or to a
lower security level would be a wrong fix.  An error pipssl does not positively recognise
is reported as itself, OpenSSL's reason verbatim (``tls-error``), never as a specific
code it only resembles.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from pipssl._text import shown
from pipssl.certs.strength import Strength, strength
from pipssl.certs.x509 import Certificate
from pipssl.errors import CertificateError
from pipssl.findings import Finding
from pipssl.net.verify_codes import (
    X509_V_ERR_CA_KEY_TOO_SMALL,
    X509_V_ERR_CA_MD_TOO_WEAK,
    X509_V_ERR_EE_KEY_TOO_SMALL,
)

#: OpenSSL's verify codes for a chain below its security level: weak-certificate.
WEAK_CODES = frozenset(
    {X509_V_ERR_EE_KEY_TOO_SMALL, X509_V_ERR_CA_KEY_TOO_SMALL, X509_V_ERR_CA_MD_TOO_WEAK}
)

_NEVER_LOWER = (
    "never lower OpenSSL's security level or turn checking off for it: the weak "
    "certificate itself is the problem, not this machine's trust"
)


def _weakest(code: int, chain: Sequence[Certificate]) -> Optional[Tuple[Certificate, Strength]]:
    """The certificate OpenSSL's ``code`` is about.  OpenSSL does not say which one it
    is, so it is the first certificate sent that is weak in that way: the leaf for a weak
    end-entity key, a CA for a weak CA key, any certificate but a self-signed root for a
    weak digest (a trust anchor's own signature is never checked)."""
    if code == X509_V_ERR_EE_KEY_TOO_SMALL:
        candidates = list(chain[:1])
    elif code == X509_V_ERR_CA_KEY_TOO_SMALL:
        candidates = list(chain[1:])
    else:
        candidates = [c for c in chain if not c.self_issued]
    for cert in candidates:
        try:
            found = strength(cert.der)
        except CertificateError:
            continue
        weak = found.weak_digest if code == X509_V_ERR_CA_MD_TOO_WEAK else found.weak_key
        if weak:
            return cert, found
    return None


def weak_certificate(
    url: str, host: str, code: int, chain: Sequence[Certificate], where: str
) -> Finding:
    """weak-certificate: name the certificate, its key or digest, and who must reissue it.

    Args:
        url: the index URL (the finding's target).
        host: the index's host.
        code: one of :data:`WEAK_CODES`.
        chain: the certificates the server sent, leaf first (may be empty).
        where: OpenSSL's message and code, as the other verify findings show it.
    """
    found = _weakest(code, chain)
    host = shown(host)  # and every certificate field below: text from the network
    what = "key" if code != X509_V_ERR_CA_MD_TOO_WEAK else "signature digest"
    if found is None:
        # The weak one was not sent: a CA above the chain, from the trust store.
        above = f" ({shown(chain[-1].issuer)})" if chain else ""
        summary = f"a CA above {host}'s certificate has a {what} too weak for OpenSSL"
        detail = (
            f"{where}\nno certificate the server sent is weak: the chain goes on in the "
            f"trust store, from {shown(chain[-1].issuer) if chain else 'its issuer'}"
        )
        owner = f"the server's owner must move to a chain under a stronger CA{above}"
        return Finding.make("weak-certificate", url, summary, detail, f"{owner}; {_NEVER_LOWER}")
    cert, info = found
    leaf = chain[0] is cert
    if code == X509_V_ERR_CA_MD_TOO_WEAK:
        problem, wanted = f"is signed with {info.digest}", "signed with SHA-256 or stronger"
    else:
        problem = f"has a weak key ({info.key})"
        wanted = "with a key of at least RSA 2048 bits or EC P-256"
    subject = shown(cert.subject)
    whose = f"{host}'s certificate" if leaf else f"the CA {subject} in {host}'s chain"
    lines: List[str] = [
        where,
        f"{'certificate' if leaf else 'CA certificate'}: {subject}",
        f"issued by: {shown(cert.issuer)}",
        f"key: {info.key}; signature: {info.digest}",
        f"sha256: {cert.sha256}",
        "the issuer being trusted does not help: OpenSSL refuses the weak certificate itself",
    ]
    if leaf:
        change = f"reissue {host}'s certificate {wanted}"
    else:
        change = f"replace the CA {subject} by one {wanted}"
    fix = f"nothing to fix on this machine: the server's owner must {change}; {_NEVER_LOWER}"
    return Finding.make("weak-certificate", url, f"{whose} {problem}", "\n".join(lines), fix)


def tls_error(url: str, host: str, reason: str, detail: str) -> Finding:
    """tls-error: a failure pipssl does not recognise, with OpenSSL's reason verbatim.

    Args:
        url: the index URL (the finding's target).
        host: the index's host.
        reason: OpenSSL's words (a verify message, or the handshake error as raised).
        detail: what else was observed (the verify code, the stage).
    """
    return Finding.make(
        "tls-error",
        url,
        f"TLS with {shown(host)} failed: {shown(reason)}",
        detail,
        "pipssl does not recognise this failure, so it suggests no change on this machine: "
        "OpenSSL's reason above is the lead, and the index's owner can tell whether the "
        "server or its certificate is at fault; never turn certificate checks off for it",
    )
