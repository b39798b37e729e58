"""A hostile file cannot stall or swell pipssl, and a malformed URL is no traceback.

Every path pipssl reads (pip's config files, its CA file and client certificate, a --ca
file, a wheelhouse requirements file or bundle) may name a FIFO, which blocks a plain
``open()`` for ever, or a device such as /dev/zero, which never ends.  Each is refused at
once, without a byte read: from config or the environment as a finding naming the path,
from the command line with exit 2 naming it.  Every URL (an index or a proxy, from an
option, pip.conf or a variable) is parsed where it enters: a malformed one from config or
the environment is the finding ``pip-config-invalid`` (pip itself cannot run with it), one
given on the command line exit 2.

Each case runs ``python -m pipssl`` in its own process against a real pip 23.0.1 and a
loopback index, and must return within :data:`PROMPT` seconds (the subprocess itself is
given 60).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
from bed.certs import CertWorld
from bed.isolation import IsolatedEnv
from bed.refusal import check_refusal
from bed.world import World
from targets import run_pipssl

from pipssl import _files
from pipssl.net.urls import Url, parse_url

pytestmark = pytest.mark.once

#: How long a refusal may take: pipssl's own start, the facts child and the real pip's
#: start on a shared machine, far below the 60 s a stalled read would take.
PROMPT = 20.0

MALFORMED_URLS = {
    "unclosed-bracket": "https://[::1",
    "bracketed-non-ipv6": "https://[zz]/",
    "unclosed-bracket-with-port": "http://[::1:3128",
}


class Bed:
    """The legacy pip at the user scope, an index whose chain ends in the test CA."""

    def __init__(self, isolated: IsolatedEnv, python: Path, url: str, certs: CertWorld):
        self.isolated = isolated
        self.python = python
        self.url = url
        self.ca = certs.path("intercept.pem")
        self.inputs = isolated.root / "in"
        self.inputs.mkdir()

    def fifo(self, name: str = "hostile.fifo") -> Path:
        path = self.inputs / name
        os.mkfifo(path)  # opening it for reading would block until a writer comes
        return path

    def doctor(
        self, *extra: str, env: Optional[Dict[str, str]] = None, code: int = 1
    ) -> Dict[str, Any]:
        """``doctor --json``; it must end promptly with exit ``code`` (1: findings) and no
        traceback."""
        args = ["doctor", "--json", "--python", str(self.python), *extra]
        if "--index-url" not in extra:
            args += ["--index-url", self.url]
        proc = timed(args, env)
        assert proc.returncode == code, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
        data: Dict[str, Any] = json.loads(proc.stdout)
        return data

    def refused(
        self, args: List[str], names: str, env: Optional[Dict[str, str]] = None
    ) -> Dict[str, Any]:
        """Exit 2 promptly, one error line naming ``names`` and a hint, and under --json
        the error object on stdout (as tests/test_bad_input.py checks it)."""
        return check_refusal(timed([*args, "--json"], env), names)


def timed(args: List[str], env: Optional[Dict[str, str]]) -> subprocess.CompletedProcess[str]:
    start = time.monotonic()
    proc = run_pipssl(*args, env=env, timeout=60)
    elapsed = time.monotonic() - start
    assert elapsed < PROMPT, f"took {elapsed:.1f} s: {proc.stdout + proc.stderr}"
    return proc


@pytest.fixture
def bed(venvs: Dict[str, Path], user_world: World) -> Bed:
    python = venvs["legacy"]
    index = user_world.index("intercepted", python)
    return Bed(user_world.isolated, python, index.url, user_world.certs)


def codes_for(data: Dict[str, Any], target: str) -> List[str]:
    return [f["code"] for f in data["findings"] if f["target"] == target]


# --- hostile files in place of a file ----------------------------------------------------

DEVICES = ["/dev/zero", "/dev/urandom"]


def _hostile(bed: Bed, kind: str, name: str) -> Path:
    """A FIFO made for the test, or a device (a link to it where a name is fixed)."""
    if kind == "fifo":
        return bed.fifo(name)
    return Path(kind)


@pytest.mark.parametrize("kind", ["fifo", *DEVICES])
def test_hostile_user_pip_conf_is_a_finding(bed: Bed, kind: str) -> None:
    """pip would wait on a FIFO for ever or read /dev/zero until memory runs out: pip
    cannot run with it, so it is pip-config-invalid naming the file (not read, not waited on)."""
    path = bed.isolated.pip_conf_path("user")
    path.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind)
    data = bed.doctor()
    assert codes_for(data, str(path)) == ["pip-config-invalid"], data["findings"]
    (found,) = data["findings"]
    assert "not a regular file" in found["detail"]


@pytest.mark.parametrize("kind", ["fifo", *DEVICES])
def test_hostile_pip_config_file_variable_is_a_finding(bed: Bed, kind: str) -> None:
    path = _hostile(bed, kind, "pip.conf")
    env = dict(os.environ, PIP_CONFIG_FILE=str(path))
    data = bed.doctor(env=env)
    assert codes_for(data, str(path)) == ["pip-config-invalid"], data["findings"]


def test_hostile_pip_conf_makes_repair_refuse_naming_it(bed: Bed) -> None:
    path = bed.fifo("pip.conf")
    env = dict(os.environ, PIP_CONFIG_FILE=str(path))
    args = ["repair", "--yes", "--scope", "user", "--python", str(bed.python)]
    bed.refused([*args, "--index-url", bed.url, "--ca", str(bed.ca)], str(path), env=env)


@pytest.mark.slow
def test_oversize_pip_conf_is_refused_unread(bed: Bed) -> None:
    """Over the pip config limit (1 MB of comments): refused by its size; the twin, the
    same file under the limit, is read."""
    path = bed.isolated.pip_conf_path("user")
    path.parent.mkdir(parents=True)
    line = b"# " + b"x" * 97 + b"\n"
    path.write_bytes(b"[global]\n" + line * (_files.PIP_CONFIG.limit // len(line) + 1))
    data = bed.doctor()
    assert codes_for(data, str(path)) == ["pip-config-invalid"], data["findings"]
    assert "too large" in data["findings"][0]["detail"]
    path.write_bytes(b"[global]\n" + line * 100)
    data = bed.doctor()
    assert codes_for(data, str(path)) == [], data["findings"]


@pytest.mark.parametrize("kind", ["fifo", *DEVICES])
@pytest.mark.parametrize("where", ["PIP_CERT", "pip.conf cert"])
def test_hostile_ca_setting_is_cafile_unreadable(bed: Bed, kind: str, where: str) -> None:
    path = _hostile(bed, kind, "ca.pem")
    env = dict(os.environ)
    if where == "PIP_CERT":
        env["PIP_CERT"] = str(path)
    else:
        bed.isolated.write_pip_conf(f"[global]\ncert = {path}\n", "user")
    data = bed.doctor(env=env)
    assert codes_for(data, str(path)) == ["cafile-unreadable"], data["findings"]
    (found,) = [f for f in data["findings"] if f["target"] == str(path)]
    assert "not a regular file" in found["detail"]


@pytest.mark.slow
def test_oversize_ca_setting_is_cafile_unreadable(bed: Bed) -> None:
    path = bed.inputs / "huge.pem"
    with open(path, "wb") as handle:
        handle.truncate(_files.CA_FILE.limit + 1)  # sparse: quick to make, never read
    data = bed.doctor(env=dict(os.environ, PIP_CERT=str(path)))
    assert codes_for(data, str(path)) == ["cafile-unreadable"], data["findings"]


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
@pytest.mark.parametrize("where", ["PIP_CLIENT_CERT", "pip.conf client-cert"])
def test_hostile_client_cert_is_named_not_waited_on(bed: Bed, kind: str, where: str) -> None:
    """OpenSSL opens the client certificate itself: pipssl refuses the path before it
    does, and the index's finding names it."""
    path = _hostile(bed, kind, "client.pem")
    env = dict(os.environ)
    if where == "PIP_CLIENT_CERT":
        env["PIP_CLIENT_CERT"] = str(path)
    else:
        bed.isolated.write_pip_conf(f"[global]\nclient-cert = {path}\n", "user")
    data = bed.doctor("--index-url", bed.url, env=env)
    details = [f["summary"] + f["detail"] for f in data["findings"] if f["target"] == bed.url]
    assert any(f"client certificate {path}" in d for d in details), data["findings"]
    assert any("not a regular file" in d for d in details), data["findings"]


@pytest.mark.parametrize("kind", ["fifo", *DEVICES])
def test_hostile_ca_option_is_refused(bed: Bed, kind: str) -> None:
    path = _hostile(bed, kind, "ca.pem")
    args = ["repair", "--yes", "--scope", "user", "--python", str(bed.python)]
    bed.refused([*args, "--index-url", bed.url, "--ca", str(path)], f"--ca {path}")


@pytest.mark.parametrize("kind", ["fifo", "directory", *DEVICES])
def test_hostile_requirements_file_is_refused(bed: Bed, kind: str) -> None:
    if kind == "directory":
        path = bed.inputs / "reqs.d"
        path.mkdir()
    else:
        path = _hostile(bed, kind, "requirements.txt")
    out = bed.inputs / "bundle.zip"
    args = ["wheelhouse", "create", "--python", str(bed.python), "-r", str(path), "-o", str(out)]
    bed.refused(args, str(path))
    assert not out.exists()


@pytest.mark.parametrize("kind", ["fifo", "directory", *DEVICES])
@pytest.mark.parametrize("command", ["verify", "install"])
def test_hostile_wheelhouse_bundle_is_refused(bed: Bed, kind: str, command: str) -> None:
    if kind == "directory":
        path = bed.inputs / "bundle.d"
        path.mkdir()
    else:
        path = _hostile(bed, kind, "bundle.zip")
    bed.refused(["wheelhouse", command, "--python", str(bed.python), str(path)], str(path))


# --- malformed URLs ----------------------------------------------------------------------


@pytest.mark.parametrize("url", MALFORMED_URLS.values(), ids=list(MALFORMED_URLS))
@pytest.mark.parametrize("command", ["doctor", "repair"])
def test_malformed_index_url_option_is_refused(bed: Bed, url: str, command: str) -> None:
    args = [command, "--python", str(bed.python), "--index-url", url]
    if command == "repair":
        args += ["--yes", "--scope", "user"]
    answer = bed.refused(args, url)
    assert answer["error"]["reference"] == "usage-error"


@pytest.mark.parametrize("url", MALFORMED_URLS.values(), ids=list(MALFORMED_URLS))
def test_malformed_wheelhouse_index_url_is_refused(bed: Bed, url: str) -> None:
    out = bed.inputs / "bundle.zip"
    args = ["wheelhouse", "create", "--python", str(bed.python), "--index-url", url]
    bed.refused([*args, "-o", str(out), "pipssl-probe-pkg"], url)


@pytest.mark.parametrize("url", MALFORMED_URLS.values(), ids=list(MALFORMED_URLS))
@pytest.mark.parametrize("where", ["index-url", "extra-index-url", "PIP_INDEX_URL"])
def test_malformed_configured_index_url_is_a_finding(bed: Bed, url: str, where: str) -> None:
    """pip dies on such a URL (a ValueError traceback): pip-config-invalid, naming where it
    is set; the configured indexes are diagnosed, so no --index-url."""
    env = dict(os.environ)
    if where == "PIP_INDEX_URL":
        env["PIP_INDEX_URL"], target = url, "PIP_INDEX_URL"
    else:
        conf = bed.isolated.write_pip_conf(f"[global]\n{where} = {url}\n", "user")
        target = str(conf)
    args = ["doctor", "--json", "--python", str(bed.python)]
    proc = timed(args, env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert codes_for(data, target) == ["pip-config-invalid"], data["findings"]
    assert url in data["findings"][0]["detail"]


@pytest.mark.parametrize("url", MALFORMED_URLS.values(), ids=list(MALFORMED_URLS))
@pytest.mark.parametrize("where", ["https_proxy", "HTTPS_PROXY", "pip.conf proxy"])
def test_malformed_proxy_is_a_finding(bed: Bed, url: str, where: str) -> None:
    env = dict(os.environ)
    if where == "pip.conf proxy":
        target = str(bed.isolated.write_pip_conf(f"[global]\nproxy = {url}\n", "user"))
    else:
        env[where], target = url, where
    data = bed.doctor(env=env)
    assert codes_for(data, target) == ["pip-config-invalid"], data["findings"]
    assert url in data["findings"][0]["detail"]


def test_malformed_trusted_host_is_no_traceback(bed: Bed) -> None:
    """A trusted-host entry with an unclosed '[' beside a plain-HTTP index: compared as
    written (it trusts nothing), so the index is the one pip ignores."""
    url = "http://192.0.2.1/simple/"  # TEST-NET: pip ignores it, never connects
    bed.isolated.write_pip_conf(
        f"[global]\ntrusted-host = [::1\nextra-index-url = {url}\n", "user"
    )
    data = bed.doctor("--index-url", bed.url)
    assert "http-index-ignored" in codes_for(data, url), data["findings"]


def test_well_formed_ipv6_proxy_is_no_config_finding(bed: Bed) -> None:
    """The twin: a bracketed IPv6 proxy is fine; nothing listens there, which is what
    doctor says."""
    data = bed.doctor(env=dict(os.environ, HTTPS_PROXY="http://[::1]:1"))
    codes = [f["code"] for f in data["findings"]]
    assert "pip-config-invalid" not in codes and "proxy-unreachable" in codes, codes


# --- the reader and the parser, in-process -------------------------------------------------


def test_reader_refuses_without_blocking_or_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    regular = tmp_path / "small"
    regular.write_bytes(b"[global]\n")
    cases: Dict[str, str] = {
        str(fifo): _files.SPECIAL,
        "/dev/zero": _files.SPECIAL,
        "/dev/urandom": _files.SPECIAL,
        str(tmp_path): _files.DIRECTORY,
        str(tmp_path / "missing"): _files.MISSING,
    }
    for path, why in cases.items():
        with pytest.raises(_files.FileRefused) as caught:
            _files.read_file(path, _files.PIP_CONFIG)
        assert caught.value.why == why and path in str(caught.value)
    assert _files.read_file(regular, _files.PIP_CONFIG) == b"[global]\n"
    big = tmp_path / "big"
    big.write_bytes(b"#" * (_files.PIP_CONFIG.limit + 1))
    with pytest.raises(_files.FileRefused) as caught:
        _files.read_file(big, _files.PIP_CONFIG)
    assert caught.value.why == _files.TOO_LARGE
    # a /proc file says it is empty and is read up to its end, as it is
    assert b"Name:" in _files.read_file("/proc/self/status", _files.PIP_CONFIG)
    assert _files.read_head(big, _files.SCRIPT) == b"#" * _files.SCRIPT.limit


def test_zip_member_over_its_limit_is_not_inflated(tmp_path: Path) -> None:
    """A few KB of zip that would inflate past the METADATA limit (a zip bomb)."""
    bomb = tmp_path / "bomb.whl"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x-1.dist-info/METADATA", b"\0" * (_files.METADATA.limit + 1))
    assert bomb.stat().st_size < 100_000
    with zipfile.ZipFile(bomb) as archive:
        with pytest.raises(_files.FileRefused) as caught:
            _files.read_member(archive, "x-1.dist-info/METADATA", _files.METADATA)
    assert caught.value.why == _files.TOO_LARGE


PARSED: Dict[str, Callable[[Any], bool]] = {
    "https://[::1]:8443/simple/": lambda u: u == Url("https", "::1", 8443, "/simple/", 8443),
    "https://user:pw@[fe80::1%25eth0]/": lambda u: isinstance(u, Url) and u.port == 443,
    "https://127.0.0.1/x/p[1]": lambda u: isinstance(u, Url) and u.path == "/x/p[1]",
    "https://[::1": lambda u: u == "is not a valid URL (the '[' before its host is never closed)",
    "https://[zz]/": lambda u: u == "has a host in brackets that is not an IPv6 address",
    "https://a[b]/": lambda u: isinstance(u, str) and "inside its host name" in u,
    "https://[::1]x/": lambda u: isinstance(u, str) and "after the bracketed host" in u,
    "https://127.0.0.1:99999/": lambda u: u == "has an invalid port",
    "https://127.0.0.1:0/": lambda u: u == "has an invalid port",
    "https://127.0.0.1:x/": lambda u: u == "has an invalid port",
    "ftp://127.0.0.1/": lambda u: u == "is not an http(s) URL with a host name",
    "127.0.0.1/simple/": lambda u: u == "is not an http(s) URL with a host name",
}


@pytest.mark.parametrize("text", PARSED)
def test_parse_url_returns_a_url_or_why(text: str) -> None:
    assert PARSED[text](parse_url(text)), parse_url(text)


def test_parse_url_for_a_proxy_takes_a_bare_host() -> None:
    assert parse_url("proxy.test:3128", schemes=None, bare="http") == Url(
        "http", "proxy.test", 3128, "/", 3128
    )
    assert isinstance(parse_url("[::1:3128", schemes=None, bare="http"), str)


# --- other clients' config ---------------------------------------------------------------


def test_hostile_client_config_file_is_named_not_read(tmp_path: Path) -> None:
    """A .condarc or TOML file that is a FIFO or a device: the client config error naming
    it, at once (client config errors are exit 2 naming the file, as a non-UTF-8 one)."""
    from pipssl.clients.model import read_text
    from pipssl.errors import ConfigError

    fifo = tmp_path / ".condarc"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        with pytest.raises(ConfigError) as caught:
            read_text(path)
        assert path in str(caught.value) and "not a regular file" in str(caught.value)
    assert read_text(str(tmp_path / "absent.toml")) is None


@pytest.mark.parametrize("url", MALFORMED_URLS.values(), ids=list(MALFORMED_URLS))
def test_malformed_poetry_source_url_is_a_config_error(tmp_path: Path, url: str) -> None:
    from typing import cast

    from pipssl.clients.model import Context
    from pipssl.clients.poetry import poetry_sources
    from pipssl.errors import ConfigError

    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[tool.poetry]\nname = "p"\n\n[[tool.poetry.source]]\nname = "corp"\nurl = "{url}"\n'
    )
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    ctx = Context(env, "linux", str(project), cast(Any, None))
    with pytest.raises(ConfigError) as caught:
        poetry_sources(ctx)
    assert url in str(caught.value) and "pyproject.toml" in str(caught.value)
    # the twin: a well-formed source
    (project / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "p"\n\n[[tool.poetry.source]]\nname = "corp"\n'
        'url = "https://[::1]:8443/simple/"\n'
    )
    assert [s[1] for s in poetry_sources(ctx)[0]] == ["https://[::1]:8443/simple/"]


def _bundle(path: Path, wheel: bytes) -> Path:
    """A minimal bundle as wheelhouse create lays it out: manifest, pins, one wheel."""
    import hashlib

    pins = b"x==1 --hash=sha256:" + hashlib.sha256(wheel).hexdigest().encode() + b"\n"
    files = {"requirements.txt": pins, "wheels/x-1-py3-none-any.whl": wheel}
    manifest = {
        "schema": 1,
        "files": [
            {"path": p, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
            for p, d in files.items()
        ],
        "wheels": [
            {
                "path": "wheels/x-1-py3-none-any.whl",
                "name": "x",
                "version": "1",
                "tags": [],
                "requires": {},
            }
        ],
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_bundle_member_over_the_wheel_limit_is_not_inflated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member whose stated size is over the wheel limit is refused before it is
    inflated (here the limit is lowered, so that the test needs no gigabyte)."""
    from pipssl.errors import PipsslError
    from pipssl.wheelhouse.verifying import read_bundle

    bundle = _bundle(tmp_path / "b.zip", b"\0" * 4096)
    _manifest, pins = read_bundle(bundle)  # the twin: within the limit, it verifies
    assert pins.startswith("x==1")
    monkeypatch.setattr(_files, "WHEEL", _files.Kind("wheel", 1024))
    with pytest.raises(PipsslError) as caught:
        read_bundle(bundle, extract_to=tmp_path / "out")
    assert caught.value.reference == "bundle-unsafe" and "inflate" in str(caught.value)


def test_fifo_among_a_ca_directory_hashed_names_is_named(bed: Bed) -> None:
    """OpenSSL opens a CA directory's <hash>.<n> files itself at each handshake: a FIFO
    there is named (cafile-unreadable) and never handed to it; the twin, the same
    directory with a regular file under that name, is a CA directory as before."""
    from bed.certs import hashed_ca_dir

    directory = bed.inputs / "certs.d"
    directory.mkdir()
    hashed_ca_dir(directory, bed.ca.read_bytes())
    (name,) = [n for n in os.listdir(directory) if n.endswith(".0")]
    link = os.readlink(directory / name)
    (directory / name).unlink()
    os.mkfifo(directory / name)
    bed.isolated.write_pip_conf(f"[global]\ncert = {directory}\n", "user")
    data = bed.doctor()
    assert codes_for(data, str(directory)) == ["cafile-unreadable"], data["findings"]
    (directory / name).unlink()
    (directory / name).symlink_to(link)
    data = bed.doctor(code=0)
    assert codes_for(data, str(directory)) == [], data["findings"]
