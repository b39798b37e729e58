"""Tests of the shared test bed itself: each part does what the other tests rely on."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable, Optional, Tuple

import pytest
from bed.certs import AIA_URL, KINDS, CertWorld
from bed.index import (
    MakeIndex,
    MakeProxy,
    Proxy,
    closed_port,
    serve_index,
    silent_server,
)
from bed.isolation import (
    REAL_ENVIRON,
    IsolatedEnv,
    changed_files,
    is_scrubbed_name,
    real_pip_config_files,
    scrubbed_environ,
    snapshot,
)
from bed.pip import pip_download, pip_version, reference_pythons, url_host_for
from bed.world import World
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

pytestmark = pytest.mark.once

WHEEL = "pipssl_probe_pkg-1.0-py3-none-any.whl"

# --- isolation -----------------------------------------------------------------------------


def test_scrubbed_environ_removes_trust_proxy_and_import_settings(tmp_path: Path) -> None:
    dirty = {
        name: "x"
        for name in (
            "PIP_CERT PIP_INDEX_URL PIP_FIND_LINKS SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE "
            "CURL_CA_BUNDLE AWS_CA_BUNDLE NODE_EXTRA_CA_CERTS GIT_SSL_CAINFO NIX_SSL_CERT_FILE "
            "HTTPLIB2_CA_CERTS CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE http_proxy HTTPS_PROXY "
            "Https_Proxy all_proxy NO_PROXY no_proxy PYTHONPATH PYTHONHOME PYTHONSTARTUP "
            "PYTHONUSERBASE VIRTUAL_ENV CONDA_PREFIX"
        ).split()
    }
    kept = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    env = scrubbed_environ(tmp_path, {**dirty, **kept})
    assert not set(dirty) & set(env)
    assert {k: env[k] for k in kept} == kept
    assert env["PIP_CONFIG_FILE"] == str(tmp_path / "pip-env.conf")
    assert env["PIP_DISABLE_PIP_VERSION_CHECK"] == "1"
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_CACHE_HOME", "APPDATA"):
        assert Path(env[name]).is_dir() and tmp_path in Path(env[name]).parents


def test_isolated_env_fixture_scrubs_os_environ(isolated_env: IsolatedEnv) -> None:
    leftovers = [
        k
        for k in os.environ
        if is_scrubbed_name(k) and k not in ("PIP_CONFIG_FILE", "PIP_DISABLE_PIP_VERSION_CHECK")
    ]
    assert leftovers == []
    for name in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "https_proxy", "PYTHONPATH"):
        assert name not in os.environ
    assert isolated_env.environ is os.environ
    assert os.environ["HOME"] == str(isolated_env.home)
    assert Path(os.path.expanduser("~")) == isolated_env.home
    assert os.environ["PIP_CONFIG_FILE"] == str(isolated_env.pip_config_file)
    assert not isolated_env.pip_config_file.exists()
    root = isolated_env.root
    expected = {
        "env": isolated_env.pip_config_file,
        "user": root / "home/.config/pip/pip.conf",
        "user-legacy": root / "home/.pip/pip.conf",
        "global": root / "xdg-config-dirs/pip/pip.conf",
    }
    for where, path in expected.items():
        assert isolated_env.write_pip_conf("[global]\ntimeout = 3\n", where) == path
        assert path.read_text() == "[global]\ntimeout = 3\n"
    with pytest.raises(ValueError, match="unknown pip config location"):
        isolated_env.write_pip_conf("", "site")
    os.environ["PIP_CERT"] = "/leaks/if/not/restored"  # the next test checks the restore


def test_environment_is_restored_after_isolated_env() -> None:
    for name in ("PIP_CERT", "PIP_CONFIG_FILE", "HOME", "XDG_CONFIG_HOME", "SSL_CERT_FILE"):
        assert os.environ.get(name) == REAL_ENVIRON.get(name), name


def _pip_config_list() -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_real_pip_sees_only_the_isolated_config_files(isolated_env: IsolatedEnv) -> None:
    isolated_env.write_pip_conf("[global]\nretries = 2\n", "global")
    isolated_env.write_pip_conf("[install]\nno-compile = yes\n", "user")
    listed = _pip_config_list()
    assert "global.retries='2'" in listed and "install.no-compile='yes'" in listed
    # Only /etc/pip.conf may still speak (pip always reads it); nothing of the real user's.
    allowed = ("global.retries", "install.no-compile", "global.cert", ":env:.")
    assert all(line.startswith(allowed) for line in listed.splitlines()), listed
    # pip skips the user file once the PIP_CONFIG_FILE file exists.
    isolated_env.write_pip_conf("[global]\ntimeout = 7\n", "env")
    listed = _pip_config_list()
    assert "global.timeout='7'" in listed and "no-compile" not in listed


def test_guard_snapshot_detects_a_changed_file(tmp_path: Path, isolated_env: IsolatedEnv) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\n")
    missing = tmp_path / "absent.conf"
    before = snapshot([conf, missing])
    assert changed_files(before) == []
    conf.write_text("[global]\ncert = x\n")
    missing.write_text("")
    assert len(changed_files(before)) == 2
    # The guarded list names the real files even while HOME points elsewhere.
    guarded = real_pip_config_files()
    assert Path("/etc/pip.conf") in guarded
    assert Path(sys.prefix) / "pip.conf" in guarded
    assert all(isolated_env.root not in p.parents for p in guarded)


# --- certificates --------------------------------------------------------------------------


def _handshake(
    port: int,
    hostname: str,
    cafile: Path,
    *,
    bind: str = "127.0.0.1",
    certfile: Optional[Path] = None,
    minimum_version: Optional[ssl.TLSVersion] = None,
) -> Tuple[Optional[int], str]:
    """Return (None, tls version) on success, else (verify code or -1, message)."""
    context = ssl.create_default_context(cafile=str(cafile))
    if certfile is not None:
        context.load_cert_chain(str(certfile))
    if minimum_version is not None:
        context.minimum_version = minimum_version
    try:
        with socket.create_connection((bind, port), timeout=10) as sock:
            with context.wrap_socket(sock, server_hostname=hostname) as tls:
                tls.sendall(b"GET /simple/ HTTP/1.0\r\n\r\n")
                status = tls.recv(64).decode("latin-1")
                return None, f"{tls.version()} {status.splitlines()[0]}"
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_code, exc.verify_message
    except (ssl.SSLError, OSError) as exc:
        return -1, str(exc)


CASES = [
    ("good", "root.pem", "127.0.0.1", None, ""),
    ("good", "root.pem", "localhost", None, ""),
    ("good", "intercept.pem", "127.0.0.1", 20, "unable to get local issuer certificate"),
    ("incomplete", "root.pem", "127.0.0.1", 20, "unable to get local issuer certificate"),
    ("expired", "root.pem", "127.0.0.1", 10, "certificate has expired"),
    ("not-yet-valid", "root.pem", "127.0.0.1", 9, "certificate is not yet valid"),
    ("wrong-host", "root.pem", "localhost", 62, "Hostname mismatch"),
    ("wrong-host", "root.pem", "127.0.0.1", 64, "IP address mismatch"),
    ("self-signed", "root.pem", "127.0.0.1", 18, "self-signed certificate"),
    ("self-signed", "own", "127.0.0.1", None, ""),
    ("intercepted", "root.pem", "127.0.0.1", 19, "self-signed certificate in certificate chain"),
    ("intercepted", "intercept.pem", "localhost", None, ""),
]


@pytest.mark.parametrize(("kind", "trust", "hostname", "code", "message"), CASES)
def test_cert_kind_verifies_or_fails_as_intended(
    *,
    make_index: MakeIndex,
    cert_world: CertWorld,
    tmp_path: Path,
    kind: str,
    trust: str,
    hostname: str,
    code: Optional[int],
    message: str,
) -> None:
    index = make_index(kind)
    cafile = tmp_path / "own.pem"
    cafile.write_bytes(cert_world.server_cert(kind).ca_pem)
    if trust != "own":
        cafile = cert_world.path(trust)
    got_code, got_message = _handshake(index.port, hostname, cafile)
    assert got_code == code, got_message
    assert message in got_message
    if code is None:
        assert got_message.endswith("200 OK")
        assert index.handshake_errors == []
    else:
        assert len(index.wait_handshake_errors(1)) == 1


def test_cert_world_files_and_names(cert_world: CertWorld) -> None:
    for name in ("root.pem", "intercept.pem", "client-ca.pem", "client.pem", "intermediate.der"):
        assert cert_world.path(name).stat().st_size > 0
    for kind in KINDS:
        cert = cert_world.server_cert(kind)
        assert cert.kind == kind and cert.chain_pem.startswith(cert.leaf_pem)
        assert cert_world.path(f"{kind}.chain.pem").read_bytes() == cert.chain_pem
        assert cert_world.path(f"{kind}.key.pem").read_bytes() == cert.key_pem
    with pytest.raises(ValueError, match="unknown certificate kind"):
        cert_world.server_cert("nope")
    root = x509.load_pem_x509_certificate(cert_world.path("root.pem").read_bytes())
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "pipssl Test Root CA"
    )
    assert root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "pipssl tests"
    )
    intercept = x509.load_pem_x509_certificate(cert_world.path("intercept.pem").read_bytes())
    assert "Zscaler" in intercept.subject.rfc4514_string()
    good, incomplete = cert_world.server_cert("good"), cert_world.server_cert("incomplete")
    assert good.chain_pem.count(b"BEGIN CERTIFICATE") == 2
    assert incomplete.chain_pem.count(b"BEGIN CERTIFICATE") == 1
    assert incomplete.key_pem == good.key_pem
    leaf = x509.load_pem_x509_certificate(incomplete.leaf_pem)
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [(d.access_method, d.access_location.value) for d in aia] == [
        (AuthorityInformationAccessOID.CA_ISSUERS, AIA_URL)
    ]
    intercepted = cert_world.server_cert("intercepted")
    assert intercepted.chain_pem == intercepted.leaf_pem + intercepted.ca_pem


# --- index ---------------------------------------------------------------------------------


def _get(url: str, cafile: Path) -> Tuple[int, bytes, str]:
    context = ssl.create_default_context(cafile=str(cafile))
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return response.status, response.read(), response.geturl()


def test_index_serves_pep503_pages_and_the_wheel(
    make_index: MakeIndex, cert_world: CertWorld, wheel_dir: Path
) -> None:
    index = make_index("good")
    root = cert_world.path("root.pem")
    assert index.url == f"https://127.0.0.1:{index.port}/simple/"
    status, body, _ = _get(index.url, root)
    assert status == 200 and b'href="/simple/pipssl-probe-pkg/"' in body
    status, body, final = _get(index.url + "Pipssl_Probe.Pkg", root)
    assert final == index.url + "pipssl-probe-pkg/"
    digest = hashlib.sha256((wheel_dir / WHEEL).read_bytes()).hexdigest()
    match = re.search(rb'href="([^"#]+)#sha256=([0-9a-f]{64})"', body)
    assert match and match.group(2).decode() == digest
    status, data, _ = _get(index.base_url + match.group(1).decode(), root)
    assert hashlib.sha256(data).hexdigest() == digest
    assert "/simple/pipssl-probe-pkg/" in index.requests
    with pytest.raises(urllib.error.HTTPError, match="404"):
        _get(index.url + "no-such-project/", root)


def test_built_wheel_is_valid_and_pip_installs_it(
    wheel_dir: Path, tmp_path: Path, isolated_env: IsolatedEnv
) -> None:
    with zipfile.ZipFile(wheel_dir / WHEEL) as archive:
        record = archive.read("pipssl_probe_pkg-1.0.dist-info/RECORD").decode()
        for path, digest, size in csv.reader(io.StringIO(record)):
            if digest:
                data = archive.read(path)
                raw = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                assert digest == "sha256=" + raw.decode() and int(size) == len(data)
    target = tmp_path / "target"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-compile",
            "--target",
            *(str(target), str(wheel_dir / WHEEL)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (target / "pipssl_probe_pkg.py").read_text().endswith('__version__ = "1.0"\n')


def test_plain_mode_speaks_http_on_the_https_url(
    make_index: MakeIndex, cert_world: CertWorld
) -> None:
    index = make_index(None, mode="plain")
    assert index.url.startswith("https://")
    code, message = _handshake(index.port, "127.0.0.1", cert_world.path("root.pem"))
    assert code == -1 and "SSL" in message
    with urllib.request.urlopen(f"http://127.0.0.1:{index.port}/simple/", timeout=10) as resp:
        assert resp.status == 200


def test_client_certificate_is_required_when_asked(
    make_index: MakeIndex, cert_world: CertWorld
) -> None:
    index = make_index("good", client_ca=cert_world.path("client-ca.pem"))
    root = cert_world.path("root.pem")
    code, message = _handshake(index.port, "127.0.0.1", root)
    assert code == -1, message
    code, message = _handshake(
        index.port, "127.0.0.1", root, certfile=cert_world.path("client.pem")
    )
    assert code is None and message.endswith("200 OK")


def test_tls_version_limits(make_index: MakeIndex, cert_world: CertWorld) -> None:
    index = make_index("good", maximum_version=ssl.TLSVersion.TLSv1_2)
    root = cert_world.path("root.pem")
    assert _handshake(index.port, "127.0.0.1", root)[1].startswith("TLSv1.2 ")
    code, message = _handshake(
        index.port, "127.0.0.1", root, minimum_version=ssl.TLSVersion.TLSv1_3
    )
    assert code == -1 and index.wait_handshake_errors(1), message


def test_ipv6_and_localhost_urls(make_index: MakeIndex, cert_world: CertWorld) -> None:
    assert make_index("good", url_host="localhost").url.startswith("https://localhost:")
    try:
        index = make_index("good", bind="::1")
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    assert index.url == f"https://[::1]:{index.port}/simple/"
    code, message = _handshake(index.port, "::1", cert_world.path("root.pem"), bind="::1")
    assert code is None, message


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_servers_are_gone_after_exit_or_lifetime(cert_world: CertWorld, wheel_dir: Path) -> None:
    with serve_index(wheel_dir, cert_world.server_cert("good")) as index:
        assert not _refused(index.port)
    assert _refused(index.port)
    with serve_index(wheel_dir, cert_world.server_cert("good"), lifetime=0.3) as short:
        time.sleep(1.0)
        assert _refused(short.port)
    with silent_server() as port:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            with pytest.raises(socket.timeout):
                sock.recv(1)
    assert _refused(port)
    assert _refused(closed_port())
    with pytest.raises(ValueError, match="loopback only"):
        with serve_index(wheel_dir, None, bind="0.0.0.0"):
            pass


# --- proxy ---------------------------------------------------------------------------------


def _connect(proxy: Proxy, target: str, auth: Optional[str] = None) -> Tuple[str, socket.socket]:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    header = f"Proxy-Authorization: Basic {auth}\r\n" if auth else ""
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{header}\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    return head.decode("latin-1"), sock


def test_proxy_tunnels_tls_to_the_index(
    make_index: MakeIndex, make_proxy: MakeProxy, cert_world: CertWorld
) -> None:
    index = make_index("good")
    proxy = make_proxy()
    assert proxy.url == f"http://127.0.0.1:{proxy.port}"
    head, sock = _connect(proxy, f"127.0.0.1:{index.port}")
    assert head.startswith("HTTP/1.1 200")
    context = ssl.create_default_context(cafile=str(cert_world.path("root.pem")))
    with context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"GET /simple/ HTTP/1.0\r\n\r\n")
        assert tls.recv(64).startswith(b"HTTP/1.0 200")
    assert proxy.log == [f"127.0.0.1:{index.port}"]


def test_proxy_authentication_and_loopback_only(make_proxy: MakeProxy) -> None:
    target = f"localhost:{closed_port()}"
    proxy = make_proxy(auth=("alice", "s3cret"))
    head, sock = _connect(proxy, target)
    sock.close()
    assert head.startswith("HTTP/1.1 407")
    assert 'Proxy-Authenticate: Basic realm="pipssl-test"' in head
    wrong = base64.b64encode(b"alice:nope").decode()
    assert _connect(proxy, target, wrong)[0].startswith("HTTP/1.1 407")
    right = base64.b64encode(b"alice:s3cret").decode()
    # Right credentials pass the gate; the closed target port then gives 502.
    assert _connect(proxy, target, right)[0].startswith("HTTP/1.1 502")
    for outside in ("192.0.2.1:443", "files.invalid:443"):
        assert _connect(proxy, outside, right)[0].startswith("HTTP/1.1 403")
    assert [status for _, status in proxy.results] == [407, 407, 502, 403, 403]


def test_proxy_answers_tls_with_plain_http(make_proxy: MakeProxy, cert_world: CertWorld) -> None:
    proxy = make_proxy()
    code, message = _handshake(proxy.port, "127.0.0.1", cert_world.path("root.pem"))
    assert code == -1 and "SSL" in message
    assert proxy.log == []


# --- real pip ------------------------------------------------------------------------------

PIPS = reference_pythons()


@pytest.mark.parametrize("which", ["old", "new"])
@pytest.mark.parametrize("trust", ["PIP_CERT", "config", "none"])
def test_real_pip_downloads_only_when_trusting_the_test_root(
    *,
    make_index: MakeIndex,
    cert_world: CertWorld,
    isolated_env: IsolatedEnv,
    tmp_path: Path,
    which: str,
    trust: str,
) -> None:
    if which not in PIPS:
        pytest.skip(f"no interpreter with a {which} pip (24.2 is the line) on this machine")
    python = PIPS[which]
    assert (pip_version(python) >= (24, 2)) == (which == "new")
    index = make_index("good", url_host=url_host_for(python))
    env = dict(os.environ)
    root = cert_world.path("root.pem")
    if trust == "PIP_CERT":
        env["PIP_CERT"] = str(root)
    elif trust == "config":
        isolated_env.write_pip_conf(f"[global]\ncert = {root}\n")
    dest = tmp_path / "dest"
    proc = pip_download(python, index.url, env, dest)
    output = proc.stdout + proc.stderr
    if trust == "none":
        assert proc.returncode != 0
        assert "CERTIFICATE_VERIFY_FAILED" in output
        assert not dest.exists() or not list(dest.iterdir())
    else:
        assert proc.returncode == 0, output
        assert [p.name for p in dest.iterdir()] == [WHEEL]


def test_world_verbs_build_what_they_say(pip_world: World, tmp_path: Path) -> None:
    """The one world builder: the OS store from names and files alike, the user scope,
    pip's trust in the test root, and an index named for the pip it serves."""
    assert not os.environ.get("SSL_CERT_FILE")  # nothing happens before a verb is called
    extra = tmp_path / "extra.pem"
    extra.write_bytes(pip_world.certs.path("intercept.pem").read_bytes())
    import certifi

    roots = Path(certifi.where()).read_bytes()
    by_name = pip_world.os_store("intercept.pem").read_bytes()
    assert pip_world.os_store(extra).read_bytes() == by_name
    assert by_name == roots + b"\n" + extra.read_bytes()
    assert os.environ["SSL_CERT_FILE"] == str(pip_world.store)
    assert os.environ["SSL_CERT_DIR"] == str(pip_world.store_dir) and pip_world.store_dir.is_dir()
    conf = pip_world.trust("timeout = 5\n")
    assert conf == pip_world.isolated.pip_conf_path("env")
    assert (
        conf.read_text() == f"[global]\ncert = {pip_world.certs.path('root.pem')}\ntimeout = 5\n"
    )
    assert pip_world.user_scope() is pip_world and "PIP_CONFIG_FILE" not in os.environ
    for which, python in PIPS.items():
        host = "localhost" if which == "new" else "127.0.0.1"
        assert pip_world.index("good", python).url.startswith(f"https://{host}:"), which
    assert pip_world.index("good").url.startswith("https://127.0.0.1:")


# --- no-ssl Pythons ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "error"),
    [
        ("missing", "ModuleNotFoundError: No module named '_ssl'"),
        ("broken", r"ImportError: libssl\.so\.\S+: cannot open shared object file"),
    ],
)
def test_nossl_python_fails_to_import_ssl_as_intended(
    nossl_python: Callable[[str], Path], variant: str, error: str
) -> None:
    python = nossl_python(variant)
    env = {"PATH": os.environ.get("PATH", "")}
    run = [str(python), "-c", "import ssl"]
    proc = subprocess.run(run, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode != 0 and re.search(error, proc.stderr), proc.stderr
    probe = "import sys, hashlib, zipfile, json, venv; print(sys.prefix)"
    proc = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0 and Path(proc.stdout.strip()) == python.parent.parent
    ensurepip = [str(python), "-m", "ensurepip", "--version"]
    proc = subprocess.run(ensurepip, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0 and proc.stdout.startswith("pip ")
    assert nossl_python(variant) == python  # cached per session
