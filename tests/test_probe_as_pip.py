"""doctor probes as pip connects (issue 13): each rule of pipssl's model of pip, next to the
real pip, on both sides of its boundary.

Every cell runs doctor as a user does (``python -m pipssl doctor --json``) and the real pip
(``pip download``) in the same world, with the OS store at its real path (the
``mounted_os_store`` bed: /etc/ssl/certs in a private mount namespace, global pip configs
hidden), and asserts that doctor's ``ok`` is pip's outcome.  The pips: 23.0.1 (Python 3.8)
and 24.2 (Python 3.13) from ensurepip, and, where a boundary needs them, venvs with other
pips from the registry (skipped when it cannot be reached).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import certifi
import pytest
from bed.certs import CertWorld, hashed_ca_dir
from bed.index import MakeProxy, closed_port
from bed.isolation import REAL_ENVIRON, IsolatedEnv
from bed.osstore import MountedOsStore
from bed.pip import pip_download, url_host_for
from bed.world import World
from targets import TRUSTSTORE_BASE, base_python, make_venv, run_pipssl

pytestmark = [pytest.mark.once, pytest.mark.slow]

#: Other pips, each on one side of a boundary the model draws.
REGISTRY_PIPS = ("25.1", "25.2", "26.0", "26.1", "26.2")


@pytest.fixture(scope="session")
def pips(
    venvs: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """Factory ``pips(version) -> python``: "23.0.1" and "24.2" are the session's venvs;
    a version of REGISTRY_PIPS, or "newest", is a Python 3.13 venv with that pip installed
    from the registry (once per session)."""
    root = tmp_path_factory.mktemp("pips")

    @functools.lru_cache(maxsize=None)
    def make(version: str) -> Path:
        if version == "23.0.1":
            return venvs["legacy"]
        if version == "24.2":
            return venvs["truststore"]
        python = make_venv(base_python(TRUSTSTORE_BASE), root / version)
        spec = "pip" if version == "newest" else f"pip=={version}"
        env = dict(REAL_ENVIRON, PIP_DISABLE_PIP_VERSION_CHECK="1")
        try:
            proc = subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "--upgrade", spec],
                capture_output=True,
                text=True,
                timeout=300,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"installing {spec} from the registry timed out")
        if proc.returncode != 0:
            pytest.skip(f"cannot install {spec} from the registry: {proc.stderr.strip()[-200:]}")
        return python

    return make


@dataclass
class Cell:
    """One world x one pip: doctor's report and pip's download."""

    report: Dict[str, Any]
    pip: subprocess.CompletedProcess  # type: ignore[type-arg]

    @property
    def codes(self) -> List[str]:
        return [f["code"] for f in self.report["findings"]]

    def finding(self, code: str) -> Dict[str, Any]:
        found = [f for f in self.report["findings"] if f["code"] == code]
        assert found, f"no {code} in {self.codes}"
        return found[0]


class Bed:
    """Runs doctor and the real pip in one world (the test's env, the mounted store)."""

    def __init__(self, isolated: IsolatedEnv, store: MountedOsStore, tmp: Path) -> None:
        self.isolated, self.store, self.tmp = isolated, store, tmp
        self.runs = 0

    def run(self, python: Path, url: str, conf: str = "", **extra: Optional[str]) -> Cell:
        env = dict(os.environ)
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        self.isolated.write_pip_conf(conf or "[global]\n")
        args = ["doctor", "--json", "--python", str(python), "--index-url", url]
        proc = run_pipssl(*args, env=env, prefix=self.store.prefix(), timeout=120)
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # never "bad input"
        self.runs += 1
        dest = self.tmp / f"download-{self.runs}"
        done = pip_download(python, url, env, dest, prefix=self.store.prefix(), timeout=120)
        return Cell(json.loads(proc.stdout), done)

    def agree(self, python: Path, url: str, ok: bool, conf: str = "", **extra: Any) -> Cell:
        """doctor's ok == pip's outcome == ``ok``."""
        cell = self.run(
            python, url, conf, **{k: None if v is None else str(v) for k, v in extra.items()}
        )
        pip_ok = cell.pip.returncode == 0
        why = f"doctor {cell.report['ok']} {cell.codes}; pip {pip_ok}: {cell.pip.stderr[-400:]}"
        assert cell.report["ok"] is pip_ok, "doctor and pip disagree: " + why
        assert pip_ok is ok, why
        return cell


@pytest.fixture
def bed(isolated_env: IsolatedEnv, mounted_os_store: MountedOsStore, tmp_path: Path) -> Bed:
    return Bed(isolated_env, mounted_os_store, tmp_path)


def other_client_cert(cert_world: CertWorld, tmp_path: Path) -> Path:
    """A client certificate (with its key) from a CA the server does not accept."""
    leaf = cert_world.intercept.issue_cert("client.pipssl.invalid", common_name="stranger")
    path = tmp_path / "stranger.pem"
    path.write_bytes(leaf.cert_chain_pems[0].bytes() + leaf.private_key_pem.bytes())
    return path


# --- client certificates ----------------------------------------------------------------


@pytest.mark.parametrize("version", ["23.0.1", "24.2"])
def test_client_cert_is_presented_as_pip_presents_it(
    version: str, pips: Callable[[str], Path], bed: Bed, pip_world: World, tmp_path: Path
) -> None:
    python = pips(version)
    root, client = pip_world.certs.path("root.pem"), pip_world.certs.path("client.pem")
    index = pip_world.index(
        "good", client_ca=pip_world.certs.path("client-ca.pem"), url_host=url_host_for(python)
    )
    cell = bed.agree(python, index.url, True, f"[global]\ncert = {root}\nclient-cert = {client}\n")
    assert cell.codes == []
    assert bed.agree(python, index.url, True, PIP_CERT=root, PIP_CLIENT_CERT=client).codes == []
    # twin: none configured: the server's demand is the finding, and setting it the fix
    cell = bed.agree(python, index.url, False, f"[global]\ncert = {root}\n")
    assert cell.codes == ["client-cert-required"]
    assert "client-cert" in cell.finding("client-cert-required")["fix"]
    # twin: one configured that the server refuses: say so, and name the file
    stranger = other_client_cert(pip_world.certs, tmp_path)
    cell = bed.agree(
        python, index.url, False, f"[global]\ncert = {root}\nclient-cert = {stranger}\n"
    )
    found = cell.finding("client-cert-required")
    assert str(stranger) in found["summary"] and "refused" in found["summary"]
    assert "set global.client-cert" not in found["fix"]
    # twin: a client-cert without its key: pip stops, and doctor does not call it fine
    cell = bed.agree(python, index.url, False, f"[global]\ncert = {root}\nclient-cert = {root}\n")
    assert str(root) in json.dumps(cell.report["targets"])


# --- a CA directory as cert or REQUESTS_CA_BUNDLE --------------------------------------------


@pytest.mark.parametrize("version", ["23.0.1", "24.2", "newest"])
def test_a_cert_directory_is_a_ca_directory(
    version: str, pips: Callable[[str], Path], bed: Bed, pip_world: World, tmp_path: Path
) -> None:
    python = pips(version)
    index = pip_world.index("good", python)
    root = pip_world.certs.path("root.pem")
    hashed = hashed_ca_dir(tmp_path / "hashed", root.read_bytes())
    assert bed.agree(python, index.url, True, f"[global]\ncert = {hashed}\n").codes == []
    assert bed.agree(python, index.url, True, REQUESTS_CA_BUNDLE=hashed).codes == []
    # twins: a directory OpenSSL finds nothing in (empty; *.pem without hashed names)
    empty, unhashed = tmp_path / "empty", tmp_path / "unhashed"
    empty.mkdir()
    unhashed.mkdir()
    (unhashed / "root.pem").write_bytes(root.read_bytes())
    legacy = version == "23.0.1"
    for directory in (empty, unhashed):
        cell = bed.agree(python, index.url, False, f"[global]\ncert = {directory}\n")
        found = cell.finding("cafile-empty")
        assert found["target"] == str(directory) and "openssl rehash" in found["fix"]
        # alone, it is all a legacy pip trusts; a truststore pip keeps the OS store
        assert found["severity"] == ("error" if legacy else "warning")
        cell = bed.agree(python, index.url, False, REQUESTS_CA_BUNDLE=directory)
        assert "cafile-empty" in cell.codes


# --- SSL_CERT_FILE / SSL_CERT_DIR as each pip reads them ------------------------------------


@pytest.mark.parametrize("version", ["23.0.1", "24.2", "newest"])
def test_ssl_cert_file_and_dir_as_each_pip_reads_them(
    version: str, pips: Callable[[str], Path], bed: Bed, pip_world: World, tmp_path: Path
) -> None:
    python = pips(version)
    index = pip_world.index("good", python)
    root = pip_world.certs.path("root.pem")
    missing, empty = tmp_path / "gone.pem", tmp_path / "empty"
    empty.mkdir()
    legacy = version == "23.0.1"
    bed.store.set(root.read_bytes())  # the distribution bundle holds the index's root
    # A missing SSL_CERT_FILE: truststore falls back to OpenSSL's directory, then to the
    # distribution's bundle; a legacy pip never reads it (it verifies with its cert).
    cell = bed.agree(python, index.url, not legacy, SSL_CERT_FILE=missing)
    assert "cafile-missing" not in cell.codes
    cell = bed.agree(python, index.url, True, SSL_CERT_FILE=missing, PIP_CERT=root)
    assert cell.codes == []
    cell = bed.agree(python, index.url, not legacy, SSL_CERT_FILE=missing, SSL_CERT_DIR=empty)
    assert "cafile-missing" not in cell.codes
    # twin: an SSL_CERT_FILE that exists replaces the bundle for truststore (the root is
    # not in it), and still does not matter to a legacy pip
    intercept = pip_world.certs.path("intercept.pem")
    bed.agree(python, index.url, False, SSL_CERT_FILE=intercept)
    bed.agree(python, index.url, True, SSL_CERT_FILE=intercept, PIP_CERT=root)
    # the root only in a hashed SSL_CERT_DIR: truststore finds it there
    bed.store.set()
    hashed = hashed_ca_dir(tmp_path / "hashed", root.read_bytes())
    bed.agree(python, index.url, not legacy, SSL_CERT_DIR=hashed)
    bed.agree(python, index.url, not legacy, SSL_CERT_FILE=missing, SSL_CERT_DIR=hashed)


# --- pip 24.2 - 25.1 behind a proxy (pypa/pip#13288) -------------------------------------------


@pytest.mark.parametrize(
    ("version", "bug"), [("24.2", True), ("25.1", True), ("25.2", False), ("newest", False)]
)
def test_truststore_behind_a_proxy(
    version: str,
    bug: bool,
    pips: Callable[[str], Path],
    bed: Bed,
    pip_world: World,
    make_proxy: MakeProxy,
    tmp_path: Path,
) -> None:
    python = pips(version)
    index = pip_world.index("good", url_host="localhost")
    root = pip_world.certs.path("root.pem")
    proxy = make_proxy()
    bed.store.set(root.read_bytes())  # the interception CA, only in the OS store
    # No bundle configured: the proxied connection of every pip reads the OS store
    # (pip 24.2 - 25.1: urllib3's load_default_certs, OpenSSL's default paths).
    assert bed.agree(python, index.url, True, HTTPS_PROXY=proxy.url).codes == []
    assert proxy.log, "doctor and pip went through the proxy"
    # A bundle configured: pip 24.2 - 25.1 verify the proxied connection with it alone.
    bundle = certifi.where()
    assert bed.agree(python, index.url, True, PIP_CERT=bundle).codes == []  # direct: fine
    cell = bed.agree(python, index.url, not bug, PIP_CERT=bundle, HTTPS_PROXY=proxy.url)
    assert ("pip-known-bug" in cell.codes) is bug
    if bug:
        assert "13288" in cell.finding("pip-known-bug")["detail"]
    # OpenSSL's defaults empty (file missing, directory empty): truststore searches on to
    # the distribution's bundle; urllib3's load_default_certs does not.
    empty = tmp_path / "empty"
    empty.mkdir()
    dead_ends = {"SSL_CERT_FILE": tmp_path / "gone.pem", "SSL_CERT_DIR": empty}
    assert bed.agree(python, index.url, True, **dead_ends).codes == []
    cell = bed.agree(python, index.url, not bug, HTTPS_PROXY=proxy.url, **dead_ends)
    assert ("pip-known-bug" in cell.codes) is bug
    # The CA in SSL_CERT_FILE instead of the OS store: the same for every pip
    bed.store.set()
    bed.agree(python, index.url, True, HTTPS_PROXY=proxy.url, SSL_CERT_FILE=root)


# --- which proxy, and NO_PROXY, as requests decides ------------------------------------------


@pytest.mark.parametrize("version", ["23.0.1", "newest"])
def test_proxy_choice_and_credentials(
    version: str, pips: Callable[[str], Path], bed: Bed, pip_world: World, make_proxy: MakeProxy
) -> None:
    python = pips(version)
    index = pip_world.index("good", python)
    root = str(pip_world.certs.path("root.pem"))
    dead = f"http://127.0.0.1:{closed_port()}"
    proxy = make_proxy()
    # pip's proxy wins over ALL_PROXY (requests asks for the scheme's key first) ...
    bed.agree(
        python, index.url, True, f"[global]\nproxy = {proxy.url}\n", ALL_PROXY=dead, PIP_CERT=root
    )
    # ... and over HTTPS_PROXY and NO_PROXY: pip passes it with every request
    before = len(proxy.log)
    conf = f"[global]\nproxy = {proxy.url}\n"
    bed.agree(python, index.url, True, conf, HTTPS_PROXY=dead, NO_PROXY="*", PIP_CERT=root)
    assert len(proxy.log) >= before + 2, "doctor and pip both used pip's proxy"
    # the lower-case spelling wins; set but empty, it removes the upper-case one
    bed.agree(python, index.url, True, HTTPS_PROXY=dead, https_proxy=proxy.url, PIP_CERT=root)
    bed.agree(python, index.url, True, HTTPS_PROXY=dead, https_proxy="", PIP_CERT=root)
    # credentials in the proxy URL, percent-encoded, are sent decoded
    guarded = make_proxy(auth=("us er", "p@ss:w"))
    port = guarded.url.rsplit(":", 1)[1]
    good = f"http://us%20er:p%40ss%3Aw@127.0.0.1:{port}"
    assert bed.agree(python, index.url, True, HTTPS_PROXY=good, PIP_CERT=root).codes == []
    bad = f"http://us%20er:nope@127.0.0.1:{port}"
    cell = bed.agree(python, index.url, False, HTTPS_PROXY=bad, PIP_CERT=root)
    assert cell.codes == ["proxy-auth-required"]
    assert "nope" not in json.dumps(cell.report)


@pytest.mark.parametrize(("version", "reads"), [("23.0.1", True), ("24.2", False)])
def test_pip_proxy_option_turns_the_bundle_variables_off(
    version: str,
    reads: bool,
    pips: Callable[[str], Path],
    bed: Bed,
    pip_world: World,
    make_proxy: MakeProxy,
) -> None:
    """pip >= 24.1 sets requests' trust_env off with its proxy option: REQUESTS_CA_BUNDLE
    is then not read (the index's root is only in it)."""
    python = pips(version)
    index = pip_world.index("good", python)
    root = pip_world.certs.path("root.pem")
    conf = f"[global]\nproxy = {make_proxy().url}\n"
    cell = bed.agree(python, index.url, reads, conf, REQUESTS_CA_BUNDLE=root)
    assert (
        "cert" in cell.report["pip"]["trust"] or "bundle" in cell.report["pip"]["trust"]
    ) or not reads
    # twin: without the proxy option every pip reads it
    bed.agree(python, index.url, True, REQUESTS_CA_BUNDLE=root)


@pytest.mark.parametrize("version", ["23.0.1", "newest"])
def test_no_proxy_entries_as_requests_and_urllib_match_them(
    version: str, pips: Callable[[str], Path], bed: Bed, pip_world: World
) -> None:
    python = pips(version)
    index = pip_world.index("good", url_host="localhost")
    root = str(pip_world.certs.path("root.pem"))
    dead = f"http://127.0.0.1:{closed_port()}"  # any pip that uses it fails
    for entry, bypass in [
        ("localhost", True),
        (".localhost", True),
        (f"localhost:{index.port}", True),
        ("localhost:1", False),  # another port
        ("*", True),
        ("other.invalid,*", False),  # urllib takes "*" alone only
    ]:
        cell = bed.agree(
            python, index.url, bypass, HTTPS_PROXY=dead, NO_PROXY=entry, PIP_CERT=root
        )
        assert (cell.codes == []) is bypass, (entry, cell.codes)
    # the lower-case spelling wins
    bed.agree(
        python,
        index.url,
        False,
        HTTPS_PROXY=dead,
        no_proxy="x.invalid",
        NO_PROXY="localhost",
        PIP_CERT=root,
    )


@pytest.mark.parametrize("version", ["23.0.1", "26.1"])
def test_no_proxy_for_an_ipv4_host(
    version: str, pips: Callable[[str], Path], bed: Bed, pip_world: World
) -> None:
    python = pips(version)  # pips without the IP-host bug of 24.2 - 26.0
    index = pip_world.index("good")
    root = str(pip_world.certs.path("root.pem"))
    dead = f"http://127.0.0.1:{closed_port()}"
    for entry, bypass in [
        ("127.0.0.1", True),
        ("127.0.0.0/8", True),
        (f"127.0.0.1:{index.port}", False),  # requests compares IPv4 hosts without ports
        (".0.0.1", True),  # urllib's dot-suffix rule
    ]:
        bed.agree(python, index.url, bypass, HTTPS_PROXY=dead, NO_PROXY=entry, PIP_CERT=root)


@pytest.mark.parametrize(("version", "labels"), [("26.1", False), ("26.2", True)])
def test_no_proxy_suffix_rule_changes_with_requests_2_34(
    version: str, labels: bool, pips: Callable[[str], Path], bed: Bed, pip_world: World
) -> None:
    python = pips(version)
    index = pip_world.index("good", url_host="localhost")
    root = str(pip_world.certs.path("root.pem"))
    dead = f"http://127.0.0.1:{closed_port()}"
    # "host" is a string suffix of "localhost", not a label suffix
    bed.agree(python, index.url, not labels, HTTPS_PROXY=dead, NO_PROXY="host", PIP_CERT=root)


# --- IP hosts: IPv6, and the truststore IP-host bug (pypa/pip#12906) -----------------------


@pytest.mark.parametrize(
    ("version", "bug"),
    [("23.0.1", False), ("24.2", True), ("25.1", True), ("26.0", True), ("26.1", False)],
)
def test_ipv6_index_direct_and_behind_a_proxy(
    version: str,
    bug: bool,
    pips: Callable[[str], Path],
    bed: Bed,
    pip_world: World,
    make_proxy: MakeProxy,
) -> None:
    python = pips(version)
    index = pip_world.index("good", bind="::1")
    assert index.url.startswith("https://[::1]:")
    root = str(pip_world.certs.path("root.pem"))
    cell = bed.agree(python, index.url, not bug, PIP_CERT=root)
    assert ("pip-known-bug" in cell.codes) is bug
    # behind a proxy pip 24.2 - 25.1 verify without truststore: no IP-host bug there
    proxy = make_proxy()
    proxied_bug = bug and version not in ("24.2", "25.1")
    cell = bed.agree(python, index.url, not proxied_bug, PIP_CERT=root, HTTPS_PROXY=proxy.url)
    assert proxy.log, "went through the proxy"
    dead = f"http://127.0.0.1:{closed_port()}"
    if not bug:
        bed.agree(python, index.url, True, PIP_CERT=root, HTTPS_PROXY=dead, NO_PROXY="::1")
        bed.agree(python, index.url, False, PIP_CERT=root, HTTPS_PROXY=dead, NO_PROXY="[::1]")
