"""One builder for the world a repair test sets up: the OS store, the scope, pip's files.

Tests that repair for real need "the OS trust store" to be exactly what they say (OpenSSL,
and so truststore on Linux, reads ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``), and user-scope
tests need pip to read the user config files, which it skips while ``PIP_CONFIG_FILE``
names one.  :class:`World` does both on top of an ``isolated_env`` (which puts
``os.environ`` back after the test) and the session's ``CertWorld``.
"""

from __future__ import annotations

import os
from pathlib import Path

from bed.certs import CertWorld
from bed.isolation import IsolatedEnv


class World:
    """What the ``world`` fixture returns; nothing changes until a method is called.

    Attributes:
        isolated: the test's scrubbed environment.
        certs: the session's certificates (``CertWorld``).
        store: the OS store's file (``SSL_CERT_FILE``), under the test's directory.
        store_dir: the OS store's directory (``SSL_CERT_DIR``), kept empty.
    """

    def __init__(self, isolated: IsolatedEnv, tmp: Path, certs: CertWorld) -> None:
        self.isolated = isolated
        self.certs = certs
        self.store = tmp / "os-store.pem"
        self.store_dir = tmp / "os-certs"

    def os_store(self, *cert_names: str) -> Path:
        """Make the OS store certifi's roots plus the named ``CertWorld`` files, in order.

        May be called again: each call rewrites the store from scratch.

        Args:
            cert_names: ``CertWorld`` file names, e.g. ``"intercept.pem"``.

        Returns:
            The store's file.
        """
        import certifi

        data = Path(certifi.where()).read_bytes()
        for name in cert_names:
            data += b"\n" + self.certs.path(name).read_bytes()
        self.store.write_bytes(data)
        self.store_dir.mkdir(exist_ok=True)
        os.environ["SSL_CERT_FILE"] = str(self.store)
        os.environ["SSL_CERT_DIR"] = str(self.store_dir)
        return self.store

    def user_scope(self) -> World:
        """Let pip read the user config files: unset ``PIP_CONFIG_FILE``."""
        os.environ.pop("PIP_CONFIG_FILE", None)
        return self

    def pip_conf(self, kind: str, text: str) -> Path:
        """Write a pip config file: ``kind`` is "env", "user", "user-legacy" or "global"
        (see ``IsolatedEnv.write_pip_conf``).  Returns its path."""
        return self.isolated.write_pip_conf(text, kind)
