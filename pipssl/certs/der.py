"""A minimal, strict DER reader, standard library only: elements, OIDs, strings, names, times.

pipssl must describe CA files (names, validity, CA flag, fingerprints) on a Python
that has no ``ssl`` module and before ``cryptography`` could be installed, so it
reads the few fields it needs itself (the certificate itself: :mod:`pipssl.certs.x509`).
It never verifies signatures: trust decisions are left to OpenSSL; this only explains
what a file holds.

Every byte is bounds-checked; anything malformed raises
:class:`pipssl.errors.CertificateError`, never ``IndexError`` or ``ValueError``.
Layout follows RFC 5280 §4.1 (https://www.rfc-editor.org/rfc/rfc5280#section-4.1).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterator, List, Optional, Tuple

from pipssl.errors import CertificateError

__all__ = [
    "Name",
    "fingerprint",
    "first_element",
    "looks_like_private_key",
]

# Universal tags of the elements a certificate is made of.
SEQUENCE = 0x30
SET = 0x31
BOOLEAN = 0x01
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
OID = 0x06
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18

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
_MAX_ARC_BYTES = 32


def clipped(text: str) -> str:
    """``text`` cut short for an error message: one line for a terminal, whatever the input."""
    return text if len(text) <= 40 else text[:40] + "..."


def error(detail: str) -> CertificateError:
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


def read_tlv(data: bytes, pos: int, end: int) -> Tuple[int, int, int]:
    """Read the element at ``pos``; return (tag, value start, value end)."""
    if end - pos < 2:
        raise error(f"truncated element at offset {pos}")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise error(f"unsupported multi-byte tag at offset {pos}")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise error(f"indefinite length at offset {pos - 2}")
        if count > 4:
            raise error(f"length too large at offset {pos - 2}")
        if end - pos < count:
            raise error(f"truncated length at offset {pos}")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if length > end - pos:
        raise error(f"element at offset {pos} runs past its container")
    return tag, pos, pos + length


def expect(data: bytes, pos: int, end: int, tag: int, what: str) -> Tuple[int, int]:
    got, start, stop = read_tlv(data, pos, end)
    if got != tag:
        raise error(f"{what}: expected tag 0x{tag:02x}, found 0x{got:02x}")
    return start, stop


def items(data: bytes, start: int, end: int) -> Iterator[Tuple[int, int, int]]:
    """Yield (tag, value start, value end) for each element in [start, end)."""
    pos = start
    while pos < end:
        tag, value_start, value_end = read_tlv(data, pos, end)
        yield tag, value_start, value_end
        pos = value_end


def only(data: bytes, start: int, end: int, tag: int, what: str) -> Tuple[int, int]:
    """The single element filling [start, end) exactly."""
    value_start, value_end = expect(data, start, end, tag, what)
    if value_end != end:
        raise error(f"{what}: unexpected bytes after the value")
    return value_start, value_end


def read_oid(data: bytes, start: int, end: int) -> str:
    raw = data[start:end]
    known = _OIDS.get(raw)
    if known is not None:
        return known
    text = _decode_oid(data, start, end)
    if len(_OIDS) < _MAX_OIDS:
        _OIDS[raw] = text
    return text


#: OIDs decoded so far, by their bytes: a few dozen (attribute types, extensions) make up
#: almost every OID of hundreds of roots, and decoding them was a fifth of a bundle's parse.
#: Bounded, so fuzzed input cannot grow it without end.
_OIDS: Dict[bytes, str] = {}
_MAX_OIDS = 1024


def _decode_oid(data: bytes, start: int, end: int) -> str:
    if start == end or data[end - 1] & 0x80:
        raise error("malformed object identifier")
    arcs: List[int] = []
    value = 0
    size = 0
    for byte in data[start:end]:
        value = (value << 7) | (byte & 0x7F)
        size += 1
        if size > _MAX_ARC_BYTES:
            # Found by fuzzing: a 1 MB arc made this loop quadratic (minutes) and str()
            # refuses ints of over 4300 digits; real arcs, UUIDs included, fit in 19 bytes.
            raise error("object identifier arc too long")
        if not byte & 0x80:
            arcs.append(value)
            value = 0
            size = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def read_integer(data: bytes, start: int, end: int) -> int:
    if start == end:
        raise error("empty INTEGER")
    return int.from_bytes(data[start:end], "big", signed=True)


def read_boolean(data: bytes, start: int, end: int) -> bool:
    if end - start != 1:
        raise error("malformed BOOLEAN")
    return data[start] != 0


def _string(data: bytes, element: int, tag: int, start: int, end: int) -> str:
    """Decode the string value whose element (header included) begins at ``element``."""
    codec = _STRING_CODECS.get(tag)
    if codec is None:
        # RFC 4514 §2.4: a value of another type is shown as '#' + hex of its encoding.
        return "#" + data[element:end].hex()
    if codec in ("utf-16-be", "utf-32-be") and (end - start) % (2 if codec == "utf-16-be" else 4):
        raise error("string with a partial character")
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


def read_name(data: bytes, element: int, start: int, end: int) -> Name:
    """Read the Name whose value is [start, end) and whose element begins at ``element``."""
    pairs: List[Tuple[str, str]] = []
    for tag, set_start, set_end in items(data, start, end):
        if tag != SET or set_start == set_end:
            raise error("malformed relative distinguished name")
        for atv_tag, atv_start, atv_end in items(data, set_start, set_end):
            if atv_tag != SEQUENCE:
                raise error("malformed name attribute")
            oid_start, oid_end = expect(data, atv_start, atv_end, OID, "name attribute")
            value_tag, value_start, value_end = read_tlv(data, oid_end, atv_end)
            if value_end != atv_end:
                raise error("name attribute: unexpected bytes after the value")
            oid = read_oid(data, oid_start, oid_end)
            value = _string(data, oid_end, value_tag, value_start, value_end)
            pairs.append((_ATTRIBUTE_NAMES.get(oid, oid), value))
    return Name(rdns=tuple(pairs), der=data[element:end])


def read_time(data: bytes, tag: int, start: int, end: int) -> datetime:
    try:
        text = data[start:end].decode("ascii")
    except UnicodeDecodeError:
        raise error("validity time is not ASCII") from None
    if tag == UTC_TIME:
        # RFC 5280 §4.1.2.5.1: two-digit years 50-99 are 19xx, 00-49 are 20xx.
        if len(text) < 11:
            raise error(f"malformed UTCTime {clipped(repr(text))}")
        year = int(text[:2]) if text[:2].isdigit() else -1
        text = ("19" if year >= 50 else "20") + text
    elif tag != GENERALIZED_TIME:
        raise error(f"validity time has tag 0x{tag:02x}")
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
        raise error(f"validity time {clipped(repr(text))} has no time zone")
    body = body.split(".", 1)[0] if len(body) > 14 and body[14] == "." else body
    if len(body) not in (12, 14) or not body.isdigit():
        raise error(f"malformed validity time {clipped(repr(text))}")
    parts = [int(body[i : i + 2]) for i in range(4, len(body), 2)]
    second = parts[4] if len(parts) > 4 else 0
    try:
        moment = datetime(int(body[:4]), parts[0], parts[1], parts[2], parts[3], second)
        return (moment - offset).replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        raise error(f"impossible validity time {clipped(repr(text))}") from None


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
    _tag, _start, stop = read_tlv(data, 0, len(data))
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
        _tag, start, stop = read_tlv(data, 0, len(data))
        tag, value_start, value_end = read_tlv(data, start, stop)
    except CertificateError:
        return False
    return (
        _tag == SEQUENCE
        and tag == INTEGER
        and data[value_start:value_end]
        in (
            b"\x00",
            b"\x01",
            b"\x02",
        )
    )
