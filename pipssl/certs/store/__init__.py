"""The one place that knows where each operating system keeps its trusted CA certificates.

``os_store()`` dispatches on the platform name to a backend (``linux``, ``macos``,
``windows``) and returns the certificates found as PEM text, with the sources consulted
and the problems met.  Backends do their OS-specific imports (``ssl.enum_certificates``,
``subprocess`` for ``security``) inside functions, so that every backend imports and can be
tested on any OS, and everything here imports with the ``ssl`` module missing.

Parsing and de-duplication of the PEM text is left to ``pipssl.certs.bundle``; what a
certificate block pipssl cannot read does to its file is decided here once
(:func:`loadable_text`): OpenSSL refuses a whole CA file for one block it cannot load, so
such a file adds nothing to ``OsStore.pem`` and each of its bad blocks is reported.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Mapping, Optional, Set, Tuple

from pipssl import _files
from pipssl.certs.bundle import BadBlock, scan_pem, to_pem
from pipssl.errors import BundleError

if TYPE_CHECKING:
    from pipssl.certs.store.linux import OpenSSLPaths

#: How the OS store's certificates are named: in errors, in pipssl's bundle, and in the
#: key its parsed PEM text is kept under.
LABEL = "OS trust store"

__all__ = ["LABEL", "OsStore", "StoreSource", "loadable_text", "os_store", "read_pem_file"]

#: Files larger than this are skipped: no CA bundle comes near it, and an env var pointing
#: at a huge file or a device must not make pipssl read without end.


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


def os_store(
    *,
    platform: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    openssl_paths: Optional[OpenSSLPaths] = None,
    fallback: bool = True,
) -> OsStore:
    """Read the trusted CA certificates of the operating system.

    Args:
        platform: a ``sys.platform`` value; defaults to the running one.  ``"darwin"``
            reads the macOS keychains, ``"win32"`` the Windows certificate stores, and
            anything else the files and directories OpenSSL uses.
        environ: the environment to honour (``SSL_CERT_FILE``, ``SSL_CERT_DIR``, ``HOME``);
            defaults to ``os.environ``.
        openssl_paths: on Linux, the target interpreter's OpenSSL default paths (from
            its facts; default: pipssl's own).
        fallback: on Linux, truststore's search of well-known files when OpenSSL's
            defaults hold nothing (False: OpenSSL's defaults alone, as urllib3 loads them).

    Returns:
        An ``OsStore``; problems are reported in its ``errors``, never raised.
    """
    name = sys.platform if platform is None else platform
    env: Mapping[str, str] = os.environ if environ is None else environ
    # Imported here so that the backends can import the dataclasses from this module.
    if name == "darwin":
        from pipssl.certs.store import macos

        return macos.store(env)
    if name == "win32":
        from pipssl.certs.store import windows

        return windows.store()
    from pipssl.certs.store import linux

    return linux.store(env, openssl_paths, fallback=fallback)


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
