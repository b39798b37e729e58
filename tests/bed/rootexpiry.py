"""Chains whose only path, on a machine that trusts an old root, ends at that root expired.

The situation of a CA's root expiry (2021's, for one): an old root R1 has expired; the CA's
new root R2 was cross-signed by R1, so that machines trusting only R1 kept working while it
was valid.  The server sends its leaf, the intermediate R2 issued and the cross-sign (R2's
name and key, issued by R1).  A machine that trusts R2 verifies (OpenSSL takes the trusted
R2 first); one that trusts only R1 builds the one path it can, which ends at R1, expired.

Kinds (each a :class:`~bed.certs.ServerCert`; ``ca_pem`` is the root the chain ends at on a
machine that trusts only the old root, R1 for the first two):

* ``cross-signed``: leaf + intermediate (issued by R2) + cross-sign (R2 by R1).
* ``old-root-only``: leaf + intermediate issued by R1: no other path is offered.
* ``expired-intermediate``: leaf + an expired intermediate of the session's root (valid).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from bed.certs import CA_KEY_USAGE, LOOPBACK_NAMES, ORG, CertWorld, ServerCert, _name, _pem, _san
from bed.oddcerts import _key_pem, _load

_DAY = datetime.timedelta(days=1)
_Key = ec.EllipticCurvePrivateKey
OLD_ROOT = "pipssl Old Root CA (expired test)"
NEW_ROOT = "pipssl New Root CA (test)"
KINDS = ("cross-signed", "old-root-only", "expired-intermediate")


@dataclass(frozen=True)
class RootExpiry:
    """The roots of the world and its server chains.

    Attributes:
        old_root: R1's PEM (self-signed, expired yesterday).
        new_root: R2's PEM (self-signed, valid).
        chains: kind -> server chain (see the module docstring).
    """

    old_root: bytes
    new_root: bytes
    chains: Dict[str, ServerCert]

    def write(self, directory: Path) -> Dict[str, Path]:
        """Write ``old-root.pem`` and ``new-root.pem`` into ``directory``; their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = {"old": directory / "old-root.pem", "new": directory / "new-root.pem"}
        paths["old"].write_bytes(self.old_root)
        paths["new"].write_bytes(self.new_root)
        return paths


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _cert(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    if ca:
        builder = builder.add_extension(CA_KEY_USAGE, critical=True).add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
    else:
        builder = builder.add_extension(_san(LOOPBACK_NAMES), False).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def root_expiry(world: CertWorld) -> RootExpiry:
    """Build the roots and the chains of :data:`KINDS` (fresh keys on every call)."""
    now = _now()
    long_ago, valid_from, valid_to = now - 3650 * _DAY, now - 30 * _DAY, now + 300 * _DAY
    old_key, new_key = _key(), _key()
    old, new = _name(OLD_ROOT, ORG), _name(NEW_ROOT, ORG)
    old_root = _cert(
        old, old_key, old, old_key, ca=True, not_before=long_ago, not_after=now - _DAY
    )
    new_root = _cert(
        new, new_key, new, new_key, ca=True, not_before=long_ago, not_after=now + 3650 * _DAY
    )
    # The cross-sign outlives its issuer, as 2021's did: only R1 is out of date.
    cross = _cert(new, new_key, old, old_key, ca=True, not_before=long_ago, not_after=valid_to)
    chains: Dict[str, ServerCert] = {}

    def serve(kind: str, issuer: x509.Certificate, key: _Key, sent: bytes, root: bytes) -> None:
        """A leaf of ``issuer`` (whose key is ``key``), sent with ``sent``."""
        leaf_key = _key()
        name = _name(f"pipssl {kind} server (test)", ORG)
        leaf = _pem(
            _cert(name, leaf_key, issuer.subject, key, ca=False, not_before=valid_from,
                  not_after=valid_to)
        )  # fmt: skip
        chains[kind] = ServerCert(kind, leaf + sent, _key_pem(leaf_key), leaf, root)

    inter_key = _key()
    inter = _cert(
        _name("pipssl New Intermediate CA", ORG), inter_key, new, new_key, ca=True,
        not_before=valid_from, not_after=valid_to,
    )  # fmt: skip
    serve("cross-signed", inter, inter_key, _pem(inter) + _pem(cross), _pem(old_root))

    old_inter_key = _key()
    old_inter = _cert(
        _name("pipssl Old Intermediate CA", ORG), old_inter_key, old, old_key, ca=True,
        not_before=valid_from, not_after=valid_to,
    )  # fmt: skip
    serve("old-root-only", old_inter, old_inter_key, _pem(old_inter), _pem(old_root))

    root = _load(world, "root")
    assert isinstance(root.key, ec.EllipticCurvePrivateKey)
    gone_key = _key()
    gone = _cert(
        _name("pipssl Expired Intermediate CA", ORG), gone_key, root.cert.subject, root.key,
        ca=True, not_before=now - 60 * _DAY, not_after=now - _DAY,
    )  # fmt: skip
    serve("expired-intermediate", gone, gone_key, _pem(gone), _pem(root.cert))
    return RootExpiry(_pem(old_root), _pem(new_root), chains)
