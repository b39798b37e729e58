"""The checks of what pipssl itself keeps: its bundle against its sources, and the CAs
the user consented to against the calendar.

``bundle-stale``: the bundle pip uses is one pipssl wrote, and a rebuild now would trust
other roots (a newer certifi dropped or added one, the OS store withdrew one, IT added one,
a consent was given or withdrawn since); the finding names the sources it compared with.
The CAs the bundle holds as consented are its own (whoever diagnoses it), and the certifi
it holds counts among the sources, so the certifi pipssl runs with changes nothing.
``consented-ca-expiring`` / ``consented-ca-expired``: a consented CA
ends within :data:`EXPIRY_WARNING` or has ended; pip fails for every index it issued for.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Collection, List, Mapping, Optional, Sequence

from pipssl import commands
from pipssl._files import CA_FILE, read_optional
from pipssl._text import shown
from pipssl.certs.compose import (
    PIP_VENDORED,
    TARGET_CERTIFI,
    CertifiCopy,
    bundle_consents,
    certificates_of,
    compose,
    diff,
    is_pipssl_bundle,
    recorded_certifi,
)
from pipssl.certs.consent import Consent, read_consent, read_forgotten
from pipssl.certs.x509 import Certificate
from pipssl.errors import PipsslError
from pipssl.findings import Finding
from pipssl.interpreter.facts import Target
from pipssl.interpreter.pipconfig import PipConfig

#: How long before a consented CA ends ``doctor`` starts to warn.
EXPIRY_WARNING = timedelta(days=30)


def certifi_copies(target: Target) -> List[CertifiCopy]:
    """The target's certifis a bundle's roots may come from: pip's vendored one and the
    standalone certifi installed beside it."""
    copies = []
    if target.pip and target.pip.certifi:
        copies.append(
            CertifiCopy(target.pip.certifi_version or "", target.pip.certifi, PIP_VENDORED)
        )
    if target.certifi:
        copies.append(CertifiCopy(target.certifi.version, target.certifi.where, TARGET_CERTIFI))
    return copies


def bundle_consented(
    home: Sequence[Consent], data: Optional[bytes], where: str, forgotten: Collection[str] = ()
) -> List[Consent]:
    """The consented CAs of the bundle at ``where``: those it holds (in its order) but the
    ones this user withdrew (``forgotten``), then this user's others.  Whoever rebuilds a
    bundle keeps what it holds: consent belongs to the bundle, not to one HOME."""
    held = [c for c in bundle_consents(data, where) if c.sha256 not in forgotten]
    have = {c.sha256 for c in held}
    return held + [c for c in home if c.sha256 not in have]


def check_own_bundle(
    config: PipConfig,
    environ: Mapping[str, str],
    copies: Sequence[CertifiCopy],
    now: datetime,
) -> List[Finding]:
    """bundle-stale and the consented CAs' expiry (see the module docstring)."""
    try:
        home: Sequence[Consent] = read_consent(environ)
        forgotten = read_forgotten(environ)
    except PipsslError as exc:
        if exc.reference != "no-state-dir":
            raise
        home, forgotten = (), ()  # no home: no state, so no consent of this user's
    cert = config.get("cert")
    path, data = "", None
    if cert is not None:
        path = os.path.abspath(cert.value.strip())
        try:
            data = read_optional(path, CA_FILE, directory_is_missing=True)
        except PipsslError:
            data = None  # check_cafiles reports a CA file that cannot be read
    if not is_pipssl_bundle(data):
        return [f for c in home for f in _expiry(c, now)]
    assert cert is not None
    consented = bundle_consented(home, data, path, forgotten)
    findings = [f for c in consented for f in _expiry(c, now)]
    sources = compose(copies, environ, consented, data, path)
    changes = diff(certificates_of(data, path), [e.cert for e in sources.entries])
    if changes:
        held = recorded_certifi(data, path)
        findings.append(
            Finding.make(
                "bundle-stale",
                path,
                f"pipssl's bundle ({shown(cert.where())}) no longer matches its sources: a "
                "rebuild " + changes.describe(),
                _details(changes.removed, "trusted by the bundle, no longer by its sources")
                + _details(changes.added, "in the sources, not yet in the bundle")
                + f"its sources now: {sources.describe()}\n"
                + (
                    f"the bundle holds certifi {shown(held.version) or '(version unknown)'}\n"
                    if held
                    else ""
                ),
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
