"""Fixtures of the mitmproxy end-to-end bed.

This file is collected by every tox env, also those without mitmproxy: it imports nothing
of mitmproxy (the proxy runs as a ``mitmdump`` subprocess), and ``test_mitm.py`` skips
itself where mitmproxy is not installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from bed.certs import CertWorld
from bed.isolation import scrubbed_environ
from mitm import Mitm, run_mitmdump


@pytest.fixture
def mitm(cert_world: CertWorld, tmp_path: Path) -> Iterator[Mitm]:
    """A fresh mitmdump (fresh CA) on loopback that verifies upstreams with the test root."""
    # Its own scrubbed environment: no proxy, CA or pip variable of this machine reaches it.
    env = scrubbed_environ(tmp_path / "mitm-env")
    with run_mitmdump(tmp_path / "mitm-conf", cert_world.path("root.pem"), env) as running:
        yield running
