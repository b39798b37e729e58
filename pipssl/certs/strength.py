"""How strong a certificate's key and signature digest are, read from its DER.

OpenSSL decides whether a chain is too weak (its security level; Python's default context
keeps level 2: RSA and DSA keys of 2048 bits or more, EC keys of 224, no SHA-1 or MD5
signatures) and says only *that* one is (``EE certificate key too weak``, ``CA certificate
key too weak``, ``CA signature digest algorithm too weak``), not which.  This module reads
what is needed to name the certificate in a finding; it decides no trust and verifies no
signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from pipssl.certs.der import BIT_STRING, INTEGER, OID, SEQUENCE, expect, items, read_oid

#: Level 2's minimum key sizes: RSA/DSA 2048 bits, EC 224 bits (112 bits of security).
MIN_RSA_BITS = 2048
MIN_EC_BITS = 224

_RSA = "1.2.840.113549.1.1.1"
_DSA = "1.2.840.10040.4.1"
_EC = "1.2.840.10045.2.1"
_ED = {"1.3.101.112": ("Ed25519", 256), "1.3.101.113": ("Ed448", 456)}
_CURVES: Dict[str, Tuple[str, int]] = {
    "1.2.840.10045.3.1.1": ("P-192", 192),
    "1.3.132.0.33": ("P-224", 224),
    "1.2.840.10045.3.1.7": ("P-256", 256),
    "1.3.132.0.34": ("P-384", 384),
    "1.3.132.0.35": ("P-521", 521),
}
#: Signature algorithms by OID: (digest name, weak at level 2).
_SIGNATURES: Dict[str, Tuple[str, bool]] = {
    "1.2.840.113549.1.1.2": ("MD2", True),
    "1.2.840.113549.1.1.3": ("MD4", True),
    "1.2.840.113549.1.1.4": ("MD5", True),
    "1.2.840.113549.1.1.5": ("SHA-1", True),
    "1.2.840.10045.4.1": ("SHA-1", True),
    "1.2.840.10040.4.3": ("SHA-1", True),
    "1.2.840.113549.1.1.14": ("SHA-224", False),
    "1.2.840.113549.1.1.11": ("SHA-256", False),
    "1.2.840.113549.1.1.12": ("SHA-384", False),
    "1.2.840.113549.1.1.13": ("SHA-512", False),
    "1.2.840.10045.4.3.1": ("SHA-224", False),
    "1.2.840.10045.4.3.2": ("SHA-256", False),
    "1.2.840.10045.4.3.3": ("SHA-384", False),
    "1.2.840.10045.4.3.4": ("SHA-512", False),
    "1.3.101.112": ("Ed25519", False),
    "1.3.101.113": ("Ed448", False),
}


@dataclass(frozen=True)
class Strength:
    """A certificate's key and signature, as a finding names them.

    Attributes:
        key: e.g. ``RSA 1024 bits``, ``EC P-256``; ``unknown key`` when not recognised.
        weak_key: below level 2's minimum (False when the size is unknown).
        digest: the signature's digest, e.g. ``SHA-1``; ``unknown`` when not recognised.
        weak_digest: SHA-1 or MD5 (or older).
    """

    key: str
    weak_key: bool
    digest: str
    weak_digest: bool


def _key(data: bytes, start: int, end: int) -> Tuple[str, bool]:
    """(description, weak) of a SubjectPublicKeyInfo's value ``[start, end)``."""
    fields = items(data, start, end)
    tag, alg_start, alg_end = next(fields, (-1, 0, 0))
    if tag != SEQUENCE:
        return "unknown key", False
    parts = list(items(data, alg_start, alg_end))
    if not parts or parts[0][0] != OID:
        return "unknown key", False
    algorithm = read_oid(data, parts[0][1], parts[0][2])
    if algorithm == _EC and len(parts) > 1 and parts[1][0] == OID:
        curve = read_oid(data, parts[1][1], parts[1][2])
        name, bits = _CURVES.get(curve, (curve, 0))
        return f"EC {name}", 0 < bits < MIN_EC_BITS
    if algorithm in _ED:
        return _ED[algorithm][0], False
    if algorithm == _DSA and len(parts) > 1 and parts[1][0] == SEQUENCE:
        p_start, p_end = expect(data, parts[1][1], parts[1][2], INTEGER, "DSA p")
        bits = int.from_bytes(data[p_start:p_end], "big").bit_length()
        return f"DSA {bits} bits", bits < MIN_RSA_BITS
    if algorithm == _RSA:
        tag, bits_start, bits_end = next(fields, (-1, 0, 0))
        if tag != BIT_STRING or bits_end - bits_start < 2:
            return "RSA key", False
        seq_start, seq_end = expect(data, bits_start + 1, bits_end, SEQUENCE, "RSA key")
        n_start, n_end = expect(data, seq_start, seq_end, INTEGER, "RSA modulus")
        bits = int.from_bytes(data[n_start:n_end], "big").bit_length()
        return f"RSA {bits} bits", bits < MIN_RSA_BITS
    return "unknown key", False


def strength(der: bytes) -> Strength:
    """Read the key and the signature digest of one DER certificate.

    Raises:
        CertificateError: the bytes are not a well-formed certificate.
    """
    end = len(der)
    cert_start, cert_end = expect(der, 0, end, SEQUENCE, "certificate")
    tbs_start, tbs_end = expect(der, cert_start, cert_end, SEQUENCE, "tbsCertificate")
    alg_start, alg_end = expect(der, tbs_end, cert_end, SEQUENCE, "signatureAlgorithm")
    oid_start, oid_end = expect(der, alg_start, alg_end, OID, "signature algorithm")
    digest, weak_digest = _SIGNATURES.get(read_oid(der, oid_start, oid_end), ("unknown", False))
    # tbsCertificate: [0] version?, serial, signature, issuer, validity, subject, spki, ...
    fields = [f for f in items(der, tbs_start, tbs_end) if f[0] != 0xA0]
    spki: Optional[Tuple[int, int, int]] = fields[5] if len(fields) > 5 else None
    key, weak_key = ("unknown key", False) if spki is None else _key(der, spki[1], spki[2])
    return Strength(key, weak_key, digest, weak_digest)
