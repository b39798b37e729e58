"""The verdict covers the hosts pip downloads from, not only the index page.

Worlds: an index whose project pages link to files on a second host, and an index that
redirects (302) to a second host; the second host's chain ends in a CA pip does not
trust (the intercepting test root), the page host's in one it does.  The real pip
(23.0.1 on Python 3.8, one bundle; 24.2 on Python 3.13, truststore) cannot install the
served wheel there; doctor must say so, naming that host and its CA, and ``repair --ca``
with that CA must make the real ``pip install`` work.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest
from bed.certs import CertWorld
from bed.index import IndexServer, MakeProxy, build_wheel, serve_index
from bed.pip import url_host_for
from bed.world import World
from targets import run_pipssl

# Fixed venvs and real pips in their own processes: the Python running pytest does not matter.
pytestmark = [pytest.mark.once, pytest.mark.slow]

INTERCEPT = "CN=Zscaler Root CA (test)"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served project, and a (harmless) ``pip`` project: the one whose page doctor
    follows and whose file the real pip is asked to fetch, as a mirror would serve it."""
    directory = tmp_path_factory.mktemp("wheels")
    build_wheel(directory)
    build_wheel(directory, name="pip", version="0.0.1")
    return directory


@contextlib.contextmanager
def two_hosts(
    wheels: Path, cert_world: CertWorld, host: str, how: str
) -> Iterator[Tuple[IndexServer, IndexServer]]:
    """(page host, second host): the page host's chain is trusted, the second host's is
    the intercepting root's; ``how`` is "files" (the page links there) or "redirect"."""
    with serve_index(wheels, cert_world.server_cert("intercepted"), url_host=host) as other:
        extra = {"files_at": other.base_url} if how == "files" else {"redirect_to": other.base_url}
        with serve_index(wheels, cert_world.server_cert("good"), url_host=host, **extra) as page:
            yield page, other


def pip_install(python: Path, index: IndexServer, dest: Path) -> subprocess.CompletedProcess[str]:
    """The real ``pip install`` of the served wheel, into a scratch directory."""
    argv = [str(python), "-m", "pip", "install", "--no-deps", "--no-cache-dir", "--retries", "0"]
    argv += ["--disable-pip-version-check", "--index-url", index.url, "--target", str(dest)]
    argv += ["pipssl_probe_pkg"]
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env=dict(os.environ), check=False
    )


# the redirect on truststore's pip is proven in tests/test_verdicts.py (doctor = pip there)
@pytest.mark.parametrize(
    ("flavour", "how"), [("legacy", "files"), ("truststore", "files"), ("legacy", "redirect")]
)
def test_a_second_host_pip_downloads_from_is_checked_and_repaired(
    flavour: str, how: str, venvs: Dict[str, Path], pip_world: World, wheels: Path, tmp_path: Path
) -> None:
    python = venvs[flavour]
    # pip trusts the page host's root (its cert: certifi's roots and that root; the OS
    # store holds the same), not the second host's
    store = pip_world.user_scope().os_store("root.pem")
    pip_world.pip_conf("user", f"[global]\ncert = {store}\n")
    with two_hosts(wheels, pip_world.certs, url_host_for(python), how) as (page, other):
        assert pip_install(python, page, tmp_path / "before").returncode != 0

        proc = run_pipssl("doctor", "--json", "--python", str(python), "--index-url", page.url)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        report: Dict[str, Any] = json.loads(proc.stdout)
        assert not report["ok"]
        host = other.base_url + "/"  # the host's origin
        path = [t for t in report["targets"] if t["kind"] != "index"]
        # the probe's verdict, and the real pip's: it could not fetch there either
        assert [(t["url"], t["kind"], t["via"], t["ok"], t["confirmed"]) for t in path] == [
            (host, how, page.url, False, False)
        ], report["targets"]
        named = [f for f in report["findings"] if f["target"] == host]
        assert named and named[0]["severity"] == "error", report["findings"]
        assert INTERCEPT in named[0]["summary"] + named[0]["detail"], named[0]
        assert "pip-cannot-reach" not in [f["code"] for f in report["findings"]], report

        args = ["repair", "--yes", "--json", "--scope", "user", "--python", str(python)]
        args += ["--index-url", page.url, "--ca", str(pip_world.certs.path("intercept.pem"))]
        proc = run_pipssl(*args)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert json.loads(proc.stdout)["ok"]
        done = pip_install(python, page, tmp_path / "after")
        assert done.returncode == 0, done.stdout + done.stderr


def test_run_follows_the_path_of_the_project_the_command_asked_for(
    venvs: Dict[str, Path], pip_world: World, wheel_dir: Path, tmp_path: Path
) -> None:
    """``run``: pip fails on the files host; the diagnosis follows the project the command
    asked for (this index serves no ``pip``), finds the files host's CA, and the repair
    with its fingerprint (the form doctor prints) lets the retried command succeed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    python = venvs["legacy"]
    store = pip_world.user_scope().os_store("root.pem")
    pip_world.pip_conf("user", f"[global]\ncert = {store}\n")
    root = x509.load_pem_x509_certificate(pip_world.certs.path("intercept.pem").read_bytes())
    fingerprint = root.fingerprint(hashes.SHA256()).hex()
    with two_hosts(wheel_dir, pip_world.certs, url_host_for(python), "files") as (page, _other):
        pip = [str(python), "-m", "pip", "install", "--no-deps", "--no-cache-dir"]
        pip += ["--retries", "0", "--index-url", page.url, "--target", str(tmp_path / "t")]
        args = ["run", "--yes", "--scope", "user", "--accept-ca", fingerprint, "--"]
        proc = run_pipssl(*args, *pip, "pipssl_probe_pkg")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert list((tmp_path / "t").glob("pipssl_probe_pkg*"))
        assert pip_install(python, page, tmp_path / "again").returncode == 0


def test_each_host_on_the_path_takes_the_proxy_pip_takes_to_it(
    venvs: Dict[str, Path], pip_world: World, wheels: Path, make_proxy: MakeProxy
) -> None:
    """HTTPS_PROXY for the index, NO_PROXY naming the files host: pipssl reaches each host
    as pip does (the index through the tunnel, the files host directly), and both agree."""
    from pipssl import diagnose

    pip_world.trust()
    good = pip_world.certs.server_cert("good")
    with serve_index(wheels, good, url_host="localhost") as other, serve_index(
        wheels, good, url_host="localhost", files_at=other.base_url
    ) as page:
        proxy = make_proxy()
        os.environ["HTTPS_PROXY"] = proxy.url
        os.environ["NO_PROXY"] = f"localhost:{other.port}"
        report = diagnose(python=str(venvs["legacy"]), index_urls=[page.url], timeout=3)
    assert report.ok, report.findings
    files = [(t.url, t.kind, t.ok, t.confirmed) for t in report.targets if t.kind != "index"]
    assert files == [(other.base_url + "/", "files", True, True)], report.targets
    assert proxy.log and set(proxy.log) == {f"localhost:{page.port}"}, proxy.log
