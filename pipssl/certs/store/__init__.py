"""The one place that knows where each operating system keeps its trusted CA certificates.

``os_store()`` dispatches on the platform name to a backend (``linux``, ``macos``,
``windows``) and returns the certificates found as PEM text, with the sources consulted
and the problems met.  Backends import ``ssl`` (``ssl.enum_certificates``) inside
functions, so that every backend imports and can be tested on any OS, and everything here
imports with the ``ssl`` module missing.

Parsing and de-duplication of the PEM text is left to ``pipssl.certs.bundle``; what a
certificate block pipssl cannot read does to its file is decided once, in
:func:`~pipssl.certs.store.common.loadable_text`: OpenSSL refuses a whole CA file for one
block it cannot load, so such a file adds nothing to ``OsStore.pem`` and each of its bad
blocks is reported.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, Optional

from pipssl.certs.openssl import OpenSSLPaths
from pipssl.certs.store import linux, macos, windows
from pipssl.certs.store.common import OsStore, StoreSource, loadable_text, read_pem_file

#: How the OS store's certificates are named: in errors, in pipssl's bundle, and in the
#: key its parsed PEM text is kept under.
LABEL = "OS trust store"

__all__ = ["LABEL", "OsStore", "StoreSource", "loadable_text", "os_store", "read_pem_file"]


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
    if name == "darwin":
        return macos.store(env)
    if name == "win32":
        return windows.store()
    return linux.store(env, openssl_paths, fallback=fallback)
