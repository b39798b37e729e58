"""What pip accepts and the stricter clients refuse, with the real clients as the judge:
a Zscaler-style interception root without the strict X.509 profile, and a leaf naming its
host only in the CN.  Each world has a twin (a proper CA, a SAN leaf) where all verify.

Measured here (tox env clients): pip 23.0.1 and 24.2 accept both; requests 2.34 with
urllib3 2 rejects the CN-only leaf on every Python and the lax root on 3.13 only; uv 0.13
(webpki) rejects the CN-only leaf and accepts the lax root.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

pytest.importorskip("uv", reason="uv is installed in tox env clients only")
pytest.importorskip("requests", reason="requests is installed in tox env clients only")

import uv
from bed.pip import pip_download
from test_real_clients import REQUEST, pipssl, run

UV_COMPILE = ["pip", "compile", "-", "--no-cache", "--no-python-downloads", "--default-index"]


def requests_get(python: Path, url: str, env: Dict[str, str]) -> Any:
    return run([python, "-c", REQUEST, url], env)


def uv_compile(url: str, env: Dict[str, str]) -> Any:
    argv = [uv.find_uv_bin(), *UV_COMPILE, url, "--python", sys.executable]
    return subprocess_input(argv, env, "pipssl_probe_pkg\n")


def subprocess_input(argv: List[str], env: Dict[str, str], text: str) -> Any:
    import subprocess

    return subprocess.run(
        [str(a) for a in argv],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def doctor(python: Path, url: str, env: Dict[str, str]) -> Dict[str, Any]:
    proc = pipssl("doctor", "--json", "--python", str(python), "--index-url", url, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def findings(data: Dict[str, Any], code: str) -> Dict[str, Dict[str, Any]]:
    return {f["target"]: f for f in data["findings"] if f["code"] == code}


def client_ok(data: Dict[str, Any], label: str) -> bool:
    (found,) = [c for c in data["clients"] if c["label"] == label]
    return all(t["ok"] for t in found["targets"]) and bool(found["targets"])


def trusting(env: Dict[str, str], ca: Path) -> Dict[str, str]:
    """Every client pointed at ``ca`` (pip with PIP_CERT, uv, requests by variable)."""
    return dict(env, PIP_CERT=str(ca), SSL_CERT_FILE=str(ca), REQUESTS_CA_BUNDLE=str(ca))


@pytest.mark.parametrize(
    "kind, ca", [("lax-intercepted", "lax-intercept.pem"), ("intercepted", "intercept.pem")]
)
def test_a_root_without_the_strict_profile(
    kind: str,
    ca: str,
    tools_env: Dict[str, str],
    requests_313: Path,
    venvs: Dict[str, Path],
    make_index: Any,
    cert_world: Any,
    tmp_path: Path,
) -> None:
    index = make_index(kind, url_host="localhost")
    env = trusting(tools_env, cert_world.path(ca))
    lax = kind == "lax-intercepted"
    # the real clients: pip on both sides of truststore, requests on 3.12 and 3.13, uv
    for name, python in venvs.items():
        got = pip_download(python, index.url, env, tmp_path / name)
        assert got.returncode == 0, got.stderr
    on_313 = requests_get(requests_313, index.url, env)
    assert (on_313.returncode != 0) is lax, on_313.stderr
    if lax:
        assert "Basic Constraints of CA cert not marked critical" in on_313.stderr
    assert requests_get(Path(sys.executable), index.url, env).returncode == 0
    assert uv_compile(index.url, env).returncode == 0
    # doctor says what each does, and why
    data = doctor(requests_313, index.url, env)
    rejected = findings(data, "client-rejects-certificate")
    assert set(rejected) == ({"requests"} if lax else set())
    assert client_ok(data, "uv") and client_ok(data, "requests") is not lax
    assert "client-cannot-verify" not in [f["code"] for f in data["findings"]]
    if lax:
        finding = rejected["requests"]
        assert '"Zscaler Root CA (lax test)"' in finding["summary"]
        assert "basicConstraints must be marked critical" in finding["detail"]
        assert "urllib3 2." in finding["detail"] and "Python 3.13" in finding["detail"]
        assert "fails too" in finding["detail"] and "reissued" in finding["fix"]
    # the same CA on Python 3.12: urllib3 2 applies no strict profile there
    assert "client-rejects-certificate" not in str(doctor(Path(sys.executable), index.url, env))


@pytest.mark.parametrize("kind", ["cn-only", "good"])
def test_a_leaf_that_names_its_host_only_in_the_cn(
    kind: str,
    tools_env: Dict[str, str],
    requests_313: Path,
    venvs: Dict[str, Path],
    make_index: Any,
    cert_world: Any,
    tmp_path: Path,
) -> None:
    index = make_index(kind, url_host="localhost")
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(cert_world.path("root.pem").read_bytes())
    env = trusting(tools_env, bundle)
    cn_only = kind == "cn-only"
    for name, python in venvs.items():
        got = pip_download(python, index.url, env, tmp_path / name)
        assert got.returncode == 0, got.stderr
    for python in (requests_313, Path(sys.executable)):
        got = requests_get(python, index.url, env)
        assert (got.returncode != 0) is cn_only, got.stderr
        assert ("Hostname mismatch" in got.stderr) is cn_only
    compiled = uv_compile(index.url, env)
    assert (compiled.returncode != 0) is cn_only, compiled.stderr
    assert ("not valid for name" in compiled.stderr) is cn_only
    data = doctor(requests_313, index.url, env)
    rejected = findings(data, "client-rejects-certificate")
    # poetry is on PATH too: requests (urllib3 2) in its own environment
    assert set(rejected) == ({"requests", "uv", "poetry"} if cn_only else set())
    for finding in rejected.values():
        assert "only in its subject CN" in finding["summary"]
        assert '"localhost"' in finding["summary"]
        assert "subjectAltName DNS:localhost" in finding["fix"]
        assert "fails too" in finding["detail"]
    assert client_ok(data, "uv") is not cn_only and client_ok(data, "requests") is not cn_only


def test_repair_for_requests_and_uv_says_it_cannot_fix_the_profile(
    tools_env: Dict[str, str],
    requests_313: Path,
    make_index: Any,
    cert_world: Any,
) -> None:
    index = make_index("lax-intercepted", url_host="localhost")
    ca = cert_world.path("lax-intercept.pem")
    assert requests_get(requests_313, index.url, tools_env).returncode != 0
    assert uv_compile(index.url, tools_env).returncode != 0
    args = ["repair", "--yes", "--json", "--for", "requests,uv", "--scope", "user"]
    args += ["--python", str(requests_313), "--index-url", index.url, "--ca", str(ca)]
    proc = pipssl(*args, env=tools_env)
    result = json.loads(proc.stdout)
    assert proc.returncode != 0, proc.stdout  # not done: requests still refuses the CA
    printed = dict(tools_env, **result["env_to_set"])
    assert set(result["env_to_set"]) == {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}
    # pip and uv are repaired; requests says plainly why it cannot be
    codes = {(f["code"], f["target"]) for f in result["findings"]}
    assert ("client-rejects-certificate", "requests") in codes, result["findings"]
    assert "reissued" in str(result["findings"])
    assert uv_compile(index.url, printed).returncode == 0
    still = requests_get(requests_313, index.url, printed)
    assert "Basic Constraints of CA cert not marked critical" in still.stderr
    assert pipssl("undo", env=tools_env).returncode == 0
