"""The one place that knows where each operating system keeps its trusted CA certificates.

``os_store()`` dispatches on the platform name to a backend (``linux``, ``macos``,
``windows``) and returns the certificates found as PEM text, with the sources consulted
and the problems met.  Backends do their OS-specific imports (``ssl.enum_certificates``,
``subprocess`` for ``security``) inside functions, so that every backend imports and can be
tested on any OS, and everything here imports with the ``ssl`` module missing.

Parsing and de-duplication of the PEM text is left to ``pipssl.certs.bundle``.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Mapping, Optional, Set, Tuple

from pipssl._files import MAX_CA_BYTES

if TYPE_CHECKING:
    from pipssl.certs.store.linux import OpenSSLPaths

#: How the OS store's certificates are named: in errors, in pipssl's bundle, and in the
#: key its parsed PEM text is kept under.
LABEL = "OS trust store"

__all__ = ["LABEL", "OsStore", "StoreSource", "os_store", "read_pem_file"]

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
        pem: all certificates found, concatenated PEM text (may be ``""``).
        errors: problems met (unreadable file, ``security`` failing), one line each.
    """

    sources: Tuple[StoreSource, ...]
    pem: str
    errors: Tuple[str, ...]


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
    # A FIFO or device would block or never end; only regular files are certificate files.
    if not stat.S_ISREG(info.st_mode):
        errors.append(f"{path}: not a regular file, skipped")
        return None
    if info.st_size > MAX_CA_BYTES:
        errors.append(
            f"{path}: {info.st_size} bytes, larger than the {MAX_CA_BYTES} byte limit, skipped"
        )
        return None
    # The same file by its device and inode: cheaper than realpath, and the same answer.
    real = f"{info.st_dev}:{info.st_ino}"
    if seen is not None:
        if real in seen:
            return ""
        seen.add(real)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CA_BYTES + 1)
    except OSError as exc:
        errors.append(f"{path}: cannot read: {exc.strerror or exc}")
        return None
    if len(data) > MAX_CA_BYTES:
        errors.append(f"{path}: grew past the {MAX_CA_BYTES} byte limit, skipped")
        return None
    # Bundles such as Fedora's carry UTF-8 labels between certificates; PEM itself is ASCII.
    text = data.decode("utf-8", "replace")
    if "-----BEGIN" not in text or "CERTIFICATE-----" not in text:
        errors.append(f"{path}: no PEM certificate in it, skipped")
        return None
    return text if text.endswith("\n") else text + "\n"
