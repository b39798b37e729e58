"""One builder for the world a test sets up: the OS store, the scope, pip's files, indexes.

Tests that repair for real need "the OS trust store" to be exactly what they say (OpenSSL,
and so truststore on Linux, reads ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``), and user-scope
tests need pip to read the user config files, which it skips while ``PIP_CONFIG_FILE``
names one.  :class:`World` does both on top of an ``isolated_env`` (which puts
``os.environ`` back after the test) and the session's ``CertWorld``, and serves the
indexes a test asks for, each named with the host the pip it is for can use.

Nothing changes until a verb is called; each verb does one thing (trustme style):
``os_store``, ``user_scope``, ``pip_conf``, ``trust``, ``index``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Union

from bed.certs import CertWorld, ServerCert
from bed.index import IndexServer, MakeIndex
from bed.isolation import IsolatedEnv
from bed.pip import url_host_for

#: A certificate file of the store: a ``CertWorld`` file name, or any file.
CertFile = Union[str, Path]


def trust_root(isolated: IsolatedEnv, certs: CertWorld, extra: str = "") -> Path:
    """pip's cert -> the test root, in the PIP_CONFIG_FILE (a file, so that no variable
    shadows the machine's /etc/pip.conf, which pip always reads); ``extra``: more lines of
    that file.  Returns the file."""
    return isolated.write_pip_conf(f"[global]\ncert = {certs.path('root.pem')}\n{extra}")


class World:
    """What the ``pip_world`` fixture returns.

    Attributes:
        isolated: the test's scrubbed environment.
        certs: the session's certificates (``CertWorld``).
        store: the OS store's file (``SSL_CERT_FILE``), under the test's directory.
        store_dir: the OS store's directory (``SSL_CERT_DIR``), kept empty.
    """

    def __init__(
        self, isolated: IsolatedEnv, tmp: Path, certs: CertWorld, make_index: MakeIndex
    ) -> None:
        self.isolated = isolated
        self.certs = certs
        self.store = tmp / "os-store.pem"
        self.store_dir = tmp / "os-certs"
        self._make_index = make_index

    def os_store(self, *certs: CertFile) -> Path:
        """Make the OS store certifi's roots plus the given certificates, in order.

        May be called again: each call rewrites the store from scratch.

        Args:
            certs: ``CertWorld`` file names (e.g. ``"intercept.pem"``) or paths of files.

        Returns:
            The store's file.
        """
        import certifi

        data = Path(certifi.where()).read_bytes()
        for cert in certs:
            path = cert if isinstance(cert, Path) else self.certs.path(cert)
            data += b"\n" + path.read_bytes()
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

    def trust(self, extra: str = "") -> Path:
        """pip's cert -> the test root (:func:`trust_root`)."""
        return trust_root(self.isolated, self.certs, extra)

    def index(
        self,
        kind: Union[str, ServerCert, None] = "good",
        python: Optional[Path] = None,
        **kwargs: Any,
    ) -> IndexServer:
        """An index serving ``kind``'s certificate (see the ``make_index`` fixture), its
        URL named with the host ``python``'s pip can use (``bed.pip.url_host_for``)."""
        if python is not None:
            kwargs.setdefault("url_host", url_host_for(python))
        return self._make_index(kind, **kwargs)
