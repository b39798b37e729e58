"""Fuzzing, with hypothesis, of the parsers pipssl bases trust decisions on, and of the
editors that write other clients' settings.

* the DER/X.509 reader (``pipssl.certs.der``): random bytes, and real certificates (trustme,
  cryptography's builder, certifi's roots) mutated through their TLV tree, so that a corrupt
  length, tag, OID, INTEGER, string or time reaches the code that reads it (the enclosing
  lengths are re-encoded around the damage), plus byte flips, truncations and deep nesting;
* the PEM reader (``pipssl.certs.bundle``): random text and bytes, and bundles assembled from
  valid, broken and foreign blocks, private keys and noise, checked against a model of the
  expected outcome and round-tripped through ``render_bundle``;
* the config editor (``pipssl.formats.ini_edit``) on arbitrary text, where tests/test_confedit.py
  covers generated valid files: only ``ConfigError`` for text it refuses, every unrelated line
  kept byte for byte, idempotence, the parse pip gets afterwards;
* the TOML editor (``pipssl.formats.toml``, poetry's ``config.toml``; it reads with tomllib,
  or tomli): generated config files and any text: setting ``certificates.<source>.cert``
  changes that value only, every other line byte for byte, and a second edit nothing;
* the ``.condarc`` reader and editor (``pipssl.formats.condarc``), against PyYAML (in tox's
  deps): setting ``ssl_verify`` changes that key only, in place or as a new last line.

Every property only lets pipssl's own errors through. The DER properties call the parser
behind ``parse_certificate``'s backstop (which turns a stray ValueError into
CertificateError) so that a bug shows as itself; the editors' errors must be one line.
Each crash the fuzzer found stays here as an ``@example``.

Runs use the hypothesis profile ``pipssl-fuzz``: 300 examples per property, derandomized,
no example database. ``PIPSSL_FUZZ_EXAMPLES=10000`` runs more by hand;
``PIPSSL_FUZZ_RANDOM=1`` draws a fresh seed instead of the fixed one.
"""

from __future__ import annotations

import base64
import configparser
import copy
import dataclasses
import datetime as dt
import functools
import importlib
import io
import ipaddress
import os
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from test_der import header, oid, seq, tlv

from pipssl.certs import pem as _pem
from pipssl.certs import x509 as _der
from pipssl.certs.bundle import BundleEntry, dedupe, load_cafile, read_pem, render_bundle, to_pem
from pipssl.certs.der import fingerprint, first_element, looks_like_private_key
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.errors import BundleError, CertificateError, ConfigError, PipsslError
from pipssl.formats.condarc import read_condarc, set_condarc_key
from pipssl.formats.ini import normalize_key
from pipssl.formats.ini_edit import get_values, remove_list_item, remove_value, set_value
from pipssl.formats.toml import read_toml, set_toml_string, toml_get

pytestmark = pytest.mark.once

EXAMPLES = int(os.environ.get("PIPSSL_FUZZ_EXAMPLES") or 300)
settings.register_profile(
    "pipssl-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("PIPSSL_FUZZ_RANDOM"),
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
FUZZ = settings.get_profile("pipssl-fuzz")
UTC = dt.timezone.utc
MESSAGE_LIMIT = 400  # an error is one line for a terminal, whatever the input held


# --- a TLV tree over test_der's tiny DER writer, independent of the reader under test


@dataclasses.dataclass
class Node:
    """One TLV; ``length`` (the length octets) and ``raw`` (the whole encoding) override."""

    tag: int
    content: bytes = b""
    children: Optional[List[Node]] = None
    length: Optional[bytes] = None
    raw: Optional[bytes] = None


def decode(data: bytes) -> List[Node]:
    """Minimal-length DER into a tree; OCTET STRINGs holding DER (extension values) open up."""
    nodes: List[Node] = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 2 or data[pos] & 0x1F == 0x1F:
            raise ValueError("not DER")
        tag, first = data[pos], data[pos + 1]
        start = pos + 2
        length = first
        if first & 0x80:
            count = first & 0x7F
            length = int.from_bytes(data[start : start + count], "big")
            start += count
        if header(tag, length) != data[pos:start] or start + length > len(data):
            raise ValueError("not minimal DER")
        node = Node(tag, data[start : start + length])
        if tag & 0x20 or tag == 0x04:
            try:
                node.children = decode(node.content)
            except ValueError:
                if tag & 0x20:
                    raise
        nodes.append(node)
        pos = start + length
    return nodes


def encode(node: Node) -> bytes:
    if node.raw is not None:
        return node.raw
    body = node.content if node.children is None else b"".join(map(encode, node.children))
    return bytes([node.tag]) + (node.length or header(node.tag, len(body))[1:]) + body


def walk(siblings: List[Node]) -> List[Tuple[List[Node], int]]:
    """Every node in document order, as (the list holding it, its index there)."""
    found: List[Tuple[List[Node], int]] = []
    for index, node in enumerate(siblings):
        found.append((siblings, index))
        if node.children is not None:
            found += walk(node.children)
    return found


def long_length(value: int, count: Optional[int] = None) -> bytes:
    size = value.to_bytes(count or max(1, (value.bit_length() + 7) // 8), "big")
    return bytes([0x80 | len(size)]) + size


def bogus_lengths(actual: int) -> List[bytes]:
    """Length octets that lie: beyond the container, short, BER forms, absurdly large."""
    return [
        header(0, actual + 1)[1:],
        header(0, actual + 2)[1:],
        header(0, actual + 1000)[1:],
        header(0, max(actual - 1, 0))[1:],
        b"\x00",
        b"\x80",  # indefinite length (BER)
        long_length(actual, 4),  # not minimal
        b"\x81\x05",  # not minimal either
        long_length(2**31 - 1),
        long_length(2**32 - 1),
        long_length(2**32),
        long_length(2**63),
        long_length(2**64 - 1),
        long_length(2**64),
        long_length(2 ** (8 * 127) - 1),  # 0xff: 127 length octets
        b"\x84",  # length octets missing
        b"\xff",
    ]


OID_CONTENTS = [
    b"",
    b"\x80",
    b"\x81",
    b"\x80\x01",  # a leading 0x80 (not minimal)
    b"\x2a\x86",  # ends inside an arc
    b"\xff" * 19 + b"\x7f",  # a 140-bit arc (a UUID arc is 128 bits)
    b"\x81" * 2200 + b"\x01",  # an arc of more than 4300 decimal digits
    b"\x2b" + b"\x01" * 5000,  # 5000 small arcs
    # the extensions pipssl reads: a value meets the parser of another extension
    b"\x55\x1d\x13",
    b"\x55\x1d\x0f",
    b"\x55\x1d\x11",
    b"\x55\x1d\x0e",
    b"\x55\x1d\x23",
    b"\x2b\x06\x01\x05\x05\x07\x01\x01",
    b"\x2b\x06\x01\x05\x05\x07\x30\x01",
    b"\x2b\x06\x01\x05\x05\x07\x30\x02",
]
INTEGER_CONTENTS = [
    b"",
    b"\x00",
    b"\x80",
    b"\xff",
    b"\x00" * 30,
    b"\xff" * 3000,
    b"\x7f" + b"\xff" * 2000,  # more than 4300 decimal digits
]
STRING_VALUES = [
    (0x1E, b"\xd8\x00"),  # BMPString: a lone surrogate
    (0x1E, b"\x00"),  # odd length
    (0x1C, b"\x00\x11\x00\x00"),  # UniversalString: beyond U+10FFFF
    (0x1C, b"\x00\x00\xd8\x00"),  # a surrogate
    (0x1C, b"\xff\xff\xff\xff"),
    (0x1C, b"\x00\x00"),
    (0x0C, b"\xff\xfe"),  # UTF8String: not UTF-8
    (0x0C, b"\xed\xa0\x80"),  # an encoded surrogate
    (0x14, b"\xe9"),  # T61String: latin-1, not UTF-8
    (0x14, b"\xc3"),
    (0x13, b"\x80\x00"),  # PrintableString: not ASCII
    (0x12, b""),
    (0x16, b"\n-----BEGIN CERTIFICATE-----\n"),
    (0x05, b""),  # NULL: shown as hex
]
TIME_TEXTS = [
    b"",
    b"Z",
    b"0001010000Z",
    b"4912312359Z",
    b"5001010000Z",
    b"000101000000Z",
    b"991231235959Z",
    b"00010101000000Z",
    b"00000101000000Z",
    b"99991231235959Z",
    b"99991231235959-0001",
    b"00010101000000+0001",
    b"20240230000000Z",
    b"20241301000000Z",
    b"2024010100000Z",
    b"20240101000000+2400",
    b"20240101000000-9999",
    b"20240101000000+",
    b"20240101000000.Z",
    b"20240101000000.123456Z",
    b"20240101000000.Z123",
    b"2024-01-01T00:00:00Z",
    b"\xef\xbc\x90" * 12 + b"Z",  # fullwidth digits: not ASCII
    b"\x00" * 13,
    b"+1234",
    b"-0000",
    b"24010100000" + b"0" * 50000 + b"Z",
]
STRING_TAGS = [0x0C, 0x12, 0x13, 0x14, 0x16, 0x1A, 0x1C, 0x1E]
TREE_KINDS = [
    "length",
    "length",
    "tag",
    "content",
    "delete",
    "duplicate",
    "swap",
    "insert",
    "nest",
    "nest-indefinite",
    "oid",
    "integer",
    "string",
    "time",
    "bytes",
    "truncate",
]
TreeOp = Tuple[str, int, int, bytes]
tree_ops = st.lists(
    st.tuples(
        st.sampled_from(TREE_KINDS),
        st.integers(0, 10**6),
        st.integers(0, 2**16),
        st.binary(max_size=40),
    ),
    min_size=1,
    max_size=4,
)


def mutate_tree(der: bytes, ops: List[TreeOp]) -> bytes:
    """Apply ``ops`` to the TLV tree of ``der``; byte-level ops act on the re-encoded result."""
    root = decode(der)
    late: List[TreeOp] = []
    for op in ops:
        kind, where, number, blob = op
        places = walk(root)
        if kind in ("bytes", "truncate") or not places:
            late.append(op)
            continue
        siblings, index = places[where % len(places)]
        node = siblings[index]
        if kind == "length":
            body = node.content if node.children is None else b"".join(map(encode, node.children))
            choices = bogus_lengths(len(body))
            node.length = choices[number % len(choices)]
        elif kind == "tag":
            node.tag = number & 0xFF
        elif kind == "content":
            node.children, node.content = None, blob
        elif kind == "delete":
            del siblings[index]
        elif kind == "duplicate":
            siblings.insert(index, dataclasses.replace(node))
        elif kind == "swap" and index + 1 < len(siblings):
            siblings[index], siblings[index + 1] = siblings[index + 1], node
        elif kind == "insert":
            siblings.insert(index, Node(number & 0xFF, blob))
        elif kind == "nest":  # deep nesting with honest lengths
            tag = [0x30, 0x31, 0xA3, 0x04][number % 4]
            node.raw = nested(tag, encode(node), 1 + number % 3000)
        elif kind == "nest-indefinite":
            depth = 1 + number % 3000
            node.raw = b"\x30\x80" * depth + encode(node) + b"\x00\x00" * depth
        elif kind == "oid":
            node.tag, node.children = 0x06, None
            node.content = OID_CONTENTS[number % len(OID_CONTENTS)]
        elif kind == "integer":
            node.tag, node.children = 0x02, None
            node.content = INTEGER_CONTENTS[number % len(INTEGER_CONTENTS)]
        elif kind == "string":
            node.children = None
            if number % 2:
                node.tag, node.content = STRING_VALUES[number // 2 % len(STRING_VALUES)]
            else:
                node.tag, node.content = STRING_TAGS[number // 2 % len(STRING_TAGS)], blob
        elif kind == "time":
            node.tag, node.children = (0x17, 0x18)[number % 2], None
            node.content = blob if number % 7 == 0 else TIME_TEXTS[number % len(TIME_TEXTS)]
    data = bytearray(b"".join(map(encode, root)))
    for kind, where, number, _blob in late:
        if kind == "truncate":
            del data[where % (len(data) + 1) :]
        elif data:
            pos = where % len(data)
            action = number % 4
            if action == 0:
                data[pos] ^= 1 << (number // 4 % 8)
            elif action == 1:
                data[pos] = number >> 8
            elif action == 2:
                data.insert(pos, number >> 8)
            else:
                del data[pos]
    return bytes(data)


# --- the corpus: real certificates, built once and only when a test needs them


def _pem_to_der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def _built(
    key: ec.EllipticCurvePrivateKey, subject: x509.Name, *exts: x509.ExtensionType
) -> bytes:
    now = dt.datetime.now(UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pipssl fuzz issuer")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(1950, 1, 1, tzinfo=UTC))
        .not_valid_after(now + dt.timedelta(days=365 * 100))  # GeneralizedTime after 2049
    )
    for critical, extension in enumerate(exts):
        builder = builder.add_extension(extension, critical=bool(critical % 2))
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _hand_made_v1() -> bytes:
    """A v1 certificate (no version, no extensions), its signature fake: pipssl never checks."""
    name = seq(
        tlv(0x31, seq(oid("2.5.4.6"), tlv(0x13, b"NZ"))),
        tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0C, "Tāmaki v1".encode()))),
    )
    alg = seq(oid("1.2.840.10045.4.3.2"))
    times = seq(tlv(0x17, b"200101000000Z"), tlv(0x18, b"20491231235959Z"))
    tbs = seq(tlv(0x02, b"\x12\x34"), alg, name, times, name, seq(alg, tlv(0x03, b"\x00\x04")))
    return seq(tbs, alg, tlv(0x03, b"\x00" + b"\x01" * 64))


def _certifi_roots() -> List[bytes]:
    try:
        import certifi
    except ImportError:  # tox environments may lack it: pip's vendored copy is the same file
        try:
            from pip._vendor import certifi  # type: ignore[no-redef]
        except ImportError:
            return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few roots have non-positive serial numbers
        certs = x509.load_pem_x509_certificates(Path(certifi.where()).read_bytes())
    return [c.public_bytes(serialization.Encoding.DER) for c in certs]


@functools.lru_cache(maxsize=None)
def corpus() -> Tuple[Tuple[bytes, ...], Tuple[bytes, ...]]:
    """(certificates made here, certifi's roots)."""
    rsa_root = trustme.CA(organization_name="pipssl fuzz rsa", key_type=trustme.KeyType.RSA)
    rsa_leaf = rsa_root.issue_cert("localhost", "127.0.0.1", key_type=trustme.KeyType.RSA)
    ec_root = trustme.CA(organization_name="pipssl fuzz ec")
    ec_mid = ec_root.create_child_ca()
    ec_leaf = ec_mid.issue_cert("pipssl.test", "*.pipssl.test", "::1", "ops@pipssl.test")
    key = ec.generate_private_key(ec.SECP256R1())
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier("http://127.0.0.1/ca.der"),
            ),
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier("http://127.0.0.1:8080/ocsp"),
            ),
        ]
    )
    usage = x509.KeyUsage(True, False, False, False, False, True, True, False, False)
    strings = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Grüße ☃", _ASN1Type.BMPString),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Zürich", _ASN1Type.T61String),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "u", _ASN1Type.UniversalString),
            x509.NameAttribute(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), "private"),
        ]
    )
    made = (
        _pem_to_der(rsa_root.cert_pem.bytes()),
        _pem_to_der(rsa_leaf.cert_chain_pems[0].bytes()),
        _pem_to_der(ec_root.cert_pem.bytes()),
        _pem_to_der(ec_mid.cert_pem.bytes()),
        _pem_to_der(ec_leaf.cert_chain_pems[0].bytes()),
        _built(
            key,
            strings,
            aia,
            usage,
            x509.BasicConstraints(ca=True, path_length=3),
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
            x509.SubjectAlternativeName(
                [x509.DNSName("a.test"), x509.IPAddress(ipaddress.ip_address("10.0.0.1"))]
            ),
        ),
        _hand_made_v1(),
    )
    return made, tuple(_certifi_roots())


@functools.lru_cache(maxsize=None)
def private_keys() -> Tuple[bytes, ...]:
    """PEM private keys of every common label."""
    pem = serialization.Encoding.PEM
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    plain = serialization.NoEncryption()
    return (
        rsa_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, plain),
        rsa_key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, plain),
        ec_key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, plain),
        ec_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
        ),
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            pem, serialization.PrivateFormat.OpenSSH, plain
        ),
    )


def pick_made(index: int) -> bytes:
    made, _ = corpus()
    return made[index % len(made)]


def pick_any(index: int) -> bytes:
    made, roots = corpus()
    everything = made + roots
    return everything[index % len(everything)]


made_certs = st.integers(0, 10**6).map(pick_made)
any_certs = st.integers(0, 10**6).map(pick_any)


# --- property 1: the DER reader


def certificate_or_error(data: bytes) -> Optional[Certificate]:
    """Parse ``data`` every way pipssl does; only CertificateError may come out."""
    try:
        cert: Optional[Certificate] = _der._parse(data)  # behind the backstop: bugs show as such
    except CertificateError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < MESSAGE_LIMIT, message[:1000]
        with pytest.raises(CertificateError):
            parse_certificate(data)
        cert = None
    else:
        assert cert is not None
        assert parse_certificate(data) == cert
        assert cert.der == data and cert.sha256 == fingerprint(data)
        # what the rest of pipssl does with a certificate
        assert isinstance(str(cert.subject) + str(cert.issuer), str)
        cert.subject.common_name, cert.issuer.organization, cert.self_issued  # noqa: B018
        cert.is_valid_at(dt.datetime.now(UTC))
        assert cert.not_before.tzinfo is not None and cert.not_after.tzinfo is not None
        hash(cert)
        assert read_pem(to_pem(cert)) == [cert]
    try:
        element = first_element(data)
        assert data.startswith(element) and element
    except CertificateError:
        pass
    assert looks_like_private_key(data) in (True, False)
    return cert


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=600).map(lambda b: b"\x30" + b),
        st.binary(max_size=600).map(lambda b: b"\x30\x82" + b),
        st.binary(max_size=600).map(lambda b: b"\x30\x84\x00\x00" + b),
    )
)
def test_der_random_bytes(data: bytes) -> None:
    certificate_or_error(data)


@FUZZ
@given(any_certs)
def test_der_corpus_parses(der: bytes) -> None:
    cert = certificate_or_error(der)
    assert cert is not None


# Crashes found, kept as regression examples (the index picks the certificate):
# an OID arc of 2200 bytes: quadratic time, then ValueError from str() (over 4300 digits);
# a version INTEGER of 2 KB: ValueError from str() in the error message;
# a 50 KB validity time: quoted whole, a 50 KB "one-line" error message.
@FUZZ
@given(st.integers(0, 10**6), tree_ops)
@example(4, [("oid", 10, 6, b"")])
@example(4, [("integer", 3, 6, b"")])
@example(4, [("time", 17, 26, b"")])
def test_der_mutated_certificates(index: int, ops: List[TreeOp]) -> None:
    data = mutate_tree(pick_any(index), ops)
    cert = certificate_or_error(data)
    event("der: accepted" if cert is not None else "der: refused")
    for kind, *_ in ops:
        event("der: op " + kind)


def test_der_tree_round_trip() -> None:
    """The mutator's tree reproduces every corpus certificate byte for byte."""
    made, roots = corpus()
    for der in made + roots:
        assert b"".join(map(encode, decode(der))) == der
        assert mutate_tree(der, [("bytes", 0, 0, b""), ("bytes", 0, 0, b"")]) == der


@pytest.mark.slow
def test_der_every_length_field_lies() -> None:
    """Exhaustive: each element of each corpus certificate, each lying length, alone."""
    made, _ = corpus()
    outcomes = []
    for der in made:
        for where in range(len(walk(decode(der)))):
            for number in range(len(bogus_lengths(0))):
                data = mutate_tree(der, [("length", where, number, b"")])
                outcomes.append(certificate_or_error(data) is None)
    # Accepted: a long form of the true length (BER, read as OpenSSL does), and lies inside
    # what pipssl never opens (public key, signature algorithm, unknown extensions).
    sys.stderr.write(f"der: {len(outcomes)} lying lengths, {sum(outcomes)} refused\n")


def test_der_every_element_deleted_duplicated_or_retagged() -> None:
    made, _ = corpus()
    for der in made:
        for where in range(len(walk(decode(der)))):
            for op in [("delete", where, 0, b""), ("duplicate", where, 0, b"")] + [
                ("tag", where, tag, b"") for tag in (0x00, 0x01, 0x02, 0x04, 0x1F, 0x30, 0xA3)
            ]:
                certificate_or_error(mutate_tree(der, [op]))


def nested(tag: int, inner: bytes, depth: int) -> bytes:
    """``inner`` wrapped in ``depth`` elements with honest lengths, in linear time."""
    headers = []
    size = len(inner)
    for _ in range(depth):
        headers.append(header(tag, size))
        size += len(headers[-1])
    return b"".join(reversed(headers)) + inner


def with_issuer(der: bytes, name: bytes) -> bytes:
    tree = decode(der)
    tbs = tree[0].children[0].children  # type: ignore[index]
    tbs[3 if tbs[0].tag == 0xA0 else 2] = Node(0x30, raw=name)
    return b"".join(map(encode, tree))


def test_der_regressions_by_hand() -> None:
    """The crashes of the examples above, built without the corpus indices they rely on."""
    v1 = pick_made(6)
    huge_arc = tlv(0x31, seq(tlv(0x06, b"\x81" * 2200 + b"\x01"), tlv(0x0C, b"x")))
    with pytest.raises(CertificateError, match="arc too long"):
        _der._parse(with_issuer(v1, seq(huge_arc)))
    uuid_arc = tlv(0x31, seq(oid("2.25." + str(2**128 - 1)), tlv(0x0C, b"x")))
    assert _der._parse(with_issuer(v1, seq(uuid_arc))).issuer.rdns[0][0].startswith("2.25.3402")
    tree = decode(v1)
    tbs = tree[0].children[0].children  # type: ignore[index]
    tbs.insert(0, Node(0xA0, children=[Node(0x02, b"\x7f" + b"\xff" * 2000)]))
    with pytest.raises(CertificateError, match=r"unknown version \(out of range\)$"):
        _der._parse(b"".join(map(encode, tree)))
    tree = decode(v1)
    next(s[i] for s, i in walk(tree) if s[i].tag == 0x17).content = b"2" * 50_000 + b"Z"
    with pytest.raises(CertificateError) as info:
        _der._parse(b"".join(map(encode, tree)))
    assert len(str(info.value)) < 120


@pytest.mark.slow
def test_der_one_megabyte_inputs_are_fast() -> None:
    """Linear time on 1 MB shapes that a quadratic step would turn into minutes."""
    leaf = corpus()[0][4]
    mb = 1 << 20
    rdn = tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0C, b"x")))
    shapes: Dict[str, bytes] = {
        "random bytes": os.urandom(mb),
        "zeros": bytes(mb),
        "nested 250k deep": nested(0x30, b"\x05\x00", mb // 4),
        "indefinite nesting": b"\x30\x80" * (mb // 2),
        "empty elements": b"\x30\x00" * (mb // 2),
        "huge serial": seq(seq(tlv(0x02, b"\x7f" + b"\xff" * mb)), seq(), tlv(0x03, b"\x00")),
        "name of 95k RDNs": with_issuer(leaf, seq(rdn * (mb // len(rdn)))),
        "1 MB OID arc in a name": with_issuer(
            leaf, seq(tlv(0x31, seq(tlv(0x06, b"\x81" * mb + b"\x01"), tlv(0x0C, b"x"))))
        ),
        "OID of 1M arcs in a name": with_issuer(
            leaf, seq(tlv(0x31, seq(tlv(0x06, b"\x2b" + b"\x01" * mb), tlv(0x0C, b"x"))))
        ),
        "1 MB UTF-16 name": with_issuer(
            leaf, seq(tlv(0x31, seq(oid("2.5.4.3"), tlv(0x1E, b"\x00a" * (mb // 2)))))
        ),
    }
    tree = decode(leaf)
    places = walk(tree)
    time_node = next(s[i] for s, i in places if s[i].tag in (0x17, 0x18))
    time_node.content = b"2401010000" + b"0" * mb + b"Z"
    shapes["1 MB validity time"] = b"".join(map(encode, tree))
    tree = decode(leaf)
    extension = next(
        s[i]
        for s, i in walk(tree)
        if s[i].children and s[i].children[0].content == b"\x55\x1d\x11"
    )
    assert extension.children is not None
    extension.children[-1] = Node(0x04, seq(tlv(0x82, b"a" * 20) * (mb // 22)))
    shapes["SAN of 47k names"] = b"".join(map(encode, tree))
    report = []
    for name, data in shapes.items():
        started = time.perf_counter()
        certificate_or_error(data)
        elapsed = time.perf_counter() - started
        report.append(f"{name}: {elapsed * 1000:.0f} ms")
        assert elapsed < 3.0, f"{name}: {elapsed:.1f} s for {len(data)} bytes"
    sys.stderr.write("der, 1 MB inputs: " + "; ".join(report) + "\n")


# --- property 2: the PEM reader

SOURCE = "fuzz.pem"
CERT_LABELS = ["CERTIFICATE", "X509 CERTIFICATE"]
OTHER_LABELS = ["X509 CRL", "PUBLIC KEY", "CERTIFICATE REQUEST", "PKCS7", "DH PARAMETERS"]
# Lines that look like armour but are not (not at a line start, wrong case, wrong dashes):
# OpenSSL and read_pem take them as text. None of them ends a certificate block.
NOT_ARMOUR = [
    "-----BEGIN-----",
    "-----BEGIN certificate-----",
    " -----BEGIN CERTIFICATE-----",
    "x-----BEGIN CERTIFICATE-----",
    "-----BEGIN CERTIFICATE----",
    "-----BEGIN CERTIFICATE-----x",
    "-----BEGIN CERTIFICATE-----\x0b",
    "-----BEGIN  CERTIFICATE",
    "\t-----BEGIN X509 CRL-----",
    "-----END-----",
    "----- END CERTIFICATE -----",
]
NOT_BASE64 = "!*.-_~\x00é?%"
noise_chars = st.characters(exclude_characters="-", exclude_categories=("Cs",))
eols = st.sampled_from(["\n", "\r\n"])


def armoured(
    label: str,
    body: bytes,
    *,
    width: int = 64,
    eol: str = "\n",
    pad: str = "",
    indent: str = "",
    end: Optional[str] = None,
) -> str:
    """A PEM block; ``width`` 0 puts the base64 on one line; ``end`` "" leaves END out."""
    encoded = base64.b64encode(body).decode("ascii")
    lines = [encoded[i : i + width] for i in range(0, len(encoded), width)] if width else [encoded]
    text = f"-----BEGIN {label}-----{pad}{eol}" + "".join(indent + x + eol for x in lines if x)
    if end != "":
        text += f"-----END {end or label}-----{eol}"
    return text


def assert_no_key_quoted(exc: BundleError) -> None:
    """No 16 characters of any test key's base64 appear in the message or hint."""
    message = str(exc)
    assert "\n" not in message and len(message) < MESSAGE_LIMIT, message[:1000]
    quoted = f"{message} {exc.hint}"
    for key in private_keys():
        body = "".join(key.decode("ascii").splitlines()[1:-1])
        pieces = [body[i : i + 16] for i in range(0, len(body) - 15, 8)]
        assert not [piece for piece in pieces if piece in quoted], message


Segment = Tuple[str, str, Optional[bytes]]  # text, effect (cert/none/error/key), certificate


FINE = ["cert", "cert", "cert", "trusted", "other", "other-no-end", "noise", "noise", "not-armour"]
BROKEN = ["mismatched", "no-end", "bad-base64", "bad-der", "empty", "key"]


@st.composite
def segments(draw: st.DrawFn, kinds: List[str]) -> Segment:
    kind = draw(st.sampled_from(kinds))
    eol = draw(eols)
    layout = {
        "width": draw(st.sampled_from([64, 64, 76, 0, 1, 3])),
        "eol": eol,
        "pad": draw(st.sampled_from(["", "", " ", "\t", " \t\r"])),
        "indent": draw(st.sampled_from(["", "", " ", "\t", "  "])),
    }
    der = draw(any_certs)
    if kind == "cert":
        return armoured(draw(st.sampled_from(CERT_LABELS)), der, **layout), "cert", der
    if kind == "trusted":  # OpenSSL's trust settings follow the certificate
        aux = draw(
            st.sampled_from([b"", b"\x30\x00", b"\x30\x0a\x30\x08\x06\x06+\x06\x01\x05\x05\x07"])
        )
        return armoured("TRUSTED CERTIFICATE", der + aux, **layout), "cert", der
    if kind in ("other", "other-no-end"):
        label = draw(st.sampled_from(OTHER_LABELS))
        body = draw(st.binary(max_size=200))
        return (
            armoured(label, body, **layout, end="" if kind == "other-no-end" else None),
            "none",
            None,
        )
    if kind == "noise":
        if draw(st.integers(0, 9)) == 0:  # a very long line
            return (
                draw(st.sampled_from("xA= \x00é")) * draw(st.integers(1000, 200_000)) + eol,
                "none",
                None,
            )
        return draw(st.text(noise_chars, max_size=80)) + eol, "none", None
    if kind == "not-armour":
        return draw(st.sampled_from(NOT_ARMOUR)) + eol, "none", None
    if kind == "mismatched":
        end = draw(st.sampled_from([*OTHER_LABELS, "TRUSTED CERTIFICATE"]))
        return armoured("CERTIFICATE", der, **layout, end=end), "error", None
    if kind == "no-end":
        return armoured(draw(st.sampled_from(CERT_LABELS)), der, **layout, end=""), "error", None
    if kind == "bad-base64":
        text = armoured("CERTIFICATE", der, **layout)
        lines = text.split(eol)
        if draw(st.booleans()):  # a character base64 does not have
            row = draw(st.integers(1, len(lines) - 3))
            column = draw(st.integers(0, len(lines[row])))
            char = draw(st.sampled_from(NOT_BASE64))
            lines[row] = lines[row][:column] + char + lines[row][column:]
        else:  # one data character too many (a stray "=" after a full quad is let through)
            lines[-3] += draw(st.sampled_from("A/"))
        return eol.join(lines), "error", None
    if kind == "bad-der":
        broken = mutate_tree(der, draw(tree_ops))
        try:
            parse_certificate(broken)
        except CertificateError:
            return armoured("CERTIFICATE", broken, **layout), "error", None
        return armoured("CERTIFICATE", broken, **layout), "cert", broken
    if kind == "empty":
        return armoured("CERTIFICATE", b"", **layout), "error", None
    key = draw(st.sampled_from(private_keys())).decode("ascii").replace("\n", eol)
    where = draw(st.sampled_from(["alone", "after text", "as a certificate"]))
    if where == "as a certificate":  # a key's DER in certificate armour: not a certificate
        body = base64.b64decode("".join(key.splitlines()[1:-1]))
        return armoured("CERTIFICATE", body, **layout), "error", None
    return ("junk " if where == "after text" else "") + key, "key", None


@st.composite
def bundles(draw: st.DrawFn) -> Tuple[Union[str, bytes], List[Segment]]:
    kinds = FINE if draw(st.booleans()) else FINE + BROKEN
    parts = draw(st.lists(segments(kinds), max_size=6))
    text = "".join(part[0] for part in parts)
    if draw(st.integers(0, 5)) == 0:
        text = "\ufeff" + text
    data: Union[str, bytes] = text.encode("utf-8") if draw(st.booleans()) else text
    return data, parts


def certs_or_error(data: Union[str, bytes]) -> Union[List[Certificate], BundleError]:
    """read_pem's result or its BundleError; anything else fails the test."""
    try:
        certs = read_pem(data, source=SOURCE)
    except BundleError as exc:
        assert_no_key_quoted(exc)
        assert SOURCE in str(exc)
        return exc
    assert all(isinstance(cert, Certificate) for cert in certs)
    round_trip(certs)
    return certs


def round_trip(certs: List[Certificate], sources: Optional[List[str]] = None) -> None:
    """render_bundle then read_pem gives the same certificates, deduplicated, in order."""
    names = sources or ["fuzz"] * len(certs)
    text = render_bundle([BundleEntry(c, s) for c, s in zip(certs, names)])
    assert text.isascii()
    again = read_pem(text)
    assert [c.sha256 for c in again] == [c.sha256 for c in dedupe(certs)]
    assert again == dedupe(certs)
    assert read_pem(text.encode("ascii")) == again
    assert render_bundle([BundleEntry(c, s) for c, s in zip(certs, names)]) == text
    for cert in again:
        assert read_pem(to_pem(cert)) == [cert]


@pytest.fixture(scope="module")
def cafile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "ca.pem"


def load_or_error(path: Path, data: bytes) -> Union[List[Certificate], BundleError]:
    path.write_bytes(data)
    try:
        certs = load_cafile(path)
    except BundleError as exc:
        assert_no_key_quoted(exc)
        return exc
    assert certs and all(isinstance(cert, Certificate) for cert in certs)
    return certs


@FUZZ
@given(bundles())
def test_pem_bundles_match_the_model(bundle: Tuple[Union[str, bytes], List[Segment]]) -> None:
    data, parts = bundle
    effects = {effect for _, effect, _ in parts}
    event("pem: " + ("key" if "key" in effects else "error" if "error" in effects else "certs"))
    outcome = certs_or_error(data)
    if "key" in effects:
        assert isinstance(outcome, BundleError) and outcome.reference == "private-key-in-file"
    elif "error" in effects:
        assert isinstance(outcome, BundleError) and outcome.reference == "ca-not-a-certificate"
    else:
        assert not isinstance(outcome, BundleError), outcome
        assert [c.der for c in outcome] == [der for _, effect, der in parts if effect == "cert"]


@FUZZ
@given(bundles())
def test_load_cafile_agrees_with_read_pem(
    cafile: Path, bundle: Tuple[Union[str, bytes], List[Segment]]
) -> None:
    data, _ = bundle
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    expected = certs_or_error(raw)
    outcome = load_or_error(cafile, raw)
    if isinstance(expected, BundleError):
        assert isinstance(outcome, BundleError) and outcome.reference == expected.reference
    elif expected:
        assert outcome == expected
    else:
        assert isinstance(outcome, BundleError), "no PEM certificate, yet load_cafile found one"


PEM_FRAGMENTS = [
    "-----BEGIN CERTIFICATE-----",
    "-----END CERTIFICATE-----",
    "-----BEGIN TRUSTED CERTIFICATE-----",
    "-----END TRUSTED CERTIFICATE-----",
    "-----BEGIN X509 CRL-----",
    "-----END X509 CRL-----",
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN ",
    "-----",
    "\n",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "=",
    "==",
    "MIIB",
    "AAAA",
    "\x00",
    "\ufeff",
    "é",
    "\u2028",
]
pem_texts = st.lists(
    st.one_of(
        st.sampled_from(PEM_FRAGMENTS),
        st.text(max_size=12),
        made_certs.map(lambda der: armoured("CERTIFICATE", der)),
        made_certs.map(lambda der: base64.b64encode(der).decode("ascii")),
    ),
    max_size=40,
).map("".join)


@FUZZ
@given(st.one_of(st.text(), pem_texts))
def test_pem_random_text(text: str) -> None:
    outcome = certs_or_error(text)
    event("pem text: " + ("refused" if isinstance(outcome, BundleError) else "accepted"))
    if not isinstance(outcome, BundleError) and text.isascii():
        assert certs_or_error(text.encode("ascii")) == outcome


@FUZZ
@given(st.one_of(st.text(), pem_texts), st.integers(min_value=0, max_value=2000))
def test_pem_armour_found_by_its_words_as_the_regex_finds_it(text: str, start: int) -> None:
    """The reader looks for BEGIN lines by their words, then the anchored pattern: exactly
    what a search with the pattern from every position finds."""
    start = min(start, len(text))
    found, expected = _pem._begin(text, start), _pem._BEGIN.search(text, start)
    assert (found and found.span()) == (expected and expected.span())


@FUZZ
@given(st.one_of(st.binary(), pem_texts.map(lambda t: t.encode("utf-8")), any_certs))
def test_pem_and_cafile_random_bytes(cafile: Path, data: bytes) -> None:
    certs_or_error(data)
    outcome = load_or_error(cafile, data)
    event("cafile: " + (outcome.reference if isinstance(outcome, BundleError) else "accepted"))


@FUZZ
@given(st.lists(st.tuples(any_certs, st.text()), max_size=5))
def test_render_bundle_round_trips_any_source_name(entries: List[Tuple[bytes, str]]) -> None:
    """Sources and subjects go into comments: armour or newlines in them change nothing."""
    certs = [parse_certificate(der) for der, _ in entries]
    round_trip(certs, [source for _, source in entries])


def test_pem_pathological_megabytes_are_fast() -> None:
    """Linear time on 2 MB texts shaped to make a block search quadratic.

    Fuzzing found the first shape: read_pem looked for each BEGIN's END up to the end of the
    text, a minute for these 2 MB, over an hour for a 20 MB CA file (the size limit).
    """
    size = 2 << 20
    made, roots = corpus()
    good = "".join(armoured("CERTIFICATE", der) for der in made + roots)
    shapes = {
        "BEGIN of distinct labels, no END": "".join(
            f"-----BEGIN A{i}-----\n" for i in range(size // 20)
        ),
        "BEGIN of one label, no END": "-----BEGIN A-----\n" * (size // 18),
        "BEGIN CERTIFICATE, no END": "-----BEGIN CERTIFICATE-----\n" * (size // 28),
        "unterminated armour line": "-----BEGIN " + "A" * size,
        "BEGIN fragments": "-----BEGIN " * (size // 11),
        "stray END lines": "-----END CERTIFICATE-----\n" * (size // 26),
        "whitespace body": "-----BEGIN CERTIFICATE-----\n" + " \n" * (size // 2),
        "one base64 line": armoured("CERTIFICATE", os.urandom(size * 3 // 4), width=0),
        "valid bundle": good * max(1, size // len(good)),
    }
    report = []
    for name, text in shapes.items():
        started = time.perf_counter()
        certs_or_error(text)
        elapsed = time.perf_counter() - started
        report.append(f"{name}: {elapsed * 1000:.0f} ms")
        assert elapsed < 3.0, f"{name}: {elapsed:.1f} s for {len(text)} characters"
    sys.stderr.write("pem, 2 MB inputs: " + "; ".join(report) + "\n")


# --- property 3: the config editor, on arbitrary text

Snapshot = List[Tuple[str, List[Tuple[str, str]]]]
CONF_HEADERS = [
    "[global]",
    "[Global]",
    "[GLOBAL]",
    "[install]",
    "[DEFAULT]",
    "[default]",
    "[ global ]",
    "[global] ; trailing text",
    "  [global]",
    "\t[install]",
    "[a b]",
    "[é☃]",
    "[global]]",
    "[[global]",
]
CONF_OPTIONS = [
    "cert = /etc/ca.pem",
    "CERT=/x",
    "--cert : /y",
    "Cert\t=\t/z",
    "cert =",
    "cert:",
    "client_cert = a",
    "client-cert = b",
    "trusted-host = h1 h2",
    "trusted_host = h1",
    "Trusted-Host =",
    "timeout = 10%",
    "index-url = http://127.0.0.1/simple ; not a comment",
    "extra-index-url = %(a)s %% %",
    "k.x = 1",
    "key = vé ☃ 🐍",
    "nul = a\x00b",
    "cert = =",
    "cert == x",
    "cert := y",
    "  cert = indented",
    "a b = c",
    "a=b=c",
]
CONF_EXTRAS = [
    # continuation lines (or, after a header, lines of their own)
    "  h3",
    "\th4 h5",
    "    ; looks like a comment",
    "  # hash",
    "  [global]",
    "  cert = nested",
    "\u00a0nbsp",
    "\x0cform feed",
    "\x85next line",
    "\u3000ideographic space",
    # comments and blanks
    "# comment",
    "; comment",
    "  # indented comment",
    "#[global]",
    ";cert = x",
    "",
    " ",
    "\t",
    "\x0b",
]
CONF_BROKEN = ["[]", "[", "[global", "=", ": v", "  = v", "novalue", "rem comment"]
CONF_LINES = CONF_HEADERS + CONF_OPTIONS + CONF_EXTRAS + CONF_BROKEN
CONF_ALPHABET = "[]=:;#% \t-_.aAcert/é☃\x00\x0b\x0c\x85\u2028\ufeff"
SECTIONS = ["global", "Global", "install", "DEFAULT", "a b", "é☃"]
KEYS = ["cert", "CERT", "--cert", "client_cert", "client-cert", "trusted-host", "Trusted_Host"]
KEYS += ["timeout", "k.x"]
VALUES = ["/a.pem", "%(x)s%", "v é☃🐍", "a;b #c", "[x]", "=", ": y", "10", "C:\\ca.pem", "h9"]
ITEMS = ["h1", "h2", "h3", "h4", "h5", "absent", "%", "="]


_SECTCRE = configparser.RawConfigParser.SECTCRE


@st.composite
def conf_lines(draw: st.DrawFn) -> List[str]:
    """Mostly what pip reads: unique headers, each option once; sometimes any line anywhere."""
    if draw(st.integers(0, 3)) == 0:  # a soup of lines
        line = st.one_of(
            st.sampled_from(CONF_LINES), st.text(CONF_ALPHABET, max_size=16), st.text()
        )
        return draw(st.lists(line, max_size=14))
    lines: List[str] = []
    by_name = st.lists(
        st.sampled_from(CONF_HEADERS),
        unique_by=lambda h: _SECTCRE.match(h.strip()).group("header"),  # type: ignore[union-attr]
        min_size=1,
        max_size=4,
    )
    for section in draw(by_name):
        lines.append(section)
        options = st.lists(
            st.sampled_from(CONF_OPTIONS),
            unique_by=lambda o: re.split("[=:]", o)[0].strip().lower(),
            max_size=4,
        )
        for option in draw(options):
            lines.append(option)
            lines += draw(st.lists(st.sampled_from(CONF_EXTRAS), max_size=2))
    if draw(st.booleans()):
        odd = draw(st.one_of(st.sampled_from(CONF_LINES), st.text(CONF_ALPHABET, max_size=16)))
        lines.insert(draw(st.integers(0, len(lines))), odd)
    return lines


@st.composite
def conf_texts(draw: st.DrawFn) -> str:
    contents = draw(conf_lines())
    if contents and contents[0].strip()[:1] != "[" and draw(st.integers(0, 4)):
        contents.insert(0, draw(st.sampled_from(["[global]", "[install]", "[DEFAULT]"])))
    if draw(st.integers(0, 2)):  # one kind of line ending, or a mix
        eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        endings = [eol] * len(contents)
    else:
        endings = draw(
            st.lists(
                st.sampled_from(["\n", "\r\n", "\r"]),
                min_size=len(contents),
                max_size=len(contents),
            )
        )
        if "\r" in endings:  # see lone_cr_and_empty_lf_line
            endings = ["\r\n" if e == "\n" and not c else e for c, e in zip(contents, endings)]
    text = "".join(content + ending for content, ending in zip(contents, endings))
    if contents and draw(st.booleans()):
        text = text[: -len(endings[-1])]  # no final newline
    return ("\ufeff" if draw(st.integers(0, 5)) == 0 else "") + text


def pip_parse(text: str) -> Optional[Snapshot]:
    """What pip's strict RawConfigParser reads (the BOM aside), or None when it refuses."""
    parser = configparser.RawConfigParser()
    body = text[1:] if text.startswith("\ufeff") else text
    try:
        parser.read_file(io.StringIO(body, newline=None))
    except configparser.Error:
        return None
    snapshot: Snapshot = [("DEFAULT", list(parser.defaults().items()))]
    for section in parser.sections():
        values = [(n, parser.get(section, n)) for n in parser.options(section)]
        snapshot.append((section, [(n, v) for n, v in values if parser.remove_option(section, n)]))
    return snapshot


def own(snapshot: Snapshot, section: str, nkey: str) -> List[Tuple[str, str]]:
    return [
        (n, v) for s, opts in snapshot if s == section for n, v in opts if normalize_key(n) == nkey
    ]


def others(snapshot: Snapshot, section: str, nkey: str) -> Snapshot:
    """Everything but the option: sections in order, each with its other options."""
    rest = [
        (s, [(n, v) for n, v in o if s != section or normalize_key(n) != nkey])
        for s, o in snapshot
    ]
    return [(s, o) for s, o in rest if o or s != section or s == "DEFAULT"]


Line = Tuple[str, str]  # content, ending


def split_lines(text: str) -> List[Line]:
    body = text[1:] if text.startswith("\ufeff") else text
    parts = re.split(r"(\r\n|\r|\n)", body)
    lines = list(zip(parts[0::2], parts[1::2]))
    return [*lines, (parts[-1], "")] if parts[-1] else lines


def is_option_of(content: str, nkey: str) -> bool:
    match = configparser.RawConfigParser.OPTCRE.match(content.strip())
    return bool(match) and normalize_key(match.group("option").rstrip()) == nkey


def lone_cr_and_empty_lf_line(text: str) -> bool:
    """A lone "\r" and an empty "\n" line: an edit may bring them together as one "\r\n".

    Every byte is kept, but that empty line then vanishes from the line list (only in files
    mixing old Mac and Unix endings; test_confedit_lone_cr_next_to_an_empty_line pins it).
    """
    return bool(re.search(r"\r(?!\n)", text)) and ("", "\n") in split_lines(text)


def hunks(a: List[Line], b: List[Line]) -> List[Tuple[List[Line], List[Line]]]:
    """(lines gone, lines new) between the lines kept, by a longest common subsequence.

    Lines match with their endings, except that the last line of either text may lose or
    gain its ending: a missing final newline stays missing, whatever line ends up last.
    """
    n, m = len(a), len(b)

    def same(i: int, j: int) -> bool:
        return a[i][0] == b[j][0] and (a[i][1] == b[j][1] or i == n - 1 or j == m - 1)

    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in reversed(range(n)):
        for j in reversed(range(m)):
            table[i][j] = (
                table[i + 1][j + 1] + 1 if same(i, j) else max(table[i + 1][j], table[i][j + 1])
            )
    kept = [(-1, -1)]
    i = j = 0
    while i < n and j < m:
        if same(i, j) and table[i][j] == table[i + 1][j + 1] + 1:
            kept.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    kept.append((n, m))
    found = []
    for (i1, j1), (i2, j2) in zip(kept, kept[1:]):
        if i2 - i1 > 1 or j2 - j1 > 1:
            found.append((a[i1 + 1 : i2], b[j1 + 1 : j2]))
    return found


def check_lines_kept(
    before: str, after: str, nkey: str, added: Callable[[List[str]], bool]
) -> None:
    """Lines outside the option's own are kept byte for byte, endings included.

    Removed lines must be the option's (an option line of ``nkey`` or an indented
    continuation line, never a blank or a comment); changed lines must still be option or
    continuation lines; ``added`` judges lines that appear from nowhere.
    """
    assert after.startswith("\ufeff") == before.startswith("\ufeff")
    if lone_cr_and_empty_lf_line(before):
        event("confedit: lone CR and empty LF line, line check skipped")
        return
    for gone, new in hunks(split_lines(before), split_lines(after)):
        for content, ending in new:  # the same line with another ending: not allowed
            assert not [g for g in gone if g[0] == content and g[1] != ending], (gone, new)
        for content, _ in gone:
            assert content.strip() and not content.strip().startswith(("#", ";")), (gone, new)
            assert is_option_of(content, nkey) or content[:1].isspace(), (gone, new)
        if gone:
            assert all(is_option_of(c, nkey) or c[:1].isspace() for c, _ in new), (gone, new)
            assert len(new) <= len(gone), (gone, new)
        else:
            assert added([c for c, _ in new]), new


_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*")  # an option name confedit can write
Edit = Tuple[str, str, str, str]  # text, section, key, list item


@st.composite
def conf_edits(draw: st.DrawFn) -> Edit:
    """A text, and mostly an option it sets (in some spelling) and one of its words."""
    text = draw(conf_texts())
    targets = [
        (section, name, value)
        for section, options in pip_parse(text) or []
        for name, value in options
        if section == section.strip()
        and "]" not in section
        and _NAME.fullmatch(normalize_key(name))
    ]
    if targets and draw(st.integers(0, 3)):
        section, name, value = draw(st.sampled_from(targets))
        nkey = normalize_key(name)
        key = draw(st.sampled_from([name, nkey.upper(), "--" + nkey, nkey.replace("-", "_")]))
        item = draw(st.sampled_from([*value.split(), "absent"]))
        return text, section, key, item
    return (
        text,
        draw(st.sampled_from(SECTIONS)),
        draw(st.sampled_from(KEYS)),
        draw(st.sampled_from(ITEMS)),
    )


# Why confedit may refuse a text that pip reads: an option set under two spellings
# (pip >= 26.3 refuses it too), or a list item whose removal would leave a comment.
LEGITIMATE_REFUSALS = ("more than once", "into a comment")


def refused(call: Callable[[], str], before: Optional[Snapshot]) -> Optional[str]:
    """The call's result, or None when it raised ConfigError (any other error fails)."""
    try:
        return call()
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message, message
        if before is not None:
            assert any(why in message for why in LEGITIMATE_REFUSALS), message
            event("confedit: refused a readable text, " + message.split(": ", 1)[-1][:40])
        return None


@pytest.mark.slow
@FUZZ
@given(conf_edits(), st.sampled_from(VALUES))
def test_confedit_set_value_on_any_text(edit: Edit, value: str) -> None:
    text, section, key, _ = edit
    nkey = normalize_key(key)
    before = pip_parse(text)
    event("confedit: input parses" if before is not None else "confedit: input refused by pip")
    result = refused(lambda: set_value(text, section, key, value), before)
    if before is None:
        assert result is None, "pip cannot read the text, yet it was edited"
        return
    if result is None:
        return
    after = pip_parse(result)
    assert after is not None, "the edit made the file unreadable for pip"
    assert [v for _, v in own(after, section, nkey)] == [value]
    assert others(after, section, nkey) == others(before, section, nkey)
    assert get_values(result, section, key) == [value]
    kind = "replaced" if own(before, section, nkey) else "added"
    event(f"confedit: {kind}" + (", new section" if section not in [n for n, _ in before] else ""))
    assert set_value(result, section, key, value) == result  # idempotent
    if own(before, section, nkey) == own(after, section, nkey):
        assert result == text  # already set: nothing to do

    def added(lines: List[str]) -> bool:
        option = lines[-1].strip() == f"{nkey} = {value}"
        return option and lines[:-1] in ([], [f"[{section}]"], ["", f"[{section}]"])

    check_lines_kept(text, result, nkey, added)


@pytest.mark.slow
@FUZZ
@given(conf_edits())
# identical lines with different endings: the check must pair the right ones
@example(
    ("[global]\ncert = /a\n  h3\nclient_cert = a\n  h3\r\n--cert : /y\n", "global", "cert", "")
)
def test_confedit_remove_value_on_any_text(edit: Edit) -> None:
    text, section, key, _ = edit
    nkey = normalize_key(key)
    before = pip_parse(text)
    result = refused(lambda: remove_value(text, section, key), before)
    if before is None or result is None:
        assert result is None or before is not None
        return
    after = pip_parse(result)
    assert after is not None, "the edit made the file unreadable for pip"
    assert own(after, section, nkey) == [] and get_values(result, section, key) == []
    assert others(after, section, nkey) == others(before, section, nkey)
    assert remove_value(result, section, key) == result
    if not own(before, section, nkey):
        assert result == text
    event("confedit: removed" if result != text else "confedit: absent")
    check_lines_kept(text, result, nkey, lambda lines: False)


@pytest.mark.slow
@FUZZ
@given(conf_edits())
def test_confedit_remove_list_item_on_any_text(edit: Edit) -> None:
    text, section, key, item = edit
    nkey = normalize_key(key)
    before = pip_parse(text)
    result = refused(lambda: remove_list_item(text, section, key, item), before)
    if before is None or result is None:
        assert result is None or before is not None
        return
    after = pip_parse(result)
    assert after is not None, "the edit made the file unreadable for pip"
    words = [v.split() for _, v in own(before, section, nkey)]
    if not any(item in ws for ws in words):
        assert result == text
        return
    rest = [[w for w in ws if w != item] for ws in words]
    event("confedit: item removed" + (", option gone" if not any(rest) else ""))
    assert [v.split() for _, v in own(after, section, nkey)] == [r for r in rest if r]
    assert others(after, section, nkey) == others(before, section, nkey)
    assert remove_list_item(result, section, key, item) == result
    check_lines_kept(text, result, nkey, lambda lines: False)


@FUZZ
@given(conf_edits())
def test_confedit_get_values_on_any_text(edit: Edit) -> None:
    text, section, key, _ = edit
    before = pip_parse(text)
    if before is None:
        with pytest.raises(ConfigError):
            get_values(text, section, key)
        return
    values = get_values(text, section, key)  # reading never refuses what pip reads
    assert values == [v for _, v in own(before, section, normalize_key(key))]


@FUZZ
@given(conf_texts(), st.text(max_size=8), st.text(max_size=8), st.text(max_size=8))
def test_confedit_arguments_are_checked_before_the_text(
    text: str, section: str, key: str, value: str
) -> None:
    """Bad arguments are the caller's bug (ValueError); the text only ever gives ConfigError."""
    calls: List[Callable[[str], object]] = [
        lambda t: set_value(t, section, key, value),
        lambda t: remove_value(t, section, key),
        lambda t: remove_list_item(t, section, key, value),
        lambda t: get_values(t, section, key),
    ]
    for call in calls:
        try:
            call("")
        except ValueError:
            with pytest.raises(ValueError):
                call(text)
            continue
        try:
            call(text)
        except ConfigError:
            pass


def test_confedit_lone_cr_next_to_an_empty_line() -> None:
    """Found by fuzzing, and kept as it is: every byte stays, yet a line may vanish.

    When an edit puts a line ending in a lone "\r" (old Mac) right before an empty line
    ending in "\n", the two read as one "\r\n": the result is the original bytes minus the
    option's, but that empty line no longer counts as a line. pip reads the same settings
    (confedit checks it); only files that mix both kinds of ending can show this.
    """
    text = "[global]\nclient_cert = a\n  h3\r--cert : /y\n\n"
    assert remove_value(text, "global", "cert") == "[global]\nclient_cert = a\n  h3\r\n"
    assert split_lines(text)[-1] == ("", "\n")
    text = "[Global]\rcert = /x\n[global]\n\n[GLOBAL]\n"
    result = set_value(text, "global", "cert", "/a")
    assert result == "[Global]\rcert = /x\n[global]\ncert = /a\r\n[GLOBAL]\n"
    assert pip_parse(result) == [
        ("DEFAULT", []),
        ("Global", [("cert", "/x")]),
        ("global", [("cert", "/a")]),
        ("GLOBAL", []),
    ]


@pytest.mark.slow
def test_confedit_large_file_is_fast() -> None:
    """A 340 KB file (30,000 lines; pip's own configparser takes 0.1 s to read it)."""
    sections = "".join(
        f"[s{i}]\ncert = /a/{i}.pem\ntrusted-host = a b\n  c d\n; comment\n\n" for i in range(5000)
    )
    text = sections + "[global]\ntrusted-host = " + " ".join(f"h{i}" for i in range(5000)) + "\n"
    report = []
    for name, call in [
        ("set_value", lambda: set_value(text, "global", "cert", "/new.pem")),
        ("remove_value", lambda: remove_value(text, "s100", "cert")),
        ("remove_list_item", lambda: remove_list_item(text, "global", "trusted-host", "h7")),
        ("get_values", lambda: get_values(text, "global", "trusted-host")),
    ]:
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
        report.append(f"{name}: {elapsed * 1000:.0f} ms")
        assert elapsed < 5.0, f"{name}: {elapsed:.1f} s for {len(text)} characters"
    sys.stderr.write(f"confedit, {len(text) >> 10} KB file: " + "; ".join(report) + "\n")


# --- property 4: the TOML editor (poetry's config.toml), against tomllib


def _optional_module(*names: str) -> Any:
    """The first of ``names`` that imports, or None: the reference parsers are optional."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            pass
    return None


# tomllib from Python 3.11 on (tomli, the same code, only if it is there anyway); PyYAML
# is in tox's deps. Without them the comparisons with the client's parser are skipped.
TOMLLIB = _optional_module("tomllib", "tomli")
YAML = _optional_module("yaml")
REFUSED = object()  # what a reference parser returns for a text it refuses

TOML_TABLES = [
    "[virtualenvs]",
    "[installer]",
    "[repositories.corp]",
    '[repositories."my.src"]',
    "[http-basic.corp]",
    "[certificates.corp]",
    "[certificates.corp]  # keep",
    "[certificates.other]",
    '[certificates."my.src"]',
    '[certificates."a b"]',
    "[ certificates . corp ]",
    "[certificates.'corp']",
    '["certificates".other]',
    "[certificates]",
    "[certificates.corp.extra]",
    "[[certificates.list]]",
    "[[tool.poetry.source]]",
    '[certificates."é☃"]',
]
TOML_KEYS = [
    "cert",
    "cert",
    "client-cert",
    '"cert"',
    "'cert'",
    "in-project",
    "path",
    "url",
    "corp.cert",
    "corp . client-cert",
    '"my.src".cert',
    "list",
    "options.system-site-packages",
    '"quoted key"',
    "'lit key'",
    '"é"',
    'a."b.c".d',
    "verify",
    "corp.verify",
]
TOML_VALUES = [
    '"/etc/ssl/corp.pem"',
    "'C:\\Users\\x\\ca.pem'",
    '"esc \\t \\u00e9 \\U0001F40D \\"q\\" \\\\"',
    '"""\nmulti\nline"""',
    '"""a \\\n   b"""',
    "'''\nraw \\n'''",
    "'''it''s'''",
    '"""two ""quotes"""""',
    "true",
    "false",
    "1",
    "-17",
    "+0",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "1e3",
    "-3.14e-2",
    "-inf",
    "nan",
    "1979-05-27T07:32:00Z",
    "1979-05-27 07:32:00.5+01:00",
    "1979-05-27T07:32:00",
    "07:32:00",
    "1979-05-27",
    '[1, 2, "x"]',
    '[\n  "a",  # c\n  "b",\n]',
    "[]",
    '{ a = 1, b.c = "d" }',
    "{}",
    '"{cache-dir}/virtualenvs"',
    '"é☃🐍"',
    '""',
    "''",
]
# Values TOML refuses (tomllib says so): the reader must refuse them as well.
TOML_BROKEN_VALUES = [
    "foo",
    '"unclosed',
    "1__2",
    "01",
    "1.",
    ".5",
    "1e",
    "0x",
    "+0x1",
    "True",
    "[1,,2]",
    "{a=1,}",
    "{a=1\n}",
    '"bad \\q"',
    '"x" "y"',
    "1979-05-27T",
    "a:b",
    "'''a'''''''",
]
TOML_OTHERS = ["# comment", "#", "  # indented é☃", "", "  ", "\t"]
TOML_ODD = ["[", "a =", "= 1", "a = 1 b", "[a]]", "[[a]", "[]", "a. = 1", "x = 1\ry = 2"]
TOML_ALPHABET = "[]{}=.,\"'#\\ \t\r\n\xa0-_:+acert0179eéx☃"
SOURCES = ["corp", "corp", "other", "my.src", "a b", "é☃", "list", "extra", 'q"uote', ""]
CERT_VALUES = [
    "/etc/pipssl/ca.pem",
    "/etc/ssl/corp.pem",
    "C:\\ProgramData\\pipssl\\ca.pem",
    '/it\'s "é☃🐍" #1: x.pem',
    "tab\tthere\x7f",
]


@st.composite
def toml_statements(draw: st.DrawFn, broken: bool = False) -> str:
    key = draw(st.sampled_from(TOML_KEYS))
    value = draw(st.sampled_from(TOML_VALUES + (TOML_BROKEN_VALUES if broken else [])))
    equals = draw(st.sampled_from([" = ", "=", "\t=  "]))
    comment = draw(st.sampled_from(["", "", "", "  # why", " #é"]))
    return f"{key}{equals}{value}{comment}"


@st.composite
def toml_texts(draw: st.DrawFn) -> str:
    """poetry config.toml files, mostly valid TOML; sometimes a soup of lines, or any text."""
    kind = draw(st.integers(0, 9))  # shrinks towards a file as poetry writes them
    if kind == 9:
        return draw(st.one_of(st.text(TOML_ALPHABET, max_size=40), st.text(max_size=20)))
    if kind == 8:
        line = st.one_of(
            st.sampled_from(TOML_TABLES + TOML_ODD + TOML_OTHERS),
            toml_statements(broken=True),
            st.text(TOML_ALPHABET, max_size=12),
        )
        lines = draw(st.lists(line, max_size=12))
    else:
        # each key once in a table, each table once (duplicates come as odd lines)
        body = st.lists(
            st.one_of(toml_statements(), toml_statements(), st.sampled_from(TOML_OTHERS)),
            unique_by=lambda line: line.split("=")[0].strip(" \t\"'") or line,
            max_size=4,
        )
        lines = draw(body)
        for header in draw(st.lists(st.sampled_from(TOML_TABLES), unique=True, max_size=5)):
            statements = draw(body)
            keys = [line.split("=")[0].strip(" \t\"'") for line in statements]
            if "certificates" in header and "cert" not in keys and draw(st.integers(0, 2)) == 2:
                cert = "cert = " + draw(st.sampled_from(TOML_VALUES))
                statements.insert(draw(st.integers(0, len(statements))), cert)
            lines += [header, *statements]
        if draw(st.integers(0, 3)) == 3:
            odd = draw(st.one_of(st.sampled_from(TOML_ODD), toml_statements(broken=True)))
            lines.insert(draw(st.integers(0, len(lines))), odd)
    eol = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = eol.join(lines) + eol
    if eol == "\n" and draw(st.integers(0, 4)) == 4:  # TOML allows both endings in one file
        text = text.replace("\n", "\r\n", draw(st.integers(1, 3)))
    if lines and draw(st.booleans()):
        text = text[: -len(eol)]  # no final newline
    return ("\ufeff" if draw(st.integers(0, 9)) == 9 else "") + text


@st.composite
def toml_edits(draw: st.DrawFn) -> Tuple[str, str]:
    """A text and a source name: mostly one the text already names."""
    text = draw(toml_texts())
    named = sorted({source for source in SOURCES if source and source in text})
    if named and draw(st.integers(0, 2)):
        return text, draw(st.sampled_from(named))
    return text, draw(st.sampled_from(SOURCES))


class TomlFloat(str):
    """A float as tomllib read it, kept as its text: nan equals nan, and pipssl keeps text."""


def toml_loads(text: str) -> Any:
    """tomllib's document, or REFUSED. A BOM is dropped first: pipssl reads past one, and
    keeps it, so the client reads the edited file exactly as far as it read the original."""
    body = text[1:] if text.startswith("\ufeff") else text
    try:
        return TOMLLIB.loads(body, parse_float=TomlFloat)
    except TOMLLIB.TOMLDecodeError:
        return REFUSED


def pipssl_call(call: Callable[[], Any]) -> Any:
    """The call's result, or the PipsslError it raised (anything else fails the test)."""
    try:
        return call()
    except PipsslError as exc:
        message = str(exc)
        assert "\n" not in message and "\r" not in message, message
        assert len(message) < MESSAGE_LIMIT, message
        return exc


def reason(exc: PipsslError) -> str:
    """The kind of refusal, for hypothesis' statistics (no line numbers, no file name)."""
    text = re.sub(r"line \d+: ", "", str(exc).split(": ", 1)[-1])
    return re.sub(r"'.*'|\S*[.\[]\S*", "…", text)[:48]


def changed_lines(before: str, after: str) -> Tuple[List[Line], List[Line], int]:
    """The one hunk of changed lines (gone, new), and the index of the first new line."""
    assert after.startswith("\ufeff") == before.startswith("\ufeff")
    a, b = split_lines(before), split_lines(after)
    changes = hunks(a, b)
    assert len(changes) == 1, changes
    gone, new = changes[0]
    at = 0  # a missing final newline may be added to the last line, as in hunks()
    while at < min(len(a), len(b)) and a[at][0] == b[at][0]:
        if a[at][1] != b[at][1] and at != len(a) - 1:
            break
        at += 1
    return gone, new, at


def quoted_prefix(text: str, quote: str) -> str:
    """The quoted string ``text`` starts with, as written (``\\x`` escapes, or ``''``)."""
    assert text[:1] == quote, text
    i = 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
        elif text[i] == quote and text[i + 1 : i + 2] == quote == "'":
            i += 2
        elif text[i] == quote:
            return text[: i + 1]
        else:
            i += 1
    raise AssertionError(f"an unclosed string in {text!r}")


def check_in_place(gone: List[Line], line: str, key: str, quote: str) -> str:
    """The new line is the first old one's key, the new value and the last old one's tail:
    a value written over several lines (a multi-line string) becomes one. Returns the value
    as written."""
    match = re.match(key, line)
    assert match, line
    head, rest = line[: match.end()], line[match.end() :]
    value = quoted_prefix(rest, quote)
    tail = rest[len(value) :]
    assert gone[0][0].startswith(head.rstrip(" \t")), (gone, line)
    assert gone[-1][0].endswith(tail) and tail.strip()[:1] in ("", "#"), (gone, line)
    return value


def check_toml_lines(before: str, after: str, source: str, value: str) -> None:
    """Lines outside the edit are kept byte for byte: the edit is one old value rewritten
    in place, or one ``cert`` line right below the table's header, or the table at the end."""
    if after == before:
        event("toml: already set")
        return
    gone, new, at = changed_lines(before, after)
    contents = [c for c, _ in new]
    if gone:
        assert len(new) == 1, (gone, new)
        written = check_in_place(gone, contents[0], r"[^=]*=[ \t]*", '"')
        if TOMLLIB:
            assert TOMLLIB.loads("v = " + written) == {"v": value}
        event("toml: replaced in place" + (" (several lines)" if len(gone) > 1 else ""))
        return
    if len(new) == 1:
        header = split_lines(after)[at - 1][0]
        if TOMLLIB:
            assert TOMLLIB.loads(header) == {"certificates": {source: {}}}, header
        assert header.lstrip().startswith("["), header
        event("toml: added below the header")
    else:
        assert after.startswith(before) and len(new) in (2, 3), new
        assert contents[:-2] in ([], [""]), new
        if TOMLLIB:
            assert TOMLLIB.loads(contents[-2]) == {"certificates": {source: {}}}, new
        event("toml: table added at the end")
    assert contents[-1].startswith("cert = "), new
    if TOMLLIB:
        assert TOMLLIB.loads(contents[-1]) == {"cert": value}, new


@FUZZ
@given(toml_edits(), st.sampled_from(CERT_VALUES))
@example(('[certificates]\ncorp.cert = "/etc/ssl/corp.pem"\n[certificates.corp]\n', "corp"), "/a")
@example(('[certificates]\nlist = [1, 2, "x"]\n[[certificates.list]]\n', "corp"), "/a")
@example(("\ufeff", "corp"), "/a")  # no blank line after a lone BOM
@example(('"a\\nb" = 1\n"a\\nb" = 2\n', "corp"), "/a")  # a one-line error message
@example(('"{}" = 1\n"{}" = 2\n'.format("k" * 500, "k" * 500), "corp"), "/a")  # a short one
def test_toml_set_cert_on_any_text(edit: Tuple[str, str], value: str) -> None:
    text, source = edit
    table = ("certificates", source)
    result = pipssl_call(lambda: set_toml_string(text, table, "cert", value, "config.toml"))
    before = toml_loads(text) if TOMLLIB else None
    if isinstance(result, PipsslError):
        event(f"toml edit: refused, {reason(result)}")
        return
    if TOMLLIB:
        assert before is not REFUSED, "edited a text tomllib refuses"
        expected = copy.deepcopy(before)
        certificates = expected.setdefault("certificates", {})
        assert isinstance(certificates, dict), "edited certificates that are not a table"
        entry = certificates.setdefault(source, {})
        assert isinstance(entry, dict), f"edited certificates.{source} that is not a table"
        entry["cert"] = value
        assert toml_loads(result) == expected
    assert toml_get(read_toml(result), *table, "cert") == value
    assert set_toml_string(result, table, "cert", value, "config.toml") == result
    check_toml_lines(text, result, source, value)


# --- property 5: the .condarc editor, against PyYAML

CONDARC_ENTRIES = [
    ["channels:", "  - defaults", "  - conda-forge"],
    ["channels:", "- defaults"],  # a sequence at its key's own indentation
    ["default_channels: [main, r]"],
    ["always_yes: true"],
    ["auto_activate_base: false  # quiet"],
    ["envs_dirs:", "  - ~/envs", "  # in the block", "", "  - /opt/envs"],
    ["proxy_servers:", "  http: http://127.0.0.1:3128", "  ssl_verify: false"],
    ["custom_channels: {}"],
    ['"quoted key": 1'],
    ["'single': 'it''s'"],
    ["channel_alias: https://127.0.0.1/conda"],
    ["remote_read_timeout_secs: 60.0"],
    ["pkgs_dirs:"],
    ["create_default_packages:", "    - pip", "    -  ipython"],
    ["key.with-dots_: x"],
    ["report_errors: 'no'"],
    ["description: |", "  text", "  ssl_verify: false"],
    ["motd: >-", "  folded", "", "  more"],
    ["motd: one", "  two"],
    ['motd: "one', '  two"'],
    ["verify_threads: 4"],
]
# Top-level entries PyYAML reads, where a line at column 0 is not a key of its own.
CONDARC_TRICKY = [
    ['motd: "one', 'ssl_verify: x"'],
    ["motd: 'one", "ssl_verify: x'"],
    ["motd: {a: 1,", "ssl_verify: x}"],
    ["motd: [a,", "ssl_verify]"],
    ["motd: [a,", "ssl_verify: x]"],
    ["? motd", ": x"],
    ["motd: x\x85ssl_verify: y"],
]
SSL_VERIFY_LINES = [
    "ssl_verify: true",
    "ssl_verify: false",
    "ssl_verify: /etc/ssl/corp.pem",
    "ssl_verify: '/a''b.pem'",
    'ssl_verify: "C:\\\\ca.pem"',
    "ssl_verify:",
    "ssl_verify:  # none yet",
    "ssl_verify: True  #!final",
    "ssl_verify: FALSE",
    "ssl_verify: yes",
    "ssl_verify: off",
    "ssl_verify: tRUE",
    "ssl_verify: ~",
    "ssl_verify: null",
    "ssl_verify: truststore",
    "ssl_verify : /x.pem",
    '"ssl_verify": /q.pem',
    "'ssl_verify': /q.pem",
    "ssl_verify: é☃.pem",
    "ssl_verify: /a b.pem # c",
    "ssl_verify: a#b",
    "ssl_verify:\t/tab.pem",
    "ssl_verify: 1",
    "ssl_verify: 2024-01-01",
    "ssl_verify: /etc/pipssl/ca.pem",
    "ssl_verify: '/etc/pipssl/ca.pem'",
]
SSL_VERIFY_BROKEN = [
    "ssl_verify: 'a' b",
    "ssl_verify: |",
    "ssl_verify: [a]",
    "ssl_verify: &x /a",
    "ssl_verify: !!str /a",
    "ssl_verify: %x",
    "ssl_verify: @x",
    "ssl_verify: a: b",
    "ssl_verify:x",
    "ssl_verify: 'open",
    'ssl_verify: "esc\\tx"',
    "ssl_verify: x}",
    "ssl_verify",
]
CONDARC_ODD = [
    "---",
    "...",
    "%YAML 1.1",
    "--- # doc",
    "{}",
    "- item",
    "? ssl_verify",
    ": x",
    "\tx: 1",
    "key with space: 1",
    "[a]",
    "  more",
    "  ssl_verify: true",
    "a: b: c",
    "\t",
    "  {}",
    "{}  ",
    "{} # empty",
]
CONDARC_OTHERS = ["# comment", "  # indented", "#!final", "", "  "]
CONDARC_ALPHABET = "-:#'\"{}[]|>&*!%@?,.~ \t\r\n\x85\xa0\ufeffsl_verifyae/1é☃"
CONDARC_VALUES = [
    "/etc/pipssl/ca.pem",
    "/etc/ssl/corp.pem",
    "C:\\ProgramData\\pipssl\\ca.pem",
    '/it\'s "é☃🐍" #1: x.pem',
    "true",
    "tab\tthere",
    "del\x7f",
    "nel\x85",
]


@st.composite
def condarc_texts(draw: st.DrawFn) -> str:
    """.condarc files: mostly YAML mappings as people write them; a soup; any text."""
    kind = draw(st.integers(0, 9))
    if kind == 9:
        return draw(st.one_of(st.text(CONDARC_ALPHABET, max_size=40), st.text(max_size=20)))
    lines: List[str]
    if kind == 8:
        pool = SSL_VERIFY_LINES + SSL_VERIFY_BROKEN + CONDARC_ODD + CONDARC_OTHERS
        line = st.one_of(st.sampled_from(pool), st.text(CONDARC_ALPHABET, max_size=12))
        lines = draw(st.lists(line, max_size=12))
    else:
        entry = st.one_of(
            st.sampled_from(CONDARC_ENTRIES),
            st.sampled_from(CONDARC_OTHERS).map(lambda line: [line]),
        )
        # each key once (duplicates come as odd lines)
        entries = draw(st.lists(entry, unique_by=lambda e: e[0].split(":")[0], max_size=6))
        if draw(st.integers(0, 4)):
            ssl = draw(st.sampled_from(SSL_VERIFY_LINES))
            entries.insert(draw(st.integers(0, len(entries))), [ssl])
        if draw(st.integers(0, 3)) == 3:
            odd = st.sampled_from(SSL_VERIFY_LINES + SSL_VERIFY_BROKEN + CONDARC_ODD)
            entries.insert(draw(st.integers(0, len(entries))), [draw(odd)])
        if draw(st.integers(0, 5)) == 5:
            entries.insert(
                draw(st.integers(0, len(entries))), draw(st.sampled_from(CONDARC_TRICKY))
            )
        if draw(st.integers(0, 7)) == 7:
            entries.insert(0, draw(st.sampled_from([["---"], ["%YAML 1.1", "---"]])))
        lines = [line for entry in entries for line in entry]
    eol = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    text = eol.join(lines) + eol
    if eol == "\n" and draw(st.integers(0, 4)) == 4:
        text = text.replace("\n", "\r\n", draw(st.integers(1, 3)))
    if lines and draw(st.booleans()):
        text = text[: -len(eol)]
    return ("\ufeff" if draw(st.integers(0, 5)) == 5 else "") + text


def yaml_load(text: str) -> Any:
    """What PyYAML reads ({} for an empty document), or REFUSED."""
    try:
        data = YAML.safe_load(text)
    except YAML.YAMLError:
        return REFUSED
    return {} if data is None else data


def check_condarc_lines(before: str, after: str, value: str) -> None:
    """Lines outside the edit are kept byte for byte: the value is written in place (the
    key, its spacing and a comment after it kept), or one line is added at the end."""
    if after == before:
        event("condarc: already set")
        return
    gone, new, _ = changed_lines(before, after)
    assert len(new) == 1 and len(gone) <= 1, (gone, new)
    line = new[0][0]
    if gone and gone[0][0].strip() != "{}":
        key = r"""(ssl_verify|"ssl_verify"|'ssl_verify')[ \t]*:[ \t]*"""
        written = check_in_place(gone, line, key, "'")
        event("condarc: replaced in place")
    else:
        assert gone or after.startswith(before), (before, after)
        assert line.startswith("ssl_verify: "), line
        written = line[len("ssl_verify: ") :]
        event("condarc: added" if not gone else "condarc: {} replaced")
    if YAML:
        assert YAML.safe_load("v: " + written) == {"v": value}, written


@pytest.mark.skipif(YAML is None, reason="PyYAML is not installed")
@FUZZ
@given(condarc_texts())
@example("ssl_verify: tRUE\n")  # conda's own typify makes it True; PyYAML reads a string
@example('motd: "one\r\nssl_verify: x"\r\n')
@example("motd: x\x85ssl_verify: y\n")
@example("\xa0")  # a no-break space is no blank line to YAML
def test_condarc_reader_agrees_with_yaml(text: str) -> None:
    """The reader finds the top-level ssl_verify that PyYAML finds, with the same value."""
    ours = pipssl_call(lambda: read_condarc(text, ".condarc", ("ssl_verify",)))
    theirs = yaml_load(text)
    if isinstance(ours, PipsslError):
        stricter = f"condarc: stricter than PyYAML, {reason(ours)}"
        event("condarc: both refuse" if theirs is REFUSED else stricter)
        return
    if theirs is REFUSED:
        # A line reader does not check the YAML of other keys; conda refuses such a file
        # before and after an edit alike (test_condarc_set_ssl_verify_on_any_text).
        event("condarc: the reader reads a text PyYAML refuses")
        return
    assert isinstance(theirs, dict), f"the reader read a text that is not a mapping: {theirs!r}"
    spot = ours.get("ssl_verify")
    assert (spot is None) == ("ssl_verify" not in theirs), (ours, theirs)
    event("condarc: both read it" + (", no ssl_verify" if spot is None else ""))
    if spot is None:
        return
    read = theirs["ssl_verify"]
    if isinstance(spot.value, bool) and isinstance(read, str):
        # conda turns such strings into booleans itself, whatever their case (its typify)
        assert read.lower() in (("true", "yes", "on") if spot.value else ("false", "no", "off"))
        event("condarc: a boolean in another case, PyYAML reads a string")
        return
    if isinstance(spot.value, str) and not isinstance(read, str):
        event(f"condarc: PyYAML reads ssl_verify as {type(read).__name__}")
        assert not isinstance(read, bool), (spot, read)
        assert str(read) == spot.value or not isinstance(read, (int, float)), (spot, read)
        return
    assert type(spot.value) is type(read) and spot.value == read, (spot, read)


# Edits that changed what conda reads (found by fuzzing): a multi-line quoted value with a
# line at column 0 that looks like ssl_verify; a NEL, a line break to PyYAML; a value YAML
# cannot hold (DEL); a key added after "{}" or after a document end ("..."); a new last
# line after a block scalar without a final newline; a blank line after a lone BOM.
@FUZZ
@given(condarc_texts(), st.sampled_from(CONDARC_VALUES))
@example('motd: "one\r\nssl_verify: x"\r\n', "/a")
@example("motd: {a: 1,\nssl_verify: x}\n", "/a")
@example("motd: x\x85ssl_verify: y\n", "/a")
@example("\n", "del\x7f")
@example("{}\n# comment\n", "/a")
@example("{}\n\n", "/a")
@example("channels:\n  - defaults\n...\n", "/a")
@example("description: |\r\n  text\r\n  ssl_verify: false", "/a")
@example("\ufeff", "/a")
@example("\xa0", "/a")
def test_condarc_set_ssl_verify_on_any_text(text: str, value: str) -> None:
    result = pipssl_call(lambda: set_condarc_key(text, "ssl_verify", value, ".condarc"))
    before = yaml_load(text) if YAML else None
    if isinstance(result, PipsslError):
        event(f"condarc edit: refused, {reason(result)}")
        return
    if YAML:
        if before is REFUSED:
            # Editing a file conda cannot read is harmless only while it stays unreadable.
            assert yaml_load(result) is REFUSED, "the edit made a broken file readable"
            event("condarc edit: edited a text PyYAML refuses")
        else:
            assert isinstance(before, dict), f"edited a text that is not a mapping: {before!r}"
            assert yaml_load(result) == {**before, "ssl_verify": value}
    assert read_condarc(result, ".condarc", ("ssl_verify",))["ssl_verify"].value == value
    assert set_condarc_key(result, "ssl_verify", value, ".condarc") == result
    check_condarc_lines(text, result, value)
