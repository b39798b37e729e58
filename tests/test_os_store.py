"""The real OS trust store (/etc/ssl/certs, in a private mount namespace): which real pip
trusts it, whether ``pipssl doctor`` agrees, and ``pipssl repair`` building its bundle from it.

pip below 24.2 verifies with its vendored certifi only; pip 24.2 and later use truststore
(the OS store, plus certifi) on Python 3.10 and later.  Both sides of both lines are run:
every pyenv pip (23.0.1 on 3.8-3.10, 23.2.1 on 3.11-3.12, 24.2 on 3.13), the dev venv's
pip, and pip 24.2 installed offline on 3.9 and on 3.10.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from bed.index import IndexServer
from bed.isolation import real_pip_config_files, snapshot
from bed.osstore import CERTS_DIR, GLOBAL_PIP_CONFIGS, MountedOsStore
from bed.pip import (
    TRUSTSTORE_IP_BUG,
    find_pythons,
    pip_download,
    pip_version,
    reference_pythons,
)
from bed.world import World
from targets import base_python, make_venv, repair_args, run_pipssl

WHEEL = "pipssl_probe_pkg-1.0-py3-none-any.whl"
PYTHONS = find_pythons()
# pip 24.2 on the last Python without truststore and the first with it.
BOUNDARY = ("3.9", "3.10")


def machine_trust_state() -> Dict[str, str]:
    """sha256 of every entry of the machine's /etc/ssl/certs (a link by its target) and of
    each global pip config: what no test here may change."""
    state: Dict[str, str] = {}
    for entry in sorted(os.scandir(CERTS_DIR), key=lambda e: e.name):
        if entry.is_symlink():
            state[entry.path] = "-> " + os.readlink(entry.path)
        elif entry.is_file():
            state[entry.path] = hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
        else:
            state[entry.path] = "dir"
    for conf in GLOBAL_PIP_CONFIGS:
        state[str(conf)] = hashlib.sha256(conf.read_bytes()).hexdigest() if conf.exists() else ""
    return state


# Taken when this module is imported, compared by its last test.
MACHINE_BEFORE = machine_trust_state()


@functools.lru_cache(maxsize=None)
def python_version(python: Path) -> Tuple[int, int]:
    out = subprocess.run(
        [str(python), "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    return int(out[0]), int(out[1])


def trusts_os_store(python: Path) -> bool:
    """What pip's own source says (cli/index_command.py of pip 24.2): truststore by default
    from pip 24.2, on Python 3.10 and later."""
    return pip_version(python) >= TRUSTSTORE_IP_BUG and python_version(python) >= (3, 10)


@pytest.fixture(scope="session")
def pip242_on(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """Venvs of Python 3.9 and 3.10 with pip 24.2, installed offline from the wheel that
    Python 3.13's ensurepip bundles (run straight from the wheel).  Built on first use."""
    root = tmp_path_factory.mktemp("pip242")
    bundled = base_python("3.13").parent.parent / "lib" / "python3.13" / "ensurepip"
    wheels = sorted(bundled.glob("_bundled/pip-24.2-*.whl"))
    built: Dict[str, Path] = {}
    for short in BOUNDARY if wheels else ():
        python = make_venv(base_python(short), root / short, with_pip=False)
        install = ["install", "--no-index", "--no-deps", "--disable-pip-version-check"]
        subprocess.run(
            [str(python), str(wheels[0] / "pip"), *install, str(wheels[0])],
            check=True,
            timeout=300,
            capture_output=True,
            # os.devnull: pip reads no config file at all, not even the machine's global one.
            env={"PATH": os.environ.get("PATH", ""), "PIP_CONFIG_FILE": os.devnull},
        )
        built[short] = python
    return built


def which_pythons() -> List[Any]:
    ids = [pytest.param(version, id=version) for version in PYTHONS]
    return ids + [
        pytest.param(f"pip24.2-on-{short}", id=f"pip24.2-on-{short}", marks=pytest.mark.slow)
        for short in BOUNDARY
    ]


def the_python(name: str, pip242_on: Dict[str, Path]) -> Path:
    if name in PYTHONS:
        return PYTHONS[name]
    short = name.rpartition("-on-")[2]
    if short not in pip242_on:
        pytest.skip(f"no Python {short} or no bundled pip wheel to put pip 24.2 on it")
    python = pip242_on[short]
    assert pip_version(python) == (24, 2)
    return python


def download(python: Path, url: str, store: MountedOsStore, dest: Path) -> Any:
    return pip_download(python, url, dict(os.environ), dest, prefix=store.prefix())


def untrusted_codes(report: Dict[str, Any]) -> List[str]:
    return [f["code"] for f in report["findings"] if f["code"].startswith("untrusted-issuer")]


_LOOK = """
import os, ssl, sys
print(sorted(os.listdir("/etc/ssl/certs")))
print(open("/etc/ssl/certs/ca-certificates.crt", "rb").read() == open(sys.argv[1], "rb").read())
print([open(p).read() for p in sys.argv[2:] if os.path.exists(p)])
print(sorted({dict(s[0] for s in c["subject"]).get("commonName", "") for c in
              ssl.create_default_context().get_ca_certs()} & {"Zscaler Root CA (test)"}))
print(all(os.statvfs(p).f_flag & os.ST_RDONLY for p in ["/etc/ssl/certs", *sys.argv[2:]]
          if os.path.exists(p)))
"""


@pytest.mark.once
def test_the_bed_binds_the_store_read_only_and_hides_global_pip_configs(
    mounted_os_store: MountedOsStore, pip_world: World
) -> None:
    """Through the prefix, OpenSSL's default cafile is the test's store (set() again is seen
    by the next command), the global pip configs are empty, all of them mounted read-only."""
    argv = [str(PYTHONS["sys"]), "-c", _LOOK, str(mounted_os_store.store)]
    argv += [str(conf) for conf in GLOBAL_PIP_CONFIGS]

    def look() -> List[str]:
        proc = subprocess.run(
            [*mounted_os_store.prefix(), *argv], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()

    hidden = str(["" for conf in GLOBAL_PIP_CONFIGS if conf.exists()])
    assert look() == ["['ca-certificates.crt']", "True", hidden, "[]", "True"]
    mounted_os_store.set(pip_world.certs.intercept.cert_pem.bytes())
    assert look()[1::2] == ["True", "['Zscaler Root CA (test)']"]
    assert sorted(p.name for p in mounted_os_store.certs_dir.iterdir()) == ["ca-certificates.crt"]
    assert machine_trust_state() == MACHINE_BEFORE


@pytest.mark.once  # every pip is run whichever Python runs pytest: once is enough
@pytest.mark.parametrize("in_store", [True, False], ids=["ca-in-store", "ca-nowhere"])
@pytest.mark.parametrize("name", which_pythons())
def test_real_pip_and_doctor_on_the_mounted_os_store(
    request: pytest.FixtureRequest,
    name: str,
    in_store: bool,
    mounted_os_store: MountedOsStore,
    pip_world: World,
    tmp_path: Path,
) -> None:
    """The intercepting-proxy root is only in the mounted store (or nowhere): exactly the
    truststore pips download, and doctor's ``ok`` says the same as the real pip did."""
    pip242 = request.getfixturevalue("pip242_on") if name not in PYTHONS else {}
    python = the_python(name, pip242)
    assert not {"SSL_CERT_FILE", "SSL_CERT_DIR"} & set(os.environ)
    if in_store:
        mounted_os_store.set(pip_world.certs.intercept.cert_pem.bytes())
    index: IndexServer = pip_world.index("intercepted", python)
    proc = download(python, index.url, mounted_os_store, tmp_path / "dl")
    output = proc.stdout + proc.stderr
    pip_ok = proc.returncode == 0
    assert pip_ok == (in_store and trusts_os_store(python)), output
    if pip_ok:
        assert [p.name for p in (tmp_path / "dl").iterdir()] == [WHEEL]
    else:
        assert "CERTIFICATE_VERIFY_FAILED" in output

    doctor = run_pipssl(
        "doctor",
        "--json",
        "--index-url",
        index.url,
        "--python",
        str(python),
        prefix=mounted_os_store.prefix(),
    )
    report = json.loads(doctor.stdout)
    codes = [f["code"] for f in report["findings"]]
    assert report["ok"] == pip_ok, codes
    assert report["pip"]["truststore"] == trusts_os_store(python), report["pip"]
    if pip_ok:
        assert untrusted_codes(report) == []
    elif in_store:  # pipssl read the mounted store: the CA is there, pip just does not look
        assert untrusted_codes(report) == ["untrusted-issuer-in-system-store"], codes
    else:
        assert untrusted_codes(report) == ["untrusted-issuer-unknown"], codes


@pytest.mark.once
@pytest.mark.slow
def test_repair_builds_its_bundle_from_the_mounted_os_store(
    pip_world: World, mounted_os_store: MountedOsStore, tmp_path: Path
) -> None:
    """User scope (no PIP_CONFIG_FILE): the root only the mounted store holds reaches a
    legacy pip through pipssl's bundle, every file written stays in the test's directory,
    and undo takes it back."""
    python = reference_pythons().get("old")
    if python is None:
        pytest.skip("no interpreter with a pip below 24.2 on this machine")
    pip_world.user_scope()
    assert "PIP_CONFIG_FILE" not in os.environ
    real_before = snapshot(real_pip_config_files())
    ca_pem = pip_world.certs.intercept.cert_pem.bytes().decode()
    mounted_os_store.set(ca_pem.encode())
    index = pip_world.index("intercepted", python)
    prefix = mounted_os_store.prefix()
    assert download(python, index.url, mounted_os_store, tmp_path / "dl0").returncode != 0

    proc = run_pipssl(*repair_args(python, index.url), prefix=prefix)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] and [a["kind"] for a in data["actions"]] == ["write-bundle", "set-cert"]
    bundle = Path(data["actions"][0]["path"])
    body = "".join(ca_pem.split()[2:-2])  # the base64 between BEGIN and END lines
    blocks = [b for b in bundle.read_text().split("# source: ") if body in "".join(b.split())]
    assert [b.partition("\n")[0] for b in blocks] == ["OS trust store"]
    config = pip_world.isolated.pip_conf_path("user")
    assert f"cert = {bundle}" in config.read_text()
    for written in (bundle, config):
        assert pip_world.isolated.root in written.parents, written
    assert snapshot(real_pip_config_files()) == real_before

    done = download(python, index.url, mounted_os_store, tmp_path / "dl1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in (tmp_path / "dl1").iterdir()] == [WHEEL]
    assert run_pipssl("undo", "--json", prefix=prefix).returncode == 0
    assert download(python, index.url, mounted_os_store, tmp_path / "dl2").returncode != 0
    assert not bundle.exists()


def test_machine_trust_store_and_global_pip_config_are_untouched() -> None:
    """Last in this module: the machine's /etc/ssl/certs and global pip configs are
    byte-identical to what they were when the module was imported."""
    assert machine_trust_state() == MACHINE_BEFORE
