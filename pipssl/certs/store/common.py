"""What the OS store's backends share: the result types, the bounded reading of one CA
file, and what of a file's PEM text the store holds (:func:`loadable_text`).  A module of
its own so that :mod:`pipssl.certs.store` imports its backends, and they import these, with
no circle.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import List, Optional, Set, Tuple

from pipssl import _files
from pipssl.certs.pem import BadBlock, scan_pem, to_pem
from pipssl.errors import BundleError

__all__ = ["OsStore", "StoreSource", "loadable_text", "read_pem_file"]


@dataclass(frozen=True)
class StoreSource:
    """One place the OS store is read from.

    Attributes:
        kind: ``"file"``, ``"dir"``, ``"keychain"`` or ``"windows-store"``.
        location: a path, a keychain path, or a Windows store name (``"ROOT"``, ``"CA"``).
        origin: why it is consulted, e.g. ``"SSL_CERT_FILE"``, ``"openssl default"``,
            ``"distro bundle (Fedora/RHEL)"``, ``"System.keychain"``.
    """

    kind: str
    location: str
    origin: str


@dataclass(frozen=True)
class OsStore:
    """What the OS trust store holds, as far as pipssl can read it.

    Attributes:
        sources: the sources, in the order they are consulted.
        pem: the certificates OpenSSL would load from them, concatenated PEM text (may be
            ``""``): a file with a block OpenSSL rejects is left out whole, as OpenSSL
            leaves it out.
        errors: problems met (unreadable file, ``security`` failing), one line each.
        bad_blocks: the certificate blocks that could not be read, where and why.
        dropped: the CA files left out whole for such a block (OpenSSL's rule).
    """

    sources: Tuple[StoreSource, ...]
    pem: str
    errors: Tuple[str, ...]
    bad_blocks: Tuple[BadBlock, ...] = ()
    dropped: Tuple[str, ...] = ()


def read_pem_file(path: str, errors: List[str], seen: Optional[Set[str]] = None) -> Optional[str]:
    """Read one certificate file, bounded, as text.

    Args:
        path: the file to read.
        errors: list to which a one-line description of any problem is appended.
        seen: files already read (``device:inode``); a file met again (hashed-name
            symlinks point at files of the same directory) returns ``""`` and is not read
            twice.

    Returns:
        The file's text (PEM, maybe with comments), ``""`` for a file already seen, or
        ``None`` when it could not be read or holds no PEM certificate (an error is added).
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        errors.append(f"{path}: cannot read: {exc.strerror or exc}")
        return None
    # The same file by its device and inode: cheaper than realpath, and the same answer.
    real = f"{info.st_dev}:{info.st_ino}"
    if seen is not None and stat.S_ISREG(info.st_mode):
        if real in seen:
            return ""
        seen.add(real)
    try:
        # A FIFO or device would block or never end: the reader takes regular files only.
        data = _files.read_file(path, _files.CA_FILE)
    except _files.FileRefused as exc:
        errors.append(f"{path}: {_skipped(exc)}")
        return None
    # Bundles such as Fedora's carry UTF-8 labels between certificates; PEM itself is ASCII.
    text = data.decode("utf-8", "replace")
    if "-----BEGIN" not in text or "CERTIFICATE-----" not in text:
        errors.append(f"{path}: no PEM certificate in it, skipped")
        return None
    return text if text.endswith("\n") else text + "\n"


def _skipped(exc: _files.FileRefused) -> str:
    if exc.why == _files.TOO_LARGE:
        return f"larger than the {_files.MAX_CA_BYTES} byte limit, skipped"
    if exc.why in (_files.SPECIAL, _files.DIRECTORY):
        return "not a regular file, skipped"
    return f"cannot read: {exc.cause or exc.problem}"


def loadable_text(
    text: str,
    source: str,
    errors: List[str],
    bad_blocks: List[BadBlock],
    dropped: Optional[List[str]] = None,
) -> str:
    """What of one file's (or one keychain's) PEM text the store holds.

    Args:
        text: the PEM text.
        source: its path or name, for the reports.
        errors: where a private key's refusal is appended.
        bad_blocks: where each certificate block that cannot be read is appended.
        dropped: given where OpenSSL loads the text as one CA file (Linux): one block it
            rejects drops the whole text, as OpenSSL does (measured with pip 23.0 and
            24.2), and ``source`` is appended here.  None for text that is only pipssl's
            way of carrying certificates (``security``'s output, Windows' entries): the bad
            block alone is dropped.

    Returns:
        The text to keep (``""`` for none); it holds no block OpenSSL rejects.
    """
    try:
        scan = scan_pem(text, source=source, cached=False)
    except BundleError as exc:  # a private key: never read on, never copied
        errors.append(f"{exc}, skipped")
        return ""
    if not scan.bad:
        return text
    bad_blocks.extend(scan.bad)
    if scan.openssl_loads:
        return text  # only pipssl cannot read a block: OpenSSL loads the file as it is
    if dropped is not None:
        dropped.append(source)
        return ""
    return "".join(to_pem(cert) for cert in scan.certs)
