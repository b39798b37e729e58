"""Bad input, given the way a user gives it: each case runs ``python -m pipssl`` in its own
process (a real pip 23.0.1 behind ``--python``, a loopback index that needs a CA) and must
end with exit 2, a first stderr line ``pipssl: error: ...`` naming what is wrong (one
``hint:`` line may follow), no traceback, nothing on stdout although ``--json`` was asked
for (the error goes to stderr; stdout stays for data), and not one byte, mode, link or
new file changed anywhere under the test's directory (home, config dirs, pipssl's state
and data dirs, the inputs).

Some inputs only look bad (a CRLF pip.conf, a DER CA, text between PEM blocks, non-ASCII
paths, credentials in a URL or a proxy): those cases check that they are handled right.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import pytest
from bed.certs import CertWorld, hashed_ca_dir
from bed.isolation import IsolatedEnv
from bed.pip import pip_download
from bed.refusal import check_refusal
from bed.world import World
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from targets import run_pipssl

pytestmark = pytest.mark.once

SECRET = "s3cret-Pa55"
BIG_FILE = 50 * 1024 * 1024
DAY = datetime.timedelta(days=1)


def snapshot(root: Path) -> Dict[str, str]:
    """Every entry under ``root``: kind, mode and content (links are not followed).

    Files over 1 MB are compared by size and mtime, so the 50 MB input is not read twice.
    """
    out = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            mode = oct(stat.S_IMODE(info.st_mode))
            if stat.S_ISLNK(info.st_mode):
                out[path] = "link -> " + os.readlink(path)
            elif stat.S_ISDIR(info.st_mode):
                out[path] = "dir " + mode
            elif not stat.S_ISREG(info.st_mode):
                out[path] = f"special {mode} {stat.S_IFMT(info.st_mode)}"
            elif info.st_size > 1024 * 1024:
                out[path] = f"file {mode} {info.st_size} {info.st_mtime_ns}"
            else:
                with open(path, "rb") as handle:
                    out[path] = f"file {mode} " + hashlib.sha256(handle.read()).hexdigest()
    return out


def files_containing(root: Path, needle: str) -> List[str]:
    found = []
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and info.st_size < 1024 * 1024:
                with open(path, "rb") as handle:
                    if needle.encode() in handle.read():
                        found.append(path)
    return found


def sha256_colons(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


def der_of(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def self_signed_ca(not_before: datetime.datetime, not_after: datetime.datetime) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pipssl bad-input CA (test)")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


class Case:
    """One user's world: the legacy pip, an index whose chain ends in ``ca``, the files."""

    def __init__(
        self,
        tmp: Path,
        isolated: IsolatedEnv,
        python: Path,
        url: str,
        certs: CertWorld,
    ) -> None:
        self.tmp = tmp  # the whole test directory: isolated root, inputs, OS store
        self.isolated = isolated
        self.python = python
        self.url = url
        self.certs = certs
        self.ca = certs.path("intercept.pem")
        self.inputs = tmp / "in"
        self.inputs.mkdir()
        self.state = isolated.home / ".local" / "state" / "pipssl"
        self.bundle = isolated.home / ".local" / "share" / "pipssl" / "ca-bundle.pem"

    def put(self, name: str, data: bytes) -> Path:
        path = self.inputs / name
        path.write_bytes(data)
        return path

    def repair(self, *extra: str, url: Optional[str] = None, ca: bool = True) -> List[str]:
        """``pipssl repair --yes --json`` at the user scope, trusting the right CA unless
        ``ca`` is False (the case then gives its own ``--ca``)."""
        args = ["repair", "--yes", "--json", "--scope", "user", "--python", str(self.python)]
        args += ["--index-url", url or self.url]
        if ca:
            args += ["--ca", str(self.ca)]
        return args + list(extra)

    def refused(
        self,
        args: Sequence[str],
        names: str,
        *,
        env: Optional[Dict[str, str]] = None,
        prefix: Sequence[str] = (),
        secret: Optional[str] = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        """Run pipssl and check the promises for bad input: exit 2; one error line naming
        ``names``, then a hint; no traceback; under ``--json``, stdout is the error object
        (the same two lines as data); nothing under the test directory changed; ``secret``
        shown and stored nowhere."""
        before = snapshot(self.tmp)
        proc = run_pipssl(*args, env=env, prefix=prefix, timeout=timeout)
        both = proc.stdout + proc.stderr
        assert "--json" in args
        check_refusal(proc, names)
        assert snapshot(self.tmp) == before
        if secret is not None:
            assert secret not in both
            assert files_containing(self.isolated.root, secret) == []
        return proc


@pytest.fixture
def case(tmp_path: Path, venvs: Dict[str, Path], pip_world: World) -> Case:
    """User scope (no PIP_CONFIG_FILE); the OS store is certifi alone."""
    pip_world.user_scope().os_store()
    python = venvs["legacy"]
    index = pip_world.index("intercepted", python)
    return Case(tmp_path, pip_world.isolated, python, index.url, pip_world.certs)


# --- pip configuration files --------------------------------------------------------------

BROKEN_CONFIGS = {
    "no-section-header": b"cert = /etc/corp.pem\n[global]\ntimeout = 30\n",
    "line-not-key-value": b"[global]\ntimeout = 30\nthis line sets nothing\n",
    "not-utf8": "[global]\n# proxy of the caf\xe9\ntimeout = 30\n".encode("latin-1"),
    "binary-nul-bytes": b"\x00\x00\x00\x00PK\x03\x04\x14\x00\x08\x00\x00\x00\n\x00",
    "duplicate-section": b"[global]\ntimeout = 30\n\n[global]\nretries = 1\n",
    "duplicate-key": b"[global]\ncert = /etc/a.pem\ncert = /etc/b.pem\n",
    "utf8-byte-order-mark": b"\xef\xbb\xbf[global]\ntimeout = 30\n",
}


@pytest.mark.parametrize("kind", BROKEN_CONFIGS)
def test_broken_pip_conf_is_refused(case: Case, kind: str) -> None:
    """pip itself refuses each of these files (configparser, strict), so pipssl must not
    edit around them: it names the file and line, and writes nothing."""
    path = case.isolated.pip_conf_path("user")
    path.parent.mkdir(parents=True)
    path.write_bytes(BROKEN_CONFIGS[kind])
    case.refused(case.repair(), str(path))


@pytest.mark.parametrize("kind", BROKEN_CONFIGS)
def test_doctor_reports_a_pip_conf_pip_refuses(case: Case, kind: str) -> None:
    """A config file is no command-line input: doctor reports the file pip refuses, with
    its line and the real pip's own words, and guesses nothing around it (exit 1)."""
    path = case.isolated.pip_conf_path("user")
    path.parent.mkdir(parents=True)
    path.write_bytes(BROKEN_CONFIGS[kind])
    before = snapshot(case.tmp)
    args = ["doctor", "--json", "--python", str(case.python), "--index-url", case.url]
    proc = run_pipssl(*args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert [f["code"] for f in data["findings"]] == ["pip-config-invalid"]
    (found,) = data["findings"]
    assert found["target"] == str(path) and found["fix"]
    said = found["detail"].split("\nthe real pip says: ")[1]
    assert "Configuration file" in said, found["detail"]  # pip's own words: it refuses
    assert snapshot(case.tmp) == before
    # the twin: the same file made valid
    path.write_bytes(b"[global]\ntimeout = 30\n")
    proc = run_pipssl(*args)
    data = json.loads(proc.stdout)
    assert "pip-config-invalid" not in [f["code"] for f in data["findings"]], proc.stdout


def test_cert_naming_a_directory_is_a_ca_directory_not_bad_input(case: Case) -> None:
    """requests gives pip a directory as OpenSSL's capath: pip 23.0 verifies with a hashed
    one, and fails with one OpenSSL finds nothing in; doctor says the same, never exit 2."""
    directory = case.inputs / "certs.d"
    directory.mkdir()
    conf = case.isolated.write_pip_conf(f"[global]\ncert = {directory}\n", "user")
    args = ["doctor", "--json", "--python", str(case.python), "--index-url", case.url]
    proc = run_pipssl(*args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (found,) = [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "cafile-empty"]
    assert found["target"] == str(directory) and found["severity"] == "error"
    assert str(conf) in found["summary"] and "openssl rehash" in found["fix"]
    env = dict(os.environ)
    assert pip_download(case.python, case.url, env, case.tmp / "a").returncode != 0
    # twin: the CA with its hashed name
    hashed_ca_dir(directory, case.ca.read_bytes())
    proc = run_pipssl(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["findings"] == []
    done = pip_download(case.python, case.url, env, case.tmp / "b")
    assert done.returncode == 0, done.stderr


def test_pip_config_file_naming_a_directory_is_refused(case: Case) -> None:
    """pip skips the user files when PIP_CONFIG_FILE exists, even as a directory, and reads
    nothing from the directory: no user-scope edit can work there."""
    directory = case.inputs / "pip-config.d"
    directory.mkdir()
    proc = case.refused(
        case.repair(),
        f"PIP_CONFIG_FILE={directory}",
        env=dict(os.environ, PIP_CONFIG_FILE=str(directory)),
    )
    assert "is a directory" in proc.stderr


def test_crlf_pip_conf_is_valid_and_keeps_its_line_endings(case: Case) -> None:
    """Not bad input: pip reads CRLF files (Windows editors write them). The repair must
    succeed, add its line with CRLF too, and keep every other byte."""
    before = (
        b"# written on Windows\r\n[global]\r\ntimeout = 30\r\n\r\n"
        b"[install]\r\nno-compile = yes\r\n"
    )
    path = case.isolated.pip_conf_path("user")
    path.parent.mkdir(parents=True)
    path.write_bytes(before)
    proc = run_pipssl(*case.repair())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = path.read_bytes()
    line = f"cert = {case.bundle}\r\n".encode()
    assert after == before.replace(b"timeout = 30\r\n", b"timeout = 30\r\n" + line)
    assert run_pipssl("undo", "--json").returncode == 0
    assert path.read_bytes() == before


# --- CA files given with --ca ----------------------------------------------------------------


def _expired(case: Case) -> Path:
    now = datetime.datetime.now(datetime.timezone.utc)
    return case.put("expired-ca.pem", self_signed_ca(now - 60 * DAY, now - DAY))


def _not_yet_valid(case: Case) -> Path:
    now = datetime.datetime.now(datetime.timezone.utc)
    return case.put("future-ca.pem", self_signed_ca(now + DAY, now + 60 * DAY))


def _directory(case: Case) -> Path:
    path = case.inputs / "ca.d"
    path.mkdir()
    return path


def _fifo(case: Case) -> Path:
    path = case.inputs / "ca.fifo"
    os.mkfifo(path)  # opening it would block for ever: it must not be opened
    return path


def _truncated(case: Case) -> Path:
    pem = case.ca.read_bytes()
    return case.put("truncated.pem", pem[: pem.index(b"-----END")])


#: Each bad CA file, and the reference its refusal carries: the finding code of the same
#: fault for the file itself (as the README promises), usage-error for a certificate that
#: is not a CA valid now.
BAD_CA_FILES: Dict[str, Tuple[Callable[[Case], Path], str]] = {
    "empty": (lambda c: c.put("empty.pem", b""), "cafile-empty"),
    "blank-lines-only": (lambda c: c.put("blank.pem", b"\n \n\t\n"), "cafile-empty"),
    "text-without-certificate": (
        lambda c: c.put("notes.pem", b"ask IT for the CA file\n"),
        "cafile-empty",
    ),
    "bad-base64": (
        lambda c: c.put(
            "bad64.pem",
            b"-----BEGIN CERTIFICATE-----\n!!not*base64!!\n-----END CERTIFICATE-----\n",
        ),
        "ca-not-a-certificate",
    ),
    "no-end-line": (_truncated, "ca-not-a-certificate"),
    "utf16-text": (
        lambda c: c.put("utf16.pem", c.ca.read_text().encode("utf-16")),
        "cafile-unreadable",
    ),
    "leaf-not-a-ca": (lambda c: c.certs.path("good.leaf.pem"), "usage-error"),
    "expired-ca": (_expired, "usage-error"),
    "not-yet-valid-ca": (_not_yet_valid, "usage-error"),
    "missing-file": (lambda c: c.inputs / "no-such-ca.pem", "cafile-missing"),
    "directory": (_directory, "cafile-is-directory"),
    "named-pipe": (_fifo, "cafile-unreadable"),
    "path-of-4000-chars": (lambda c: c.inputs / ("c" * 4000 + ".pem"), "cafile-unreadable"),
}


@pytest.mark.parametrize("kind", BAD_CA_FILES)
def test_bad_ca_file_is_refused(case: Case, kind: str) -> None:
    make, reference = BAD_CA_FILES[kind]
    path = make(case)
    proc = case.refused(case.repair("--ca", str(path), ca=False), f"--ca {path}")
    assert json.loads(proc.stdout)["error"]["reference"] == reference


@pytest.mark.parametrize("with_cert", [False, True], ids=["key-alone", "cert-and-key"])
def test_ca_file_holding_a_private_key_is_refused_and_the_key_goes_nowhere(
    case: Case, with_cert: bool
) -> None:
    key = case.certs.path("intercepted.key.pem").read_bytes()
    path = case.put("with-key.pem", (case.ca.read_bytes() if with_cert else b"") + key)
    body = b"".join(key.splitlines()[1:-1]).decode()
    proc = case.refused(case.repair("--ca", str(path), ca=False), str(path), secret=body[:40])
    assert "private key" in proc.stderr
    assert json.loads(proc.stdout)["error"]["reference"] == "private-key-in-file"
    for line in key.splitlines()[1:-1]:
        assert line.decode() not in proc.stderr
        assert files_containing(case.isolated.root, line.decode()) == []


def test_ca_file_of_50_mb_is_refused_quickly(case: Case) -> None:
    """A CA bundle is a few hundred KB (certifi's is ~300 KB): a huge file is refused by
    its size, before it is read."""
    path = case.inputs / "huge.pem"
    with open(path, "wb") as handle:
        handle.truncate(BIG_FILE)  # sparse: quick to make
    start = time.monotonic()
    proc = case.refused(case.repair("--ca", str(path), ca=False), str(path), timeout=30)
    elapsed = time.monotonic() - start
    assert "too large" in proc.stderr
    assert elapsed < 10, f"took {elapsed:.1f} s"


def test_unreadable_ca_file_is_refused(case: Case) -> None:
    """Mode 000. Root reads anything, so as root the child runs in a user namespace where
    it is uid 1000 owning the same files: the owner's permission bits apply again."""
    path = case.put("secret-ca.pem", case.ca.read_bytes())
    path.chmod(0)
    prefix: List[str] = []
    if os.geteuid() == 0:
        unshare = shutil.which("unshare")
        if unshare is None:
            pytest.skip("running as root without unshare: a mode 000 file is readable")
        prefix = [unshare, "-U", "--map-user=1000", "--map-group=1000"]
        probe = subprocess.run([*prefix, "cat", str(path)], capture_output=True, timeout=30)
        if probe.returncode == 0:
            pytest.skip("unshare -U did not drop root's override of permission bits")
    proc = case.refused(case.repair("--ca", str(path), ca=False), f"--ca {path}", prefix=prefix)
    assert "cannot be read" in proc.stderr


def test_der_ca_is_accepted_and_stored_as_pem(case: Case) -> None:
    """Not bad input: Windows' certificate export writes DER by default. pipssl converts
    it: the bundle holds the same certificate as PEM, and pip verifies."""
    der = der_of(case.ca.read_bytes())
    path = case.put("corp-root.cer", der)
    proc = run_pipssl(*case.repair("--ca", str(path), ca=False))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = case.bundle.read_text()
    assert f"# sha256: {sha256_colons(der)}" in text
    assert f"named by the user: {path}" in text
    assert base64.b64encode(der).decode()[:64] in text


def test_text_between_pem_blocks_is_ignored_as_openssl_does(case: Case) -> None:
    """Not bad input: OpenSSL (so pip) skips text around PEM blocks, and files exported
    with `openssl x509 -text` carry such text. Both CAs are taken, the text never is."""
    garbage = b"Certificate:\n    Data: zz-GARBAGE-zz\n    Serial Number: 01:02\n"
    root = case.certs.path("root.pem").read_bytes()
    path = case.put("annotated.pem", garbage + case.ca.read_bytes() + garbage + root + garbage)
    proc = run_pipssl(*case.repair("--ca", str(path), ca=False))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = case.bundle.read_text()
    named = re.findall(
        r"# source: consented [0-9-]{10}, named by the user: .*\n# subject: .*\n# sha256: (.*)\n",
        text,
    )
    assert named == [sha256_colons(der_of(case.ca.read_bytes())), sha256_colons(der_of(root))]
    assert "zz-GARBAGE-zz" not in text and "Serial Number" not in text
    assert files_containing(case.isolated.root, "zz-GARBAGE-zz") == []


def test_non_ascii_home_and_ca_path_work(case: Case, tmp_path: Path) -> None:
    """Not bad input: home directories and downloads are often named in the user's own
    language. pipssl must repair there, and undo."""
    home = tmp_path / "isolated" / "hôme-ユーザー"
    home.mkdir()
    path = case.put("çà-証明書.pem", case.ca.read_bytes())
    env = dict(os.environ, HOME=str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env.pop(name)
    proc = run_pipssl(*case.repair("--ca", str(path), ca=False), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bundle = home / ".local" / "share" / "pipssl" / "ca-bundle.pem"
    config = home / ".config" / "pip" / "pip.conf"
    assert config.read_text(encoding="utf-8") == f"[global]\ncert = {bundle}\n"
    assert "named by the user" in bundle.read_text()
    assert run_pipssl("undo", "--json", env=env).returncode == 0
    assert not config.exists() and not bundle.exists()


# --- options --------------------------------------------------------------------------------

BAD_OPTIONS = {
    "scope-bogus": (["--scope", "bogus"], "--scope"),
    "timeout-zero": (["--timeout", "0"], "--timeout"),
    "timeout-negative": (["--timeout=-3"], "--timeout"),
    "timeout-nan": (["--timeout", "nan"], "--timeout"),
    "timeout-huge": (["--timeout", "1e9"], "--timeout"),  # no OverflowError deep inside
    "timeout-over-300": (["--timeout", "300.5"], "--timeout"),
    "timeout-not-a-number": (["--timeout", "soon"], "--timeout"),
    "unknown-option": (["--insecure"], "--insecure"),
    "accept-ca-not-hex": (["--accept-ca", "ZZ" * 32], "--accept-ca"),
    "accept-ca-too-short": (["--accept-ca", "AB:CD:EF"], "--accept-ca"),
    "accept-ca-nobody-presented": (["--accept-ca", ":".join(["0F"] * 32)], "--accept-ca"),
}


@pytest.mark.parametrize("kind", BAD_OPTIONS)
def test_bad_option_is_refused(case: Case, kind: str) -> None:
    extra, names = BAD_OPTIONS[kind]
    case.refused(case.repair(*extra, ca=False), names)


def test_a_shortened_fingerprint_is_told_where_the_full_one_is(case: Case) -> None:
    proc = case.refused(case.repair("--accept-ca", "43:8C:99", ca=False), "--accept-ca")
    hint = json.loads(proc.stdout)["error"]["hint"]
    assert hint.startswith("6 hex digits given; the full SHA-256 is needed: 64 hex digits")
    # doctor aimed at the same target as the repair (its python and index)
    assert " -m pipssl doctor --python " in hint, hint
    assert "` shows it under 'check this fingerprint'" in hint, hint


BAD_URLS = {
    "not-http": "ftp://127.0.0.1/simple/",
    "no-scheme": "127.0.0.1/simple/",
    "bad-port": "https://127.0.0.1:99999/simple/",
    "credentials-and-bad-port": f"https://user:{SECRET}@127.0.0.1:99999/simple/",
}


@pytest.mark.parametrize("kind", BAD_URLS)
def test_bad_index_url_is_refused_with_credentials_masked(case: Case, kind: str) -> None:
    url = BAD_URLS[kind]
    shown = url.replace(SECRET, "****")
    case.refused(case.repair(url=url), shown, secret=SECRET)


def test_credentials_in_the_index_url_are_never_shown_nor_stored(case: Case) -> None:
    """Not bad input: private indexes take a password in the URL. The repair works, and
    the password is in no output and no file (journal, config, bundle, backups)."""
    url = case.url.replace("https://", f"https://deploy:{SECRET}@")
    proc = run_pipssl(*case.repair(url=url))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["changed"] is True
    assert (case.state / "journal.json").is_file()
    assert files_containing(case.isolated.root, SECRET) == []
    undone = run_pipssl("undo", "--json")
    assert undone.returncode == 0 and SECRET not in undone.stdout + undone.stderr


@pytest.mark.parametrize("where", ["index-url", "HTTPS_PROXY", "pip-conf-proxy"])
def test_unreachable_url_with_a_password_is_reported_masked(case: Case, where: str) -> None:
    """Not bad input, a broken network (nothing listens on port 1): exit 1 with the
    finding, as one JSON object, the password masked everywhere and nothing changed."""
    env, url = dict(os.environ), None
    secret_url = f"http://corp:{SECRET}@127.0.0.1:1"
    if where == "index-url":
        url, expected = secret_url.replace("http:", "https:") + "/simple/", "connection-refused"
    elif where == "HTTPS_PROXY":
        env["HTTPS_PROXY"], expected = secret_url, "proxy-unreachable"
    else:
        case.isolated.write_pip_conf(f"[global]\nproxy = {secret_url}\n", "user")
        expected = "proxy-unreachable"
    before = snapshot(case.tmp)
    proc = run_pipssl(*case.repair(url=url, ca=False), env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert expected in [f["code"] for f in data["findings"]]
    assert SECRET not in proc.stdout + proc.stderr and "corp:****@" in proc.stdout
    assert snapshot(case.tmp) == before


def test_proxy_with_a_bad_port_is_refused_masked(case: Case) -> None:
    env = dict(os.environ, HTTPS_PROXY=f"http://corp:{SECRET}@127.0.0.1:99999")
    case.refused(case.repair(), "HTTPS_PROXY", env=env, secret=SECRET)


# --- the interpreter ------------------------------------------------------------------------


def _script(case: Case, name: str, text: str, mode: int = 0o755) -> Path:
    path = case.put(name, text.encode())
    path.chmod(mode)
    return path


BAD_PYTHONS: Dict[str, Callable[[Case], Path]] = {
    "missing": lambda c: c.inputs / "bin" / "python3",
    "not-executable": lambda c: _script(c, "python-text", "print('hi')\n", 0o644),
    "shell-script": lambda c: _script(c, "python-sh", "#!/bin/sh\necho not python\n"),
    "answers-other-json": lambda c: _script(c, "python-json", "#!/bin/sh\necho '[1, 2]'\n"),
    "answers-wrong-object": lambda c: _script(c, "python-obj", "#!/bin/sh\necho '{\"a\": 1}'\n"),
    "a-directory": lambda c: c.inputs,
}


@pytest.mark.parametrize("kind", BAD_PYTHONS)
def test_bad_python_is_refused(case: Case, kind: str) -> None:
    python = BAD_PYTHONS[kind](case)
    args = case.repair()
    args[args.index("--python") + 1] = str(python)
    case.refused(args, f"--python {python}")


# --- pipssl's own state and data ----------------------------------------------------------


def test_state_dir_that_is_a_symlink_is_refused(case: Case) -> None:
    elsewhere = case.isolated.root / "elsewhere"
    elsewhere.mkdir()
    case.state.parent.mkdir(parents=True)
    case.state.symlink_to(elsewhere, target_is_directory=True)
    proc = case.refused(case.repair(), str(case.state))
    assert "symbolic link" in proc.stderr


def test_state_dir_writable_by_others_is_refused(case: Case) -> None:
    case.state.mkdir(parents=True)
    case.state.chmod(0o777)
    proc = case.refused(case.repair(), str(case.state))
    assert "0777" in proc.stderr


def test_state_dir_that_is_a_file_is_refused(case: Case) -> None:
    case.state.parent.mkdir(parents=True)
    case.state.write_text("not a directory\n")
    proc = case.refused(case.repair(), str(case.state))
    assert "not a directory" in proc.stderr


def _corrupt_journal(case: Case) -> Path:
    """A state dir as an earlier repair left it (lock file included), its journal cut."""
    case.state.mkdir(parents=True, mode=0o700)
    (case.state / "lock").touch(0o600)
    journal = case.state / "journal.json"
    journal.write_bytes(b'[{"id": "20240101T000000Z-abcdef", "changes": [')
    journal.chmod(0o600)
    return journal


@pytest.mark.parametrize("command", ["undo", "repair"])
def test_corrupt_journal_is_refused(case: Case, command: str) -> None:
    journal = _corrupt_journal(case)
    args = ["undo", "--json"] if command == "undo" else case.repair()
    proc = case.refused(args, str(journal))
    assert "journal" in proc.stderr


def test_undo_with_nothing_to_undo_is_refused(case: Case) -> None:
    case.refused(["undo", "--json"], "nothing to undo")


def test_bundle_path_that_is_a_directory_is_refused(case: Case) -> None:
    case.bundle.mkdir(parents=True)
    case.refused(case.repair(), str(case.bundle))


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
def test_bundle_path_that_is_a_symlink_is_refused(case: Case, dangling: bool) -> None:
    """pipssl owns its bundle file; a link there was planted, and writing through it
    would replace (or create) another file: refuse, and leave the target alone."""
    victim = case.isolated.home / ".bashrc"
    if not dangling:
        victim.write_text("export PATH=$HOME/bin:$PATH\n")
    case.bundle.parent.mkdir(parents=True)
    case.bundle.symlink_to(victim)
    proc = case.refused(case.repair(), str(case.bundle))
    assert "symbolic link" in proc.stderr
    assert dangling is not victim.exists()


# --- wheelhouse -----------------------------------------------------------------------------


def test_wheelhouse_verify_of_a_file_that_is_no_zip_is_refused(case: Case) -> None:
    path = case.put("bundle.zip", b"this was saved from an error page\n")
    case.refused(["wheelhouse", "verify", "--json", str(path)], str(path))


def test_wheelhouse_verify_of_a_missing_file_is_refused(case: Case) -> None:
    path = case.inputs / "nowhere.zip"
    case.refused(["wheelhouse", "verify", "--json", str(path)], str(path))
