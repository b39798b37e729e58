"""The matrix: in every world, doctor's verdict is the real pip's, for every pip concerned.

Each world is built on loopback as real servers and real setups are (a chain served as it
is, a proxy, a variable in the shell).  In each cell - a world and a real pip: 23.0 on
Python 3.8 (certifi only; and 22.0.4, before pip's proxy option won over the environment),
24.2 on 3.13 (truststore), and the newest pip pytest's own environment has - three
things are asked, and must agree:

* the truth: the real pip downloads the package from the index, or fails;
* ``doctor --quick``: pipssl's model alone (its probe, as it believes that pip connects);
* ``doctor``: the model confirmed by the real pip.

Two worlds leave the index's host on pip's way to the files (its links, or a redirect, to
a second host whose CA pip does not trust): the truth is pip's install, and doctor's verdict
covers every host on that path.

Both verdicts must equal the truth, with the expected code.  The quick one proves the model
itself: a world where only the confirmed verdict is right would be a model bug that
``pip-reaches`` / ``pip-cannot-reach`` merely hide.  The OS store's worlds are in
``test_os_store.py``, through a private mount namespace.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import pytest
from bed.index import MakeProxy, build_wheel, closed_port
from bed.oddcerts import SERVER_WEAK_CIPHERS, odd_cert
from bed.pip import find_pythons, pip_download, pip_version
from bed.world import World
from targets import base_python, make_venv

from pipssl import diagnose

pytestmark = [pytest.mark.once, pytest.mark.slow]


class Cell(NamedTuple):
    """A world, as the test sets it up: the index URL and the code a failure must carry
    (None: pip must succeed there)."""

    url: str
    expected: Optional[str]


class Bed(NamedTuple):
    pip: Tuple[int, ...]
    world: World
    proxy: MakeProxy
    tmp: Path


def healthy(bed: Bed) -> Cell:
    bed.world.trust()
    return Cell(bed.world.index("good", url_host="localhost").url, None)


def unknown_ca(bed: Bed) -> Cell:
    bed.world.trust()
    return Cell(
        bed.world.index("intercepted", url_host="localhost").url, "untrusted-issuer-unknown"
    )


def expired(bed: Bed) -> Cell:
    bed.world.trust()
    return Cell(bed.world.index("expired", url_host="localhost").url, "cert-expired")


def wrong_host(bed: Bed) -> Cell:
    bed.world.trust()
    return Cell(bed.world.index("wrong-host", url_host="localhost").url, "hostname-mismatch")


def self_signed(bed: Bed) -> Cell:
    bed.world.trust()
    return Cell(bed.world.index("self-signed", url_host="localhost").url, "self-signed")


def refused(bed: Bed) -> Cell:
    bed.world.trust()
    return Cell(f"https://localhost:{closed_port()}/simple/", "connection-refused")


def weak_leaf(bed: Bed) -> Cell:
    cert = odd_cert(bed.world.certs, "rsa1024-leaf")
    root = bed.tmp / "odd-root.pem"
    root.write_bytes(cert.ca_pem)
    bed.world.isolated.write_pip_conf(f"[global]\ncert = {root}\n")
    index = bed.world.index(cert, url_host="localhost", ciphers=SERVER_WEAK_CIPHERS)
    return Cell(index.url, "weak-certificate")


def proxy_denied(bed: Bed) -> Cell:
    bed.world.trust()
    proxy = bed.proxy()
    os.environ["HTTPS_PROXY"] = proxy.url
    index = bed.world.index("good", url_host="localhost")
    proxy.refuse[f"localhost:{index.port}"] = 403
    return Cell(index.url, "proxy-denied")


def through_proxy(bed: Bed) -> Cell:
    bed.world.trust()
    os.environ["HTTPS_PROXY"] = bed.proxy().url
    return Cell(bed.world.index("good", url_host="localhost").url, None)


def proxy_option_and_env(bed: Bed) -> Cell:
    """pip's proxy option and HTTPS_PROXY both set: from pip 22.1 the option wins."""
    bed.world.trust(f"proxy = {bed.proxy().url}\n")
    os.environ["HTTPS_PROXY"] = f"http://127.0.0.1:{closed_port()}"
    index = bed.world.index("good", url_host="localhost")
    return Cell(index.url, None if bed.pip >= (22, 1) else "proxy-unreachable")


def bundle_variable_and_proxy_option(bed: Bed) -> Cell:
    """REQUESTS_CA_BUNDLE naming the wrong CA, and pip's proxy option: pip >= 24.1 reads no
    bundle variable then (requests' trust_env off); older pips let it override cert."""
    bed.world.trust(f"proxy = {bed.proxy().url}\n")
    os.environ["REQUESTS_CA_BUNDLE"] = str(bed.world.certs.path("intercept.pem"))
    index = bed.world.index("good", url_host="localhost")
    return Cell(index.url, None if bed.pip >= (24, 1) else "env-shadows-config")


def pip_cert_breaks_config(bed: Bed) -> Cell:
    bed.world.trust()
    os.environ["PIP_CERT"] = str(bed.world.certs.path("intercept.pem"))
    return Cell(bed.world.index("good", url_host="localhost").url, "env-shadows-config")


def client_cert_missing(bed: Bed) -> Cell:
    bed.world.trust()
    index = bed.world.index(
        "good", url_host="localhost", client_ca=bed.world.certs.path("client-ca.pem")
    )
    return Cell(index.url, "client-cert-required")


def _second_host(bed: Bed, how: str) -> Cell:
    """The page host trusted, and pip's path to the files (a ``pip`` project, the one
    doctor follows) leaving it for a second host behind the intercepting CA: its links
    point there (``files``), or the index redirects there (``redirect``)."""
    bed.world.trust()
    wheels = bed.tmp / "wheels"
    build_wheel(wheels)
    build_wheel(wheels, name="pip", version="0.0.1")
    other = bed.world.index("intercepted", url_host="localhost", wheel_dir=wheels)
    moved = {"files_at" if how == "files" else "redirect_to": other.base_url}
    index = bed.world.index("good", url_host="localhost", wheel_dir=wheels, **moved)
    return Cell(index.url, "untrusted-issuer-unknown")


WORLDS: Dict[str, Callable[[Bed], Cell]] = {
    "healthy": healthy,
    "unknown-ca": unknown_ca,
    "expired": expired,
    "wrong-host": wrong_host,
    "self-signed": self_signed,
    "refused": refused,
    "weak-leaf": weak_leaf,
    "proxy-denied": proxy_denied,
    "through-proxy": through_proxy,
    "proxy-option-and-env": proxy_option_and_env,
    "bundle-variable-and-proxy-option": bundle_variable_and_proxy_option,
    "pip-cert-breaks-config": pip_cert_breaks_config,
    "client-cert-missing": client_cert_missing,
    "files-on-second-host": lambda bed: _second_host(bed, "files"),
    "redirect-to-second-host": lambda bed: _second_host(bed, "redirect"),
}


def pips() -> List[Any]:
    """pip 22.0.4 and 23.0.1 on 3.8 (certifi only; either side of pip 22.1, whose proxy
    option wins over the environment's), 24.2 on 3.13 (truststore), and the newest pip
    pytest's own environment has (tox installs the newest there)."""
    chosen = [
        pytest.param("pip22", id="pip22.0.4-py3.8"),
        pytest.param("legacy", id="pip23.0.1-py3.8"),
        pytest.param("truststore", id="pip24.2-py3.13"),
    ]
    newest = find_pythons().get("sys")
    if newest is not None and pip_version(newest) > (24, 2):
        label = ".".join(map(str, pip_version(newest)))
        chosen.append(pytest.param("sys", id=f"pip{label}-sys"))
    return chosen


@pytest.fixture(scope="session")
def pip22(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python 3.8 venv with pip 22.0.4, offline from the wheel 3.8's ensurepip bundles."""
    base = base_python("3.8")
    bundled = sorted(
        (base.parent.parent / "lib" / "python3.8" / "ensurepip").glob("_bundled/pip-22.*.whl")
    )
    if not bundled:
        pytest.skip("no pip 22 wheel bundled with Python 3.8 here")
    python = make_venv(base, tmp_path_factory.mktemp("pip22") / "venv", with_pip=False)
    subprocess.run(
        [
            str(python),
            str(bundled[0] / "pip"),
            "install",
            "--no-index",
            "--no-deps",
            str(bundled[0]),
        ],
        check=True,
        timeout=300,
        capture_output=True,
        env={"PATH": os.environ.get("PATH", ""), "PIP_CONFIG_FILE": os.devnull},
    )
    return python


@pytest.mark.parametrize("world", list(WORLDS))
@pytest.mark.parametrize("flavour", pips())
def test_doctor_says_what_the_real_pip_does(
    world: str,
    flavour: str,
    venvs: Dict[str, Path],
    request: pytest.FixtureRequest,
    pip_world: World,
    make_proxy: MakeProxy,
    tmp_path: Path,
) -> None:
    if flavour == "sys":
        python = Path(sys.executable)
    elif flavour == "pip22":
        python = request.getfixturevalue("pip22")
    else:
        python = venvs[flavour]
    bed = Bed(pip_version(python), pip_world, make_proxy, tmp_path)
    cell = WORLDS[world](bed)
    done = pip_download(python, cell.url, dict(os.environ), tmp_path / "dl", timeout=90)
    truth = done.returncode == 0
    assert truth == (cell.expected is None), done.stdout[-2000:] + done.stderr[-2000:]
    for confirm in (False, True):
        report = diagnose(python=str(python), index_urls=[cell.url], timeout=3, confirm=confirm)
        codes = [f.code for f in report.findings if f.severity == "error"]
        how = "doctor" if confirm else "doctor --quick"
        assert report.ok == truth, (how, report.findings)
        # every host on pip's path: the index, and those past it (where pip stops, last)
        assert all(t.ok for t in report.targets) == truth, how
        if cell.expected is None:
            assert codes == [], (how, report.findings)
        elif confirm or cell.expected != "env-shadows-config":
            # the model alone does not know a variable is the cause: pip, asked without
            # it, does (--quick asks nobody)
            assert codes == [cell.expected], (how, report.findings)
        if confirm:
            assert report.targets[-1].confirmed is truth, how
