"""What pipssl's bundle holds, decided here once: certifi's roots, the OS store's roots
and every consented CA, as they are *now*; and how one bundle differs from another.

certifi is one copy, the newest of the target's (pip's vendored one, its standalone one)
and the one the bundle already holds (:func:`choose_certifi`), never the certifi pipssl
happens to run with; the consented CAs are this user's and those the bundle already holds
(:func:`bundle_consents`).

``repair`` writes :func:`build_bundle`; ``doctor`` compares the bundle pip uses with
:func:`current_entries` to tell a bundle that fell behind its sources (a root certifi or
the OS store withdrew, one IT added).  The bundle is rebuilt from scratch each time,
never appended to, so the same sources give the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from pipssl._text import shown
from pipssl.certs import bundle as cabundle
from pipssl.certs import store as _platform
from pipssl.certs.consent import Consent
from pipssl.certs.x509 import Certificate
from pipssl.errors import PipsslError

__all__ = [
    "BUNDLE_HEADER",
    "BundleDiff",
    "CertifiCopy",
    "Composition",
    "build_bundle",
    "bundle_consents",
    "compose",
    "current_entries",
    "diff",
]

BUNDLE_HEADER = (
    "# pipssl CA bundle: certifi's roots, the OS trust store's roots and the CAs the\n"
    "# user named or confirmed. Rebuilt by `pipssl repair`; do not edit by hand.\n"
)
_MARK = BUNDLE_HEADER.splitlines()[0].encode("ascii")


def is_pipssl_bundle(data: Optional[bytes]) -> bool:
    """Whether ``data`` is a bundle pipssl wrote (its first line says so)."""
    return data is not None and data.startswith(_MARK)


@dataclass(frozen=True)
class CertifiCopy:
    """One certifi a bundle's roots may come from.

    Attributes:
        version: its ``__version__`` ("" when unknown).
        path: its ``cacert.pem``, or the bundle that recorded its roots.
        kind: which copy (:data:`PIP_VENDORED`, :data:`TARGET_CERTIFI`, :data:`RECORDED`,
            :data:`PIPSSL_OWN`).
        certs: the roots, when they were read from a bundle rather than ``path``.
    """

    version: str
    path: str
    kind: str
    certs: Optional[Tuple[Certificate, ...]] = None

    def roots(self) -> List[Certificate]:
        if self.certs is not None:
            return list(self.certs)
        return cabundle.load_cafile(self.path) if self.path else []

    @property
    def label(self) -> str:
        """The bundle comment of its roots: the version only, so every copy of one
        certifi release gives the same bytes, whoever built the bundle."""
        return f"certifi {self.version}".strip()

    def describe(self) -> str:
        """``certifi 2025.8.3 from PATH (pip's vendored copy)``, for people."""
        return (
            f"certifi {self.version or '(version unknown)'} from {shown(self.path)} ({self.kind})"
        )


PIP_VENDORED = "the target pip's vendored copy"
TARGET_CERTIFI = "the target's certifi"
RECORDED = "the copy the bundle holds"
PIPSSL_OWN = "pipssl's own"
#: Among copies of the same version: the files of the target first, so the bundle follows them.
_PREFERENCE = (PIP_VENDORED, TARGET_CERTIFI, RECORDED, PIPSSL_OWN)


def version_key(version: str) -> Tuple[int, ...]:
    """certifi's versions are dates (``2025.08.03``): compared as numbers; unknown is oldest."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def choose_certifi(
    copies: Sequence[CertifiCopy], old: Optional[bytes], where: str
) -> Optional[CertifiCopy]:
    """The one certifi a bundle's roots come from: the newest of the target's copies (pip's
    vendored one, its standalone certifi) and the one the bundle at ``where`` already holds.

    pipssl's own certifi counts only when there is no other: it differs between an
    installed pipssl and get-pipssl.py, and the bundle must not.  So the same target gives
    the same bundle whichever pipssl builds it, and a bundle is never older roots than it
    was (a root leaves when a newer certifi dropped it).
    """
    found = list(copies)
    recorded = recorded_certifi(old, where)
    if recorded is not None:
        found.append(recorded)
    if not found:
        own = _own_certifi()
        return own
    return max(found, key=lambda c: (version_key(c.version), -_PREFERENCE.index(c.kind)))


def recorded_certifi(data: Optional[bytes], where: str) -> Optional[CertifiCopy]:
    """The certifi roots a bundle pipssl wrote holds, with the version its labels name."""
    labels = bundle_labels(data)
    versions = {_certifi_version(label) for label in labels.values()} - {None}
    if not versions:
        return None
    certs = tuple(
        c
        for c in certificates_of(data, where)
        if _certifi_version(labels.get(c.sha256, "")) is not None
    )
    # one release per bundle; a bundle of several (never written by pipssl) counts as its oldest
    version = min(versions, key=lambda v: version_key(v or ""))
    return CertifiCopy(version or "", where, RECORDED, certs)


def from_sources(label: str) -> bool:
    """Whether a bundle label names one of the bundle's sources (certifi or the OS store),
    rather than a consented CA: only such a root leaves because its source withdrew it."""
    return label == _platform.LABEL or _certifi_version(label) is not None


def _certifi_version(label: str) -> Optional[str]:
    """The version of a certifi label (``certifi 2025.8.3``; pipssl once wrote ``pip's
    vendored certifi``, version unknown: ""); None for any other source."""
    if label == "pip's vendored certifi":
        return ""
    match = re.fullmatch(r"certifi ?([0-9][0-9.]*)?", label)
    return None if match is None else (match.group(1) or "")


def _own_certifi() -> Optional[CertifiCopy]:
    """The certifi pipssl runs with (installed, or carried by get-pipssl.py)."""
    try:
        import certifi  # noqa: PLC0415 certifi may be missing
    except ImportError:
        return None
    return CertifiCopy(getattr(certifi, "__version__", ""), certifi.where(), PIPSSL_OWN)


@dataclass(frozen=True)
class Composition:
    """What a bundle holds now and where each part came from.

    Attributes:
        entries: the certificates with their sources, in bundle order.
        certifi: the certifi copy chosen (None: none available).
        store: where the OS store was read.
        consented: how many consented CAs it holds.
    """

    entries: Tuple[cabundle.BundleEntry, ...]
    certifi: Optional[CertifiCopy]
    store: Tuple[str, ...]
    consented: int

    def describe(self) -> str:
        """Its sources for people: ``certifi X from P (...), the OS trust store (PATHS), 2
        consented CAs``."""
        parts = [self.certifi.describe() if self.certifi else "no certifi"]
        where = ", ".join(shown(s) for s in self.store)
        parts.append(f"the {_platform.LABEL}" + (f" ({where})" if where else " (empty)"))
        parts.append(f"{self.consented} consented CA{'' if self.consented == 1 else 's'}")
        return ", ".join(parts)


def compose(
    copies: Sequence[CertifiCopy],
    environ: Mapping[str, str],
    consented: Sequence[Consent],
    old: Optional[bytes] = None,
    where: str = "",
) -> Composition:
    """certifi's roots (:func:`choose_certifi`), then the OS store's CAs, then the
    consented CAs, each with its source (repeats are dropped when rendered).

    Args:
        copies: the target's certifi copies (pip's vendored one, its standalone one).
        environ: the environment the OS store is read with.
        consented: the consented CAs (:mod:`pipssl.certs.consent`).
        old: the bytes of the bundle being rebuilt or compared (its certifi counts).
        where: that bundle's path.
    """
    chosen = choose_certifi(copies, old, where)
    roots = chosen.roots() if chosen else []
    label = chosen.label if chosen else "certifi"
    entries = [cabundle.BundleEntry(c, label) for c in roots]
    store = _platform.os_store(environ=environ)
    try:
        os_certs = cabundle.read_pem(store.pem, source=_platform.LABEL) if store.pem else []
    except PipsslError:
        os_certs = []
    # A leaf someone dropped into the OS store is not a root; only CAs (or certificates
    # that do not say) are roots here.
    entries += [cabundle.BundleEntry(c, _platform.LABEL) for c in os_certs if c.is_ca is not False]
    entries += [cabundle.BundleEntry(c.cert, c.label) for c in consented]
    locations = tuple(s.location for s in store.sources)
    return Composition(tuple(entries), chosen, locations, len(consented))


def current_entries(
    copies: Sequence[CertifiCopy],
    environ: Mapping[str, str],
    consented: Sequence[Consent],
) -> List[cabundle.BundleEntry]:
    """:func:`compose`'s entries for a bundle built afresh."""
    return list(compose(copies, environ, consented).entries)


def build_bundle(
    copies: Sequence[CertifiCopy],
    environ: Mapping[str, str],
    consented: Sequence[Consent],
) -> bytes:
    """The bytes of pipssl's bundle from its sources as they are now."""
    return render(current_entries(copies, environ, consented))


def render(entries: Sequence[cabundle.BundleEntry]) -> bytes:
    """A bundle's bytes: the header, then each distinct certificate with its source."""
    return (BUNDLE_HEADER + cabundle.render_bundle(entries)).encode("ascii")


#: How bundles of a pipssl that kept no consent store name the CAs a user gave.
_CONSENT_SOURCES = ("named by the user", "confirmed by SHA-256")


def bundle_labels(data: Optional[bytes]) -> Dict[str, str]:
    """The ``# source:`` label of each certificate (by SHA-256) of a bundle pipssl wrote;
    none for any other file."""
    if not is_pipssl_bundle(data):
        return {}
    assert data is not None
    labels: Dict[str, str] = {}
    for block in data.decode("ascii", "replace").split("# source: ")[1:]:
        source, _, rest = block.partition("\n")
        fingerprint = rest.partition("# sha256: ")[2].partition("\n")[0].strip()
        labels.setdefault(fingerprint, source)
    return labels


def consents_in_bundle(data: Optional[bytes], where: str) -> List[Tuple[Certificate, str]]:
    """The CAs a bundle of a pipssl that kept no consent store says a user consented to,
    with that source.

    Such a bundle is the only record of them; a rebuild must carry them over, not drop
    them.  Only the ``# source:`` labels that pipssl gave a user's CA then are read.
    """
    labels = bundle_labels(data)
    sources = {fp: label for fp, label in labels.items() if label.startswith(_CONSENT_SOURCES)}
    return [(c, sources[c.sha256]) for c in certificates_of(data, where) if c.sha256 in sources]


_CONSENTED = re.compile(r"consented (\d{4}-\d{2}-\d{2}), (.+)")


def bundle_consents(data: Optional[bytes], where: str) -> List[Consent]:
    """The consented CAs a bundle pipssl wrote holds (its ``consented DATE, SOURCE``
    labels), in bundle order.

    Consent belongs to the bundle it is in: whoever rebuilds the bundle (another user, a
    fresh HOME) keeps them, and only ``forget`` takes one out.
    """
    labels = bundle_labels(data)
    out = []
    for cert in certificates_of(data, where):
        match = _CONSENTED.fullmatch(labels.get(cert.sha256, ""))
        if match is not None:
            out.append(Consent(cert, match.group(2), match.group(1)))
    return out


@dataclass(frozen=True)
class BundleDiff:
    """What a new bundle trusts that the old one did not, and the other way round."""

    added: Tuple[Certificate, ...] = ()
    removed: Tuple[Certificate, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)

    def union(self, other: BundleDiff) -> BundleDiff:
        """Both diffs' certificates (several bundles rebuilt at once)."""

        def merged(
            a: Tuple[Certificate, ...], b: Tuple[Certificate, ...]
        ) -> Tuple[Certificate, ...]:
            seen = {c.sha256 for c in a}
            return a + tuple(c for c in b if c.sha256 not in seen)

        return BundleDiff(merged(self.added, other.added), merged(self.removed, other.removed))

    def describe(self) -> str:
        """``adds A, B; drops C`` (empty when they trust the same)."""
        parts = []
        if self.added:
            parts.append("adds " + _names(self.added))
        if self.removed:
            parts.append("drops " + _names(self.removed))
        return "; ".join(parts)

    def to_dict(self) -> Dict[str, object]:
        return {
            "added": [_summary(c) for c in self.added],
            "removed": [_summary(c) for c in self.removed],
        }


def _union(a: Tuple[Certificate, ...], b: Tuple[Certificate, ...]) -> Tuple[Certificate, ...]:
    seen = {c.sha256 for c in a}
    return a + tuple(c for c in b if c.sha256 not in seen)


def diff(old: Sequence[Certificate], new: Sequence[Certificate]) -> BundleDiff:
    """Compare two sets of trust anchors by SHA-256 (order and comments do not count)."""
    before = {c.sha256: c for c in old}
    after = {c.sha256: c for c in new}
    return BundleDiff(
        tuple(c for fp, c in after.items() if fp not in before),
        tuple(c for fp, c in before.items() if fp not in after),
    )


def certificates_of(data: Optional[bytes], where: str) -> List[Certificate]:
    """The certificates of a bundle's bytes; none for no file or one pipssl cannot parse
    (then everything a rebuild writes counts as added)."""
    if not data:
        return []
    try:
        return cabundle.read_pem(data, source=where)
    except PipsslError:
        return []


def _names(certs: Sequence[Certificate]) -> str:
    return ", ".join(sorted(_name(c) for c in certs))


def _name(cert: Certificate) -> str:
    return shown(cert.subject.common_name or cert.subject)  # for people; JSON: _summary


def _summary(cert: Certificate) -> Dict[str, str]:
    return {"subject": str(cert.subject), "sha256": cert.sha256}
