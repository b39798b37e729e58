"""A minimal, strict DER reader for X.509 certificates, standard library only.

pipssl must describe CA files (names, validity, CA flag, fingerprints) on a Python
that has no ``ssl`` module and before ``cryptography`` could be installed, so it
reads the few fields it needs itself.  It never verifies signatures: trust
decisions are left to OpenSSL; this module only explains what a file holds.

Every byte is bounds-checked; anything malformed raises
:class:`pipssl.errors.CertificateError`, never ``IndexError`` or ``ValueError``.
Layout follows RFC 5280 §4.1 (https://www.rfc-editor.org/rfc/rfc5280#section-4.1).
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Dict, Iterator, List, Optional, Tuple

from pipssl.errors import CertificateError

__all__ = [
    "Certificate",
    "Name",
    "fingerprint",
    "first_element",
    "looks_like_private_key",
    "parse_certificate",
]

_SEQUENCE = 0x30
_SET = 0x31
_BOOLEAN = 0x01
_INTEGER = 0x02
_BIT_STRING = 0x03
_OCTET_STRING = 0x04
_OID = 0x06
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18

# Short names as OpenSSL prints them, so output matches what users see elsewhere.
_ATTRIBUTE_NAMES: Dict[str, str] = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode",
    "2.5.4.42": "GN",
    "2.5.4.46": "dnQualifier",
    "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}

# Directory string types -> Python codec.  Legacy CAs put latin-1 into PrintableString
# and T61String; a wrong character in a display name must not make a root unusable,
# so decoding replaces what it cannot read instead of failing.
_TELETEX = 0x14
_STRING_CODECS: Dict[int, str] = {
    0x0C: "utf-8",  # UTF8String
    0x12: "ascii",  # NumericString
    0x13: "ascii",  # PrintableString
    _TELETEX: "latin-1",  # TeletexString, read as OpenSSL shows it
    0x16: "ascii",  # IA5String
    0x1A: "ascii",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}

_EXT_BASIC_CONSTRAINTS = "2.5.29.19"
_EXT_KEY_USAGE = "2.5.29.15"
_EXT_SAN = "2.5.29.17"
_EXT_SKI = "2.5.29.14"
_EXT_AKI = "2.5.29.35"
_EXT_AIA = "1.3.6.1.5.5.7.1.1"
_AIA_OCSP = "1.3.6.1.5.5.7.48.1"
_AIA_CA_ISSUERS = "1.3.6.1.5.5.7.48.2"
_MAX_ARC_BYTES = 32


def _shown(text: str) -> str:
    """``text`` cut short for an error message: one line for a terminal, whatever the input."""
    return text if len(text) <= 40 else text[:40] + "..."


def _error(detail: str) -> CertificateError:
    return CertificateError(
        "not a valid X.509 certificate: " + detail,
        hint="Check that the file holds a CA certificate (PEM or DER), not something else.",
    )


@dataclass(frozen=True)
class Name:
    """An X.509 distinguished name, flattened in DER order.

    ``rdns`` holds ``(attribute, value)`` pairs; ``attribute`` is OpenSSL's short
    name (``CN``, ``O``, ``emailAddress``, ...) or the dotted OID when unknown.
    ``der`` is the encoded Name (header included), kept so that names can be compared
    exactly; it takes no part in ``==``.
    """

    rdns: Tuple[Tuple[str, str], ...]
    der: bytes = field(default=b"", repr=False, compare=False)

    def __str__(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in self.rdns)

    def _last(self, key: str) -> Optional[str]:
        for attribute, value in reversed(self.rdns):
            if attribute == key:
                return value
        return None

    @property
    def common_name(self) -> Optional[str]:
        """The last (most specific) CN, or None."""
        return self._last("CN")

    @property
    def organization(self) -> Optional[str]:
        """The last O, or None."""
        return self._last("O")


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


def fingerprint(der: bytes) -> str:
    """Return the SHA-256 fingerprint of ``der`` as uppercase colon-separated hex.

    Args:
        der: any bytes, normally a DER certificate.

    Returns:
        A string like ``"AB:CD:..."`` (95 characters).
    """
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


# --- TLV primitives: every function takes (data, pos, end) and never reads past end.


def _tlv(data: bytes, pos: int, end: int) -> Tuple[int, int, int]:
    """Read the element at ``pos``; return (tag, value start, value end)."""
    if end - pos < 2:
        raise _error(f"truncated element at offset {pos}")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise _error(f"unsupported multi-byte tag at offset {pos}")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise _error(f"indefinite length at offset {pos - 2}")
        if count > 4:
            raise _error(f"length too large at offset {pos - 2}")
        if end - pos < count:
            raise _error(f"truncated length at offset {pos}")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if length > end - pos:
        raise _error(f"element at offset {pos} runs past its container")
    return tag, pos, pos + length


def _expect(data: bytes, pos: int, end: int, tag: int, what: str) -> Tuple[int, int]:
    got, start, stop = _tlv(data, pos, end)
    if got != tag:
        raise _error(f"{what}: expected tag 0x{tag:02x}, found 0x{got:02x}")
    return start, stop


def _items(data: bytes, start: int, end: int) -> Iterator[Tuple[int, int, int]]:
    """Yield (tag, value start, value end) for each element in [start, end)."""
    pos = start
    while pos < end:
        tag, value_start, value_end = _tlv(data, pos, end)
        yield tag, value_start, value_end
        pos = value_end


def _only(data: bytes, start: int, end: int, tag: int, what: str) -> Tuple[int, int]:
    """The single element filling [start, end) exactly."""
    value_start, value_end = _expect(data, start, end, tag, what)
    if value_end != end:
        raise _error(f"{what}: unexpected bytes after the value")
    return value_start, value_end


def _oid(data: bytes, start: int, end: int) -> str:
    if start == end or data[end - 1] & 0x80:
        raise _error("malformed object identifier")
    arcs: List[int] = []
    value = 0
    size = 0
    for byte in data[start:end]:
        value = (value << 7) | (byte & 0x7F)
        size += 1
        if size > _MAX_ARC_BYTES:
            # Found by fuzzing: a 1 MB arc made this loop quadratic (minutes) and str()
            # refuses ints of over 4300 digits; real arcs, UUIDs included, fit in 19 bytes.
            raise _error("object identifier arc too long")
        if not byte & 0x80:
            arcs.append(value)
            value = 0
            size = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def _integer(data: bytes, start: int, end: int) -> int:
    if start == end:
        raise _error("empty INTEGER")
    return int.from_bytes(data[start:end], "big", signed=True)


def _boolean(data: bytes, start: int, end: int) -> bool:
    if end - start != 1:
        raise _error("malformed BOOLEAN")
    return data[start] != 0


def _string(data: bytes, element: int, tag: int, start: int, end: int) -> str:
    """Decode the string value whose element (header included) begins at ``element``."""
    codec = _STRING_CODECS.get(tag)
    if codec is None:
        # RFC 4514 §2.4: a value of another type is shown as '#' + hex of its encoding.
        return "#" + data[element:end].hex()
    if codec in ("utf-16-be", "utf-32-be") and (end - start) % (2 if codec == "utf-16-be" else 4):
        raise _error("string with a partial character")
    raw = data[start:end]
    if tag == _TELETEX:
        # cryptography writes UTF-8 into T61String; real T61 text is latin-1, where a
        # valid multi-byte UTF-8 sequence is vanishingly unlikely, so try UTF-8 first.
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return raw.decode(codec, "replace")


# --- structures


def _name(data: bytes, element: int, start: int, end: int) -> Name:
    """Read the Name whose value is [start, end) and whose element begins at ``element``."""
    pairs: List[Tuple[str, str]] = []
    for tag, set_start, set_end in _items(data, start, end):
        if tag != _SET or set_start == set_end:
            raise _error("malformed relative distinguished name")
        for atv_tag, atv_start, atv_end in _items(data, set_start, set_end):
            if atv_tag != _SEQUENCE:
                raise _error("malformed name attribute")
            oid_start, oid_end = _expect(data, atv_start, atv_end, _OID, "name attribute")
            value_tag, value_start, value_end = _tlv(data, oid_end, atv_end)
            if value_end != atv_end:
                raise _error("name attribute: unexpected bytes after the value")
            oid = _oid(data, oid_start, oid_end)
            value = _string(data, oid_end, value_tag, value_start, value_end)
            pairs.append((_ATTRIBUTE_NAMES.get(oid, oid), value))
    return Name(rdns=tuple(pairs), der=data[element:end])


def _time(data: bytes, tag: int, start: int, end: int) -> datetime:
    try:
        text = data[start:end].decode("ascii")
    except UnicodeDecodeError:
        raise _error("validity time is not ASCII") from None
    if tag == _UTC_TIME:
        # RFC 5280 §4.1.2.5.1: two-digit years 50-99 are 19xx, 00-49 are 20xx.
        if len(text) < 11:
            raise _error(f"malformed UTCTime {_shown(repr(text))}")
        year = int(text[:2]) if text[:2].isdigit() else -1
        text = ("19" if year >= 50 else "20") + text
    elif tag != _GENERALIZED_TIME:
        raise _error(f"validity time has tag 0x{tag:02x}")
    return _parse_time(text)


def _parse_time(text: str) -> datetime:
    """Parse 'YYYYMMDDHHMM[SS[.f]](Z|+hhmm|-hhmm)'; DER demands seconds and Z, BER does not."""
    body, offset = text, timedelta(0)
    if body.endswith("Z"):
        body = body[:-1]
    elif len(body) > 5 and body[-5] in "+-" and body[-4:].isdigit():
        sign = 1 if body[-5] == "+" else -1
        offset = sign * timedelta(hours=int(body[-4:-2]), minutes=int(body[-2:]))
        body = body[:-5]
    else:
        raise _error(f"validity time {_shown(repr(text))} has no time zone")
    body = body.split(".", 1)[0] if len(body) > 14 and body[14] == "." else body
    if len(body) not in (12, 14) or not body.isdigit():
        raise _error(f"malformed validity time {_shown(repr(text))}")
    parts = [int(body[i : i + 2]) for i in range(4, len(body), 2)]
    second = parts[4] if len(parts) > 4 else 0
    try:
        moment = datetime(int(body[:4]), parts[0], parts[1], parts[2], parts[3], second)
        return (moment - offset).replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        raise _error(f"impossible validity time {_shown(repr(text))}") from None


def _general_names(
    data: bytes, start: int, end: int, *, dns: List[str], ips: List[str], uris: List[str]
) -> None:
    for tag, value_start, value_end in _items(data, start, end):
        raw = data[value_start:value_end]
        if tag == 0x82:  # dNSName [2] IA5String
            dns.append(raw.decode("ascii", "replace"))
        elif tag == 0x86:  # uniformResourceIdentifier [6] IA5String
            uris.append(raw.decode("ascii", "replace"))
        elif tag == 0x87:  # iPAddress [7] OCTET STRING
            if len(raw) not in (4, 16):
                raise _error(f"IP address of {len(raw)} bytes in subjectAltName")
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
        seq_start, seq_end = _only(data, start, end, _SEQUENCE, "extensions")
        seen = set()
        for tag, ext_start, ext_end in _items(data, seq_start, seq_end):
            if tag != _SEQUENCE:
                raise _error("malformed extension")
            oid_start, pos = _expect(data, ext_start, ext_end, _OID, "extension")
            oid = _oid(data, oid_start, pos)
            if oid in seen:
                raise _error(f"extension {_shown(oid)} appears twice")
            seen.add(oid)
            value_tag, value_start, value_end = _tlv(data, pos, ext_end)
            if value_tag == _BOOLEAN:  # critical flag; pipssl reads, never enforces
                _boolean(data, value_start, value_end)
                value_tag, value_start, value_end = _tlv(data, value_end, ext_end)
            if value_tag != _OCTET_STRING or value_end != ext_end:
                raise _error(f"malformed extension {_shown(oid)}")
            self._one(oid, data, value_start, value_end)

    def _one(self, oid: str, data: bytes, start: int, end: int) -> None:
        if oid == _EXT_BASIC_CONSTRAINTS:
            seq_start, seq_end = _only(data, start, end, _SEQUENCE, "basicConstraints")
            self.is_ca = False
            for tag, value_start, value_end in _items(data, seq_start, seq_end):
                if tag == _BOOLEAN:
                    self.is_ca = _boolean(data, value_start, value_end)
                elif tag == _INTEGER:
                    self.path_length = _integer(data, value_start, value_end)
                else:
                    raise _error("malformed basicConstraints")
        elif oid == _EXT_KEY_USAGE:
            bits_start, bits_end = _only(data, start, end, _BIT_STRING, "keyUsage")
            if bits_start == bits_end or data[bits_start] > 7:
                raise _error("malformed keyUsage")
            # keyCertSign is bit 5: mask 0x04 of the first content byte (RFC 5280 §4.2.1.3).
            self.key_cert_sign = bits_end - bits_start > 1 and bool(data[bits_start + 1] & 0x04)
        elif oid == _EXT_SAN:
            seq_start, seq_end = _only(data, start, end, _SEQUENCE, "subjectAltName")
            _general_names(data, seq_start, seq_end, dns=self.san_dns, ips=self.san_ip, uris=[])
        elif oid == _EXT_SKI:
            value_start, value_end = _only(data, start, end, _OCTET_STRING, "subjectKeyId")
            self.ski = data[value_start:value_end]
        elif oid == _EXT_AKI:
            seq_start, seq_end = _only(data, start, end, _SEQUENCE, "authorityKeyId")
            for tag, value_start, value_end in _items(data, seq_start, seq_end):
                if tag == 0x80:  # keyIdentifier [0] IMPLICIT OCTET STRING
                    self.aki = data[value_start:value_end]
        elif oid == _EXT_AIA:
            seq_start, seq_end = _only(data, start, end, _SEQUENCE, "authorityInfoAccess")
            for tag, ad_start, ad_end in _items(data, seq_start, seq_end):
                if tag != _SEQUENCE:
                    raise _error("malformed authorityInfoAccess")
                oid_start, oid_end = _expect(data, ad_start, ad_end, _OID, "access method")
                method = _oid(data, oid_start, oid_end)
                uris: List[str] = []
                _general_names(data, oid_end, ad_end, dns=[], ips=[], uris=uris)
                if method == _AIA_CA_ISSUERS:
                    self.ca_issuers.extend(uris)
                elif method == _AIA_OCSP:
                    self.ocsp.extend(uris)


def first_element(data: bytes) -> bytes:
    """Return the first complete DER element of ``data`` (the rest is ignored).

    OpenSSL's "TRUSTED CERTIFICATE" blocks append trust settings after the
    certificate; this cuts the certificate out.

    Args:
        data: bytes starting with a DER element.

    Returns:
        The bytes of that element, header included.

    Raises:
        CertificateError: when the element is truncated or its header is malformed.
    """
    _tag, _start, stop = _tlv(data, 0, len(data))
    return data[:stop]


def looks_like_private_key(data: bytes) -> bool:
    """Tell whether ``data`` looks like a DER private key rather than a certificate.

    PKCS#1, SEC1 and PKCS#8 keys are a SEQUENCE starting with a small version
    INTEGER, where a certificate starts with its tbsCertificate SEQUENCE.

    Args:
        data: any bytes.

    Returns:
        True for a SEQUENCE whose first element is an INTEGER between 0 and 2.
    """
    try:
        _tag, start, stop = _tlv(data, 0, len(data))
        tag, value_start, value_end = _tlv(data, start, stop)
    except CertificateError:
        return False
    return (
        _tag == _SEQUENCE
        and tag == _INTEGER
        and data[value_start:value_end]
        in (
            b"\x00",
            b"\x01",
            b"\x02",
        )
    )


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
        raise _error(type(exc).__name__) from exc


def _parse(data: bytes) -> Certificate:
    end = len(data)
    cert_start, cert_end = _expect(data, 0, end, _SEQUENCE, "certificate")
    if cert_end != end:
        raise _error(f"{end - cert_end} unexpected bytes after the certificate")
    tbs_start, tbs_end = _expect(data, cert_start, cert_end, _SEQUENCE, "tbsCertificate")
    _alg_start, alg_end = _expect(data, tbs_end, cert_end, _SEQUENCE, "signatureAlgorithm")
    _sig_start, sig_end = _expect(data, alg_end, cert_end, _BIT_STRING, "signature")
    if sig_end != cert_end:
        raise _error("unexpected bytes after the signature")

    fields = _items(data, tbs_start, tbs_end)
    missing = (-1, 0, 0)
    tag, start, stop = next(fields, missing)
    if tag == 0xA0:  # version [0] EXPLICIT, absent in v1 certificates
        version = _integer(data, *_only(data, start, stop, _INTEGER, "version"))
        if version not in (0, 1, 2):
            # Bounded: str() of a fuzzed 2 KB INTEGER raised ValueError (over 4300 digits).
            shown = version if abs(version) < 2**32 else "(out of range)"
            raise _error(f"unknown version {shown}")
        tag, start, stop = next(fields, missing)
    if tag != _INTEGER:
        raise _error("missing serial number")
    serial = _integer(data, start, stop)

    parts: List[Tuple[int, int]] = []
    for what in ("signature algorithm", "issuer", "validity", "subject", "public key"):
        tag, start, stop = next(fields, missing)
        if tag != _SEQUENCE:
            raise _error("missing or malformed " + what)
        parts.append((start, stop))
    # Each element begins where the one before it ended.
    issuer = _name(data, parts[0][1], *parts[1])
    times = [_time(data, *item) for item in _items(data, *parts[2])]
    if len(times) != 2:
        raise _error("validity must hold exactly two times")
    subject = _name(data, parts[2][1], *parts[3])

    extensions = _Extensions()
    previous = 0
    for tag, start, stop in fields:
        # issuerUniqueID [1], subjectUniqueID [2], extensions [3]: each optional, in order.
        number = {0x81: 1, 0xA1: 1, 0x82: 2, 0xA2: 2, 0xA3: 3}.get(tag, 0)
        if number <= previous:
            raise _error(f"unexpected field with tag 0x{tag:02x} in tbsCertificate")
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
    )
