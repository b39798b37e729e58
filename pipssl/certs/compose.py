"""What pipssl's bundle holds, decided here once: certifi's roots, the OS store's roots
and every consented CA, as they are *now*; and how one bundle differs from another.

``repair`` writes :func:`build_bundle`; ``doctor`` compares the bundle pip uses with
:func:`current_entries` to tell a bundle that fell behind its sources (a root certifi or
the OS store withdrew, one IT added).  The bundle is rebuilt from scratch each time,
never appended to, so the same sources give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from pipssl._text import shown
from pipssl.certs import bundle as cabundle
from pipssl.certs import store as _platform
from pipssl.certs.consent import Consent
from pipssl.certs.x509 import Certificate
from pipssl.errors import PipsslError

__all__ = ["BUNDLE_HEADER", "BundleDiff", "build_bundle", "current_entries", "diff"]

BUNDLE_HEADER = (
    "# pipssl CA bundle: certifi's roots, the OS trust store's roots and the CAs the\n"
    "# user named or confirmed. Rebuilt by `pipssl repair`; do not edit by hand.\n"
)
_MARK = BUNDLE_HEADER.splitlines()[0].encode("ascii")


def is_pipssl_bundle(data: Optional[bytes]) -> bool:
    """Whether ``data`` is a bundle pipssl wrote (its first line says so)."""
    return data is not None and data.startswith(_MARK)


def current_entries(
    vendored_certifi: Optional[str],
    environ: Mapping[str, str],
    consented: Sequence[Consent],
) -> List[cabundle.BundleEntry]:
    """certifi's roots, then the OS store's CAs, then the consented CAs, each with its
    source (repeats are dropped when rendered).

    Args:
        vendored_certifi: the target pip's vendored cacert.pem, used when pipssl runs
            without certifi of its own (the bootstrap carries one).
        environ: the environment the OS store is read with.
        consented: the consented CAs (:mod:`pipssl.certs.consent`).
    """
    roots, label = _certifi_roots(vendored_certifi)
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
    return entries


def build_bundle(
    vendored_certifi: Optional[str],
    environ: Mapping[str, str],
    consented: Sequence[Consent],
) -> bytes:
    """The bytes of pipssl's bundle from its sources as they are now."""
    return render(current_entries(vendored_certifi, environ, consented))


def render(entries: Sequence[cabundle.BundleEntry]) -> bytes:
    """A bundle's bytes: the header, then each distinct certificate with its source."""
    return (BUNDLE_HEADER + cabundle.render_bundle(entries)).encode("ascii")


#: How bundles of a pipssl that kept no consent store name the CAs a user gave.
_CONSENT_SOURCES = ("named by the user", "confirmed by SHA-256")


def consents_in_bundle(data: Optional[bytes], where: str) -> List[Tuple[Certificate, str]]:
    """The CAs a bundle pipssl wrote says a user consented to, with that source.

    A bundle from a pipssl that kept no consent store is the only record of them; a
    rebuild must carry them over, not drop them.  Only a bundle pipssl wrote is read, and
    only the ``# source:`` labels that pipssl gave a user's CA then.
    """
    if not is_pipssl_bundle(data):
        return []
    assert data is not None
    text = data.decode("ascii", "replace")
    sources: Dict[str, str] = {}
    for block in text.split("# source: ")[1:]:
        source, _, rest = block.partition("\n")
        fingerprint = rest.partition("# sha256: ")[2].partition("\n")[0].strip()
        # only the old labels: a bundle with "consented ..." labels has a store of its own
        if source.startswith(_CONSENT_SOURCES):
            sources.setdefault(fingerprint, source)
    return [(c, sources[c.sha256]) for c in certificates_of(data, where) if c.sha256 in sources]


def _certifi_roots(vendored: Optional[str]) -> Tuple[List[Certificate], str]:
    """certifi's roots: the installed certifi (or the one carried by the bootstrap);
    failing that, the target pip's vendored copy."""
    try:
        import certifi

        path, label = certifi.where(), f"certifi {getattr(certifi, '__version__', '')}"
    except ImportError:
        path, label = vendored or "", "pip's vendored certifi"
    if not path:
        return [], label
    return cabundle.load_cafile(path), label.strip()


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
