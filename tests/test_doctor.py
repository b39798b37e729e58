"""doctor against real worlds on loopback: every finding code, and its negative twin.

Each world is a real server (tests/bed), real certificates, and a real interpreter whose
pip we diagnose.  Where it matters, real pip is run on the same world to show that the
verdict matches what pip does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict

import pytest
from bed.findings import codes, finding
from bed.index import MakeProxy, closed_port, silent_server
from bed.isolation import IsolatedEnv
from bed.pip import pip_download
from bed.world import World
from targets import LEGACY_BASE, base_python, make_venv, run_pipssl

from pipssl import diagnose


@pytest.fixture
def world(pip_world: World) -> World:
    """The world a doctor test starts from: "the OS trust store" exactly what the test says
    (``World.os_store``: OpenSSL reads SSL_CERT_FILE and SSL_CERT_DIR; truststore pips read
    the same on Linux), certifi's roots until the test adds to it."""
    pip_world.os_store()
    return pip_world


# --- healthy world and the cafile family -------------------------------------------


@pytest.mark.parametrize("flavour", ["legacy", "truststore"])
def test_healthy_world_has_no_finding_and_pip_agrees(
    flavour: str, venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    index = world.index("good", url_host="localhost")
    world.trust()
    report = diagnose(python=str(venvs[flavour]), index_urls=[index.url], timeout=5)
    assert codes(report) == []
    assert report.ok and report.targets[0].ok
    done = pip_download(venvs[flavour], index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("flavour", ["legacy", "truststore"])
def test_missing_cert_file_is_reported_and_pip_fails_too(
    flavour: str, venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    index = world.index("good", url_host="localhost")
    missing = tmp_path / "gone" / "corp.pem"
    world.isolated.write_pip_conf(f"[global]\ncert = {missing}\n", where="user")
    os.environ.pop("PIP_CONFIG_FILE")  # so the user file is read
    report = diagnose(python=str(venvs[flavour]), index_urls=[index.url], timeout=5)
    found = finding(report, "cafile-missing")
    assert found.target == str(missing)
    assert "user config" in found.summary and "unset global.cert" in found.fix
    assert not report.ok
    done = pip_download(venvs[flavour], index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode != 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "cafile-empty"),
        (b"# only a comment\n", "cafile-empty"),
        (
            b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
            "ca-not-a-certificate",
        ),
        (b"\x00\x01binary junk\xff" * 10, "ca-not-a-certificate"),
    ],
)
def test_cert_file_that_is_not_usable(
    content: bytes, code: str, venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_bytes(content)
    os.environ["PIP_CERT"] = str(bad)
    report = diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    assert finding(report, code).target == str(bad)
    assert "unset PIP_CERT" in finding(report, code).fix


def test_oversized_cert_file_is_unreadable(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    big = tmp_path / "big.pem"
    with big.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(50 * 1024 * 1024)
    os.environ["REQUESTS_CA_BUNDLE"] = str(big)
    report = diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    assert finding(report, "cafile-unreadable").target == str(big)


def test_good_cert_file_gives_no_cafile_finding(venvs: Dict[str, Path], world: World) -> None:
    world.trust()
    report = diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    assert not [c for c in codes(report) if c.startswith("cafile") or c.startswith("ca-")]


# --- issuers: unknown, in the OS store, self-signed, incomplete ---------------------


@pytest.mark.parametrize("flavour", ["legacy", "truststore"])
def test_unknown_intercepting_ca_is_named_with_fingerprint(
    flavour: str, venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    index = world.index("intercepted", url_host="localhost")
    report = diagnose(python=str(venvs[flavour]), index_urls=[index.url], timeout=5)
    found = finding(report, "untrusted-issuer-unknown")
    assert "Zscaler" in found.summary and "Zscaler Root CA (test)" in found.detail
    from pipssl.certs.bundle import load_cafile

    (root,) = load_cafile(world.certs.path("intercept.pem"))
    assert root.sha256 in found.detail and root.sha256 in found.fix
    assert not report.ok
    done = pip_download(venvs[flavour], index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in done.stdout + done.stderr


def test_issuer_in_os_store_but_not_in_legacy_pip(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    world.os_store("intercept.pem")
    index = world.index("intercepted", url_host="localhost")
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=5)
    assert "untrusted-issuer-in-system-store" in codes(report)
    assert "pip-too-old-for-truststore" in codes(report)
    assert "untrusted-issuer-unknown" not in codes(report)
    done = pip_download(venvs["legacy"], index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode != 0


def test_issuer_in_os_store_is_fine_for_truststore_pip(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    world.os_store("intercept.pem")
    index = world.index("intercepted", url_host="localhost")
    report = diagnose(python=str(venvs["truststore"]), index_urls=[index.url], timeout=5)
    assert codes(report) == [] and report.pip.truststore is True
    done = pip_download(venvs["truststore"], index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode == 0, done.stderr


def test_self_signed_leaf(venvs: Dict[str, Path], world: World) -> None:
    index = world.index("self-signed")
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=5)
    assert codes(report) == ["self-signed"]
    # negative twin: the CA-issued server verifies with its root
    world.trust()
    good = world.index("good")
    assert codes(diagnose(python=str(venvs["legacy"]), index_urls=[good.url], timeout=5)) == []


def test_incomplete_chain_told_apart_through_aia(
    venvs: Dict[str, Path], world: World, wheel_dir: Path, tmp_path: Path
) -> None:
    from aia import aia_world

    world.trust()
    with aia_world(world.certs, wheel_dir) as (with_aia, without_aia):
        report = diagnose(python=str(venvs["legacy"]), index_urls=[with_aia], timeout=5)
        assert codes(report) == ["incomplete-chain"]
        # twin: the same missing intermediate, but no way to fetch it -> not claimed
        report = diagnose(python=str(venvs["legacy"]), index_urls=[without_aia], timeout=5)
        assert codes(report) == ["untrusted-issuer-unknown"]
        assert "missing an intermediate" in report.findings[0].detail


# --- certificate content: host, dates, clock -----------------------------------------


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("wrong-host", "hostname-mismatch"),
        ("expired", "cert-expired"),
        ("not-yet-valid", "cert-not-yet-valid"),
    ],
)
def test_certificate_content_failures(
    kind: str, code: str, venvs: Dict[str, Path], world: World
) -> None:
    world.trust()
    index = world.index(kind)
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=5)
    assert codes(report) == [code]
    if code == "hostname-mismatch":
        assert "wrong.invalid" in report.findings[0].detail


def test_clock_skew_when_clock_predates_trusted_roots(
    venvs: Dict[str, Path], world: World
) -> None:
    world.trust()
    index = world.index("not-yet-valid")
    report = diagnose(
        python=str(venvs["legacy"]),
        index_urls=[index.url],
        timeout=5,
        now=datetime(2001, 1, 1, tzinfo=timezone.utc),
    )
    assert "clock-skew" in codes(report) and "cert-not-yet-valid" in codes(report)
    # twin: a right clock blames the certificate, not the clock
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=5)
    assert "clock-skew" not in codes(report)


# --- transport: DNS, refused, timeout, not TLS, TLS versions, client certs ------------


def test_connection_refused_and_timeout(venvs: Dict[str, Path], world: World) -> None:
    url = f"https://127.0.0.1:{closed_port()}/simple/"
    report = diagnose(python=str(venvs["legacy"]), index_urls=[url], timeout=2)
    assert codes(report) == ["connection-refused"]
    with silent_server(lifetime=20) as port:
        url = f"https://127.0.0.1:{port}/simple/"
        report = diagnose(python=str(venvs["legacy"]), index_urls=[url], timeout=1)
        assert codes(report) == ["timeout"]
        assert report.targets[0].elapsed < 3


def test_a_wait_is_named_on_a_terminal_and_only_there(
    venvs: Dict[str, Path], isolated_env: IsolatedEnv
) -> None:
    """doctor on a server that never answers waits its timeout: on a terminal a line on
    stderr says what for, after about a second; a pipe gets the report alone."""
    from targets import pipssl_path
    from test_repair import _terminal

    with silent_server(lifetime=30) as port:
        url = f"https://127.0.0.1:{port}/simple/"
        args = ["doctor", "--quick", "--python", str(venvs["legacy"]), "--index-url", url]
        args += ["--timeout", "2"]
        env = dict(os.environ, PYTHONPATH=pipssl_path())
        code, shown = _terminal([sys.executable, "-m", "pipssl", *args], env, [])
        assert code == 1 and "pipssl: probing each index (up to 2 s each) ..." in shown, shown
        assert shown.index("pipssl: probing") < shown.index("[timeout]"), shown
        piped = run_pipssl(*args)
        assert piped.returncode == 1 and piped.stderr == "", piped.stderr
        assert "[timeout]" in piped.stdout


def test_plain_http_on_a_tls_port(venvs: Dict[str, Path], world: World) -> None:
    index = world.index(None, mode="plain")
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=5)
    assert codes(report) == ["not-tls"]


def test_client_certificate_required(venvs: Dict[str, Path], world: World) -> None:
    world.trust()
    index = world.index("good", client_ca=world.certs.path("client-ca.pem"))
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=5)
    assert codes(report) == ["client-cert-required"]


def test_tls_version_unsupported(venvs: Dict[str, Path], world: World) -> None:
    import ssl

    world.trust()
    index = world.index("good", maximum_version=ssl.TLSVersion.TLSv1_1)
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=5)
    assert codes(report) == ["tls-version-unsupported"]
    # twin: a TLS 1.3-only server is fine
    index = world.index("good", minimum_version=ssl.TLSVersion.TLSv1_3)
    assert codes(diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=5)) == []


def test_dns_failure_in_a_network_namespace_without_dns(
    venvs: Dict[str, Path], world: World
) -> None:
    # A new network namespace has no route and no resolver: the lookup fails at once and
    # no packet leaves this machine.
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], timeout=20).returncode:
        pytest.skip("unshare -n is not available here")
    proc = run_pipssl(
        "doctor",
        "--json",
        "--python",
        str(venvs["legacy"]),
        "--index-url",
        "https://pipssl-test.invalid/simple/",
        "--timeout",
        "3",
        prefix=(unshare, "-n"),
    )
    report = json.loads(proc.stdout)
    assert [f["code"] for f in report["findings"]] == ["dns-failure"]
    assert proc.returncode == 1


# --- proxies ---------------------------------------------------------------------------


def test_proxy_auth_required_and_credentials_redacted(
    venvs: Dict[str, Path], world: World, make_proxy: MakeProxy
) -> None:
    world.trust()
    index = world.index("good")
    proxy = make_proxy(auth=("alice", "s3cret-pw"))
    os.environ["HTTPS_PROXY"] = proxy.url
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=5)
    assert codes(report) == ["proxy-auth-required"]
    # twin: with the right credentials the tunnel works, and the password is never shown
    os.environ["HTTPS_PROXY"] = proxy.url.replace("http://", "http://alice:s3cret-pw@")
    proc = run_pipssl(
        "doctor", "--json", "--python", str(venvs["legacy"]), "--index-url", index.url
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"] == []
    wrong = proxy.url.replace("http://", "http://alice:wrong-pw@")
    os.environ["HTTPS_PROXY"] = wrong
    proc = run_pipssl(
        "doctor", "--json", "--python", str(venvs["legacy"]), "--index-url", index.url
    )
    data = json.loads(proc.stdout)
    assert [f["code"] for f in data["findings"]] == ["proxy-auth-required"]
    assert "wrong-pw" not in proc.stdout + proc.stderr
    assert "alice:****@" in proc.stdout
    proc = run_pipssl("doctor", "--python", str(venvs["legacy"]), "--index-url", index.url)
    assert "wrong-pw" not in proc.stdout + proc.stderr and "proxy-auth-required" in proc.stdout


def test_proxy_unreachable_and_no_proxy(venvs: Dict[str, Path], world: World) -> None:
    world.trust()
    index = world.index("good")
    os.environ["HTTPS_PROXY"] = f"http://127.0.0.1:{closed_port()}"
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=3)
    assert codes(report) == ["proxy-unreachable"]
    os.environ["NO_PROXY"] = "127.0.0.1"
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=3)
    assert codes(report) == []


def test_https_proxy_url_for_a_plain_proxy(
    venvs: Dict[str, Path], world: World, make_proxy: MakeProxy
) -> None:
    world.trust()
    index = world.index("good")
    proxy = make_proxy()
    os.environ["https_proxy"] = proxy.url.replace("http://", "https://")
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=3)
    assert codes(report) == ["proxy-scheme-mismatch"]
    assert "HTTPS_PROXY=" + proxy.url in report.findings[0].fix
    os.environ["https_proxy"] = proxy.url
    assert codes(diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=3)) == []
    assert proxy.log, "the probe must have gone through the proxy"


# --- configuration checks ----------------------------------------------------------------


def test_trusted_host_is_reported_with_its_origin(venvs: Dict[str, Path], world: World) -> None:
    world.isolated.write_pip_conf("[install]\ntrusted-host = 127.0.0.1 mirror.invalid\n")
    report = diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    hosts = [f.target for f in report.findings if f.code == "insecure-trusted-host"]
    assert hosts == ["127.0.0.1", "mirror.invalid"]
    world.isolated.write_pip_conf("[install]\nindex-url = https://127.0.0.1:9/simple/\n")
    assert "insecure-trusted-host" not in codes(
        diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    )


def test_env_vars_that_shadow_the_config(venvs: Dict[str, Path], world: World) -> None:
    root = str(world.certs.path("root.pem"))
    world.isolated.write_pip_conf(f"[global]\ncert = {root}\n")
    assert "env-shadows-config" not in codes(
        diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    )
    other = str(world.certs.path("intercept.pem"))
    os.environ["PIP_CERT"] = other
    report = diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    assert finding(report, "env-shadows-config").target == "PIP_CERT"
    assert report.pip.sources[0].origin == "environment variable PIP_CERT"
    os.environ["PIP_CERT"] = root  # the same value: nothing is really overridden
    report = diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    assert "env-shadows-config" not in codes(report)
    del os.environ["PIP_CERT"]
    os.environ["REQUESTS_CA_BUNDLE"] = other
    report = diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    assert finding(report, "env-shadows-config").target == "REQUESTS_CA_BUNDLE"
    assert report.pip.sources[0].origin == "environment variable REQUESTS_CA_BUNDLE"


def test_pip_missing(world: World, bare_python: Path, venvs: Dict[str, Path]) -> None:
    report = diagnose(python=str(bare_python), index_urls=[], timeout=2)
    assert codes(report) == ["pip-missing"]
    assert "ensurepip" in report.findings[0].fix
    assert report.findings[0].target == str(bare_python)  # by its path, not "python"
    assert "pip-missing" not in codes(diagnose(python=str(venvs["legacy"]), index_urls=[]))


@pytest.mark.slow
def test_certifi_modified(world: World, tmp_path: Path) -> None:
    venv = make_venv(base_python(LEGACY_BASE), tmp_path / "v")
    assert "certifi-modified" not in codes(diagnose(python=str(venv), index_urls=[]))
    (cacert,) = (tmp_path / "v").glob("lib/python*/site-packages/pip/_vendor/certifi/cacert.pem")
    with cacert.open("ab") as fh:
        fh.write(world.certs.path("intercept.pem").read_bytes())
    report = diagnose(python=str(venv), index_urls=[])
    found = finding(report, "certifi-modified")
    assert found.target == str(cacert)
    # the CA pasted in is named, and kept where the printed --ca line finds it
    from pipssl.certs import bundle as cabundle

    (added,) = cabundle.load_cafile(world.certs.path("intercept.pem"))
    assert f"added to it, not certifi's own (1):\n  {added.subject}  sha256 {added.sha256}" in (
        found.detail
    )
    # the repair line names the python diagnosed, then the file of the added CAs
    kept = re.search(r" repair .*--ca (\S+)", found.fix).group(1)  # type: ignore[union-attr]
    assert [c.sha256 for c in cabundle.load_cafile(kept)] == [added.sha256]
    assert f"pipssl keeps a copy of them in {kept}" in found.detail
    assert oct(os.stat(kept).st_mode & 0o777) == "0o600"
    assert "ADDED-CAS" not in found.fix


# --- pip's own bugs ------------------------------------------------------------------------


def test_pip_24_2_ip_host_bug_is_known_and_real(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    world.trust()
    by_ip = world.index("good")
    report = diagnose(python=str(venvs["truststore"]), index_urls=[by_ip.url], timeout=5)
    assert codes(report) == ["pip-known-bug"]
    done = pip_download(venvs["truststore"], by_ip.url, dict(os.environ), tmp_path / "a")
    assert done.returncode != 0
    assert "check_hostname requires server_hostname" in done.stdout + done.stderr
    # twins: the same index by name, and an older pip by IP
    by_name = world.index("good", url_host="localhost")
    assert codes(diagnose(python=str(venvs["truststore"]), index_urls=[by_name.url])) == []
    assert codes(diagnose(python=str(venvs["legacy"]), index_urls=[by_ip.url])) == []


# --- no ssl ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "code"), [("missing", "ssl-module-missing"), ("broken", "ssl-module-broken")]
)
def test_python_without_working_ssl(
    variant: str, code: str, nossl_python: Callable[[str], Path], world: World
) -> None:
    python = nossl_python(variant)
    # pipssl itself runs on that Python: it must import and report, not crash.
    proc = run_pipssl("doctor", "--json", python=str(python))
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    found = [f for f in data["findings"] if f["code"] == code]
    assert found, data["findings"]
    assert data["python"]["kind"] == "source"  # a copy in a temp dir: not pyenv's any more
    assert "rebuild" in found[0]["fix"]
    if variant == "broken":
        assert "libssl" in found[0]["summary"]
    assert data["targets"] == []
    # twin: the interpreter it was copied from has a working ssl
    report = diagnose(python=sys.executable, index_urls=[])
    assert code not in codes(report)


@pytest.mark.parametrize(
    ("base", "kind", "fix"),
    [
        ("/home/u/.pyenv/versions/3.11.7", "pyenv", "pyenv install --force 3.11.7"),
        (
            "/Library/Frameworks/Python.framework/Versions/3.11",
            "python.org",
            "Install Certificates.command",
        ),
        ("/usr", "distro", "apt-get install --reinstall"),
        ("/opt/python", "source", "--with-openssl"),
    ],
)
def test_ssl_fix_depends_on_where_python_came_from(base: str, kind: str, fix: str) -> None:
    from pipssl.diagnosis.localsetup import check_ssl, python_kind
    from pipssl.interpreter.facts import SslFacts, Target

    target = Target(
        base + "/bin/python",
        "3.11.7",
        base,
        base,
        "linux",
        SslFacts(ok=False, error="No module named '_ssl'"),
        None,
    )
    assert python_kind(target) == kind
    (found,) = check_ssl(target)
    assert found.code == "ssl-module-missing" and fix in found.fix


def test_conda_python_is_recognised(tmp_path: Path) -> None:
    from pipssl.diagnosis.localsetup import check_ssl
    from pipssl.interpreter.facts import SslFacts, Target

    (tmp_path / "conda-meta").mkdir()
    target = Target(
        str(tmp_path / "bin/python"),
        "3.11.7",
        str(tmp_path),
        str(tmp_path),
        "linux",
        SslFacts(
            ok=False,
            error="libssl.so.3: cannot open shared object file",
            file=str(tmp_path / "_ssl.so"),
        ),
        None,
    )
    (found,) = check_ssl(target)
    assert found.code == "ssl-module-broken" and "libssl.so.3" in found.summary
    assert "conda install" in found.fix


def test_openssl_too_old_check() -> None:
    from pipssl.diagnosis.localsetup import check_ssl
    from pipssl.interpreter.facts import SslFacts, Target

    def target(info: SslFacts) -> Target:
        return Target("/x/python", "3.8.18", "/x", "/x", "linux", info, None)

    old = SslFacts(True, "OpenSSL 0.9.8zh", (0, 9, 8, 33, 15), has_tls1_2=False)
    assert [f.code for f in check_ssl(target(old))] == ["openssl-too-old"]
    new = SslFacts(True, "OpenSSL 3.0.19", (3, 0, 0, 19, 0), has_tls1_2=True)
    assert check_ssl(target(new)) == []


def test_pip_proxy_option_is_used_and_wins_over_the_environment(
    venvs: Dict[str, Path], world: World, make_proxy: MakeProxy
) -> None:
    index = world.index("good")
    proxy = make_proxy()
    world.isolated.write_pip_conf(
        "[global]\ncert = {}\nproxy = {}\n".format(world.certs.path("root.pem"), proxy.url)
    )
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=3)
    # three tunnels, all through pip's proxy option: pipssl's probe, the project page it
    # follows to the files, and the real pip's
    assert codes(report) == [] and len(proxy.log) == 3
    assert report.targets[0].confirmed is True
    # pip passes its proxy with every request: HTTPS_PROXY does not override it (real pip
    # 23.0.1 and 26.3 in tests/test_probe_as_pip.py)
    os.environ["HTTPS_PROXY"] = f"http://127.0.0.1:{closed_port()}"
    report = diagnose(python=str(venvs["legacy"]), index_urls=[index.url], timeout=3)
    assert codes(report) == [] and len(proxy.log) == 6
    assert report.targets[0].confirmed is True
