"""What OpenSSL opens on its own: an interpreter's default verify paths, and the
``<hash>.<n>`` names it looks CAs up by in a directory.

Light on purpose (no certificate parsing): doctor checks pip's files with it before it
starts the real pip (:mod:`pipssl.diagnosis.starting`).
"""

from __future__ import annotations

import os
import re
import stat
from typing import NamedTuple, Optional

# OpenSSL's directory lookup (by_dir.c) finds a CA by the file name <subject hash>.<n>
# only: a directory of *.pem files without c_rehash links gives it nothing.
HASHED_NAME = re.compile(r"^[0-9a-fA-F]{8}\.[0-9]+$")


class OpenSSLPaths(NamedTuple):
    """One interpreter's ``ssl.get_default_verify_paths()``: the variable names OpenSSL
    reads and the file and directory compiled into it (None when unknown).  A named
    tuple: the real pip's start reads this module, before ``dataclasses`` loads."""

    cafile_env: str = "SSL_CERT_FILE"
    capath_env: str = "SSL_CERT_DIR"
    cafile: Optional[str] = None
    capath: Optional[str] = None


def own_paths() -> OpenSSLPaths:
    """pipssl's own interpreter's paths; bare names when ``ssl`` is missing."""
    try:
        import ssl  # noqa: PLC0415 ssl may be missing
    except ImportError:
        return OpenSSLPaths()
    paths = ssl.get_default_verify_paths()
    return OpenSSLPaths(
        paths.openssl_cafile_env,
        paths.openssl_capath_env,
        paths.openssl_cafile or None,
        paths.openssl_capath or None,
    )


def holds_hashed_names(directory: str) -> bool:
    """Does ``directory`` hold a ``<hash>.<n>`` name (what OpenSSL looks CAs up by)?"""
    try:
        return any(HASHED_NAME.match(name) for name in os.listdir(directory))
    except OSError:
        return False


def special_hashed_name(directory: str) -> Optional[str]:
    """The first ``<hash>.<n>`` entry of ``directory`` that is no regular file (a FIFO, a
    device; links followed), or None.  OpenSSL opens those itself at a handshake: a FIFO
    would block it for ever, a device never end."""
    try:
        names = sorted(n for n in os.listdir(directory) if HASHED_NAME.match(n))
    except OSError:
        return None
    for name in names:
        try:
            mode = os.stat(os.path.join(directory, name)).st_mode
        except OSError:
            continue  # a dangling link: OpenSSL skips it
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            return os.path.join(directory, name)
    return None
