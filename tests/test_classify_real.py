"""Every TLS failure classified honestly, and each verdict checked against the real pip.

Worlds (tests/bed): chains whose issuer is trusted but which are weak (a key of RSA 1024
bits, a SHA-1 signature) or otherwise broken (an unknown critical extension, an
intermediate that is not a CA), a server sharing no cipher with its clients, a proxy that
refuses CONNECT, a plain-HTTP extra index that pip ignores, and a repair told to trust an
intermediate CA without its root.  Each has a twin, the same
world built right, where doctor finds nothing (or only what is true there) and pip
downloads.  pip 23.0.1 (Python 3.8, one bundle) and pip 24.2 (Python 3.13, truststore)
each prove both sides.
"""

from __future__ import annotations

import json
import os
import ssl
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
from bed.certs import CertWorld
from bed.findings import codes
from bed.index import IndexServer, MakeProxy, build_wheel
from bed.isolation import IsolatedEnv
from bed.oddcerts import SERVER_WEAK_CIPHERS, odd_cert
from bed.osstore import MountedOsStore
from bed.pip import pip_download
from bed.world import World, trust_root
from targets import run_pipssl

from pipssl import diagnose

FLAVOURS = ["legacy", "truststore"]


def pip_says(python: Path, index: IndexServer, tmp_path: Path, name: str) -> Any:
    return pip_download(python, index.url, dict(os.environ), tmp_path / name, timeout=90)


@pytest.fixture
def odd_index(pip_world: World, tmp_path: Path) -> Callable[[str], IndexServer]:
    """An index serving one ``bed.oddcerts`` chain (the server may send a weak one), and
    pip's cert set to the root that chain ends in."""

    def serve(kind: str) -> IndexServer:
        cert = odd_cert(pip_world.certs, kind)
        root = tmp_path / f"{kind}.root.pem"
        root.write_bytes(cert.ca_pem)
        pip_world.isolated.write_pip_conf(f"[global]\ncert = {root}\n")
        return pip_world.index(cert, url_host="localhost", ciphers=SERVER_WEAK_CIPHERS)

    return serve


# --- weak-certificate ----------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("weak", "strong", "openssl", "named", "shown"),
    [
        (
            "rsa1024-leaf",
            "rsa2048-leaf",
            "EE certificate key too weak",
            "rsa1024-leaf server",
            "RSA 1024 bits",
        ),
        (
            "sha1-leaf",
            "sha256-leaf",
            "CA signature digest algorithm too weak",
            "sha1-leaf server",
            "SHA-1",
        ),
        (
            "rsa1024-intermediate",
            "rsa2048-intermediate",
            "CA certificate key too weak",
            "pipssl Odd Intermediate CA",
            "RSA 1024 bits",
        ),
        # the weak CA is one the server does not send: the root it chains to
        (
            "rsa1024-root",
            "rsa2048-root",
            "CA certificate key too weak",
            "pipssl rsa1024-root CA",
            "key too weak",
        ),
    ],
)
def test_weak_chain_is_weak_certificate_and_pip_agrees(
    flavour: str,
    weak: str,
    strong: str,
    openssl: str,
    named: str,
    shown: str,
    venvs: Dict[str, Path],
    pip_world: World,
    odd_index: Callable[[str], IndexServer],
    tmp_path: Path,
) -> None:
    python = venvs[flavour]
    index = odd_index(weak)
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5)
    assert codes(report) == ["weak-certificate"], report.findings
    found = report.findings[0]
    assert named in found.detail and shown in found.summary
    assert openssl in found.detail
    assert "server's owner" in found.fix and "never lower OpenSSL's security level" in found.fix
    assert "IT department" not in found.fix and "--accept-ca" not in found.fix
    assert not report.ok
    done = pip_says(python, index, tmp_path, "weak")
    assert done.returncode != 0 and openssl in done.stdout + done.stderr

    twin = odd_index(strong)
    report = diagnose(python=str(python), index_urls=[twin.url], timeout=5)
    assert codes(report) == [] and report.ok
    done = pip_says(python, twin, tmp_path, "strong")
    assert done.returncode == 0, done.stderr


# --- tls-error: what pipssl does not recognise, said as OpenSSL says it ------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("broken", "twin", "openssl"),
    [
        (
            "unknown-critical-extension",
            "unknown-noncritical-extension",
            "unhandled critical extension",
        ),
        ("intermediate-not-ca", "rsa2048-intermediate", "invalid CA certificate"),
    ],
)
def test_unknown_verify_error_is_tls_error_with_openssl_reason(
    flavour: str,
    broken: str,
    twin: str,
    openssl: str,
    venvs: Dict[str, Path],
    pip_world: World,
    odd_index: Callable[[str], IndexServer],
    tmp_path: Path,
) -> None:
    python = venvs[flavour]
    index = odd_index(broken)
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5)
    assert codes(report) == ["tls-error"], report.findings
    found = report.findings[0]
    assert found.summary == f"TLS with localhost failed: {openssl}"
    assert f"OpenSSL: {openssl} (code " in found.detail
    assert not report.ok
    done = pip_says(python, index, tmp_path, "broken")
    assert done.returncode != 0 and openssl in done.stdout + done.stderr

    good = odd_index(twin)
    report = diagnose(python=str(python), index_urls=[good.url], timeout=5)
    assert codes(report) == [] and report.ok
    assert pip_says(python, good, tmp_path, "twin").returncode == 0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_handshake_failure_is_tls_error_not_a_version_problem(
    flavour: str, venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    # The server's only cipher needs an RSA certificate and it has an EC one: it can
    # agree on nothing, although both sides speak TLS 1.2.
    pip_world.trust()
    python = venvs[flavour]
    index = pip_world.index(
        "good",
        url_host="localhost",
        maximum_version=ssl.TLSVersion.TLSv1_2,
        ciphers="ECDHE-RSA-AES128-GCM-SHA256",
    )
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5)
    assert codes(report) == ["tls-error"], report.findings
    found = report.findings[0]
    assert found.summary.startswith("TLS with localhost failed: ")
    assert "HANDSHAKE_FAILURE" in found.summary and "stage: tls" in found.detail
    assert "no shared cipher" in " ".join(index.wait_handshake_errors())
    done = pip_says(python, index, tmp_path, "nocipher")
    assert done.returncode != 0 and "HANDSHAKE_FAILURE" in done.stdout + done.stderr

    twin = pip_world.index("good", url_host="localhost", maximum_version=ssl.TLSVersion.TLSv1_2)
    report = diagnose(python=str(python), index_urls=[twin.url], timeout=5)
    assert codes(report) == [] and report.ok
    assert pip_says(python, twin, tmp_path, "twin").returncode == 0


# --- proxy-denied -------------------------------------------------------------------------


@pytest.mark.parametrize(("flavour", "status"), [("legacy", 403), ("truststore", 502)])
def test_proxy_refusing_connect_is_proxy_denied_and_pip_agrees(
    flavour: str,
    status: int,
    venvs: Dict[str, Path],
    pip_world: World,
    make_proxy: MakeProxy,
    tmp_path: Path,
) -> None:
    pip_world.trust()
    python = venvs[flavour]
    proxy = make_proxy()
    os.environ["HTTPS_PROXY"] = proxy.url
    denied = pip_world.index("good", url_host="localhost")
    allowed = pip_world.index("good", url_host="localhost")
    target = f"localhost:{denied.port}"
    proxy.refuse[target] = status
    report = diagnose(python=str(python), index_urls=[denied.url], timeout=5)
    assert codes(report) == ["proxy-denied"], report.findings
    found = report.findings[0]
    assert f"refuses the tunnel to {target} (HTTP {status})" in found.summary
    assert f"CONNECT {target} with HTTP/1.1 {status} " in found.detail
    assert f"allow {target} through the proxy" in found.fix
    assert (target, status) in proxy.results and not denied.connections
    # pip says it only at debug level (-vv); by default just "from versions: none".
    done = pip_download(
        python, denied.url, dict(os.environ), tmp_path / "denied", timeout=90, extra_args=["-vv"]
    )
    phrase = "Forbidden" if status == 403 else "Bad Gateway"
    assert done.returncode != 0
    assert f"Tunnel connection failed: {status} {phrase}" in done.stdout + done.stderr

    report = diagnose(python=str(python), index_urls=[allowed.url], timeout=5)
    assert codes(report) == [] and report.ok
    done = pip_says(python, allowed, tmp_path, "allowed")
    assert done.returncode == 0, done.stderr
    assert (f"localhost:{allowed.port}", 200) in proxy.results


# --- http-index-ignored -------------------------------------------------------------------

HTTP_HOST = "pipssl-http.test"  # 127.0.0.1 inside the test's own /etc/hosts


def doctor_in(prefix: List[str], python: Path) -> Dict[str, Any]:
    proc = run_pipssl("doctor", "--json", "--python", str(python), prefix=prefix)
    assert proc.returncode in (0, 1), proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_plain_http_index_pip_ignores_and_its_trusted_twin(
    flavour: str,
    venvs: Dict[str, Path],
    pip_world: World,
    mounted_os_store: MountedOsStore,
    tmp_path: Path,
) -> None:
    # The package is on the plain-HTTP extra index alone; its host is loopback, but by a
    # name pip does not count as loopback (pip exempts localhost, 127.0.0.0/8 and ::1).
    python = venvs[flavour]
    only_http = tmp_path / "http-wheels"
    build_wheel(only_http, name="pipssl_http_only")
    plain = pip_world.index(None, mode="plain", wheel_dir=only_http)
    main = pip_world.index("good", url_host="localhost")
    http_url = f"http://{HTTP_HOST}:{plain.port}/simple/"
    settings = f"index-url = {main.url}\nextra-index-url = {http_url}\n"
    trust_root(pip_world.isolated, pip_world.certs, settings)
    prefix = mounted_os_store.prefix(hosts=[HTTP_HOST])
    ignored = "is not a trusted or secure host and is being ignored"

    # doctor runs where pip runs (the test's /etc/hosts names the plain index's host), so
    # that the real pip it asks sees the same world
    data = doctor_in(prefix, python)
    assert [f["code"] for f in data["findings"]] == ["http-index-ignored"], data["findings"]
    found = data["findings"][0]
    assert found["target"] == http_url and found["severity"] == "warning"
    assert f"{HTTP_HOST} {ignored}" in found["detail"] and "extra-index-url" in found["detail"]
    assert "https://" in found["fix"] and "trusted-host" not in found["fix"]
    done = pip_download(
        python, None, dict(os.environ), tmp_path / "ig", package="pipssl_http_only", prefix=prefix
    )
    assert done.returncode != 0 and ignored in done.stdout + done.stderr
    assert plain.requests == [], "pip must not have read the ignored index"

    trust_root(pip_world.isolated, pip_world.certs, settings + f"trusted-host = {HTTP_HOST}\n")
    data = doctor_in(prefix, python)
    assert [f["code"] for f in data["findings"]] == ["insecure-trusted-host"], data["findings"]
    assert data["findings"][0]["target"] == HTTP_HOST
    done = pip_download(
        python, None, dict(os.environ), tmp_path / "ok", package="pipssl_http_only", prefix=prefix
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ignored not in done.stdout + done.stderr and plain.requests


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_plain_http_index_on_a_loopback_ip_is_used_by_pip(
    flavour: str, venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    python = venvs[flavour]
    only_http = tmp_path / "http-wheels"
    build_wheel(only_http, name="pipssl_http_only")
    plain = pip_world.index(None, mode="plain", wheel_dir=only_http)
    main = pip_world.index("good", url_host="localhost")
    http_url = f"http://127.0.0.1:{plain.port}/simple/"
    trust_root(
        pip_world.isolated,
        pip_world.certs,
        f"index-url = {main.url}\nextra-index-url = {http_url}\n",
    )
    report = diagnose(python=str(python), index_urls=None, timeout=5)
    assert codes(report) == [], report.findings
    done = pip_download(
        python, None, dict(os.environ), tmp_path / "dl", package="pipssl_http_only"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is being ignored" not in done.stdout + done.stderr and plain.requests


@pytest.mark.parametrize(
    ("url", "trusted", "ignored"),
    [
        ("http://127.0.0.2:8080/simple/", "", False),  # loopback by IP: pip uses it
        ("http://[::1]:8080/simple/", "", False),
        ("http://localhost:8080/simple/", "", False),
        ("http://pipssl-http.test:8080/simple/", "pipssl-http.test:8080", False),
        ("http://pipssl-http.test:8080/simple/", "pipssl-http.test:9090", True),
        ("http://u:secret@pipssl-http.test/simple/", "", True),
    ],
)
def test_http_index_rule_is_pips_secure_origins(
    url: str, trusted: str, ignored: bool, venvs: Dict[str, Path], isolated_env: IsolatedEnv
) -> None:
    conf = f"[global]\nextra-index-url = {url}\n"
    isolated_env.write_pip_conf(conf + (f"trusted-host = {trusted}\n" if trusted else ""))
    report = diagnose(python=str(venvs["legacy"]), index_urls=[], timeout=2)
    found = [f for f in report.findings if f.code == "http-index-ignored"]
    assert bool(found) == ignored, report.findings
    assert all("secret" not in f.target + f.summary + f.detail for f in found)


# --- repair --ca with an intermediate ------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_repair_names_an_intermediate_given_with_ca_and_the_root_it_needs(
    flavour: str, venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    pip_world.user_scope().os_store()  # certifi's roots: the test root is trusted nowhere
    python = venvs[flavour]
    index = pip_world.index("good", url_host="localhost")
    inter, root = pip_world.certs.path("intermediate.pem"), pip_world.certs.path("root.pem")
    args = ["repair", "--yes", "--json", "--scope", "user", "--python", str(python)]
    args += ["--index-url", index.url]
    # Real pip with the intermediate alone as its bundle: it wants the root above it.
    alone = pip_download(python, index.url, {**os.environ, "PIP_CERT": str(inter)}, tmp_path / "a")
    assert alone.returncode != 0
    before = pip_world.isolated.root
    snapshot = sorted(str(p) for p in before.rglob("*"))

    proc = run_pipssl(*args, "--ca", str(inter))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["error"]["reference"] == "usage-error"
    assert (
        "CN=pipssl Test Intermediate CA" in proc.stderr and "is an intermediate CA" in proc.stderr
    )
    assert "issued by O=pipssl tests, CN=pipssl Test Root CA" in proc.stderr
    assert "hint: give the root CA 'O=pipssl tests, CN=pipssl Test Root CA'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(str(p) for p in before.rglob("*")) == snapshot, "nothing may change"
    assert pip_download(python, index.url, dict(os.environ), tmp_path / "b").returncode != 0

    # Twin: the intermediate with its root; the repair keeps both and pip verifies.
    proc = run_pipssl(*args, "--ca", str(inter), "--ca", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] and data["changed"]
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "c")
    assert done.returncode == 0, done.stderr
    assert run_pipssl("undo").returncode == 0

    # And when the OS store holds the root, the intermediate alone is taken.
    pip_world.os_store("root.pem")
    proc = run_pipssl(*args, "--ca", str(inter))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["ok"]
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "d")
    assert done.returncode == 0, done.stderr


# --- the strength reader that names the weak certificate ---------------------------------


@pytest.mark.once
def test_strength_reads_key_and_digest_of_each_kind(cert_world: CertWorld) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from pipssl.certs.strength import strength
    from pipssl.errors import CertificateError

    def der(kind: str, index: int = 0) -> bytes:
        pems = odd_cert(cert_world, kind).chain_pem.split(b"-----END CERTIFICATE-----")
        pem = pems[index] + b"-----END CERTIFICATE-----\n"
        cert = x509.load_pem_x509_certificate(pem.strip() + b"\n")
        return cert.public_bytes(serialization.Encoding.DER)

    seen = {
        kind: strength(der(kind, index))
        for kind, index in [
            ("rsa1024-leaf", 0),
            ("rsa2048-leaf", 0),
            ("sha1-leaf", 0),
            ("sha256-leaf", 1),  # the RSA-2048 intermediate
            ("rsa1024-intermediate", 1),
        ]
    }
    assert (seen["rsa1024-leaf"].key, seen["rsa1024-leaf"].weak_key) == ("RSA 1024 bits", True)
    assert (seen["rsa2048-leaf"].key, seen["rsa2048-leaf"].weak_key) == ("RSA 2048 bits", False)
    assert seen["sha1-leaf"].digest == "SHA-1" and seen["sha1-leaf"].weak_digest
    assert seen["sha1-leaf"].key == "EC P-256" and not seen["sha1-leaf"].weak_key
    assert seen["sha256-leaf"].digest == "SHA-256" and not seen["sha256-leaf"].weak_digest
    assert seen["rsa1024-intermediate"].weak_key
    with pytest.raises(CertificateError):
        strength(b"\x30\x03\x02\x01")


def test_each_ca_gets_a_file_name_of_its_own_in_the_fixes() -> None:
    """The fixes name the file IT hands over after the CA, so two CAs' files never
    overwrite each other; only [a-z0-9-] of a certificate's name reaches a shell line."""
    from pipssl.certs.der import Name
    from pipssl.diagnosis.classify import ca_file_for

    def name(*rdns: Any) -> Name:
        return Name(rdns=tuple(rdns), der=repr(rdns).encode())

    acme = name(("O", "Acme"), ("CN", "Acme Corp Root CA"))
    assert ca_file_for(acme) == "acme-corp-root-ca.pem"
    assert ca_file_for(name(("O", "Acme"), ("CN", "Acme Corp Issuing CA 2"))) == (
        "acme-corp-issuing-ca-2.pem"
    )
    assert ca_file_for(name(("O", "No CN, Inc."))) == "o-no-cn-inc.pem"
    assert ca_file_for(name(("CN", "$(rm -rf ~); `x` > /etc/y"))) == "rm-rf-x-etc-y.pem"
    assert len(ca_file_for(name(("CN", "x" * 500)))) == 60 + len(".pem")
    first, second = name(("CN", "根证书")), name(("CN", "中间证书"))
    assert ca_file_for(first).startswith("ca-") and ca_file_for(first) != ca_file_for(second)
