"""Robust CA material (issue 13, part 6): one certificate block pipssl or OpenSSL cannot
read is named (file, block, line, why) and costs what it costs OpenSSL, no more.

Measured with the real pips (23.0.1 on 3.8, 24.2 on 3.13) before this was written: a CA
file with one bad block (bad base64, DER that is no certificate, no END line; first or
last) fails every pip with "[X509] PEM lib": OpenSSL loads nothing of it.  The same block
in the distribution bundle (/etc/ssl/certs/ca-certificates.crt) makes OpenSSL's default
paths drop that whole file, silently: pip 24.2 (truststore) then fails to verify a CA the
file holds.  pipssl models both, and a file of the store never empties the other files.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
import trustme
from bed.index import MakeProxy
from bed.isolation import IsolatedEnv
from bed.osstore import MountedOsStore
from bed.pip import pip_download
from bed.world import World
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from targets import base_python, run_pipssl

from pipssl.certs import store as os_store_mod
from pipssl.certs.bundle import read_pem, scan_pem
from pipssl.certs.store import linux
from pipssl.diagnosis.storecheck import check_os_store
from pipssl.errors import BundleError

BAD: Dict[str, bytes] = {
    "base64": b"-----BEGIN CERTIFICATE-----\nMIIB!!!!notbase64@@@@\n-----END CERTIFICATE-----\n",
    "der": b"-----BEGIN CERTIFICATE-----\n"
    + base64.encodebytes(b"\x30\x03\x02\x01\x05")
    + b"-----END CERTIFICATE-----\n",
    "noend": b"-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n",
}
REASON = {"base64": "not valid base64", "der": "is not a certificate", "noend": "no END line"}


@pytest.fixture(scope="module")
def roots() -> List[bytes]:
    return [trustme.CA(organization_name=f"pipssl material {n}").cert_pem.bytes() for n in "ab"]


def odd_but_loadable(ca: trustme.CA) -> bytes:
    """A CA certificate OpenSSL loads but pipssl's parser refuses: an iPAddress SAN of 8
    bytes (address and mask, the name-constraints form)."""
    issuer = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)
    from cryptography.hazmat.primitives.asymmetric import ec

    own = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "pipssl odd CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject)
        .public_key(own.public_key())
        .serial_number(7)
        .not_valid_before(issuer.not_valid_before_utc)
        .not_valid_after(issuer.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return cert.public_bytes(serialization.Encoding.PEM)


# --- the reader: every block read, the bad ones named -----------------------------------


@pytest.mark.once
@pytest.mark.parametrize("kind", list(BAD))
def test_scan_names_the_bad_block_and_keeps_the_others(kind: str, roots: List[bytes]) -> None:
    good = roots[0] + b"# a comment\n" + roots[1]
    data = good + BAD[kind]
    scan = scan_pem(data, source="bundle.pem")
    assert [c.der for c in scan.certs] == [c.der for c in read_pem(good)]
    (bad,) = scan.bad
    line = good.count(b"\n") + 1
    assert (bad.source, bad.number, bad.line, bad.openssl_rejects) == ("bundle.pem", 3, line, True)
    assert REASON[kind] in bad.reason
    assert not scan.openssl_loads
    # as a CA file, OpenSSL loads nothing of it: neither does read_pem, and it says where
    with pytest.raises(BundleError) as info:
        read_pem(data, source="bundle.pem")
    assert info.value.reference == "ca-not-a-certificate"
    assert f"certificate block 3 (line {line})" in str(info.value)
    # twin: without the bad block, nothing is named
    assert scan_pem(good).bad == ()


@pytest.mark.once
def test_a_certificate_only_pipssl_cannot_read_costs_only_itself(roots: List[bytes]) -> None:
    import ssl

    odd = odd_but_loadable(trustme.CA())
    ssl.create_default_context(cadata=odd.decode())  # OpenSSL loads it
    scan = scan_pem(roots[0] + odd + roots[1], source="odd.pem")
    (bad,) = scan.bad
    assert bad.number == 2 and not bad.openssl_rejects and "OpenSSL loads" in bad.reason
    assert scan.openssl_loads and len(scan.certs) == 2
    assert len(read_pem(roots[0] + odd + roots[1])) == 2  # a CA file OpenSSL uses whole


# --- the OS store: a file OpenSSL drops is dropped, the others stay ----------------------


def subject_hash(pem: bytes) -> str:
    """OpenSSL's subject hash of a certificate: the name `openssl rehash` gives its link."""
    proc = subprocess.run(
        ["openssl", "x509", "-subject_hash", "-noout"],
        input=pem,
        capture_output=True,
        timeout=30,
        check=True,
    )
    return proc.stdout.decode().strip()


@pytest.mark.once
def test_linux_store_drops_only_the_file_openssl_drops(
    tmp_path: Path, roots: List[bytes], isolated_env: IsolatedEnv
) -> None:
    bundle = tmp_path / "bundle.crt"
    bundle.write_bytes(roots[0] + BAD["base64"] + roots[1])
    certs = tmp_path / "certs"
    certs.mkdir()
    # named as `openssl rehash` names them: OpenSSL's directory lookup reads no other name
    a, b = certs / f"{subject_hash(roots[1])}.0", certs / f"{subject_hash(roots[0])}.0"
    a.write_bytes(roots[1])
    b.write_bytes(roots[0] + BAD["der"])
    env = {"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": str(certs)}
    store = linux.store(env)
    assert [c.der for c in read_pem(store.pem)] == [c.der for c in read_pem(roots[1])]
    assert store.dropped == (str(bundle), str(b))
    assert [(bad.source, bad.number) for bad in store.bad_blocks] == [
        (str(bundle), 2),
        (str(b), 2),
    ]
    findings = check_os_store(store)
    assert [(f.code, f.severity, f.target) for f in findings] == [
        ("os-store-bad-block", "warning", str(bundle)),
        ("os-store-bad-block", "warning", str(b)),
    ]
    assert "block 2 (line" in findings[0].detail and "OpenSSL loads nothing" in findings[0].detail
    # twin: the same store, repaired, names nothing and holds every root
    bundle.write_bytes(roots[0] + roots[1])
    b.write_bytes(roots[0])
    store = linux.store(env)
    assert store.bad_blocks == () and store.dropped == () and check_os_store(store) == []
    assert len(read_pem(store.pem)) == 4


@pytest.mark.once
def test_keychain_text_loses_only_its_bad_block(roots: List[bytes]) -> None:
    """security's output is not a CA file OpenSSL loads: the bad block alone goes."""
    errors: List[str] = []
    bad: List[Any] = []
    text = os_store_mod.loadable_text(
        (roots[0] + BAD["base64"] + roots[1]).decode(), "System.keychain", errors, bad
    )
    assert len(read_pem(text)) == 2 and len(bad) == 1 and errors == []
    (finding,) = check_os_store(os_store_mod.OsStore((), text, (), tuple(bad)))
    assert "pipssl left this block out" in finding.detail


# --- the real pips: a CA file, and the OS store --------------------------------------------


def _download(python: Path, url: str, store: MountedOsStore, dest: Path, **env: str) -> Any:
    return pip_download(python, url, {**os.environ, **env}, dest, prefix=store.prefix())


def _doctor(python: Path, url: str, store: MountedOsStore, **env: str) -> Dict[str, Any]:
    proc = run_pipssl(
        "doctor", "--json", "--index-url", url, "--python", str(python),
        env={**os.environ, **env}, prefix=store.prefix(),
    )  # fmt: skip
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.mark.once
@pytest.mark.parametrize("short", ["3.8", "3.13"])
def test_a_bad_block_in_pips_ca_file_real_pip_and_doctor(
    short: str, pip_world: World, mounted_os_store: MountedOsStore, tmp_path: Path
) -> None:
    python = base_python(short)
    index = pip_world.index("good", python)
    cafile = tmp_path / "corp.pem"
    cafile.write_bytes(pip_world.certs.root.cert_pem.bytes() + BAD["der"])
    proc = _download(python, index.url, mounted_os_store, tmp_path / "dl", PIP_CERT=str(cafile))
    assert proc.returncode != 0 and "PEM lib" in proc.stdout + proc.stderr
    report = _doctor(python, index.url, mounted_os_store, PIP_CERT=str(cafile))
    assert not report["ok"]
    (found,) = [f for f in report["findings"] if f["code"] == "ca-not-a-certificate"]
    assert "certificate block 2 (line" in found["detail"]
    # twin: the block removed, both pip and doctor succeed
    cafile.write_bytes(pip_world.certs.root.cert_pem.bytes())
    proc = _download(python, index.url, mounted_os_store, tmp_path / "dl2", PIP_CERT=str(cafile))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = _doctor(python, index.url, mounted_os_store, PIP_CERT=str(cafile))
    assert report["ok"], report["findings"]
    assert [f for f in report["findings"] if f["severity"] == "error"] == []


@pytest.mark.once
@pytest.mark.parametrize("broken", [True, False], ids=["bad-block", "twin"])
def test_a_bad_block_in_the_os_store_real_pip_242_and_doctor(
    broken: bool, pip_world: World, mounted_os_store: MountedOsStore, tmp_path: Path
) -> None:
    """The intercepting CA is in the distribution bundle; with one bad block there, real
    pip 24.2 (truststore) no longer trusts it, and doctor agrees and says why."""
    python = base_python("3.13")
    extra = [BAD["base64"]] if broken else []
    mounted_os_store.set(*extra, pip_world.certs.intercept.cert_pem.bytes())
    index = pip_world.index("intercepted", python)
    proc = _download(python, index.url, mounted_os_store, tmp_path / "dl")
    assert (proc.returncode == 0) == (not broken), proc.stdout + proc.stderr
    report = _doctor(python, index.url, mounted_os_store)
    assert report["ok"] == (not broken), report["findings"]
    bad = [f for f in report["findings"] if f["code"] == "os-store-bad-block"]
    if not broken:
        assert bad == []
        return
    (finding,) = bad
    assert finding["severity"] == "warning"
    assert "is not valid base64" in finding["detail"]
    assert "OpenSSL loads nothing" in finding["detail"]


# --- the AIA issuer fetch goes through pip's proxy ------------------------------------------


def test_aia_issuer_is_fetched_through_the_proxy_pip_would_use(
    venvs: Dict[str, Path],
    pip_world: World,
    wheel_dir: Path,
    make_proxy: MakeProxy,
    tmp_path: Path,
) -> None:
    """The leaf's caIssuers server answers only through the bed's proxy: the fetch takes
    the proxy of the diagnosis' environment (not this process's) or of pip's ``proxy``
    option, and goes direct for a NO_PROXY host; the real pip fails the chain all along."""
    from aia import aia_world

    from pipssl import diagnose

    python = venvs["legacy"]
    conf = "[global]\ncert = {}\n".format(pip_world.certs.path("root.pem"))
    pip_world.isolated.write_pip_conf(conf)
    proxy = make_proxy()
    assert "HTTP_PROXY" not in os.environ and "http_proxy" not in os.environ
    via_env = {**os.environ, "HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url}

    def codes(environ: Dict[str, str], url: str) -> List[str]:
        report = diagnose(python=str(python), index_urls=[url], timeout=5, environ=environ)
        return [f.code for f in report.findings if f.severity == "error"]

    with aia_world(pip_world.certs, wheel_dir, proxied_only=True) as (with_aia, _dead):
        assert codes(via_env, with_aia) == ["incomplete-chain"]
        fetched = [line for line in proxy.log if line.startswith("GET http://127.0.0.1")]
        assert len(fetched) == 1 and fetched[0].endswith("/inter.der"), proxy.log
        # the real pip, through the same proxy, cannot build the chain either
        proc = pip_download(python, with_aia, via_env, tmp_path / "dl")
        assert proc.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in proc.stdout + proc.stderr
        # pip's proxy option alone (no variable): the same proxy, the same verdict
        pip_world.isolated.write_pip_conf(conf + f"proxy = {proxy.url}\n")
        assert codes(dict(os.environ), with_aia) == ["incomplete-chain"]
        assert len([line for line in proxy.log if line.startswith("GET ")]) == 2
        # twin: NO_PROXY names the host: fetched directly, refused, not claimed
        pip_world.isolated.write_pip_conf(conf)
        bypass = {**via_env, "NO_PROXY": "127.0.0.1"}
        assert codes(bypass, with_aia) == ["untrusted-issuer-unknown"]
        assert len([line for line in proxy.log if line.startswith("GET ")]) == 2


# --- the key of a certificate -------------------------------------------------------------


@pytest.mark.once
@pytest.mark.parametrize(
    ("make", "expected"),
    [
        ("rsa-1024", ("rsa", 1024, "")),
        ("rsa-2048", ("rsa", 2048, "")),
        ("ec-p256", ("ec", 256, "secp256r1")),
        ("ec-p384", ("ec", 384, "secp384r1")),
        ("ed25519", ("ed25519", 256, "")),
    ],
)
def test_public_key_algorithm_and_size(make: str, expected: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    from pipssl.certs.x509 import parse_certificate

    keys = {
        "rsa-1024": lambda: rsa.generate_private_key(65537, 1024),
        "rsa-2048": lambda: rsa.generate_private_key(65537, 2048),
        "ec-p256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "ec-p384": lambda: ec.generate_private_key(ec.SECP384R1()),
        "ed25519": lambda: ed25519.Ed25519PrivateKey.generate(),
    }
    key = keys[make]()
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, make)])
    issuer = trustme.CA()
    ca_key = serialization.load_pem_private_key(issuer.private_key_pem.bytes(), None)
    ca_cert = x509.load_pem_x509_certificate(issuer.cert_pem.bytes())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(1)
        .not_valid_before(ca_cert.not_valid_before_utc)
        .not_valid_after(ca_cert.not_valid_after_utc)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    parsed = parse_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert (parsed.key.algorithm, parsed.key.bits, parsed.key.curve) == expected
