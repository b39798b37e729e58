"""How each client checks a certificate beyond its CA material, and what to say when it
rejects one pip accepts.

pip verifies with its vendored urllib3 1.26: OpenSSL's defaults, and a host may be named in
the subject's CN alone.  The others are stricter (each measured with the real client by
``tests/clients``):

* requests, through the urllib3 it imports: urllib3 2 never matches the CN
  (``hostname_checks_common_name = False``), and from 2.4 on Python 3.13 and newer it sets
  ``VERIFY_X509_STRICT`` and ``VERIFY_X509_PARTIAL_CHAIN`` as that Python's
  ``ssl.create_default_context()`` does (urllib3's ``util/ssl_.py``).  poetry is requests
  in poetry's own environment.
* uv: rustls with webpki.  webpki matches host names against the subjectAltName only; it
  reads nothing of a trust anchor but its name, key and name constraints, so the strict
  profile checks OpenSSL makes of a root do not apply (uv 0.13.9 accepts a root whose
  basicConstraints is not critical).  Not expressible with OpenSSL, so not modelled (the
  real ``uv`` decides: :mod:`pipssl.clients.real`): webpki's own list of signature
  algorithms, its refusal of X.509 v1 certificates and of a CN used as a name, and its
  treatment of an intermediate's extensions.
"""

from __future__ import annotations

import glob
import os
from typing import List, Optional, Sequence, Tuple

from pipssl import _files
from pipssl._text import shown
from pipssl.certs import bundle as cabundle
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.errors import PipsslError
from pipssl.findings import Finding
from pipssl.interpreter.facts import parse_version
from pipssl.net import verify_codes as V
from pipssl.net.context import PIP_POLICY, VerifyPolicy
from pipssl.net.probe import ProbeResult

#: uv's rules as far as OpenSSL can say them: no CN fallback, no strict profile.
UV_POLICY = VerifyPolicy(common_name=False)

#: What each rule of OpenSSL's strict profile asks, in words for the finding.
_RULES = {
    V.X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER: "every certificate but the root must carry "
    "an Authority Key Identifier",
    V.X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER: "a CA must carry a Subject Key Identifier",
    V.X509_V_ERR_CA_BCONS_NOT_CRITICAL: "a CA's basicConstraints must be marked critical",
    V.X509_V_ERR_CA_CERT_MISSING_KEY_USAGE: "a CA must carry a keyUsage extension",
}


def requests_policy(urllib3: Optional[str], python: Sequence[int]) -> Tuple[VerifyPolicy, str]:
    """(policy, why) of requests importing urllib3 ``urllib3`` on Python ``python``."""
    where = "Python " + ".".join(map(str, python[:3]))
    if urllib3 is None:
        # requests 2.30 and newer take urllib3 2; an unreadable version file says nothing.
        version: Tuple[int, ...] = (2,)
        named = "urllib3 (version unknown, taken as 2)"
    else:
        version, named = parse_version(urllib3), f"urllib3 {shown(urllib3)}"
    if version[:1] < (2,):
        return PIP_POLICY, f"{named} on {where}: as pip's"
    if version[:2] >= (2, 4) and tuple(python[:2]) >= (3, 13):
        return (
            VerifyPolicy(strict=True, partial_chain=True, common_name=False),
            f"{named} on {where}: VERIFY_X509_STRICT and VERIFY_X509_PARTIAL_CHAIN, no CN",
        )
    return VerifyPolicy(common_name=False), f"{named} on {where}: no CN"


def environment_urllib3(python: str) -> Tuple[Optional[Tuple[int, ...]], Optional[str]]:
    """(Python X.Y, urllib3 version) of a venv-like prefix, read from its files alone."""
    prefix = os.path.dirname(os.path.dirname(python))
    for lib in sorted(glob.glob(os.path.join(prefix, "lib", "python3.*"))):
        found = os.path.join(lib, "site-packages", "urllib3", "_version.py")
        xy = os.path.basename(lib)[len("python") :]
        if os.path.isfile(found) and xy.replace(".", "").isdigit():
            return parse_version(xy), _version_in(found)
    return None, None


def _version_in(path: str) -> Optional[str]:
    # as pipssl.interpreter.childscript reads it: the last `=` of the `__version__` line
    try:
        text = _files.read_file(path, _files.SOURCE).decode("utf-8", "replace")
    except _files.FileRefused:
        return None
    for line in text.splitlines():
        if line.startswith("__version__") and "=" in line:
            return line.rsplit("=", 1)[1].strip().strip("\"'")
    return None


def _shown(cert: Certificate) -> str:
    return f'"{shown(cert.subject.common_name or cert.subject)}" (SHA-256 {cert.sha256[:23]}...)'


def _path(chain: Sequence[bytes], cafiles: Sequence[str]) -> List[Certificate]:
    """The certificates OpenSSL checked: the chain the server sent, then the root of the
    client's CA files that issued its top."""
    certs: List[Certificate] = []
    for der in chain:
        try:
            certs.append(parse_certificate(der))
        except PipsslError:
            break
    if certs and not certs[-1].self_issued:
        for path in cafiles:
            try:
                roots = cabundle.load_cafile(path)
            except PipsslError:
                continue
            issuer = next((r for r in roots if r.subject.der == certs[-1].issuer.der), None)
            if issuer is not None:
                certs.append(issuer)
                break
    return certs


def _breakers(code: int, certs: Sequence[Certificate]) -> List[Certificate]:
    """The certificates of ``certs`` that break strict rule ``code``, as far as pipssl's
    parser reads them (it does not keep an extension's critical flag: for those, the CAs)."""
    cas = [c for c in certs if c.is_ca]
    if code == V.X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER:
        return [c for c in certs if c.aki is None and not c.self_issued]
    if code == V.X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER:
        return [c for c in cas if c.ski is None]
    if code == V.X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
        return [c for c in cas if c.key_cert_sign is None]
    return cas or list(certs)


def rejection(
    label: str,
    client: str,
    stack: str,
    policy: VerifyPolicy,
    result: ProbeResult,
    cafiles: Sequence[str],
) -> Optional[Finding]:
    """``client-rejects-certificate`` when ``result`` failed on a rule of ``policy`` that
    pip does not apply (None when the failure is one pip would share)."""
    certs = _path(result.chain, cafiles)
    code = result.verify_code
    if policy.strict and code in V.STRICT_PROFILE:
        rule = _RULES.get(code or 0, "RFC 5280's profile, as OpenSSL's strict mode checks it")
        named = _breakers(code or 0, certs)
        which = " or ".join(_shown(c) for c in named) if named else "a certificate of the chain"
        return Finding.make(
            "client-rejects-certificate",
            label,
            f"{label} rejects {which} for {shown(result.url)}: {result.verify_message}",
            f"{label} checks with {stack}; {rule} (OpenSSL: {result.verify_message}).\n"
            "pip does not apply this rule, so pip verifies where this client cannot.",
            "the certificate must be reissued to the RFC 5280 profile (ask whoever runs the "
            "CA or the intercepting proxy); pipssl never weakens a client's checks, and no "
            "bundle changes this",
            client=client,
        )
    leaf = certs[0] if certs else None
    if (
        not policy.common_name
        and code == V.X509_V_ERR_HOSTNAME_MISMATCH
        and leaf is not None
        and not leaf.san_dns
        and (leaf.subject.common_name or "").lower() == result.host.lower()
    ):
        return Finding.make(
            "client-rejects-certificate",
            label,
            f"{label} rejects {_shown(leaf)} for {shown(result.url)}: it names "
            f"{shown(result.host)} only "
            "in its subject CN",
            f"{label} checks with {stack}: host names are matched against the "
            "subjectAltName only, and this certificate has no DNS name there. pip still "
            "falls back to the CN, so pip verifies where this client cannot.",
            f"the server's certificate must be reissued with subjectAltName "
            f"DNS:{shown(result.host)}; "
            "pipssl never weakens a client's checks, and no bundle changes this",
            client=client,
        )
    return None
