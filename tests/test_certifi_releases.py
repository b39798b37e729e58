"""Every root of every certifi release since 2015 is read by pipssl's parser, and makes a
pipssl bundle that reads back the same.

The releases are real: tests/data/fetch_certifi.py (tox runs it before py312's tests)
downloads each one's wheel with pip and keeps its cacert.pem outside the repository.
Without that data (no network, the step not run) the test skips and says how to get it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import List

import pytest

from pipssl.certs.bundle import BundleEntry, read_pem, render_bundle, scan_pem

sys.path.insert(0, str(Path(__file__).parent / "data"))
from fetch_certifi import default_dest

pytestmark = pytest.mark.once

_SHA256 = re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")


def releases() -> List[str]:
    listing = default_dest() / "versions.txt"
    if not listing.is_file():
        return []
    return listing.read_text().split()


def test_the_data_is_there() -> None:
    """One clear skip when the data step has not run; the releases reach back to 2015."""
    wanted = releases()
    if not wanted:
        pytest.skip(
            f"no certifi releases in {default_dest()}: run `python tests/data/fetch_certifi.py`"
            " (needs the package index; tox's py312 runs it)"
        )
    assert any(v.startswith("2015.") for v in wanted), wanted
    assert len(wanted) > 50, wanted


@pytest.mark.parametrize(
    "version",
    releases() or [pytest.param("", marks=pytest.mark.skip(reason="no data: see above"))],
)
def test_every_root_of_the_release_is_read(version: str) -> None:
    data = (default_dest() / f"{version}.pem").read_bytes()
    scan = scan_pem(data, source=f"certifi {version}")
    assert scan.bad == (), "\n".join(b.describe() for b in scan.bad)
    blocks = data.count(b"-----BEGIN CERTIFICATE-----")
    assert len(scan.certs) == blocks > 100, f"certifi {version}"
    for number, cert in enumerate(scan.certs, 1):
        where = f"certifi {version}, block {number} ({cert.subject})"
        assert str(cert.subject) and _SHA256.match(cert.sha256), where
        assert cert.not_before < cert.not_after, where
        key = cert.key
        assert (key.algorithm, key.bits >= 1024) == ("rsa", True) or (
            key.algorithm == "ec" and key.curve and key.bits >= 256
        ), f"{where}: {key}"
    rendered = render_bundle(BundleEntry(c, f"certifi {version}") for c in scan.certs)
    back = read_pem(rendered, source=f"bundle of certifi {version}")
    assert [c.sha256 for c in back] == list(dict.fromkeys(c.sha256 for c in scan.certs))
