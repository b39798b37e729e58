"""Server chains that every pip refuses for a reason other than an unknown issuer.

Each chain ends in a root the test trusts (``ServerCert.ca_pem``: the session's root, or
one of the kind's own), so the issuer is trusted and the failure lies in the chain
itself: a weak key or digest (OpenSSL's security level 2, which Python's default context
keeps), a critical extension OpenSSL does not know, an intermediate that is not a CA.  A
*twin* is the same chain built right.

Serving a weak certificate at all needs the server's own context at a lower security
level (``serve_index(..., ciphers=SERVER_WEAK_CIPHERS)``): that is the test server's
choice, never the client's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Optional, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from bed.certs import (
    CA_KEY_USAGE,
    LOOPBACK_NAMES,
    ORG,
    CertWorld,
    ServerCert,
    _name,
    _pem,
    _san,
)

#: For ``serve_index(ciphers=...)``: lets the *server* load and send a weak certificate.
SERVER_WEAK_CIPHERS = "DEFAULT:@SECLEVEL=0"
#: An extension OID nobody implements (under the documentation arc 1.3.6.1.4.1.55555).
UNKNOWN_EXTENSION = ObjectIdentifier("1.3.6.1.4.1.55555.1.1")

#: The odd kinds and what each varies: leaf key, leaf digest, intermediate key, ...
ODD_KINDS = (
    "rsa1024-leaf",
    "rsa2048-leaf",
    "sha1-leaf",
    "sha256-leaf",
    "rsa1024-intermediate",
    "rsa2048-intermediate",
    "rsa1024-root",
    "rsa2048-root",
    "unknown-critical-extension",
    "unknown-noncritical-extension",
    "intermediate-not-ca",
)
_DAY = datetime.timedelta(days=1)
#: DER of the OIDs sha256WithRSAEncryption (1.2.840.113549.1.1.11) and sha1WithRSA (...1.5).
_RSA_SHA256 = bytes.fromhex("06092a864886f70d01010b")
_RSA_SHA1 = bytes.fromhex("06092a864886f70d010105")
_Key = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]


@dataclass(frozen=True)
class _Issuer:
    cert: x509.Certificate
    key: _Key


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _key(bits: Optional[int]) -> _Key:
    if bits is None:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _key_pem(key: _Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load(world: CertWorld, which: str) -> _Issuer:
    ca = getattr(world, which)
    cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    assert isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey))
    return _Issuer(cert, key)


def _build(
    subject: x509.Name,
    key: _Key,
    issuer: _Issuer,
    *,
    ca: Optional[bool],
    digest: Any,
    extra: Optional[x509.ExtensionType] = None,
    extra_critical: bool = False,
) -> x509.Certificate:
    """One certificate; ``ca=None`` leaves basicConstraints out altogether."""
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + 90 * _DAY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    if ca is True:
        builder = builder.add_extension(CA_KEY_USAGE, True)
    if ca is not True:
        builder = builder.add_extension(_san(LOOPBACK_NAMES), False).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False
        )
    if extra is not None:
        builder = builder.add_extension(extra, extra_critical)
    if isinstance(digest, hashes.SHA1):
        return _sign_sha1(builder.sign(issuer.key, hashes.SHA256()), issuer.key)
    return builder.sign(issuer.key, digest)


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + body


def _sign_sha1(cert: x509.Certificate, key: _Key) -> x509.Certificate:
    """The same certificate signed with SHA-1, which cryptography's builder refuses.

    sha256WithRSAEncryption and sha1WithRSAEncryption differ in the OID's last byte
    alone, so the TBS keeps its length: swap the byte, sign it, put it together again.
    """
    assert isinstance(key, rsa.RSAPrivateKey), "the SHA-1 world's issuer is RSA"
    tbs = cert.tbs_certificate_bytes
    assert tbs.count(_RSA_SHA256) == 1
    tbs = tbs.replace(_RSA_SHA256, _RSA_SHA1)
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    algorithm = _der(0x30, _RSA_SHA1 + b"\x05\x00")
    der = _der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


def _self_signed(name: x509.Name, key: _Key) -> x509.Certificate:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + 365 * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(CA_KEY_USAGE, True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )


def odd_cert(world: CertWorld, kind: str) -> ServerCert:
    """A server chain of one :data:`ODD_KINDS` kind; ``ca_pem`` is the root to trust:
    ``world.root``, or for the ``*-root`` kinds a root of their own.

    Leaves name the loopback hosts; an own intermediate ("pipssl Odd Intermediate CA") is
    built for the kinds that vary it, the world's intermediate is used otherwise.

    Raises:
        ValueError: for an unknown kind.
    """
    if kind not in ODD_KINDS:
        raise ValueError(f"unknown odd kind {kind!r}; use one of {ODD_KINDS}")
    root = _load(world, "root")
    issuer = _load(world, "intermediate")
    sent = [issuer.cert]
    leaf_bits: Optional[int] = None
    digest: Any = hashes.SHA256()
    extra: Optional[x509.ExtensionType] = None
    critical = False
    if kind in ("rsa1024-leaf", "rsa2048-leaf"):
        leaf_bits = 1024 if kind == "rsa1024-leaf" else 2048
    elif kind in ("sha1-leaf", "sha256-leaf"):
        # The one digest that differs: both issued by an RSA-2048 intermediate of our own.
        key = _key(2048)
        name = _name("pipssl Odd Intermediate CA", ORG)
        issuer = _Issuer(_build(name, key, root, ca=True, digest=hashes.SHA256()), key)
        sent = [issuer.cert]
        digest = hashes.SHA1() if kind == "sha1-leaf" else hashes.SHA256()
    elif kind.endswith("-intermediate") or kind == "intermediate-not-ca":
        bits = 1024 if kind == "rsa1024-intermediate" else 2048
        key = _key(bits)
        name = _name("pipssl Odd Intermediate CA", ORG)
        is_ca = None if kind == "intermediate-not-ca" else True
        issuer = _Issuer(_build(name, key, root, ca=is_ca, digest=hashes.SHA256()), key)
        sent = [issuer.cert]
    elif kind in ("rsa1024-root", "rsa2048-root"):
        # A root of its own (the client must trust it) and a server that sends its leaf
        # alone: the weak certificate is one the server never sends.
        key = _key(1024 if kind == "rsa1024-root" else 2048)
        root = _Issuer(_self_signed(_name(f"pipssl {kind} CA", ORG), key), key)
        issuer, sent = root, []
    else:
        extra = x509.UnrecognizedExtension(UNKNOWN_EXTENSION, b"\x05\x00")
        critical = kind == "unknown-critical-extension"
    key = _key(leaf_bits)
    leaf = _build(
        _name(f"pipssl {kind} server (test)", ORG),
        key,
        issuer,
        ca=False,
        digest=digest,
        extra=extra,
        extra_critical=critical,
    )
    chain = _pem(leaf) + b"".join(_pem(c) for c in sent)
    return ServerCert(kind, chain, _key_pem(key), _pem(leaf), _pem(root.cert))
