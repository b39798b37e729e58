"""The checks of what pipssl itself keeps: its bundle against its sources, and the CAs
the user consented to against the calendar.

``bundle-stale``: the bundle pip uses is one pipssl wrote, and a rebuild now would trust
other roots (certifi or the OS store withdrew one, IT added one, a consent was given or
withdrawn since).  ``consented-ca-expiring`` / ``consented-ca-expired``: a consented CA
ends within :data:`EXPIRY_WARNING` or has ended; pip fails for every index it issued for.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import List, Mapping, Optional, Sequence

from pipssl import commands
from pipssl._files import CA_FILE, read_optional
from pipssl._text import shown
from pipssl.certs.compose import certificates_of, current_entries, diff, is_pipssl_bundle
from pipssl.certs.consent import Consent, read_consent
from pipssl.certs.x509 import Certificate
from pipssl.errors import PipsslError
from pipssl.findings import Finding
from pipssl.target.pipconfig import PipConfig

#: How long before a consented CA ends ``doctor`` starts to warn.
EXPIRY_WARNING = timedelta(days=30)


def check_own_bundle(
    config: PipConfig,
    environ: Mapping[str, str],
    vendored_certifi: Optional[str],
    now: datetime,
) -> List[Finding]:
    """bundle-stale and the consented CAs' expiry (see the module docstring)."""
    try:
        consented = read_consent(environ)
    except PipsslError as exc:
        if exc.reference != "no-state-dir":
            raise
        consented = ()  # no home: no state, so no consent and no bundle of ours in it
    findings = [f for c in consented for f in _expiry(c, now)]
    cert = config.get("cert")
    if cert is None:
        return findings
    path = os.path.abspath(cert.value.strip())
    try:
        data = read_optional(path, CA_FILE, directory_is_missing=True)
    except PipsslError:
        return findings  # check_cafiles reports a CA file that cannot be read
    if not is_pipssl_bundle(data):
        return findings
    sources = current_entries(vendored_certifi, environ, consented)
    changes = diff(certificates_of(data, path), [e.cert for e in sources])
    if changes:
        findings.append(
            Finding.make(
                "bundle-stale",
                path,
                f"pipssl's bundle ({shown(cert.where())}) no longer matches its sources: a "
                "rebuild " + changes.describe(),
                _details(changes.removed, "trusted by the bundle, no longer by its sources")
                + _details(changes.added, "in the sources, not yet in the bundle"),
                commands.pipssl("repair", "--yes"),
            )
        )
    return findings


def _details(certs: Sequence[Certificate], why: str) -> str:
    return "".join(f"{why}: {shown(c.subject)} (SHA-256 {c.sha256})\n" for c in certs)


def _expiry(consent: Consent, now: datetime) -> List[Finding]:
    cert = consent.cert
    if cert.not_after <= now:
        code, verb = "consented-ca-expired", "expired"
    elif cert.not_after - now <= EXPIRY_WARNING:
        code, verb = "consented-ca-expiring", "expires"
    else:
        return []
    return [
        Finding.make(
            code,
            cert.sha256,
            f"the CA you consented to, {shown(cert.subject.common_name or cert.subject)}, "
            f"{verb} on {cert.not_after.strftime('%Y-%m-%d')}",
            f"{shown(cert.subject)} (SHA-256 {cert.sha256}), {shown(consent.source)}",
            "ask whoever issued it for its successor, then trust the new one and withdraw "
            "the old one:\n"
            + commands.pipssl("repair", "--yes", "--ca", "NEW.pem")
            + "\n"
            + commands.pipssl("forget", "--yes", cert.sha256),
        )
    ]
