"""Windows: the ROOT and CA system certificate stores, read with ``ssl.enum_certificates``.

The filter is the one ``ssl.SSLContext.load_default_certs`` applies: X.509 entries only,
trusted for everything or for server authentication.  (That method also reads OpenSSL's
default paths on Windows; those are rarely populated there and are left out.)
"""

from __future__ import annotations

import base64
from typing import Any, List, Tuple

from pipssl.certs.pem import BadBlock
from pipssl.certs.store.common import OsStore, StoreSource, loadable_text

#: Store names in the order they are read, with the names Windows shows for them.
STORES: Tuple[Tuple[str, str], ...] = (
    ("ROOT", "Windows Trusted Root Certification Authorities"),
    ("CA", "Windows Intermediate Certification Authorities"),
)

SERVER_AUTH_OID = "1.3.6.1.5.5.7.3.1"


def der_to_pem(der: bytes) -> str:
    """Encode one DER certificate as PEM, as ``ssl.DER_cert_to_PEM_cert`` does.

    Args:
        der: the certificate in DER.

    Returns:
        The PEM text, ending with a newline.
    """
    text = base64.standard_b64encode(der).decode("ascii")
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def _trusted_for_servers(trust: Any) -> bool:
    # enum_certificates gives True for "all purposes", else a set of extended key usage OIDs.
    if trust is True:
        return True
    try:
        return SERVER_AUTH_OID in trust
    except TypeError:
        return False


def store() -> OsStore:
    """Read the certificates of the Windows ROOT and CA stores trusted for TLS servers.

    Returns:
        An ``OsStore``; a store that cannot be read, or an ``ssl`` module without
        ``enum_certificates``, is an entry in ``errors``.
    """
    sources = tuple(StoreSource("windows-store", name, origin) for name, origin in STORES)
    try:
        import ssl  # noqa: PLC0415 ssl may be missing
    except ImportError:
        return OsStore(sources, "", ("the ssl module is missing: cannot read the Windows stores",))
    enum = getattr(ssl, "enum_certificates", None)
    if enum is None:
        return OsStore(
            sources, "", ("ssl.enum_certificates is missing: not a Windows build of Python",)
        )
    chunks: List[str] = []
    errors: List[str] = []
    for name, _origin in STORES:
        try:
            entries = enum(name)
        except OSError as exc:
            errors.append(f"Windows store {name}: cannot read: {exc.strerror or exc}")
            continue
        for cert, encoding, trust in entries:
            if encoding == "x509_asn" and _trusted_for_servers(trust):
                chunks.append(der_to_pem(bytes(cert)))
    bad: List[BadBlock] = []
    # Each entry is a certificate of its own: one pipssl cannot read costs only itself.
    pem = loadable_text("".join(chunks), "Windows stores", errors, bad)
    return OsStore(sources, pem, tuple(errors), tuple(bad))
