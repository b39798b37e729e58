"""The CAs the user told pipssl to trust, kept until they withdraw them.

Glossary:
    consented CA: a CA certificate the user named (``repair --ca FILE``) or confirmed by its
        SHA-256 (``repair --accept-ca``).  Nothing else is ever added to pipssl's bundle
        beyond certifi's and the OS store's roots.
    consent store: ``consent.json`` in pipssl's private state directory (0600, the
        directory 0700): each CA's certificate, SHA-256, where the consent came from and
        when.  Every bundle pipssl builds holds every consented CA; ``pipssl forget SHA256``
        withdraws one.

The store is written only through a journal transaction (the same one as the repair that
recorded the consent), so ``undo`` of that repair withdraws the consent too, and a repair
that is rolled back records nothing.  This module reads and renders it; it writes nothing.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from pipssl import _dirs, commands
from pipssl._files import CONSENT, read_optional
from pipssl._text import shown
from pipssl.certs import bundle as cabundle
from pipssl.certs.x509 import Certificate
from pipssl.errors import BundleError, PipsslError

__all__ = [
    "Consent",
    "consent_path",
    "parse_consent",
    "read_consent",
    "refusal",
    "render_consent",
]

CONSENT_NAME = "consent.json"
#: The CAs this user withdrew (``forget``): a bundle that still holds one (another
#: Python's, a venv shared with others) drops it when this user rebuilds it.
FORGOTTEN_NAME = "forgotten.json"
#: The consent store's mode: only its owner can read it (like the journal).
CONSENT_MODE = 0o600


def refusal(cert: Certificate, now: datetime) -> Optional[str]:
    """Why pipssl would not trust ``cert`` (``None``: it may, once the user consents).

    The one rule for what repair accepts and what doctor offers (``--accept-ca`` is printed
    only for a certificate this lets through): a CA certificate (basic constraints CA:TRUE)
    valid now.  A self-signed server certificate that is not a CA is refused: trusting it
    would make an exception for one server, not give pip a CA, and it stays broken until its
    owner serves a certificate from a CA (a private CA is fine: that CA can be trusted).
    """
    if cert.is_ca is not True:
        return f"{shown(cert.subject)} is not a CA certificate (basic constraints)"
    if not cert.is_valid_at(now):
        return (
            f"{shown(cert.subject)} is not valid now ({cert.not_before.date()} to "
            f"{cert.not_after.date()})"
        )
    return None


@dataclass(frozen=True)
class Consent:
    """One consented CA.

    Attributes:
        cert: the CA certificate.
        source: where the consent came from (``named by the user: /path`` or
            ``confirmed by SHA-256 ...``), shown in the bundle and by ``doctor``.
        added: when it was first consented to, ISO 8601 in UTC (never changed afterwards,
            so the bundle's bytes stay the same from one rebuild to the next).
    """

    cert: Certificate
    source: str
    added: str

    @property
    def sha256(self) -> str:
        return self.cert.sha256

    def to_dict(self) -> Dict[str, str]:
        """JSON-ready data (``pipssl forget --json``; the store holds the PEM too)."""
        return {
            "sha256": self.sha256,
            "subject": str(self.cert.subject),
            "not_after": self.cert.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source": self.source,
            "added": self.added,
        }

    @property
    def label(self) -> str:
        """The bundle comment for this CA: stable from one rebuild to the next."""
        return f"consented {self.added[:10]}, {self.source}"


def consent_path(environ: Mapping[str, str]) -> str:
    """Where the consent store lives: pipssl's state directory (which may not exist yet).

    Raises:
        PipsslError: ``no-state-dir`` when the environment names no home directory.
    """
    return os.path.join(_dirs.user_dir(_dirs.STATE, sys.platform, environ), CONSENT_NAME)


def forgotten_path(environ: Mapping[str, str]) -> str:
    """Where the CAs this user withdrew are listed (beside the consent store).

    Raises:
        PipsslError: ``no-state-dir``.
    """
    return os.path.join(os.path.dirname(consent_path(environ)), FORGOTTEN_NAME)


def read_forgotten(environ: Mapping[str, str]) -> Tuple[str, ...]:
    """The SHA-256 of each CA this user withdrew; none without a state directory.

    Raises:
        PipsslError: ``consent-corrupt``.
    """
    path = forgotten_path(environ)
    return parse_forgotten(_stored(path), path)


def _stored(path: str) -> Optional[bytes]:
    """The bytes of the state file ``path``; None without it, or without a state directory
    (or with something else in its place): then nothing was ever recorded."""
    if not os.path.isdir(os.path.dirname(path)):
        return None
    return read_optional(path, CONSENT)


def _schema1(data: bytes, what: str) -> Dict[str, Any]:
    """The JSON document of a state file, which must be of schema 1."""
    doc = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict) or doc.get("schema") != 1:
        raise ValueError(f"not a schema 1 {what}")
    return doc


def parse_forgotten(data: Optional[bytes], path: str) -> Tuple[str, ...]:
    """The fingerprints listed in ``data`` (the bytes at ``path``; None: no file).

    Raises:
        PipsslError: ``consent-corrupt``.
    """
    if data is None:
        return ()
    try:
        doc = _schema1(data, "list of withdrawn CAs")
        return tuple(_text(item) for item in doc["forgotten"])
    except (ValueError, TypeError, KeyError) as exc:
        raise PipsslError(
            f"cannot read pipssl's list of withdrawn CAs {shown(path)}: {shown(exc)}",
            reference="consent-corrupt",
            hint="Move it away and withdraw the CAs again with `forget`; until then "
            "pipssl will not rebuild its bundle.",
        ) from None


def render_forgotten(fingerprints: Iterable[str]) -> Optional[bytes]:
    """The bytes of the list of withdrawn CAs (None: none, so no file)."""
    items = sorted(set(fingerprints))
    if not items:
        return None
    return (json.dumps({"schema": 1, "forgotten": items}, indent=2) + "\n").encode("utf-8")


def read_consent(environ: Mapping[str, str]) -> Tuple[Consent, ...]:
    """The consented CAs, oldest first; none when there is no store.

    Raises:
        PipsslError: ``consent-corrupt`` when the store cannot be read or parsed.
    """
    path = consent_path(environ)
    return parse_consent(_stored(path), path)


def parse_consent(data: Optional[bytes], path: str) -> Tuple[Consent, ...]:
    """The consented CAs in ``data`` (the bytes of the store at ``path``; None: no store).

    Raises:
        PipsslError: ``consent-corrupt``.
    """
    if data is None:
        return ()
    try:
        doc = _schema1(data, "consent store")
        out = []
        for item in doc["cas"]:
            certs = cabundle.read_pem(_text(item["pem"]), source=path)
            if len(certs) != 1 or certs[0].sha256 != _text(item["sha256"]):
                raise ValueError(f"the certificate of {item['sha256']} does not match it")
            out.append(Consent(certs[0], _text(item["source"]), _text(item["added"])))
        return tuple(out)
    except (ValueError, TypeError, KeyError, BundleError) as exc:
        raise PipsslError(
            f"cannot read pipssl's consent store {shown(path)}: {shown(exc)}",
            reference="consent-corrupt",
            hint=f"Move it away and give the CAs again with "
            f"`{commands.pipssl('repair', '--ca', 'FILE')}`; until then pipssl will not "
            "rebuild its bundle.",
        ) from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return value


def render_consent(entries: Iterable[Consent]) -> Optional[bytes]:
    """The store's bytes for ``entries`` (None: no entry left, so no file)."""
    items = [{**c.to_dict(), "pem": cabundle.to_pem(c.cert)} for c in entries]
    if not items:
        return None
    text = json.dumps({"schema": 1, "cas": items}, indent=2, sort_keys=True) + "\n"
    return text.encode("utf-8")


def merged(
    kept: Sequence[Consent],
    new: Iterable[Tuple[Certificate, str]],
    forget: Sequence[str] = (),
    now: Optional[datetime] = None,
) -> List[Consent]:
    """``kept`` plus the CAs newly consented to, minus those withdrawn (by SHA-256).

    A CA consented to again keeps its first source and date (the bundle stays the same).
    """
    when = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = [c for c in kept if c.sha256 not in forget]
    have = {c.sha256 for c in out}
    for cert, source in new:
        if cert.sha256 not in have and cert.sha256 not in forget:
            have.add(cert.sha256)
            out.append(Consent(cert, source, when))
    return out
