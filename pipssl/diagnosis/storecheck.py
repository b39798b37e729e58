"""os-store-bad-block: a certificate block of the OS trust store that cannot be read.

The store reader (:mod:`pipssl.certs.store`) decides what such a block costs (OpenSSL
drops the whole CA file for a block it rejects; a block only pipssl cannot parse costs
only itself) and keeps the blocks; this module only tells the user, one finding per file.
"""

from __future__ import annotations

from typing import Dict, List

from pipssl import codes
from pipssl._text import shown
from pipssl.certs.bundle import BadBlock
from pipssl.certs.store import OsStore
from pipssl.findings import Finding

__all__ = ["check_os_store"]


def check_os_store(store: OsStore) -> List[Finding]:
    """One ``os-store-bad-block`` finding per OS store file holding unreadable blocks.

    Severity ``warning`` when OpenSSL rejects a block (then it loads nothing of that file:
    pip with truststore, and every OpenSSL program, trust none of its certificates);
    ``info`` when OpenSSL loads the certificate and only pipssl cannot read it.
    """
    by_file: Dict[str, List[BadBlock]] = {}
    for block in store.bad_blocks:
        by_file.setdefault(block.source, []).append(block)
    findings: List[Finding] = []
    for source, blocks in by_file.items():
        rejected = any(b.openssl_rejects for b in blocks)
        lines = [b.describe() for b in blocks]
        if rejected:
            lines.append(
                "OpenSSL loads nothing of a CA file with a block it cannot read: pip with "
                "truststore and other OpenSSL programs trust none of this file's certificates"
                if source in store.dropped
                else "pipssl left this block out; the other certificates are read"
            )
            summary = f"{shown(source)} has a certificate block that is not a certificate"
        else:
            lines.append(
                "OpenSSL loads it; only pipssl cannot read it, so pipssl's diagnosis and "
                "bundle leave it out"
            )
            summary = f"{shown(source)} has a certificate pipssl cannot read"
        findings.append(
            Finding(
                "os-store-bad-block",
                codes.WARNING if rejected else codes.INFO,
                source,
                summary,
                "\n".join(lines),
                "have the block repaired or removed where the store is made (Debian/Ubuntu: "
                "the file under /usr/local/share/ca-certificates, then update-ca-certificates;"
                " Fedora/RHEL: /etc/pki/ca-trust/source/anchors, then update-ca-trust)"
                if rejected
                else "",
            )
        )
    return findings
