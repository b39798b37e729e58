"""The CAs a user consents to in one repair: those they named (``--ca FILE``) or confirmed
by fingerprint (``--accept-ca SHA256``).

A CA is added only if the user named its file, it is in the OS store, or the user confirmed
the SHA-256 of a certificate an index presented: never on first use.  It must be a CA
(basic constraints) and valid now, and an intermediate needs its root at hand
(:func:`require_roots`); private keys in a file are refused.  Once a repair that
adds it is kept, it is in the consent store (:mod:`pipssl.certs.consent`) and in every
later bundle (:mod:`pipssl.certs.compose`).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Dict, Iterable, List, Sequence, Tuple

from pipssl import commands
from pipssl._text import shown
from pipssl.certs import bundle as cabundle
from pipssl.certs.compose import current_entries
from pipssl.certs.consent import read_consent, refusal
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.diagnosis.indexes import pip_proxy_for
from pipssl.diagnosis.ownbundle import certifi_copies
from pipssl.errors import BundleError, CertificateError, UsageError
from pipssl.net.probe import probe

if TYPE_CHECKING:
    from pipssl.diagnosis.api import Diagnosis

#: A CA and where the user's consent for it came from (shown in the bundle's comments).
NamedCa = Tuple[Certificate, str]


def named_cas(paths: Sequence[str], now: datetime) -> List[NamedCa]:
    """CAs from files the user named: each must be a CA, valid now; keys are refused.

    Raises:
        BundleError: a file that cannot be used as a CA file, with the finding code of the
            same fault as its reference (``cafile-missing``, ``cafile-is-directory``,
            ``private-key-in-file``, ``ca-not-a-certificate``, ...), as the README promises.
        UsageError: a certificate that is not a CA valid now.
    """
    out: List[NamedCa] = []
    for path in paths:
        try:
            certs = cabundle.load_cafile(path)
        except BundleError as exc:
            raise BundleError(
                f"--ca {shown(path)}: {exc}", reference=exc.reference, hint=exc.hint
            ) from None
        for cert in certs:
            _require_ca(cert, f"--ca {path}", now)
            out.append((cert, f"named by the user: {os.path.abspath(path)}"))
    return out


def accepted_cas(fingerprints: Sequence[str], diagnosis: Diagnosis) -> List[NamedCa]:
    """CAs the indexes presented (in ``diagnosis``'s probes) whose SHA-256 the user
    confirmed.  An index that verified presented no chain to the diagnosis; those are
    asked once more, without pip's trust, so a CA can be confirmed for them too.

    Raises:
        UsageError: a malformed fingerprint, one no index presented, or not a CA.
    """
    wanted = [normal_fingerprint(f) for f in fingerprints]
    if not wanted:
        return []
    seen = _presented(diagnosis.chains())
    if any(f not in seen for f in wanted):
        seen.update(_presented(_probe_again(diagnosis)))
    out = []
    for fingerprint in wanted:
        if fingerprint not in seen:
            raise UsageError(
                f"--accept-ca {fingerprint}: no index presented a certificate with that SHA-256",
                hint=f"`{commands.pipssl('doctor')}` shows the fingerprints the indexes present",
            )
        _require_ca(seen[fingerprint], f"--accept-ca {fingerprint}", diagnosis.now)
        out.append((seen[fingerprint], f"confirmed by SHA-256 {fingerprint}"))
    return out


def require_roots(cas: Sequence[NamedCa], diagnosis: Diagnosis) -> None:
    """Refuse an intermediate CA whose root the new bundle would not hold.

    pip (23.0 and 24.2 measured) verifies a chain only up to a self-signed root: a bundle
    holding an intermediate alone leaves it failing with "unable to get issuer
    certificate".  An intermediate is fine when its issuer is among the CAs given now,
    those consented before, certifi's or the OS store's roots (it then also fills a chain
    a server sends incomplete).

    Raises:
        UsageError: naming the intermediate and the root it needs.
    """
    intermediates = [(cert, source) for cert, source in cas if not cert.self_issued]
    if not intermediates:
        return
    env = diagnosis.env
    pool = [cert for cert, _ in cas]
    pool += [
        e.cert for e in current_entries(certifi_copies(diagnosis.target), env, read_consent(env))
    ]
    for cert, source in intermediates:
        if any(_issued(cert, by) for by in pool):
            continue
        raise UsageError(
            f"{shown(cert.subject)} ({shown(source)}) is an intermediate CA, issued by "
            f"{shown(cert.issuer)}: "
            "pip trusts a chain only up to a root, and that root is not in certifi, the OS "
            "store or the CAs given",
            hint=f"give the root CA '{shown(cert.issuer)}' with --ca as well (your IT department "
            "has it; check its fingerprint)",
        )


def _issued(cert: Certificate, by: Certificate) -> bool:
    return by.subject == cert.issuer and (cert.aki is None or by.ski in (None, cert.aki))


def normal_fingerprint(text: str, option: str = "--accept-ca") -> str:
    """``ab:cd...`` / ``ABCD...`` -> ``AB:CD:...`` (the form doctor prints).

    Raises:
        UsageError: not 64 hex digits (naming ``option``).
    """
    hexdigits = "".join(ch for ch in text if ch not in ": ").upper()
    if len(hexdigits) != 64 or any(ch not in "0123456789ABCDEF" for ch in hexdigits):
        raise UsageError(
            f"{option} {text!r} is not a SHA-256 fingerprint (64 hex digits)",
            hint=_where_fingerprints_are(option, len(hexdigits)),
        )
    return ":".join(hexdigits[i : i + 2] for i in range(0, 64, 2))


def _where_fingerprints_are(option: str, digits: int) -> str:
    """A shortened fingerprint (copied in part) is never matched by its prefix: a prefix
    could be another CA's.  Say where the whole one is."""
    need = "the full SHA-256 is needed: 64 hex digits, 32 pairs like 43:8C:..."
    if 0 < digits < 64:
        need = f"{digits} hex digits given; {need}"
    if option == "forget":
        return f"{need}; `{commands.pipssl('forget')}` lists the CAs you trust with theirs"
    return (
        f"{need}; `{commands.pipssl('doctor')}` shows it under 'check this fingerprint' "
        "for the CA an index presents"
    )


def _require_ca(cert: Certificate, where: str, now: datetime) -> None:
    why = refusal(cert, now)
    if why is None:
        return
    if cert.is_ca is not True:
        hint = "give the CA that issued the server's certificate, not the server's own"
    else:
        hint = "ask whoever issued it for its current certificate, and give that one"
    raise UsageError(f"{where}: {why}", hint=hint)


def _presented(chain: Iterable[bytes]) -> Dict[str, Certificate]:
    seen: Dict[str, Certificate] = {}
    for der in chain:
        try:
            cert = parse_certificate(der)
        except CertificateError:
            continue
        seen.setdefault(cert.sha256, cert)
    return seen


def _probe_again(diagnosis: Diagnosis) -> List[bytes]:
    """The chains of the indexes that verified for pip, probed with no trust at all."""
    out: List[bytes] = []
    for seen in diagnosis.probes:
        if seen.chain:
            continue
        proxy = pip_proxy_for(seen.url, diagnosis.target, diagnosis.config, diagnosis.env)
        out += probe(seen.url, proxy=proxy, timeout=diagnosis.timeout).chain
    return out
