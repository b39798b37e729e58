"""X.509 certificates as pipssl reads them: the fields it reports or decides on.

Built on the DER reader of :mod:`pipssl.certs.der`, with the same rules: standard library
only, no signature is ever verified, and anything malformed raises
:class:`pipssl.errors.CertificateError`.  Layout follows RFC 5280 §4.1
(https://www.rfc-editor.org/rfc/rfc5280#section-4.1), extensions §4.2.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import List, Optional, Tuple

from pipssl.certs.der import (
    BIT_STRING,
    BOOLEAN,
    INTEGER,
    OCTET_STRING,
    OID,
    SEQUENCE,
    Name,
    clipped,
    error,
    expect,
    fingerprint,
    items,
    only,
    read_boolean,
    read_integer,
    read_name,
    read_oid,
    read_time,
    read_tlv,
)
from pipssl.errors import CertificateError

__all__ = ["Certificate", "PublicKey", "parse_certificate"]

_EXT_BASIC_CONSTRAINTS = "2.5.29.19"
_EXT_KEY_USAGE = "2.5.29.15"
_EXT_SAN = "2.5.29.17"
_EXT_SKI = "2.5.29.14"
_EXT_AKI = "2.5.29.35"
_EXT_AIA = "1.3.6.1.5.5.7.1.1"
_AIA_OCSP = "1.3.6.1.5.5.7.48.1"
_AIA_CA_ISSUERS = "1.3.6.1.5.5.7.48.2"

#: Key algorithms by OID (RFC 3279, RFC 8410), and named curves with their sizes.
_KEY_ALGORITHMS = {
    "1.2.840.113549.1.1.1": "rsa",
    "1.2.840.113549.1.1.10": "rsa-pss",
    "1.2.840.10045.2.1": "ec",
    "1.2.840.10040.4.1": "dsa",
    "1.3.101.112": "ed25519",
    "1.3.101.113": "ed448",
}
_CURVES = {
    "1.2.840.10045.3.1.7": ("secp256r1", 256),
    "1.3.132.0.34": ("secp384r1", 384),
    "1.3.132.0.35": ("secp521r1", 521),
    "1.3.132.0.10": ("secp256k1", 256),
    "1.2.840.10045.3.1.1": ("secp192r1", 192),
    "1.3.132.0.33": ("secp224r1", 224),
}


@dataclass(frozen=True)
class PublicKey:
    """A certificate's public key, as far as its strength goes.

    Attributes:
        algorithm: ``rsa``, ``rsa-pss``, ``ec``, ``dsa``, ``ed25519``, ``ed448``, or the
            algorithm's OID when pipssl does not know it.
        bits: the modulus size (RSA, DSA) or the curve's size; 0 when unknown.
        curve: the named curve of an ``ec`` key (``secp256r1``, ...), else ``""``.
    """

    algorithm: str
    bits: int
    curve: str = ""


@dataclass(frozen=True)
class Certificate:
    """The fields of one X.509 certificate that pipssl reports or decides on."""

    der: bytes = field(repr=False)
    serial: int
    subject: Name
    issuer: Name
    not_before: datetime
    not_after: datetime
    san_dns: Tuple[str, ...] = ()
    san_ip: Tuple[str, ...] = ()
    is_ca: Optional[bool] = None
    path_length: Optional[int] = None
    key_cert_sign: Optional[bool] = None
    ski: Optional[bytes] = None
    aki: Optional[bytes] = None
    ca_issuers: Tuple[str, ...] = ()
    ocsp: Tuple[str, ...] = ()
    key: PublicKey = PublicKey("", 0)

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the DER, as ``AB:CD:...`` (the form browsers and OpenSSL show)."""
        return fingerprint(self.der)

    @property
    def self_issued(self) -> bool:
        """True when subject and issuer are the same name, byte for byte."""
        return self.subject.der == self.issuer.der

    def is_valid_at(self, when: datetime) -> bool:
        """Tell whether ``when`` lies inside the validity period (both ends included).

        Args:
            when: the moment to test; a naive datetime is taken as UTC.

        Returns:
            True when ``not_before <= when <= not_after``.
        """
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return self.not_before <= when <= self.not_after


def _general_names(
    data: bytes, start: int, end: int, *, dns: List[str], ips: List[str], uris: List[str]
) -> None:
    for tag, value_start, value_end in items(data, start, end):
        raw = data[value_start:value_end]
        if tag == 0x82:  # dNSName [2] IA5String
            dns.append(raw.decode("ascii", "replace"))
        elif tag == 0x86:  # uniformResourceIdentifier [6] IA5String
            uris.append(raw.decode("ascii", "replace"))
        elif tag == 0x87:  # iPAddress [7] OCTET STRING
            if len(raw) not in (4, 16):
                raise error(f"IP address of {len(raw)} bytes in subjectAltName")
            ips.append(str(ipaddress.ip_address(raw)))


class _Extensions:
    """Collects the extension values pipssl uses; the others are only length-checked."""

    def __init__(self) -> None:
        self.san_dns: List[str] = []
        self.san_ip: List[str] = []
        self.is_ca: Optional[bool] = None
        self.path_length: Optional[int] = None
        self.key_cert_sign: Optional[bool] = None
        self.ski: Optional[bytes] = None
        self.aki: Optional[bytes] = None
        self.ca_issuers: List[str] = []
        self.ocsp: List[str] = []

    def parse(self, data: bytes, start: int, end: int) -> None:
        seq_start, seq_end = only(data, start, end, SEQUENCE, "extensions")
        seen = set()
        for tag, ext_start, ext_end in items(data, seq_start, seq_end):
            if tag != SEQUENCE:
                raise error("malformed extension")
            oid_start, pos = expect(data, ext_start, ext_end, OID, "extension")
            oid = read_oid(data, oid_start, pos)
            if oid in seen:
                raise error(f"extension {clipped(oid)} appears twice")
            seen.add(oid)
            value_tag, value_start, value_end = read_tlv(data, pos, ext_end)
            if value_tag == BOOLEAN:  # critical flag; pipssl reads, never enforces
                read_boolean(data, value_start, value_end)
                value_tag, value_start, value_end = read_tlv(data, value_end, ext_end)
            if value_tag != OCTET_STRING or value_end != ext_end:
                raise error(f"malformed extension {clipped(oid)}")
            self._one(oid, data, value_start, value_end)

    def _one(self, oid: str, data: bytes, start: int, end: int) -> None:
        if oid == _EXT_BASIC_CONSTRAINTS:
            seq_start, seq_end = only(data, start, end, SEQUENCE, "basicConstraints")
            self.is_ca = False
            for tag, value_start, value_end in items(data, seq_start, seq_end):
                if tag == BOOLEAN:
                    self.is_ca = read_boolean(data, value_start, value_end)
                elif tag == INTEGER:
                    self.path_length = read_integer(data, value_start, value_end)
                else:
                    raise error("malformed basicConstraints")
        elif oid == _EXT_KEY_USAGE:
            bits_start, bits_end = only(data, start, end, BIT_STRING, "keyUsage")
            if bits_start == bits_end or data[bits_start] > 7:
                raise error("malformed keyUsage")
            # keyCertSign is bit 5: mask 0x04 of the first content byte (RFC 5280 §4.2.1.3).
            self.key_cert_sign = bits_end - bits_start > 1 and bool(data[bits_start + 1] & 0x04)
        elif oid == _EXT_SAN:
            seq_start, seq_end = only(data, start, end, SEQUENCE, "subjectAltName")
            _general_names(data, seq_start, seq_end, dns=self.san_dns, ips=self.san_ip, uris=[])
        elif oid == _EXT_SKI:
            value_start, value_end = only(data, start, end, OCTET_STRING, "subjectKeyId")
            self.ski = data[value_start:value_end]
        elif oid == _EXT_AKI:
            seq_start, seq_end = only(data, start, end, SEQUENCE, "authorityKeyId")
            for tag, value_start, value_end in items(data, seq_start, seq_end):
                if tag == 0x80:  # keyIdentifier [0] IMPLICIT OCTET STRING
                    self.aki = data[value_start:value_end]
        elif oid == _EXT_AIA:
            seq_start, seq_end = only(data, start, end, SEQUENCE, "authorityInfoAccess")
            for tag, ad_start, ad_end in items(data, seq_start, seq_end):
                if tag != SEQUENCE:
                    raise error("malformed authorityInfoAccess")
                oid_start, oid_end = expect(data, ad_start, ad_end, OID, "access method")
                method = read_oid(data, oid_start, oid_end)
                uris: List[str] = []
                _general_names(data, oid_end, ad_end, dns=[], ips=[], uris=uris)
                if method == _AIA_CA_ISSUERS:
                    self.ca_issuers.extend(uris)
                elif method == _AIA_OCSP:
                    self.ocsp.extend(uris)


def parse_certificate(der: bytes) -> Certificate:
    """Read an X.509 certificate from its DER encoding.

    Args:
        der: exactly one DER-encoded certificate (no trailing bytes).

    Returns:
        The parsed :class:`Certificate`.

    Raises:
        CertificateError: when the bytes are not a well-formed certificate.
    """
    data = bytes(der)
    try:
        return _parse(data)
    except CertificateError:
        raise
    except (ValueError, IndexError, OverflowError, TypeError) as exc:  # pragma: no cover
        # Backstop: the parser checks every bound itself, but a bug here must still
        # surface as "not a certificate", never as a traceback.
        raise error(type(exc).__name__) from exc


def _parse(data: bytes) -> Certificate:
    end = len(data)
    cert_start, cert_end = expect(data, 0, end, SEQUENCE, "certificate")
    if cert_end != end:
        raise error(f"{end - cert_end} unexpected bytes after the certificate")
    tbs_start, tbs_end = expect(data, cert_start, cert_end, SEQUENCE, "tbsCertificate")
    _alg_start, alg_end = expect(data, tbs_end, cert_end, SEQUENCE, "signatureAlgorithm")
    _sig_start, sig_end = expect(data, alg_end, cert_end, BIT_STRING, "signature")
    if sig_end != cert_end:
        raise error("unexpected bytes after the signature")

    fields = items(data, tbs_start, tbs_end)
    missing = (-1, 0, 0)
    tag, start, stop = next(fields, missing)
    if tag == 0xA0:  # version [0] EXPLICIT, absent in v1 certificates
        version = read_integer(data, *only(data, start, stop, INTEGER, "version"))
        if version not in (0, 1, 2):
            # Bounded: str() of a fuzzed 2 KB INTEGER raised ValueError (over 4300 digits).
            shown = version if abs(version) < 2**32 else "(out of range)"
            raise error(f"unknown version {shown}")
        tag, start, stop = next(fields, missing)
    if tag != INTEGER:
        raise error("missing serial number")
    serial = read_integer(data, start, stop)

    parts: List[Tuple[int, int]] = []
    for what in ("signature algorithm", "issuer", "validity", "subject", "public key"):
        tag, start, stop = next(fields, missing)
        if tag != SEQUENCE:
            raise error("missing or malformed " + what)
        parts.append((start, stop))
    # Each element begins where the one before it ended.
    issuer = read_name(data, parts[0][1], *parts[1])
    times = [read_time(data, *item) for item in items(data, *parts[2])]
    if len(times) != 2:
        raise error("validity must hold exactly two times")
    subject = read_name(data, parts[2][1], *parts[3])
    key = _public_key(data, *parts[4])

    extensions = _Extensions()
    previous = 0
    for tag, start, stop in fields:
        # issuerUniqueID [1], subjectUniqueID [2], extensions [3]: each optional, in order.
        number = {0x81: 1, 0xA1: 1, 0x82: 2, 0xA2: 2, 0xA3: 3}.get(tag, 0)
        if number <= previous:
            raise error(f"unexpected field with tag 0x{tag:02x} in tbsCertificate")
        previous = number
        if number == 3:
            extensions.parse(data, start, stop)

    return Certificate(
        der=data,
        serial=serial,
        subject=subject,
        issuer=issuer,
        not_before=times[0],
        not_after=times[1],
        san_dns=tuple(extensions.san_dns),
        san_ip=tuple(extensions.san_ip),
        is_ca=extensions.is_ca,
        path_length=extensions.path_length,
        key_cert_sign=extensions.key_cert_sign,
        ski=extensions.ski,
        aki=extensions.aki,
        ca_issuers=tuple(extensions.ca_issuers),
        ocsp=tuple(extensions.ocsp),
        key=key,
    )


def _public_key(data: bytes, start: int, end: int) -> PublicKey:
    """SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): the algorithm and the key's size.

    The algorithm identifier must be well formed (OpenSSL refuses the certificate
    otherwise); the key inside the BIT STRING is only measured, and a key that cannot be
    measured has size 0 rather than making the certificate unreadable.
    """
    alg_start, alg_end = expect(data, start, end, SEQUENCE, "public key algorithm")
    bits_start, bits_end = only(data, alg_end, end, BIT_STRING, "public key")
    oid_start, oid_end = expect(data, alg_start, alg_end, OID, "public key algorithm")
    oid = read_oid(data, oid_start, oid_end)
    algorithm = _KEY_ALGORITHMS.get(oid, oid)
    try:
        if algorithm == "ec":
            curve_start, curve_end = only(data, oid_end, alg_end, OID, "curve")
            name, size = _CURVES.get(read_oid(data, curve_start, curve_end), ("", 0))
            return PublicKey(algorithm, size, name)
        if algorithm in ("ed25519", "ed448"):
            return PublicKey(algorithm, 256 if algorithm == "ed25519" else 456)
        if algorithm in ("rsa", "rsa-pss"):
            # RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
            seq_start, seq_end = expect(data, bits_start + 1, bits_end, SEQUENCE, "RSA key")
            mod_start, mod_end = expect(data, seq_start, seq_end, INTEGER, "modulus")
            return PublicKey(algorithm, read_integer(data, mod_start, mod_end).bit_length())
        if algorithm == "dsa":
            # Dss-Parms ::= SEQUENCE { p INTEGER, q INTEGER, g INTEGER }
            seq_start, seq_end = expect(data, oid_end, alg_end, SEQUENCE, "DSA parameters")
            p_start, p_end = expect(data, seq_start, seq_end, INTEGER, "DSA p")
            return PublicKey(algorithm, read_integer(data, p_start, p_end).bit_length())
    except CertificateError:
        pass  # measured as unknown; the certificate itself is still read
    return PublicKey(algorithm, 0)
