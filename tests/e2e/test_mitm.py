"""End to end through a real TLS-intercepting proxy: pip -> mitmdump -> the loopback index.

mitmproxy stands in for a corporate proxy whose CA nobody trusts yet.  Real pip (23.0.1 on
3.8, which reads one bundle, and 24.2 on 3.13, which reads the OS store) must fail through
it, ``pipssl doctor`` must name the proxy's CA, ``pipssl repair --ca`` must make pip pass
and ``pipssl undo`` must break it again.  Runs in tox env ``e2e``; every other env has no
mitmproxy and skips this module.
"""

from __future__ import annotations

import configparser
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping

import pytest
from bed.certs import CertWorld
from bed.index import MakeIndex
from bed.isolation import IsolatedEnv

pytest.importorskip("mitmproxy", reason="mitmproxy is installed in tox env e2e only")

import certifi
from bed.pip import pip_download, url_host_for
from mitm import CA_SUBJECT, Mitm
from targets import run_pipssl

from pipssl.certs.bundle import load_cafile

FLAVOURS = ["legacy", "truststore"]
VERIFY_FAILED = "CERTIFICATE_VERIFY_FAILED"


def proxied_env(isolated_env: IsolatedEnv, mitm: Mitm) -> Dict[str, str]:
    """The test's scrubbed environment with the proxy, reading the (temp) user pip config."""
    os.environ["HTTPS_PROXY"] = mitm.url
    # pip reads the user config file only while PIP_CONFIG_FILE names no existing file;
    # dropping it makes the user scope the one that counts, as on a real machine.
    os.environ.pop("PIP_CONFIG_FILE", None)
    os.environ["XDG_STATE_HOME"] = str(isolated_env.home / ".local" / "state")
    assert not any(key.lower() == "no_proxy" for key in os.environ)
    return dict(os.environ)


def doctor(python: Path, index_url: str, env: Mapping[str, str]) -> Dict[str, Any]:
    proc = run_pipssl(
        "doctor", "--json", "--python", str(python), "--index-url", index_url, env=env
    )
    assert proc.returncode in (0, 1), proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    assert proc.returncode == (1 if data["findings"] else 0)
    return data


def codes(data: Mapping[str, Any]) -> List[str]:
    return [finding["code"] for finding in data["findings"]]


def finding(data: Mapping[str, Any], code: str) -> Dict[str, Any]:
    matches = [f for f in data["findings"] if f["code"] == code]
    assert matches, f"no {code} in {codes(data)}"
    first: Dict[str, Any] = matches[0]
    return first


def pip_fails_at_the_proxy(python: Path, url: str, env: Mapping[str, str], dest: Path) -> None:
    done = pip_download(python, url, env, dest)
    assert done.returncode != 0, done.stdout
    assert VERIFY_FAILED in done.stdout + done.stderr, done.stdout + done.stderr
    assert not dest.exists() or not list(dest.glob("*.whl"))


def pip_passes(python: Path, url: str, env: Mapping[str, str], dest: Path) -> None:
    done = pip_download(python, url, env, dest)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in dest.glob("*.whl")] == ["pipssl_probe_pkg-1.0-py3-none-any.whl"]


def user_pip_conf(isolated_env: IsolatedEnv) -> Path:
    return Path(isolated_env.pip_conf_path("user"))


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pip_fails_through_mitmproxy_and_doctor_names_its_ca(
    flavour: str,
    venvs: Dict[str, Path],
    isolated_env: IsolatedEnv,
    make_index: MakeIndex,
    mitm: Mitm,
    tmp_path: Path,
) -> None:
    python = venvs[flavour]
    index = make_index("good", url_host=url_host_for(python), lifetime=300)
    env = proxied_env(isolated_env, mitm)
    pip_fails_at_the_proxy(python, index.url, env, tmp_path / "dl")
    # pip reached the proxy and refused mitmproxy's certificate; the index itself was
    # reached (and verified) by mitmproxy alone.
    assert "does not trust the proxy's certificate" in mitm.log_text(), mitm.log_text()

    data = doctor(python, index.url, env)
    found = finding(data, "untrusted-issuer-unknown")
    assert CA_SUBJECT in found["summary"], found
    # mitmproxy sends its leaf alone, so the CA is known by name only: its fingerprint
    # can come only from the user's --ca file.
    assert f"issuer: CN={CA_SUBJECT}, O={CA_SUBJECT}" in found["detail"], found
    assert "untrusted-issuer-in-system-store" not in codes(data)


def os_store_with(tmp_path: Path, *cas: Path) -> None:
    """Make "the OS store" certifi's roots plus ``cas``: OpenSSL (and so truststore on
    Linux) reads SSL_CERT_FILE, and SSL_CERT_DIR is an empty directory."""
    store = tmp_path / "os-store.pem"
    store.write_bytes(b"\n".join([Path(certifi.where()).read_bytes(), *map(Path.read_bytes, cas)]))
    (tmp_path / "os-certs").mkdir(exist_ok=True)
    os.environ["SSL_CERT_FILE"] = str(store)
    os.environ["SSL_CERT_DIR"] = str(tmp_path / "os-certs")


def test_doctor_sees_the_mitm_ca_in_the_os_store_that_legacy_pip_ignores(
    venvs: Dict[str, Path],
    isolated_env: IsolatedEnv,
    make_index: MakeIndex,
    mitm: Mitm,
    tmp_path: Path,
) -> None:
    os_store_with(tmp_path, mitm.ca_cert)
    env = proxied_env(isolated_env, mitm)
    python = venvs["legacy"]
    index = make_index("good", url_host=url_host_for(python), lifetime=300)
    data = doctor(python, index.url, env)
    assert "untrusted-issuer-in-system-store" in codes(data), data
    assert "untrusted-issuer-unknown" not in codes(data)
    assert CA_SUBJECT in finding(data, "untrusted-issuer-in-system-store")["summary"]
    pip_fails_at_the_proxy(python, index.url, env, tmp_path / "dl")


def test_truststore_pip_ignores_the_os_store_through_a_proxy(
    venvs: Dict[str, Path],
    isolated_env: IsolatedEnv,
    make_index: MakeIndex,
    mitm: Mitm,
    cert_world: CertWorld,
    tmp_path: Path,
) -> None:
    """pip 24.2 gives its truststore context to direct connections only, not to requests'
    proxy manager (pypa/pip#13288, fixed by pypa/pip#13343): through a proxy it verifies
    with its bundle alone, whatever the OS trusts."""
    os_store_with(tmp_path, mitm.ca_cert, cert_world.path("root.pem"))
    python = venvs["truststore"]
    index = make_index("good", url_host=url_host_for(python), lifetime=300)
    pip_passes(python, index.url, dict(os.environ), tmp_path / "direct")
    env = proxied_env(isolated_env, mitm)
    pip_fails_at_the_proxy(python, index.url, env, tmp_path / "proxied")


def test_doctor_agrees_that_truststore_pip_fails_through_a_proxy(
    venvs: Dict[str, Path],
    isolated_env: IsolatedEnv,
    make_index: MakeIndex,
    mitm: Mitm,
    tmp_path: Path,
) -> None:
    os_store_with(tmp_path, mitm.ca_cert)
    env = proxied_env(isolated_env, mitm)
    python = venvs["truststore"]
    index = make_index("good", url_host=url_host_for(python), lifetime=300)
    pip_fails_at_the_proxy(python, index.url, env, tmp_path / "dl")
    data = doctor(python, index.url, env)
    codes = [f["code"] for f in data["findings"]]
    # pip 24.2 verifies proxied connections with certifi only (pypa/pip#13288): doctor
    # says so, and says the OS store has the CA that pip is not using there.
    assert "pip-known-bug" in codes and "untrusted-issuer-in-system-store" in codes, codes
    (bug,) = [f for f in data["findings"] if f["code"] == "pip-known-bug"]
    assert "proxy" in bug["summary"] and "13288" in bug["detail"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_repair_with_the_mitm_ca_makes_pip_pass_and_undo_breaks_it_again(
    flavour: str,
    venvs: Dict[str, Path],
    isolated_env: IsolatedEnv,
    make_index: MakeIndex,
    mitm: Mitm,
    tmp_path: Path,
) -> None:
    python = venvs[flavour]
    index = make_index("good", url_host=url_host_for(python), lifetime=300)
    env = proxied_env(isolated_env, mitm)
    conf = user_pip_conf(isolated_env)
    assert not conf.exists()
    pip_fails_at_the_proxy(python, index.url, env, tmp_path / "before")

    repair = run_pipssl(
        "repair",
        "--yes",
        "--ca",
        str(mitm.ca_cert),
        "--scope",
        "user",
        "--python",
        str(python),
        "--index-url",
        index.url,
        env=env,
    )
    assert repair.returncode == 0, repair.stdout + repair.stderr
    text = conf.read_text()
    assert "trusted-host" not in text, text
    parser = configparser.ConfigParser()
    parser.read_string(text)
    bundle = Path(parser.get("global", "cert"))
    (ca,) = load_cafile(mitm.ca_cert)
    assert ca.sha256 in {cert.sha256 for cert in load_cafile(bundle)}
    pip_passes(python, index.url, env, tmp_path / "after-repair")
    # the wheel really came through the intercepting proxy (mitmdump shortens long URLs)
    assert f"GET {index.base_url}/files/pipssl_probe_pkg-" in mitm.log_text(), mitm.log_text()
    assert codes(doctor(python, index.url, env)) == []

    undo = run_pipssl("undo", env=env)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert not conf.exists() or "cert" not in conf.read_text()
    pip_fails_at_the_proxy(python, index.url, env, tmp_path / "after-undo")
