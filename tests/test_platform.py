"""Tests of pipssl.certs.store: the OS trust store on Linux, macOS and Windows.

Every backend runs here on Linux: macOS's ``security`` and Windows'
``ssl.enum_certificates`` are replaced by recorded output, and every test passes its own
``environ`` so the machine's SSL_CERT_FILE / SSL_CERT_DIR never matter.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

import pytest
import trustme

from pipssl._files import MAX_CA_BYTES
from pipssl.certs.store import (
    OsStore,
    StoreSource,
    linux,
    macos,
    os_store,
    windows,
)

ROOT = Path(__file__).resolve().parent.parent
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4"


@pytest.fixture(scope="module")
def pems() -> List[str]:
    """Five distinct CA certificates in PEM, as a real store would hold."""
    return [trustme.CA().cert_pem.bytes().decode("ascii") for _ in range(5)]


def ders(pem_list: Sequence[str]) -> List[bytes]:
    return [ssl.PEM_cert_to_DER_cert(pem) for pem in pem_list]


def fake_verify_paths(monkeypatch: pytest.MonkeyPatch, cafile: Path, capath: Path) -> None:
    """Make OpenSSL's compiled-in paths point into the test's temp dir."""
    paths = ssl.DefaultVerifyPaths(
        "", "", "SSL_CERT_FILE", str(cafile), "SSL_CERT_DIR", str(capath)
    )
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: paths)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="ascii")
    return path


# --- Linux -----------------------------------------------------------------------------


def test_ssl_cert_file_and_dir_are_the_whole_store(tmp_path: Path, pems: List[str]) -> None:
    bundle = write(tmp_path / "corp.pem", pems[0] + pems[1])
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": str(empty)}

    store = os_store(platform="linux", environ=env)

    assert store.sources == (
        StoreSource("file", str(bundle), "SSL_CERT_FILE"),
        StoreSource("dir", str(empty), "SSL_CERT_DIR"),
    )
    assert store.pem == pems[0] + pems[1]
    assert store.errors == ()


def test_ssl_cert_file_alone_keeps_openssl_default_dir_and_no_distro_bundle(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    default_dir = tmp_path / "default-certs"
    default_dir.mkdir()
    write(default_dir / "11111111.0", pems[2])
    # The compiled-in file is missing, yet a set SSL_CERT_FILE keeps distro bundles out.
    fake_verify_paths(monkeypatch, tmp_path / "missing.pem", default_dir)
    distro = write(tmp_path / "distro.crt", pems[3])
    monkeypatch.setattr(linux, "DISTRO_BUNDLES", ((str(distro), "distro bundle (test)"),))
    bundle = write(tmp_path / "corp.pem", pems[0])

    store = os_store(platform="linux", environ={"SSL_CERT_FILE": str(bundle)})

    assert store.sources == (
        StoreSource("file", str(bundle), "SSL_CERT_FILE"),
        StoreSource("dir", str(default_dir), "openssl default"),
    )
    assert store.pem == pems[0] + pems[2]
    assert store.errors == ()


def test_ssl_cert_dir_reads_hashed_names_only_and_each_file_once(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    default_file = write(tmp_path / "default.pem", pems[4])
    fake_verify_paths(monkeypatch, default_file, tmp_path / "no-such-dir")
    certs = tmp_path / "certs"
    certs.mkdir()
    write(certs / "abcd1234.0", pems[0])
    write(certs / "ABCD1234.1", pems[1])
    write(certs / "corp.pem", pems[2])
    write(certs / "extra.CRT", pems[3])
    # A hashed-name symlink to a file of the same directory, as c_rehash makes them.
    (certs / "0123abcd.0").symlink_to("corp.pem")
    write(certs / "abcd1234.r0", "-----BEGIN X509 CRL-----\nnot read\n-----END X509 CRL-----\n")
    write(certs / "README", "not a certificate")

    store = os_store(platform="linux", environ={"SSL_CERT_DIR": str(certs)})

    assert store.sources == (
        StoreSource("file", str(default_file), "openssl default"),
        StoreSource("dir", str(certs), "SSL_CERT_DIR"),
    )
    # OpenSSL looks CAs up by <hash>.<n> alone: 0123abcd.0 (-> corp.pem), ABCD1234.1,
    # abcd1234.0; extra.CRT, with no hashed name, is never found.
    assert store.pem == pems[4] + pems[2] + pems[1] + pems[0]
    assert store.errors == ()


def test_ssl_cert_dir_may_list_several_directories(tmp_path: Path, pems: List[str]) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write(first / "aaaaaaaa.0", pems[0])
    write(second / "bbbbbbbb.0", pems[1])
    bundle = write(tmp_path / "empty-bundle.pem", pems[2])
    env = {
        "SSL_CERT_FILE": str(bundle),
        "SSL_CERT_DIR": os.pathsep.join([str(first), "", str(second)]),
    }

    store = os_store(platform="linux", environ=env)

    assert [s.location for s in store.sources] == [str(bundle), str(first), str(second)]
    assert store.pem == pems[2] + pems[0] + pems[1]


def test_defaults_on_this_machine_are_not_empty() -> None:
    store = os_store(platform="linux", environ={})

    origins = {"openssl default"} | {origin for _path, origin in linux.DISTRO_BUNDLES}
    assert store.pem.strip()
    assert "-----BEGIN CERTIFICATE-----" in store.pem
    assert store.sources
    for source in store.sources:
        assert source.origin in origins
        assert source.kind in ("file", "dir")
        assert os.path.exists(source.location)
    assert not any(s.origin.startswith("SSL_CERT") for s in store.sources)


def test_default_file_present_means_no_distro_bundle(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    default_file = write(tmp_path / "cert.pem", pems[0])
    default_dir = tmp_path / "certs"
    default_dir.mkdir()
    fake_verify_paths(monkeypatch, default_file, default_dir)
    distro = write(tmp_path / "distro.crt", pems[1])
    monkeypatch.setattr(linux, "DISTRO_BUNDLES", ((str(distro), "distro bundle (test)"),))

    store = os_store(platform="linux", environ={})

    assert store.sources == (
        StoreSource("file", str(default_file), "openssl default"),
        StoreSource("dir", str(default_dir), "openssl default"),
    )
    assert store.pem == pems[0]


def test_default_file_missing_falls_back_to_first_existing_distro_bundle(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_verify_paths(monkeypatch, tmp_path / "missing.pem", tmp_path / "missing-dir")
    second = write(tmp_path / "second.crt", pems[1])
    third = write(tmp_path / "third.crt", pems[2])
    candidates = (
        (str(tmp_path / "first.crt"), "distro bundle (first)"),
        (str(second), "distro bundle (second)"),
        (str(third), "distro bundle (third)"),
    )
    monkeypatch.setattr(linux, "DISTRO_BUNDLES", candidates)

    store = os_store(platform="linux", environ={})

    assert store.sources == (StoreSource("file", str(second), "distro bundle (second)"),)
    assert store.pem == pems[1]
    assert store.errors == ()


def test_distro_list_is_truststores_candidate_list_in_its_order() -> None:
    # truststore's _CA_FILE_CANDIDATES (0.10.5, in pip 26.3): the first existing one is used
    assert [path for path, _origin in linux.DISTRO_BUNDLES] == [
        "/etc/ssl/cert.pem",
        "/etc/pki/tls/cert.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/ssl/ca-bundle.pem",
    ]


def test_problem_files_become_error_lines(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    write(certs / "aaaaaaaa.0", pems[0])
    (certs / "bbbbbbbb.0").symlink_to(tmp_path / "gone.pem")  # dangling
    with open(certs / "cccccccc.0", "wb") as handle:  # sparse: no disk used
        handle.truncate(MAX_CA_BYTES + 1)
    (certs / "dddddddd.0").write_bytes(ssl.PEM_cert_to_DER_cert(pems[1]))  # DER, not PEM
    (certs / "eeeeeeee.0").mkdir()
    locked = write(certs / "ffffffff.0", pems[2])
    write(certs / "ffffffff.1", pems[3])
    real_open = os.open

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    # pipssl reads every file through pipssl._files, which opens with os.open
    monkeypatch.setattr(os, "open", guarded_open)
    env = {"SSL_CERT_FILE": str(tmp_path / "missing.pem"), "SSL_CERT_DIR": str(certs)}

    store = os_store(platform="linux", environ=env)

    assert store.pem == pems[0] + pems[3]
    assert len(store.errors) == 6
    missing, dangling, big, der, directory, denied = store.errors
    assert missing.startswith(str(tmp_path / "missing.pem")) and "No such file" in missing
    assert dangling.startswith(str(certs / "bbbbbbbb.0")) and "cannot read" in dangling
    assert big.startswith(str(certs / "cccccccc.0")) and "limit" in big
    assert der.startswith(str(certs / "dddddddd.0")) and "no PEM" in der
    assert directory.startswith(str(certs / "eeeeeeee.0")) and "not a regular file" in directory
    assert denied == f"{locked}: cannot read: Permission denied"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads mode-000 files"
)
def test_mode_000_file_is_an_error(tmp_path: Path, pems: List[str]) -> None:
    bundle = write(tmp_path / "locked.pem", pems[0])
    bundle.chmod(0)
    empty = tmp_path / "empty"
    empty.mkdir()
    try:
        store = os_store(
            platform="linux", environ={"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": str(empty)}
        )
    finally:
        bundle.chmod(0o600)
    assert store.pem == ""
    assert store.errors == (f"{bundle}: cannot read: Permission denied",)


def test_env_vars_set_but_empty_or_pointing_at_missing_dir(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"SSL_CERT_FILE": "", "SSL_CERT_DIR": str(tmp_path / "nope")}

    # OpenSSL's default paths alone (urllib3's load_default_certs) give nothing ...
    store = linux.store(env, fallback=False)

    assert store.sources == (
        StoreSource("file", "", "SSL_CERT_FILE"),
        StoreSource("dir", str(tmp_path / "nope"), "SSL_CERT_DIR"),
    )
    assert store.pem == ""
    assert store.errors[0] == "SSL_CERT_FILE is set but empty: OpenSSL reads nothing from it"
    assert "cannot list directory" in store.errors[1]
    # ... and truststore, finding neither a file nor hashed names, takes the first bundle
    distro = write(tmp_path / "distro.crt", pems[1])
    monkeypatch.setattr(linux, "DISTRO_BUNDLES", ((str(distro), "distro bundle (test)"),))
    store = os_store(platform="linux", environ=env)
    assert store.sources == (StoreSource("file", str(distro), "distro bundle (test)"),)
    assert store.pem == pems[1]


def test_truststore_takes_the_defaults_for_a_hashed_dir_even_when_the_file_is_missing(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    write(certs / "aaaaaaaa.0", pems[0])
    distro = write(tmp_path / "distro.crt", pems[1])
    monkeypatch.setattr(linux, "DISTRO_BUNDLES", ((str(distro), "distro bundle (test)"),))
    env = {"SSL_CERT_FILE": str(tmp_path / "gone.pem"), "SSL_CERT_DIR": str(certs)}

    store = os_store(platform="linux", environ=env)

    # the directory holds hashed names: OpenSSL's defaults, the missing file skipped
    assert [s.location for s in store.sources] == [str(tmp_path / "gone.pem"), str(certs)]
    assert store.pem == pems[0]
    # a directory of *.pem without hashed names counts as empty: the distro bundle instead
    (certs / "aaaaaaaa.0").rename(certs / "corp.pem")
    store = os_store(platform="linux", environ=env)
    assert store.sources == (StoreSource("file", str(distro), "distro bundle (test)"),)


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "fifo.pem"
    os.mkfifo(fifo)
    empty = tmp_path / "empty"
    empty.mkdir()

    store = linux.store({"SSL_CERT_FILE": str(fifo), "SSL_CERT_DIR": str(empty)}, fallback=False)

    assert store.errors == (f"{fifo}: not a regular file, skipped",)


def test_without_ssl_module_env_vars_are_still_honoured(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ssl", None)  # makes `import ssl` raise ImportError
    bundle = write(tmp_path / "corp.pem", pems[0])

    store = os_store(platform="linux", environ={"SSL_CERT_FILE": str(bundle)})

    # No compiled-in directory is known without ssl, so the file is the whole store.
    assert store == OsStore((StoreSource("file", str(bundle), "SSL_CERT_FILE"),), pems[0], ())


def test_without_ssl_module_distro_bundle_is_used(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ssl", None)
    distro = write(tmp_path / "distro.crt", pems[1])
    candidates = ((str(tmp_path / "absent.crt"), "distro bundle (a)"), (str(distro), "distro (b)"))
    monkeypatch.setattr(linux, "DISTRO_BUNDLES", candidates)

    store = os_store(platform="linux", environ={})

    assert store == OsStore((StoreSource("file", str(distro), "distro (b)"),), pems[1], ())


def test_every_backend_imports_and_runs_without_ssl() -> None:
    code = (
        "import sys; sys.modules['ssl'] = None\n"
        "from pipssl.certs.store import os_store, linux, macos, windows\n"
        "store = os_store(platform='win32', environ={})\n"
        "print(store.errors[0])\n"
        "print(linux.store({'SSL_CERT_FILE': ''}, fallback=False).errors[0])\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "PYTHONNOUSERSITE": "1"}
    proc = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=str(ROOT),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "the ssl module is missing: cannot read the Windows stores",
        "SSL_CERT_FILE is set but empty: OpenSSL reads nothing from it",
    ]


def test_default_platform_and_environ_are_the_running_ones(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if sys.platform in ("darwin", "win32"):
        pytest.skip("checks the Unix backend")
    bundle = write(tmp_path / "corp.pem", pems[0])
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty))

    store = os_store()

    assert store.pem == pems[0]
    assert os_store(platform="freebsd14", environ={}).sources  # other Unixes: same backend


# --- macOS -----------------------------------------------------------------------------

SECURITY = "security"
SYSTEM_ROOTS = "/System/Library/Keychains/SystemRootCertificates.keychain"
SYSTEM = "/Library/Keychains/System.keychain"
Runner = Callable[[Sequence[str], float], Tuple[int, str, str]]


def mac_home(tmp_path: Path, login: bool = True) -> Dict[str, str]:
    home = tmp_path / "home"
    keychains = home / "Library" / "Keychains"
    keychains.mkdir(parents=True)
    if login:
        (keychains / "login.keychain-db").write_bytes(b"kych")
    return {"HOME": str(home)}


def recorded_runner(outputs: Dict[str, Any], calls: List[Tuple[List[str], float]]) -> Runner:
    """A stand-in for `security`: keychain path -> stdout text, (status, stderr) or exception."""

    def run(argv: Sequence[str], timeout: float) -> Tuple[int, str, str]:
        calls.append((list(argv), timeout))
        result = outputs[argv[-1]]
        if isinstance(result, BaseException):
            raise result
        if isinstance(result, tuple):
            return result[0], "", result[1]
        return 0, result, ""

    return run


def test_macos_reads_the_three_keychains(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = mac_home(tmp_path)
    login = os.path.join(env["HOME"], "Library", "Keychains", "login.keychain-db")
    # `security find-certificate -a -p` prints the PEM blocks back to back.
    calls: List[Tuple[List[str], float]] = []
    outputs = {SYSTEM_ROOTS: pems[0] + pems[1], SYSTEM: pems[2], login: ""}
    monkeypatch.setattr(macos, "run_security", recorded_runner(outputs, calls))

    store = os_store(platform="darwin", environ=env)

    assert store.sources == (
        StoreSource("keychain", SYSTEM_ROOTS, "SystemRootCertificates.keychain"),
        StoreSource("keychain", SYSTEM, "System.keychain"),
        StoreSource("keychain", login, "login keychain"),
    )
    assert store.pem == pems[0] + pems[1] + pems[2]
    assert store.errors == ()
    assert calls == [
        ([SECURITY, "find-certificate", "-a", "-p", SYSTEM_ROOTS], 10.0),
        ([SECURITY, "find-certificate", "-a", "-p", SYSTEM], 10.0),
        ([SECURITY, "find-certificate", "-a", "-p", login], 10.0),
    ]


def test_macos_without_login_keychain_reads_system_ones(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: List[Tuple[List[str], float]] = []
    outputs = {SYSTEM_ROOTS: pems[0], SYSTEM: pems[1].rstrip("\n")}
    monkeypatch.setattr(macos, "run_security", recorded_runner(outputs, calls))

    store = os_store(platform="darwin", environ=mac_home(tmp_path, login=False))

    assert [s.location for s in store.sources] == [SYSTEM_ROOTS, SYSTEM]
    assert store.pem == pems[0] + pems[1]


def test_macos_one_keychain_failing_is_an_error_line(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = mac_home(tmp_path)
    login = os.path.join(env["HOME"], "Library", "Keychains", "login.keychain-db")
    calls: List[Tuple[List[str], float]] = []
    outputs = {
        SYSTEM_ROOTS: pems[0],
        SYSTEM: (
            50,
            "security: SecKeychainSearchCopyNext: The specified keychain could not be found.\n",
        ),
        login: subprocess.TimeoutExpired(["security"], 10.0),
    }
    monkeypatch.setattr(macos, "run_security", recorded_runner(outputs, calls))

    store = os_store(platform="darwin", environ=env)

    assert len(store.sources) == 3
    assert store.pem == pems[0]
    assert store.errors == (
        f"{SYSTEM}: `security` exited with 50: security: SecKeychainSearchCopyNext: "
        "The specified keychain could not be found.",
        f"{login}: `security` took more than 10 s, skipped",
    )


def test_macos_security_missing_is_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: List[Tuple[List[str], float]] = []
    outputs = {SYSTEM_ROOTS: FileNotFoundError(2, "No such file or directory", "security")}
    monkeypatch.setattr(macos, "run_security", recorded_runner(outputs, calls))

    store = os_store(platform="darwin", environ=mac_home(tmp_path))

    assert store.sources == (
        StoreSource("keychain", SYSTEM_ROOTS, "SystemRootCertificates.keychain"),
    )
    assert store.pem == ""
    assert store.errors == ("`security` command not found: cannot read the macOS keychains",)
    assert len(calls) == 1


def test_macos_other_os_errors_and_huge_output(
    tmp_path: Path, pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: List[Tuple[List[str], float]] = []
    outputs = {
        SYSTEM_ROOTS: PermissionError(13, "Permission denied", "security"),
        SYSTEM: "x" * (MAX_CA_BYTES + 1),
    }
    monkeypatch.setattr(macos, "run_security", recorded_runner(outputs, calls))

    store = os_store(platform="darwin", environ=mac_home(tmp_path, login=False))

    assert store.pem == ""
    assert store.errors == (
        f"{SYSTEM_ROOTS}: cannot run `security`: Permission denied",
        f"{SYSTEM}: more than {MAX_CA_BYTES} bytes of output, skipped",
    )


@pytest.mark.skipif(shutil.which("security") is not None, reason="a real `security` is here")
def test_macos_backend_on_a_machine_without_security(tmp_path: Path) -> None:
    store = os_store(platform="darwin", environ=mac_home(tmp_path))

    assert store.errors == ("`security` command not found: cannot read the macOS keychains",)


def test_run_security_runs_a_command_with_a_timeout() -> None:
    status, out, err = macos.run_security(
        [sys.executable, "-c", "import sys; print('out'); sys.stderr.write('err'); sys.exit(3)"],
        30.0,
    )
    assert (status, out.strip(), err) == (3, "out", "err")
    with pytest.raises(subprocess.TimeoutExpired):
        macos.run_security([sys.executable, "-c", "import time; time.sleep(30)"], 0.5)


# --- Windows ---------------------------------------------------------------------------


def test_windows_keeps_x509_certificates_trusted_for_servers(
    pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = ders(pems)
    entries: Dict[str, List[Tuple[Any, str, Any]]] = {
        "ROOT": [
            (d[0], "x509_asn", True),
            (d[1], "x509_asn", {SERVER_AUTH}),
            (d[2], "x509_asn", {EMAIL_PROTECTION}),  # mail only: not for TLS servers
            (b"\x30\x03\x02\x01\x00", "pkcs_7_asn", True),  # not a certificate
        ],
        "CA": [
            (d[3], "x509_asn", set()),
            (bytearray(d[4]), "x509_asn", frozenset({CLIENT_AUTH, SERVER_AUTH})),
        ],
    }
    asked: List[str] = []

    def fake_enum(store_name: str) -> List[Tuple[Any, str, Any]]:
        asked.append(store_name)
        return entries[store_name]

    monkeypatch.setattr(ssl, "enum_certificates", fake_enum, raising=False)

    store = os_store(platform="win32", environ={})

    assert asked == ["ROOT", "CA"]
    assert [(s.kind, s.location) for s in store.sources] == [
        ("windows-store", "ROOT"),
        ("windows-store", "CA"),
    ]
    assert store.pem == pems[0] + pems[1] + pems[4]
    assert store.errors == ()


def test_windows_unreadable_store_is_an_error_line(
    pems: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_enum(store_name: str) -> List[Tuple[bytes, str, Any]]:
        if store_name == "CA":
            raise PermissionError(5, "Access is denied")
        return [(ders(pems)[0], "x509_asn", True)]

    monkeypatch.setattr(ssl, "enum_certificates", fake_enum, raising=False)

    store = os_store(platform="win32", environ={})

    assert store.pem == pems[0]
    assert store.errors == ("Windows store CA: cannot read: Access is denied",)


def test_windows_backend_without_enum_certificates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(ssl, "enum_certificates", raising=False)

    store = os_store(platform="win32", environ={})

    assert store.pem == ""
    assert store.errors == ("ssl.enum_certificates is missing: not a Windows build of Python",)


def test_windows_backend_without_ssl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ssl", None)

    store = windows.store()

    assert len(store.sources) == 2
    assert store.errors == ("the ssl module is missing: cannot read the Windows stores",)


@pytest.mark.parametrize("size", [1, 47, 48, 49, 95, 96, 97, 1000])
def test_der_to_pem_matches_the_ssl_module(size: int) -> None:
    der = bytes(range(256)) * 4
    assert windows.der_to_pem(der[:size]) == ssl.DER_cert_to_PEM_cert(der[:size])


def test_der_to_pem_round_trips_real_certificates(pems: List[str]) -> None:
    for pem, der in zip(pems, ders(pems)):
        assert windows.der_to_pem(der) == pem
