"""A session's worth of test certificates: roots, an intercepting-proxy root, server kinds.

trustme issues the ordinary certificates; cryptography builds what trustme cannot (named
roots, a leaf with an AIA caIssuers URL, a self-signed end-entity certificate).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

KINDS = (
    "good",
    "incomplete",
    "expired",
    "not-yet-valid",
    "wrong-host",
    "self-signed",
    "self-signed-ca",
    "intercepted",
    "lax-intercepted",
    "cn-only",
)
LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost")
AIA_URL = "http://127.0.0.1:9/inter.der"
ORG = "pipssl tests"
_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class ServerCert:
    """A server certificate chain and key, plus the root a client should trust for it."""

    kind: str
    chain_pem: bytes
    key_pem: bytes
    leaf_pem: bytes
    ca_pem: bytes


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


#: The keyUsage of every test CA: it signs certificates and CRLs.
CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def make_ca(
    common_name: str,
    organization: str,
    parent: Optional[trustme.CA] = None,
    *,
    not_after: Optional[datetime.datetime] = None,
) -> trustme.CA:
    """Build a CA whose subject has a real CN (trustme only sets O/OU) and wrap it in trustme.

    Args:
        common_name: the CA's CN.
        organization: the CA's O.
        parent: the issuing CA for an intermediate; None for a self-signed root.
        not_after: when it ends (default: in ten years).

    Returns:
        A trustme.CA that can issue certificates; an intermediate keeps ``parent_cert`` so
        trustme's chains include it.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(common_name, organization)
    if parent is None:
        issuer, sign_key, issuer_public = subject, key, key.public_key()
    else:
        parent_cert = x509.load_pem_x509_certificate(parent.cert_pem.bytes())
        parent_key = serialization.load_pem_private_key(
            parent.private_key_pem.bytes(), password=None
        )
        assert isinstance(parent_key, ec.EllipticCurvePrivateKey)
        issuer, sign_key, issuer_public = parent_cert.subject, parent_key, parent_key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - _DAY)
        .not_valid_after(not_after or _now() + 3650 * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(CA_KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False
        )
        .sign(sign_key, hashes.SHA256())
    )
    ca = trustme.CA.from_pem(_pem(cert), _key_pem(key))
    ca.parent_cert = parent
    return ca


def _self_signed_leaf(ca: bool = False) -> Tuple[bytes, bytes]:
    """A server's own self-signed certificate; ``ca``: marked a CA (basic constraints
    CA:TRUE), which pipssl may trust like any private CA, where the other stays broken."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"pipssl self-signed{' CA' if ca else ''} server (test)", ORG)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - _DAY)
        .not_valid_after(_now() + 365 * _DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_san(LOOPBACK_NAMES), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return _pem(cert), _key_pem(key)


def _san(names: Tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: List[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _reissue(
    leaf_pem: bytes,
    issuer: trustme.CA,
    *,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    aia: Optional[str] = None,
) -> bytes:
    """Re-sign a leaf (same subject, key and extensions) with other validity dates and,
    optionally, an AIA caIssuers URL: trustme has no AIA option, and trustme < 1.2 (the
    newest on Python 3.8) no ``not_before``."""
    leaf = x509.load_pem_x509_certificate(leaf_pem)
    issuer_key = serialization.load_pem_private_key(issuer.private_key_pem.bytes(), password=None)
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(leaf.subject)
        .issuer_name(leaf.issuer)
        .public_key(leaf.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for ext in leaf.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    if aia:
        location = x509.UniformResourceIdentifier(aia)
        access = x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, location)
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    return _pem(builder.sign(issuer_key, hashes.SHA256()))


def _lax_root() -> trustme.CA:
    """A Zscaler-style interception root: basicConstraints not critical, no Authority Key
    Identifier, no keyUsage.  OpenSSL's strict mode (Python 3.13's default context,
    urllib3 2.4+ there) refuses it; pip and webpki (uv) accept it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Zscaler Root CA (lax test)", "Zscaler Inc. (pipssl test double)")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - _DAY)
        .not_valid_after(_now() + 3650 * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return trustme.CA.from_pem(_pem(cert), _key_pem(key))


def _leaf(issuer: trustme.CA, names: Tuple[str, ...], common_name: str) -> Tuple[bytes, bytes]:
    """A server leaf of ``issuer`` with a subjectAltName of ``names`` (none: no SAN at all,
    the host in the CN only), which trustme cannot issue."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_cert = x509.load_pem_x509_certificate(issuer.cert_pem.bytes())
    issuer_key = serialization.load_pem_private_key(issuer.private_key_pem.bytes(), password=None)
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, ORG))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - _DAY)
        .not_valid_after(_now() + 300 * _DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if names:
        builder = builder.add_extension(_san(names), critical=False)
    return _pem(builder.sign(issuer_key, hashes.SHA256())), _key_pem(key)


class CertWorld:
    """All certificates of a test session, written once into ``directory``.

    Attributes ``root`` ("pipssl Test Root CA"), ``intermediate`` (issues the server leaves),
    ``intercept`` (an unrelated root posing as a corporate intercepting proxy's) and
    ``client_ca`` are trustme CAs, so tests can issue more certificates from them.

    ``lax_intercept`` is a Zscaler-style root without the strict X.509 profile.

    Files: root.pem, intermediate.pem, intermediate.der, intercept.pem, lax-intercept.pem,
    client-ca.pem,
    client.pem (client certificate then its key) and, per kind, <kind>.chain.pem,
    <kind>.key.pem, <kind>.leaf.pem.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.root = make_ca("pipssl Test Root CA", ORG)
        self.intermediate = make_ca("pipssl Test Intermediate CA", ORG, parent=self.root)
        self.intercept = make_ca("Zscaler Root CA (test)", "Zscaler Inc. (pipssl test double)")
        self.client_ca = make_ca("pipssl Client CA (test)", ORG)
        self.lax_intercept = _lax_root()
        self._certs: Dict[str, ServerCert] = {}
        self._build_kinds()
        self._build_profile_kinds()
        client = self.client_ca.issue_cert(
            "client.pipssl.invalid", common_name="pipssl test client", organization_name=ORG
        )
        inter_cert = x509.load_pem_x509_certificate(self.intermediate.cert_pem.bytes())
        self._write("root.pem", self.root.cert_pem.bytes())
        self._write("intermediate.pem", self.intermediate.cert_pem.bytes())
        self._write("intermediate.der", inter_cert.public_bytes(serialization.Encoding.DER))
        self._write("intercept.pem", self.intercept.cert_pem.bytes())
        self._write("lax-intercept.pem", self.lax_intercept.cert_pem.bytes())
        self._write("client-ca.pem", self.client_ca.cert_pem.bytes())
        self._write(
            "client.pem", client.cert_chain_pems[0].bytes() + client.private_key_pem.bytes()
        )
        for kind, cert in self._certs.items():
            self._write(f"{kind}.chain.pem", cert.chain_pem)
            self._write(f"{kind}.key.pem", cert.key_pem)
            self._write(f"{kind}.leaf.pem", cert.leaf_pem)

    def _issue(self, ca: trustme.CA, kind: str, *names: str) -> None:
        leaf = ca.issue_cert(
            *names, common_name=f"pipssl {kind} server (test)", organization_name=ORG
        )
        chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        leaf_pem = leaf.cert_chain_pems[0].bytes()
        self._certs[kind] = ServerCert(
            kind, chain, leaf.private_key_pem.bytes(), leaf_pem, self.root.cert_pem.bytes()
        )

    def _variant(
        self,
        kind: str,
        *,
        not_before: datetime.datetime,
        not_after: datetime.datetime,
        aia: Optional[str] = None,
    ) -> ServerCert:
        """A re-signed copy of the good leaf; with an ``aia`` URL the chain drops the
        intermediate (a server that forgets it, whose leaf says where to fetch it)."""
        good = self._certs["good"]
        leaf = _reissue(
            good.leaf_pem, self.intermediate, not_before=not_before, not_after=not_after, aia=aia
        )
        chain = leaf if aia else leaf + self.intermediate.cert_pem.bytes()
        self._certs[kind] = ServerCert(kind, chain, good.key_pem, leaf, good.ca_pem)
        return self._certs[kind]

    def incomplete_with_aia(self, url: str) -> ServerCert:
        """Like kind "incomplete", but the leaf's AIA caIssuers URL is ``url``."""
        now = _now()
        return self._variant(
            f"aia-{url}", not_before=now - _DAY, not_after=now + 30 * _DAY, aia=url
        )

    def _build_kinds(self) -> None:
        now = _now()
        self._issue(self.intermediate, "good", *LOOPBACK_NAMES)
        self._variant("incomplete", not_before=now - _DAY, not_after=now + 365 * _DAY, aia=AIA_URL)
        self._variant("expired", not_before=now - 60 * _DAY, not_after=now - _DAY)
        self._variant("not-yet-valid", not_before=now + 365 * _DAY, not_after=now + 730 * _DAY)
        self._issue(self.intermediate, "wrong-host", "wrong.invalid")
        for kind, ca in (("self-signed", False), ("self-signed-ca", True)):
            leaf_pem, key_pem = _self_signed_leaf(ca)
            self._certs[kind] = ServerCert(kind, leaf_pem, key_pem, leaf_pem, leaf_pem)
        intercepted = self.intercept.issue_cert(
            *LOOPBACK_NAMES, common_name="pipssl intercepted server (test)", organization_name=ORG
        )
        leaf_pem = intercepted.cert_chain_pems[0].bytes()
        root_pem = self.intercept.cert_pem.bytes()
        self._certs["intercepted"] = ServerCert(
            "intercepted",
            leaf_pem + root_pem,  # intercepting proxies send their root along
            intercepted.private_key_pem.bytes(),
            leaf_pem,
            root_pem,
        )

    def _build_profile_kinds(self) -> None:
        """What pip accepts and stricter clients refuse: a leaf of the lax root (sent
        along, as intercepting proxies do), and a leaf naming localhost in its CN alone."""
        leaf_pem, key_pem = _leaf(self.lax_intercept, LOOPBACK_NAMES, "pipssl lax server (test)")
        root_pem = self.lax_intercept.cert_pem.bytes()
        self._certs["lax-intercepted"] = ServerCert(
            "lax-intercepted", leaf_pem + root_pem, key_pem, leaf_pem, root_pem
        )
        leaf_pem, key_pem = _leaf(self.intermediate, (), "localhost")
        self._certs["cn-only"] = ServerCert(
            "cn-only",
            leaf_pem + self.intermediate.cert_pem.bytes(),
            key_pem,
            leaf_pem,
            self.root.cert_pem.bytes(),
        )

    def _write(self, name: str, data: bytes) -> None:
        (self.directory / name).write_bytes(data)

    def server_cert(self, kind: str) -> ServerCert:
        """Return the server certificate of one kind.

        Args:
            kind: one of :data:`KINDS`.

        Returns:
            The chain, key, leaf and the root that should verify it.

        Raises:
            ValueError: for an unknown kind.
        """
        if kind not in self._certs:
            raise ValueError(f"unknown certificate kind {kind!r}; use one of {KINDS}")
        return self._certs[kind]

    def path(self, name: str) -> Path:
        """Return the path of a file written by this world, e.g. "root.pem".

        Args:
            name: the file name.

        Returns:
            The path, which exists.

        Raises:
            ValueError: when no such file was written.
        """
        path = self.directory / name
        if not path.is_file():
            known = sorted(p.name for p in self.directory.iterdir())
            raise ValueError(f"no test certificate file {name!r}; known: {known}")
        return path


def hashed_ca_dir(directory: Path, *pems: bytes) -> Path:
    """Write a CA directory as ``openssl rehash`` (c_rehash) lays it out: each PEM as
    ``ca-<n>.pem`` plus the ``<subject hash>.<n>`` link OpenSSL looks CAs up by.

    Raises:
        RuntimeError: ``openssl rehash`` is missing or fails.
    """
    import shutil
    import subprocess

    directory.mkdir(parents=True, exist_ok=True)
    for number, pem in enumerate(pems):
        (directory / f"ca-{number}.pem").write_bytes(pem)
    tool = shutil.which("openssl")
    if tool is None:
        raise RuntimeError("no openssl command on PATH to hash the CA directory")
    proc = subprocess.run(
        [tool, "rehash", str(directory)], capture_output=True, text=True, timeout=30, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"openssl rehash failed: {proc.stderr.strip()}")
    return directory
