"""An expired root at the end of the path: the chain built as OpenSSL builds it.

OpenSSL's "certificate has expired" does not say which certificate, and Python passes no
depth.  The server's certificates may all be within their dates while the root this
machine trusts for them is not: a CA's old root expires, its new root was cross-signed by
the old one, and a machine that lacks the new root builds the one path it can, to the old
root (2021's root expiry).  Telling the server's owner to renew would be wrong: this
machine needs the new root.

So the path is built again here, as OpenSSL 1.1+ builds it (trusted first): at each step
an issuer among the trusted certificates first, a valid one before an expired one, then
among those the server sent; a trusted certificate ends the path.  When every certificate
on it is valid but the root, the finding is ``root-expired``: which root expired, the root
the server chains to instead (the CA it sends issued by the expired root, when that CA is
not the leaf's own issuer: a cross-signed root), and whether this machine already holds a
current root for it (the OS store, the certifi a rebuilt bundle takes), which ``repair``
then uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Sequence, Tuple

from pipssl import commands
from pipssl._text import shown
from pipssl.certs.x509 import Certificate
from pipssl.findings import Finding


@dataclass(frozen=True)
class ChainPath:
    """The path OpenSSL builds from the leaf.

    Attributes:
        sent: the certificates the server sent that the path uses, leaf first.
        anchor: the trusted certificate it ends at (None: it reaches none).
    """

    sent: Tuple[Certificate, ...]
    anchor: Optional[Certificate]


@dataclass(frozen=True)
class ExpiredRoot:
    """The expired root a path ends at, and what the server offers instead.

    Attributes:
        root: the trusted root the path ends at, expired.
        path: the path, leaf first.
        offered: the root the server chains to instead: the CA it sends issued by the
            expired root (None: the server offers no other path).
    """

    root: Certificate
    path: ChainPath
    offered: Optional[Certificate]

    @property
    def wanted(self) -> Certificate:
        """The certificate whose name and key a current root must have: the offered
        root's, else the expired root's (renewed)."""
        return self.offered or self.root


def issued_by(cert: Certificate, issuer: Certificate) -> bool:
    """``issuer`` may have issued ``cert``: the names match, and the key identifiers where
    both are given (how OpenSSL tells apart two CAs of one name, an old and a new key)."""
    if cert.issuer != issuer.subject:
        return False
    return cert.aki is None or issuer.ski is None or cert.aki == issuer.ski


def build_path(
    chain: Sequence[Certificate], trusted: Sequence[Certificate], now: datetime
) -> ChainPath:
    """The path OpenSSL builds from ``chain[0]``, with X509_V_FLAG_TRUSTED_FIRST (its default
    since 1.1.0): a trusted issuer first, a valid one before an expired one (as
    X509_STORE_CTX_get1_issuer prefers), then an issuer the server sent."""
    if not chain:
        return ChainPath((), None)
    path: List[Certificate] = [chain[0]]
    while len(path) <= len(chain):
        current = path[-1]
        anchors = [t for t in trusted if issued_by(current, t)]
        if anchors:
            valid = [t for t in anchors if t.is_valid_at(now)]
            return ChainPath(tuple(path), (valid or anchors)[0])
        if current.self_issued:
            break  # a root nobody trusts: the issuer codes, not this module
        used = {c.sha256 for c in path}
        sent = [c for c in chain if c.sha256 not in used and issued_by(current, c)]
        if not sent:
            break
        path.append(sent[0])
    return ChainPath(tuple(path), None)


def expired_root(
    chain: Sequence[Certificate], trusted: Sequence[Certificate], now: datetime
) -> Optional[ExpiredRoot]:
    """The expired root the path OpenSSL builds ends at, when every certificate the server
    sent on that path is valid (else None: an expired one is the server's, ``cert-expired``).

    Args:
        chain: the certificates the server sent, leaf first.
        trusted: what pip verifies with.
        now: the time of the diagnosis.
    """
    path = build_path(chain, trusted, now)
    root = path.anchor
    if root is None or root.is_valid_at(now):
        return None
    if any(not c.is_valid_at(now) for c in path.sent):
        return None
    return ExpiredRoot(root, path, cross_signed(path.sent))


def cross_signed(sent: Sequence[Certificate]) -> Optional[Certificate]:
    """The root the server offers cross-signed by another: the top CA of ``sent`` (a path,
    leaf first) when it issued the CA below it and that CA is not the leaf's own issuer.
    The leaf's issuer is an ordinary intermediate; a CA the server sends above it, issued
    by another CA, is how a new root rides on an older one while clients lack it."""
    if len(sent) < 3:
        return None
    top = sent[-1]
    if top.self_issued or top.is_ca is False or not issued_by(sent[-2], top):
        return None
    return top


def current_root(
    found: ExpiredRoot, held: Sequence[Tuple[Certificate, str]], now: datetime
) -> Optional[Tuple[Certificate, str]]:
    """A valid self-issued root among ``held`` (certificate, where) with the name and key
    of ``found.wanted``: what a bundle rebuilt from them would verify with."""
    wanted = found.wanted
    for cert, where in held:
        if (
            cert.self_issued
            and cert.subject == wanted.subject
            and (cert.ski is None or wanted.ski is None or cert.ski == wanted.ski)
            and cert.is_valid_at(now)
        ):
            return cert, where
    return None


def _chain_line(found: ExpiredRoot) -> str:
    names = " -> ".join(shown(c.subject) for c in found.path.sent)
    root = shown(found.root.subject)
    return f"the path OpenSSL builds, from the leaf up: {names} -> {root} (trusted, expired)"


def _fix(
    found: ExpiredRoot, current: Optional[Tuple[Certificate, str]], host: str, ca_file: str
) -> str:
    """Which root this machine needs, and how pip gets it."""
    repair = commands.pipssl("repair")
    name = shown(found.wanted.subject)
    if current is not None:
        cert, where = current
        return (
            f"this machine already holds the current root {shown(cert.subject)} "
            f"({shown(where)}): point pip at a bundle of certifi's and the OS store's roots:\n"
            + repair
        )
    get = (
        f"# or get that root's certificate as a PEM file, {ca_file}, from its CA or your IT "
        "department, check its fingerprint, and trust it for pip:\n"
        f"openssl x509 -in {ca_file} -noout -subject -fingerprint -sha256\n"
        + commands.pipssl("repair", "--ca", ca_file)
    )
    rebuild = f"# once the OS store or certifi holds it (updated), rebuild pip's bundle:\n{repair}"
    if found.offered is not None:
        need = (
            f"this machine needs the root {host} chains to, {name} (its own, self-signed); "
            "renewing the server's certificate would not help"
        )
        return f"{need}\n{rebuild}\n{get}"
    need = f"this machine needs a current root for this chain: {name} renewed (same name and key)"
    other = (
        "# if its CA has no current root of that name, the server's owner must move to a "
        "certificate under a current root"
    )
    return f"{need}\n{rebuild}\n{get}\n{other}"


def root_expired(
    url: str,
    host: str,
    found: ExpiredRoot,
    current: Optional[Tuple[Certificate, str]],
    in_os_store: bool,
    where: str,
    ca_file: str,
) -> Finding:
    """root-expired: the expired root named (not the leaf), the root offered, the fix.

    Args:
        url: the index URL (the finding's target).
        host: the index's host.
        found: what :func:`expired_root` found.
        current: what :func:`current_root` found.
        in_os_store: the expired root is one of the OS store's.
        where: OpenSSL's message and code, as the other verify findings show it.
        ca_file: the file name the fix gives the needed root (made from its name).
    """
    host = shown(host)  # and every certificate field below: text from the network
    root = found.root
    store = "the OS store" if in_os_store else "pip's CA bundle"
    lines = [
        where,
        _chain_line(found),
        f"expired root: {shown(root.subject)}, valid {root.not_before.date()} to "
        f"{root.not_after.date()}, in {store}",
        f"sha256: {root.sha256}",
        f"every certificate {host} sends is within its dates: the root this machine trusts "
        "for them is what expired",
    ]
    if found.offered is not None:
        lines.append(
            f"{host} also chains to the root {shown(found.offered.subject)}: it sends that CA "
            "cross-signed by the expired root, for machines that lack it"
        )
    else:
        lines.append(f"{host} sends no certificate that leads to another root")
    expired = f"{shown(root.subject)} (expired {root.not_after.date()})"
    summary = f"{host}'s chain ends at an expired root this machine trusts: {expired}"
    return Finding.make(
        "root-expired", url, summary, "\n".join(lines), _fix(found, current, host, ca_file)
    )
