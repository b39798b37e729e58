"""pipssl.certs.der against real certificates: every field must match what cryptography reads.

Certificates come from trustme and cryptography's builder; the shapes those cannot make
(v1, odd string and time encodings) are assembled by hand below and signed for real, so
cryptography can still load them as the reference.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipssl.certs.der import Name, fingerprint, first_element, looks_like_private_key
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.errors import CertificateError

pytestmark = pytest.mark.once

UTC = dt.timezone.utc
REPO = Path(__file__).resolve().parent.parent
KEY = ec.generate_private_key(ec.SECP256R1())

# --- a tiny DER writer, for the certificates cryptography's builder will not make


def header(tag: int, length: int) -> bytes:
    if length < 0x80:
        return bytes([tag, length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size


def tlv(tag: int, content: bytes) -> bytes:
    return header(tag, len(content)) + content


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def integer(value: int) -> bytes:
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def name(*rdns: Sequence[Tuple[str, int, bytes]]) -> bytes:
    """Each RDN is a list of (oid, string tag, encoded value)."""
    return seq(
        *(tlv(0x31, b"".join(sorted(seq(oid(o), tlv(t, v)) for o, t, v in rdn))) for rdn in rdns)
    )


ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"))
SPKI = KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)


def hand_made(
    *,
    subject: bytes,
    issuer: Optional[bytes] = None,
    times: Tuple[bytes, bytes] = (tlv(0x17, b"200101000000Z"), tlv(0x17, b"491231235959Z")),
    serial: int = 0x1234,
    version: Optional[int] = None,
    extensions: Optional[bytes] = None,
) -> bytes:
    """A signed certificate; v1 (no version field) unless ``version`` is given."""
    fields = [] if version is None else [tlv(0xA0, integer(version))]
    fields += [integer(serial), ECDSA_SHA256, issuer or subject, seq(*times), subject, SPKI]
    if extensions is not None:
        fields.append(tlv(0xA3, seq(extensions)))
    tbs = seq(*fields)
    signature = KEY.sign(tbs, ec.ECDSA(hashes.SHA256()))
    return seq(tbs, ECDSA_SHA256, tlv(0x03, b"\x00" + signature))


# --- the reference comparison


def expected_rdns(xname: x509.Name) -> Tuple[Tuple[str, str], ...]:
    from pipssl.certs.der import _ATTRIBUTE_NAMES

    return tuple(
        (_ATTRIBUTE_NAMES.get(a.oid.dotted_string, a.oid.dotted_string), str(a.value))
        for rdn in xname.rdns
        for a in rdn
    )


def ext(xcert: x509.Certificate, kind: Any) -> Any:
    """The value of the extension of class ``kind``, or None when absent."""
    try:
        return xcert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def assert_matches_cryptography(der: bytes) -> Certificate:
    cert = parse_certificate(der)
    ref = x509.load_der_x509_certificate(der)
    assert cert.der == der
    assert cert.serial == ref.serial_number
    assert cert.subject.rdns == expected_rdns(ref.subject)
    assert cert.issuer.rdns == expected_rdns(ref.issuer)
    assert cert.subject.der == ref.subject.public_bytes()
    assert cert.issuer.der == ref.issuer.public_bytes()
    assert cert.self_issued == (ref.subject.public_bytes() == ref.issuer.public_bytes())
    assert cert.not_before == ref.not_valid_before_utc
    assert cert.not_after == ref.not_valid_after_utc
    assert cert.not_before.tzinfo is not None
    assert cert.sha256 == ":".join(f"{b:02X}" for b in ref.fingerprint(hashes.SHA256()))

    san = ext(ref, x509.SubjectAlternativeName)
    dns = san.get_values_for_type(x509.DNSName) if san else []
    ips = san.get_values_for_type(x509.IPAddress) if san else []
    assert cert.san_dns == tuple(dns)
    assert cert.san_ip == tuple(str(ip) for ip in ips)
    bc = ext(ref, x509.BasicConstraints)
    assert cert.is_ca == (bc.ca if bc else None)
    assert cert.path_length == (bc.path_length if bc else None)
    ku = ext(ref, x509.KeyUsage)
    assert cert.key_cert_sign == (ku.key_cert_sign if ku else None)
    ski = ext(ref, x509.SubjectKeyIdentifier)
    assert cert.ski == (ski.digest if ski else None)
    aki = ext(ref, x509.AuthorityKeyIdentifier)
    assert cert.aki == (aki.key_identifier if aki else None)
    descriptions = list(ext(ref, x509.AuthorityInformationAccess) or [])
    for method, found in (
        (AuthorityInformationAccessOID.CA_ISSUERS, cert.ca_issuers),
        (AuthorityInformationAccessOID.OCSP, cert.ocsp),
    ):
        urls = [d.access_location.value for d in descriptions if d.access_method == method]
        assert list(found) == urls
    return cert


# --- certificates


@pytest.fixture(scope="module")
def world() -> Dict[str, bytes]:
    root = trustme.CA(organization_name="pipssl test root")
    intermediate = root.create_child_ca()
    leaf = intermediate.issue_cert("localhost", "127.0.0.1", "::1", "pipssl.test")
    now = dt.datetime.now(UTC).replace(microsecond=0)
    return {
        "root": pem_to_der(root.cert_pem.bytes()),
        "intermediate": pem_to_der(intermediate.cert_pem.bytes()),
        "leaf": pem_to_der(leaf.cert_chain_pems[0].bytes()),
        "expired": build(now - dt.timedelta(days=30), now - dt.timedelta(days=1)),
        "aia": build(
            extensions=[
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier("http://127.0.0.1/ca.der"),
                        ),
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier("http://127.0.0.1:8080/ocsp"),
                        ),
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier("http://[::1]/second.p7c"),
                        ),
                    ]
                )
            ]
        ),
        "key-usage": build(
            extensions=[
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=True,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=True,
                    decipher_only=True,
                ),
                x509.BasicConstraints(ca=False, path_length=None),
            ]
        ),
        "key-cert-sign": build(
            extensions=[
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                x509.BasicConstraints(ca=True, path_length=0),
            ]
        ),
        "string-types": build(
            subject=x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "Grüße ☃", _ASN1Type.BMPString),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Zürich", _ASN1Type.T61String),
                    x509.NameAttribute(
                        NameOID.ORGANIZATIONAL_UNIT_NAME,
                        "univ \U0001d11e",
                        _ASN1Type.UniversalString,
                    ),
                    x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ca@pipssl.test"),
                    x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "test"),
                    x509.NameAttribute(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), "private"),
                ]
            )
        ),
        "generalized-time": build(
            dt.datetime(1950, 1, 1, tzinfo=UTC), dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
        ),
        "san-only": build(
            subject=x509.Name([]),
            extensions=[
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("*.pipssl.test"),
                        x509.RFC822Name("ops@pipssl.test"),
                        x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
                        x509.UniformResourceIdentifier("https://127.0.0.1/"),
                        x509.IPAddress(ipaddress.ip_address("fe80::1")),
                    ]
                )
            ],
        ),
        "v1": hand_made(
            subject=name(
                [("2.5.4.6", 0x13, b"NZ")],
                [("2.5.4.10", 0x0C, "Tāmaki".encode())],
                [("2.5.4.3", 0x16, b"v1 root")],
            )
        ),
    }


def pem_to_der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def build(
    not_before: Optional[dt.datetime] = None,
    not_after: Optional[dt.datetime] = None,
    *,
    subject: Optional[x509.Name] = None,
    extensions: Sequence[x509.ExtensionType] = (),
) -> bytes:
    now = dt.datetime.now(UTC)
    subject = (
        subject
        if subject is not None
        else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pipssl built")])
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pipssl issuer")]))
        .public_key(KEY.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=1))
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


NAMES = [
    "root",
    "intermediate",
    "leaf",
    "expired",
    "aia",
    "key-usage",
    "key-cert-sign",
    "string-types",
    "generalized-time",
    "san-only",
    "v1",
]


@pytest.mark.parametrize("which", NAMES)
def test_every_field_matches_cryptography(world: Dict[str, bytes], which: str) -> None:
    assert_matches_cryptography(world[which])


def test_trustme_chain_fields(world: Dict[str, bytes]) -> None:
    root = parse_certificate(world["root"])
    intermediate = parse_certificate(world["intermediate"])
    leaf = parse_certificate(world["leaf"])
    assert root.self_issued and root.is_ca and root.key_cert_sign
    assert root.subject.organization == "pipssl test root"
    assert intermediate.is_ca and not intermediate.self_issued
    assert intermediate.issuer == root.subject
    assert root.ski is not None
    assert intermediate.aki in (root.ski, None)  # trustme < 1.2 writes no AKI
    assert leaf.is_ca is False
    assert leaf.san_dns == ("localhost", "pipssl.test")
    assert leaf.san_ip == ("127.0.0.1", "::1")
    assert leaf.aki in (intermediate.ski, None)


def test_aia_and_key_usage(world: Dict[str, bytes]) -> None:
    aia = parse_certificate(world["aia"])
    assert aia.ca_issuers == ("http://127.0.0.1/ca.der", "http://[::1]/second.p7c")
    assert aia.ocsp == ("http://127.0.0.1:8080/ocsp",)
    assert aia.is_ca is None and aia.key_cert_sign is None and aia.path_length is None
    assert parse_certificate(world["key-usage"]).key_cert_sign is False
    signer = parse_certificate(world["key-cert-sign"])
    assert (signer.key_cert_sign, signer.is_ca, signer.path_length) == (True, True, 0)


def test_string_types_and_unknown_oids(world: Dict[str, bytes]) -> None:
    subject = parse_certificate(world["string-types"]).subject
    assert subject.rdns == (
        ("C", "DE"),
        ("CN", "Grüße ☃"),
        ("O", "Zürich"),
        ("OU", "univ \U0001d11e"),
        ("emailAddress", "ca@pipssl.test"),
        ("DC", "test"),
        ("1.3.6.1.4.1.99999.1", "private"),
    )
    assert subject.common_name == "Grüße ☃"
    assert subject.organization == "Zürich"
    assert str(subject).startswith("C=DE, CN=Grüße ☃, O=Zürich, OU=univ")


def test_v1_certificate(world: Dict[str, bytes]) -> None:
    assert x509.load_der_x509_certificate(world["v1"]).version == x509.Version.v1
    cert = parse_certificate(world["v1"])
    assert str(cert.subject) == "C=NZ, O=Tāmaki, CN=v1 root"
    assert cert.is_ca is None and cert.key_cert_sign is None and cert.ski is None
    assert cert.san_dns == () and cert.ca_issuers == ()
    assert cert.self_issued
    assert cert.not_before == dt.datetime(2020, 1, 1, tzinfo=UTC)
    assert cert.not_after == dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_empty_subject_and_san(world: Dict[str, bytes]) -> None:
    cert = parse_certificate(world["san-only"])
    assert cert.subject.rdns == () and str(cert.subject) == ""
    assert cert.subject.common_name is None and cert.subject.organization is None
    assert cert.san_dns == ("*.pipssl.test",)
    assert cert.san_ip == ("10.0.0.1", "fe80::1")


def test_validity(world: Dict[str, bytes]) -> None:
    expired = parse_certificate(world["expired"])
    now = dt.datetime.now(UTC)
    assert not expired.is_valid_at(now)
    assert expired.is_valid_at(expired.not_before) and expired.is_valid_at(expired.not_after)
    assert not expired.is_valid_at(expired.not_after + dt.timedelta(seconds=1))
    assert not expired.is_valid_at(expired.not_before - dt.timedelta(seconds=1))
    naive = expired.not_after.replace(tzinfo=None)
    assert expired.is_valid_at(naive)
    assert parse_certificate(world["leaf"]).is_valid_at(now)
    far = parse_certificate(world["generalized-time"])
    assert far.not_before == dt.datetime(1950, 1, 1, tzinfo=UTC)
    assert far.not_after == dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (tlv(0x17, b"491231235959Z"), dt.datetime(2049, 12, 31, 23, 59, 59)),
        (tlv(0x17, b"500101000000Z"), dt.datetime(1950, 1, 1)),
        (tlv(0x17, b"9901010000Z"), dt.datetime(1999, 1, 1)),  # BER: no seconds
        (tlv(0x17, b"990101000000+0130"), dt.datetime(1998, 12, 31, 22, 30)),
        (tlv(0x18, b"19000101000000Z"), dt.datetime(1900, 1, 1)),
        (tlv(0x18, b"20300101120000.5Z"), dt.datetime(2030, 1, 1, 12)),
        (tlv(0x18, b"20300101120000-0200"), dt.datetime(2030, 1, 1, 14)),
    ],
)
def test_time_encodings(encoded: bytes, expected: dt.datetime) -> None:
    der = hand_made(subject=name([("2.5.4.3", 0x0C, b"t")]), times=(encoded, encoded))
    cert = parse_certificate(der)
    assert cert.not_before == cert.not_after == expected.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "encoded",
    [
        tlv(0x17, b"491231235959"),  # no zone
        tlv(0x17, b"4912312359"),
        tlv(0x17, b"491331235959Z"),  # month 13
        tlv(0x17, b"49123123595aZ"),
        tlv(0x17, b"\xff91231235959Z"),
        tlv(0x18, b"2030010112Z"),
        tlv(0x18, b"00000101000000Z"),  # year 0
        tlv(0x0C, b"20300101000000Z"),  # wrong type
        tlv(0x17, b""),
    ],
)
def test_bad_times_are_rejected(encoded: bytes) -> None:
    der = hand_made(subject=name([("2.5.4.3", 0x0C, b"t")]), times=(encoded, encoded))
    with pytest.raises(CertificateError):
        parse_certificate(der)


def test_odd_names_by_hand() -> None:
    subject = name(
        [("2.5.4.3", 0x14, b"Z\xfcrich"), ("2.5.4.10", 0x13, b"multi")],  # latin-1 T61
        [("2.5.4.11", 0x1E, "Ω".encode("utf-16-be"))],
        [("2.5.4.7", 0x12, b"12345"), ("2.5.4.8", 0x1A, b"visible")],
        [("1.2.3.4", 0x04, b"\x01\x02")],  # not a string: shown as '#' + hex (RFC 4514)
        [("2.5.4.3", 0x0C, b"second \xff CN")],  # bad UTF-8 is replaced, not fatal
    )
    cert = parse_certificate(hand_made(subject=subject))
    rdns = dict(cert.subject.rdns)
    assert rdns["OU"] == "Ω"
    assert rdns["L"] == "12345" and rdns["ST"] == "visible"
    assert rdns["1.2.3.4"] == "#04020102"
    assert ("CN", "Zürich") in cert.subject.rdns
    assert cert.subject.common_name == "second \ufffd CN"  # the last CN is the specific one
    assert ("O", "multi") in cert.subject.rdns


def test_self_issued_compares_der_not_text() -> None:
    printable = name([("2.5.4.3", 0x13, b"same")])
    utf8 = name([("2.5.4.3", 0x0C, b"same")])
    cert = parse_certificate(hand_made(subject=printable, issuer=utf8))
    assert cert.subject == cert.issuer  # same text ...
    assert not cert.self_issued  # ... but not the same name on the wire


def test_extension_edge_cases() -> None:
    subject = name([("2.5.4.3", 0x0C, b"x")])
    critical_bc = seq(oid("2.5.29.19"), tlv(0x01, b"\xff"), tlv(0x04, seq(tlv(0x01, b"\xff"))))
    ku_empty = seq(oid("2.5.29.15"), tlv(0x04, tlv(0x03, b"\x00")))
    unknown = seq(oid("1.2.3.4.5"), tlv(0x04, b"anything at all"))
    cert = parse_certificate(
        hand_made(subject=subject, version=2, extensions=critical_bc + ku_empty + unknown)
    )
    assert (cert.is_ca, cert.path_length, cert.key_cert_sign) == (True, None, False)
    empty_bc = seq(oid("2.5.29.19"), tlv(0x04, seq()))
    assert parse_certificate(hand_made(subject=subject, extensions=empty_bc)).is_ca is False

    bad = [
        critical_bc + critical_bc,  # duplicate extension
        seq(oid("2.5.29.17"), tlv(0x04, seq(tlv(0x87, b"\x01\x02\x03")))),  # 3-byte IP
        seq(oid("2.5.29.15"), tlv(0x04, tlv(0x03, b""))),  # empty BIT STRING
        seq(oid("2.5.29.19"), tlv(0x04, seq(tlv(0x04, b"")))),
        seq(oid("2.5.29.19"), tlv(0x04, seq()) + b"\x00\x00"),
        seq(oid("2.5.29.19"), tlv(0x01, b"")),
        seq(tlv(0x06, b"\x81")),  # OID with a dangling continuation byte
        tlv(0x31, b""),
    ]
    for extensions in bad:
        with pytest.raises(CertificateError):
            parse_certificate(hand_made(subject=subject, version=2, extensions=extensions))


def test_structure_errors() -> None:
    good = hand_made(subject=name([("2.5.4.3", 0x0C, b"x")]))
    assert parse_certificate(good).serial == 0x1234
    for version in (3, -1):
        with pytest.raises(CertificateError):
            parse_certificate(hand_made(subject=name(), version=version))
    with pytest.raises(CertificateError, match="after the certificate"):
        parse_certificate(good + b"\x00")
    with pytest.raises(CertificateError):
        parse_certificate(good + good)
    # indefinite length (BER) on the outer SEQUENCE
    with pytest.raises(CertificateError, match="indefinite"):
        parse_certificate(b"\x30\x80" + good[4:] + b"\x00\x00")
    with pytest.raises(CertificateError):
        parse_certificate(name([("2.5.4.3", 0x0C, b"x")]))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x00",
        b"\x30\x80",
        b"\x30\x85\x01\x00\x00\x00\x00",
        b"\x30\x84\xff\xff\xff\xff",
        b"\x30\x84\x00\x00\x00",
        b"\x1f\x01\x00",
        b"\x30\x03\x30\x01",
        b"\x30\x02\x02\x00",
        b"\x02\x01\x00",
        b"-----BEGIN CERTIFICATE-----",
    ],
)
def test_tiny_malformed_inputs(data: bytes) -> None:
    with pytest.raises(CertificateError):
        parse_certificate(data)


def test_every_truncation_of_a_real_certificate_is_rejected(world: Dict[str, bytes]) -> None:
    for which in ("leaf", "v1", "aia"):
        der = world[which]
        for length in range(len(der)):
            with pytest.raises(CertificateError):
                parse_certificate(der[:length])


def test_trailing_bytes_are_rejected(world: Dict[str, bytes]) -> None:
    for tail in (b"\x00", b"\x30\x00", b"garbage", world["root"]):
        with pytest.raises(CertificateError):
            parse_certificate(world["leaf"] + tail)


def test_bytes_like_inputs_and_fingerprint(world: Dict[str, bytes]) -> None:
    der = world["root"]
    cert = parse_certificate(der)
    assert parse_certificate(bytearray(der)) == cert
    assert parse_certificate(memoryview(der)) == cert  # type: ignore[arg-type]
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", cert.sha256)
    assert fingerprint(der) == cert.sha256
    assert hash(cert) == hash(parse_certificate(der))


def test_helpers(world: Dict[str, bytes]) -> None:
    der = world["leaf"]
    assert first_element(der + b"\x30\x00trust settings") == der
    with pytest.raises(CertificateError):
        first_element(der[:-1])
    assert not looks_like_private_key(der)
    key_der = KEY.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert looks_like_private_key(key_der)
    assert not looks_like_private_key(b"\x30")


# --- fuzzing: whatever the bytes, only CertificateError may escape

CORPUS: List[bytes] = [
    hand_made(subject=name([("2.5.4.3", 0x0C, b"fuzz")])),
    hand_made(
        subject=name([("2.5.4.3", 0x1E, "fz".encode("utf-16-be"))]),
        version=2,
        extensions=seq(oid("2.5.29.19"), tlv(0x04, seq(tlv(0x01, b"\xff"), integer(3))))
        + seq(oid("2.5.29.17"), tlv(0x04, seq(tlv(0x82, b"a.test"), tlv(0x87, b"\x7f\0\0\1"))))
        + seq(
            oid("1.3.6.1.5.5.7.1.1"),
            tlv(0x04, seq(seq(oid("1.3.6.1.5.5.7.48.1"), tlv(0x86, b"http://127.0.0.1/")))),
        )
        + seq(oid("2.5.29.15"), tlv(0x04, tlv(0x03, b"\x01\x06"))),
    ),
]

mutation = st.tuples(
    st.sampled_from(["flip", "set", "insert", "delete"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=255),
)


def mutate(der: bytes, ops: List[Tuple[str, int, int]]) -> bytes:
    data = bytearray(der)
    for kind, where, value in ops:
        if not data:
            break
        pos = where % len(data)
        if kind == "flip":
            data[pos] ^= 1 << (value % 8)
        elif kind == "set":
            data[pos] = value
        elif kind == "insert":
            data.insert(pos, value)
        else:
            del data[pos]
    return bytes(data)


def only_certificate_error(data: bytes) -> None:
    try:
        result = parse_certificate(data)
    except CertificateError:
        return
    assert isinstance(result, Certificate)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(CORPUS),
    ops=st.lists(mutation, min_size=1, max_size=6),
)
def test_fuzz_mutated_certificates(base: bytes, ops: List[Tuple[str, int, int]]) -> None:
    only_certificate_error(mutate(base, ops))


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=600),
        st.binary(max_size=300).map(lambda b: b"\x30" + b),
        st.binary(max_size=300).map(lambda b: b"\x30\x82" + b),
    )
)
def test_fuzz_random_bytes(data: bytes) -> None:
    only_certificate_error(data)


def test_imports_without_ssl_hashlib_openssl_or_third_parties(world: Dict[str, bytes]) -> None:
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "for blocked in ('ssl', '_ssl', '_hashlib', 'cryptography', 'certifi'):\n"
        "    sys.modules[blocked] = None\n"
        "from pipssl.certs.x509 import parse_certificate\n"
        "import pipssl.certs.bundle\n"
        "cert = parse_certificate(bytes.fromhex(sys.argv[1]))\n"
        "print(cert.subject.common_name, cert.sha256)\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code, world["v1"].hex()],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "v1 root " + fingerprint(world["v1"])


def test_name_equality_ignores_encoding_bytes() -> None:
    assert Name(rdns=(("CN", "a"),), der=b"x") == Name(rdns=(("CN", "a"),))
    assert str(Name(rdns=(("CN", "a"), ("O", "b")))) == "CN=a, O=b"
