"""The certificates someone added to an edited certifi ``cacert.pem`` (``certifi-modified``).

Reinstalling certifi puts its file back and drops what was pasted into it, which may be the
very CA pip reaches its index through.  So the finding names those certificates, and pipssl
keeps a copy of them in its state directory, for the printed ``repair --ca FILE`` to work as
pasted.  Which ones were added: certifi writes a ``# SHA256 Fingerprint:`` header above each
of its own roots, so a certificate without its header was added; a file with no such header
at all is compared with the certifi pipssl itself runs with instead.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import List, Mapping, Optional, Set, Tuple

from pipssl._files import read_optional, write_atomic
from pipssl.certs import bundle as cabundle
from pipssl.certs.x509 import Certificate
from pipssl.errors import PipsslError
from pipssl.journal.state import private_dir, state_dir

_HEADER = re.compile(r"^# SHA256 Fingerprint: ([0-9A-Fa-f:]{95})\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Added:
    """What was added to one edited ``cacert.pem``.

    Attributes:
        known: whether pipssl could tell (False: the file or a reference could not be read).
        certs: the certificates added, in file order.
        kept_in: the file in pipssl's state directory holding them (None when none were
            added, or it could not be written: ``why`` says why).
    """

    known: bool
    certs: Tuple[Certificate, ...] = ()
    kept_in: Optional[str] = None
    why: str = ""


def added_cas(path: str, environ: Mapping[str, str]) -> Added:
    """The certificates added to certifi's edited ``path``, kept in a file of their own."""
    try:
        data = read_optional(path)
        certs = cabundle.read_pem(data, source=path) if data is not None else []
    except (OSError, PipsslError) as exc:
        return Added(False, why=str(exc))
    if data is None:
        return Added(False, why=f"{path} does not exist")
    text = data.decode("latin-1")
    own = {h.upper() for h in _HEADER.findall(text)} or _reference(path)
    if own is None:
        return Added(False, why="no certifi to compare it with")
    seen: Set[str] = set()
    added = []
    for cert in certs:
        if cert.sha256 not in own and cert.sha256 not in seen:
            seen.add(cert.sha256)
            added.append(cert)
    if not added:
        return Added(True)
    kept, why = _keep(added, path, environ)
    return Added(True, tuple(added), kept, why)


def _reference(path: str) -> Optional[Set[str]]:
    """The roots of the certifi pipssl runs with (not the edited file itself)."""
    try:
        import certifi  # noqa: PLC0415 certifi may be missing

        where = certifi.where()
        if os.path.realpath(where) == os.path.realpath(path):
            return None
        return {c.sha256 for c in cabundle.load_cafile(where)}
    except (ImportError, OSError, PipsslError):
        return None


def _keep(certs: List[Certificate], path: str, environ: Mapping[str, str]) -> Tuple[str, str]:
    """Write ``certs`` to ``certifi-added-<digest>.pem`` in the state directory: the same
    certificates, the same file, however often doctor runs (0600, as the directory)."""
    digest = hashlib.sha256(b"".join(c.der for c in certs)).hexdigest()[:12]
    entries = [cabundle.BundleEntry(c, f"added to {path}") for c in certs]
    try:
        directory = private_dir(state_dir(environ))
        kept = str(directory / f"certifi-added-{digest}.pem")
        write_atomic(kept, cabundle.render_bundle(entries).encode("utf-8"), 0o600)
    except (OSError, PipsslError) as exc:
        return "", f"pipssl could not keep them: {exc}"
    return kept, ""
