"""Air-gapped bundles: create from the loopback index with real pip, verify, install offline.

The index serves a small tree built here (alpha -> beta, gamma; beta -> delta; beta only
as a manylinux wheel, plus a win_amd64 one) and pip, certifi and packaging wheels taken
from this machine (pyenv's ensurepip and bootstrap/vendor): no network beyond loopback.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import warnings
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest
from bed.certs import CertWorld
from bed.index import closed_port, serve_index
from bed.isolation import scrubbed_environ
from bed.nossl import NosslUnavailable, make_nossl_python
from targets import LEGACY_BASE, base_python, make_venv, run_pipssl

from pipssl import wheelhouse
from pipssl.errors import PipsslError

pytestmark = pytest.mark.once

REPO = Path(__file__).resolve().parent.parent
LINUX = "py3-none-manylinux2014_x86_64"
TREE = {
    # name: (tag, requires)
    "alpha": ("py3-none-any", ["beta", "gamma>=1"]),
    "beta": (LINUX, ["delta", 'gamma; extra == "more"']),
    "gamma": ("py3-none-any", []),
    "delta": ("py3-none-any", []),
    "omega": ("py3-none-any", []),
}


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def make_wheel(
    dest: Path, name: str, tag: str, requires: Sequence[str] = (), version: str = "1.0"
) -> Path:
    """A minimal wheel with Requires-Dist lines and any tag (bed.build_wheel has neither)."""
    info = f"{name}-{version}.dist-info"
    extras = sorted({r.split('extra == "')[1].rstrip('"') for r in requires if "extra" in r})
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Provides-Extra: {e}\n" for e in extras)
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    purelib = "true" if tag.endswith("-any") else "false"
    files = [
        (f"{name}.py", f"NAME = {name!r}\n".encode()),
        (f"{info}/METADATA", metadata.encode()),
        (
            f"{info}/WHEEL",
            f"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n".encode(),
        ),
    ]
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in files)
    files.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    path = dest / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files:
            archive.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return path


# An in-tree PEP 517 backend: the sdist builds with no build dependency from any index.
BACKEND = """
import base64, hashlib, zipfile

def _hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = "zeta-1.0.dist-info"
    files = [("zeta.py", b"NAME = 'zeta'\\n"),
             (info + "/METADATA", b"Metadata-Version: 2.1\\nName: zeta\\nVersion: 1.0\\n"),
             (info + "/WHEEL", b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\n"
                               b"Tag: py3-none-any\\n")]
    record = "".join("%s,%s,%d\\n" % (p, _hash(d), len(d)) for p, d in files)
    files.append((info + "/RECORD", (record + info + "/RECORD,,\\n").encode()))
    name = "zeta-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel_directory + "/" + name, "w") as archive:
        for path, data in files:
            archive.writestr(path, data)
    return name
"""


def make_sdist(dest: Path) -> Path:
    """zeta-1.0.tar.gz: only an sdist, built by the backend above."""
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
        "backend.py": BACKEND,
        "PKG-INFO": "Metadata-Version: 2.1\nName: zeta\nVersion: 1.0\n",
    }
    path = dest / "zeta-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"zeta-1.0/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def tools_wheels(dest: Path) -> None:
    """pip from Python 3.8's ensurepip; certifi, packaging and tomli from bootstrap/vendor."""
    bundled = base_python(LEGACY_BASE).parent.parent / "lib" / "python3.8" / "ensurepip"
    pips = sorted((bundled / "_bundled").glob("pip-23*.whl"))
    if not pips:
        pytest.skip("no pip 23 wheel in Python 3.8's ensurepip")
    shutil.copy(pips[-1], dest)
    for wheel in (REPO / "bootstrap" / "vendor").glob("*.whl"):
        shutil.copy(wheel, dest)


class World:
    def __init__(self, root: Path, index_url: str, env: Dict[str, str]) -> None:
        self.root = root
        self.index_url = index_url
        self.env = env

    def create(self, out: str, reqs: Sequence[str] = ("alpha", "omega"), **kw: Any) -> Path:
        path = self.root / out
        # the checkout's get-pipssl.py: under tox pipssl is installed, with no checkout
        kw.setdefault("bootstrap_file", REPO / "get-pipssl.py")
        wheelhouse.create(list(reqs), path, index_url=self.index_url, environ=self.env, **kw)
        return path

    def offline_env(self) -> Dict[str, str]:
        env = dict(self.env)
        env["PIP_INDEX_URL"] = f"https://127.0.0.1:{closed_port()}/simple/"
        return env


def serve_tree(root: Path, cert_world: CertWorld, add: Callable[[Path], None]) -> Iterator[World]:
    """An index of :data:`TREE`'s wheels, an sdist, the tools' wheels and what ``add``
    puts in its directory, served while the world is in use."""
    index_dir = root / "index"
    index_dir.mkdir()
    for name, (tag, requires) in TREE.items():
        make_wheel(index_dir, name, tag, requires)
    add(index_dir)
    make_sdist(index_dir)
    tools_wheels(index_dir)
    env = scrubbed_environ(root / "home")
    env["PIP_CERT"] = str(cert_world.path("root.pem"))
    with serve_index(index_dir, cert_world.server_cert("good"), lifetime=300) as index:
        yield World(root, index.url, env)


def _platform_wheels(index_dir: Path) -> None:
    make_wheel(index_dir, "beta", "py3-none-win_amd64", ["delta"])
    make_wheel(index_dir, "kappa", "cp313-none-any")  # a wheel for Python 3.13 only


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, cert_world: CertWorld) -> Iterator[World]:
    yield from serve_tree(tmp_path_factory.mktemp("wheelhouse"), cert_world, _platform_wheels)


@pytest.fixture(scope="module")
def bundle(world: World) -> Path:
    return world.create("bundle.zip")


@pytest.fixture(scope="module")
def target_venv(world: World) -> Path:
    """A 3.8 venv the refusal tests try to install into; it must never change."""
    return make_venv(base_python(LEGACY_BASE), world.root / "refused")


def pip_list(python: Path, env: Dict[str, str]) -> List[str]:
    out = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "freeze"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    return sorted(out.split())


def imports(python: Path, modules: str, env: Dict[str, str]) -> int:
    argv = [str(python), "-c", f"import {modules}"]
    # cwd: not the checkout, whose pipssl would import from there
    done = subprocess.run(argv, env=env, capture_output=True, timeout=60, cwd=str(python.parent))
    return done.returncode


def test_bundle_holds_pinned_wheels_tools_bootstrap_and_a_manifest(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        pins = archive.read("requirements.txt").decode()
        infos = archive.infolist()
    assert names == sorted(names)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos if i.filename.endswith(".whl"))
    projects = {w["name"] for w in manifest["wheels"]}
    assert projects == {*TREE, "pip", "certifi", "packaging", "tomli", "pipssl"}
    assert "get-pipssl.py" in names
    assert manifest["schema"] == 1 and manifest["pip_version"]
    assert manifest["requirements"] == ["alpha", "omega"] and manifest["roots"] == [
        "alpha",
        "omega",
    ]
    alpha = next(w for w in manifest["wheels"] if w["name"] == "alpha")
    assert alpha["requires"] == {"": ["beta", "gamma"]}
    beta = next(w for w in manifest["wheels"] if w["name"] == "beta")
    assert beta["requires"] == {"": ["delta"], "more": ["gamma"]} and beta["tags"] == [LINUX]
    listed = {f["path"] for f in manifest["files"]}
    assert listed == set(names) - {"manifest.json"}
    assert len(pins.splitlines()) == len(projects)
    assert all("==" in line and "--hash=sha256:" in line for line in pins.splitlines())


def test_cli_create_from_a_requirements_file_is_deterministic(world: World, bundle: Path) -> None:
    reqs = world.root / "requirements.txt"
    reqs.write_text("# the tree\nalpha\n\nomega\n")
    again = world.root / "again.zip"
    argv = ["wheelhouse", "create", "-r", str(reqs), "-o", str(again), "--json"]
    argv += ["--bootstrap", str(REPO / "get-pipssl.py")]
    done = run_pipssl(*argv, "--index-url", world.index_url, env=world.env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["sha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert again.read_bytes() == bundle.read_bytes()


def test_verify_passes_and_cli_reports_json(world: World, bundle: Path) -> None:
    result = wheelhouse.verify(bundle)
    assert result.ok and result.supported_tags
    done = run_pipssl("wheelhouse", "verify", str(bundle), "--json", env=world.env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True


@pytest.mark.slow
def test_install_into_fresh_venv_with_no_network(world: World, bundle: Path) -> None:
    python = make_venv(base_python(LEGACY_BASE), world.root / "fresh")
    env = world.offline_env()
    done = run_pipssl("wheelhouse", "install", str(bundle), "--python", str(python), env=env)
    assert done.returncode == 0, done.stderr
    assert imports(python, "alpha, beta, gamma, delta, omega", env) == 0
    installed = {line.split("==")[0].lower() for line in pip_list(python, env)}
    assert not installed & {"pipssl", "certifi", "packaging", "tomli"}  # carried, not installed


@pytest.mark.slow
def test_install_a_subset_takes_only_its_dependencies(world: World, bundle: Path) -> None:
    python = make_venv(base_python(LEGACY_BASE), world.root / "subset")
    env = world.offline_env()
    result = wheelhouse.install(bundle, ["beta"], python=str(python), environ=env)
    assert sorted(result.installed) == ["beta==1.0", "delta==1.0"]
    assert imports(python, "beta, delta", env) == 0
    assert imports(python, "gamma", env) != 0 and imports(python, "alpha", env) != 0
    with pytest.raises(PipsslError, match="not in") as caught:
        wheelhouse.install(bundle, ["zeta"], python=str(python), environ=env)
    assert caught.value.reference == "not-in-bundle"


@pytest.mark.slow
def test_install_on_a_python_without_ssl(world: World, bundle: Path) -> None:
    # Our own copy: ensurepip and the install change it, so not the session's shared one.
    try:
        python = make_nossl_python(world.root / "nossl", "missing")
    except NosslUnavailable as exc:
        pytest.skip(f"cannot build a no-ssl Python here: {exc}")
    env = world.offline_env()
    assert imports(python, "ssl", env) != 0
    # The air-gapped path: the bundle's own get-pipssl.py, run by the target Python.
    script = world.root / "get-pipssl.py"
    with zipfile.ZipFile(bundle) as archive:
        script.write_bytes(archive.read("get-pipssl.py"))
    argv = [str(python), str(script), "wheelhouse", "install", str(bundle), "--json"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ensurepip"] is True  # the copy starts without pip
    assert imports(python, "alpha, beta, gamma, delta, omega", env) == 0


def test_foreign_target_without_a_wheel_names_the_package(world: World) -> None:
    with pytest.raises(PipsslError, match="no wheel of beta") as caught:
        world.create("mac.zip", platforms=["macosx_11_0_arm64"])
    assert caught.value.reference == "wheel-missing"


@pytest.mark.slow
def test_sdist_only_requirement_is_built_here_and_refused_for_another_target(
    world: World,
) -> None:
    path = world.root / "zeta.zip"
    result = wheelhouse.create(["zeta"], path, index_url=world.index_url, environ=world.env)
    assert result.built_from_sdist == ["zeta-1.0.tar.gz"]
    assert "zeta-1.0-py3-none-any.whl" in result.wheels
    assert wheelhouse.verify(path).ok
    with pytest.raises(PipsslError, match="no wheel of zeta") as caught:
        world.create("zeta38.zip", ["zeta"], python_versions=["3.8"])
    assert caught.value.reference == "wheel-missing"


def _rewrite(src: Path, dest: Path, change: Dict[str, Optional[bytes]]) -> Path:
    """Copy a bundle, replacing (or, with None, dropping) the named entries; others kept."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dest, "w") as new:
        for info in old.infolist():
            if info.filename in change:
                data = change.pop(info.filename)
                if data is None:
                    continue
            else:
                data = old.read(info.filename)
            new.writestr(info, data)
        for name, data in change.items():
            assert data is not None
            new.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return dest


def _first_wheel(bundle: Path) -> Tuple[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        name = next(n for n in archive.namelist() if n.startswith("wheels/alpha"))
        return name, archive.read(name)


def _bad_bundles(world: World, bundle: Path) -> Dict[str, Tuple[Path, str, str]]:
    name, data = _first_wheel(bundle)
    tampered = data[:100] + bytes([data[100] ^ 1]) + data[101:]
    root = world.root / "bad"
    root.mkdir(exist_ok=True)
    truncated = root / "truncated.zip"
    truncated.write_bytes(bundle.read_bytes()[: bundle.stat().st_size // 2])
    link = root / "link.zip"
    _rewrite(bundle, link, {})
    with zipfile.ZipFile(link, "a") as archive:
        info = zipfile.ZipInfo("wheels/evil.whl", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o120777 << 16
        archive.writestr(info, b"/etc/passwd")
    duplicate = root / "duplicate.zip"
    _rewrite(bundle, duplicate, {})
    with warnings.catch_warnings(), zipfile.ZipFile(duplicate, "a") as archive:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), tampered)
    return {
        "tampered": (
            _rewrite(bundle, root / "t.zip", {name: tampered}),
            "does not match",
            "bundle-damaged",
        ),
        "missing": (_rewrite(bundle, root / "m.zip", {name: None}), "missing", "bundle-damaged"),
        "extra": (
            _rewrite(bundle, root / "e.zip", {"wheels/x-1.0-py3-none-any.whl": b"x"}),
            "not listed",
            "bundle-damaged",
        ),
        "truncated": (truncated, "truncated", "bundle-damaged"),
        "traversal": (_rewrite(bundle, root / "p.zip", {"../x": b"x"}), "'..'", "bundle-unsafe"),
        "absolute": (
            _rewrite(bundle, root / "a.zip", {"/tmp/x": b"x"}),
            "absolute",
            "bundle-unsafe",
        ),
        "symlink": (link, "symbolic link", "bundle-unsafe"),
        "drive": (_rewrite(bundle, root / "c.zip", {"C:/x": b"x"}), "absolute", "bundle-unsafe"),
        "duplicate": (duplicate, "twice", "bundle-unsafe"),
        "no manifest": (
            _rewrite(bundle, root / "n.zip", {"manifest.json": None}),
            "no valid manifest.json",
            "bundle-damaged",
        ),
    }


def test_damaged_or_unsafe_bundles_are_refused_and_nothing_installed(
    world: World, bundle: Path, target_venv: Path
) -> None:
    env = world.offline_env()
    before = pip_list(target_venv, env)
    for case, (path, message, reference) in _bad_bundles(world, bundle).items():
        with pytest.raises(PipsslError, match=message) as caught:
            wheelhouse.install(path, python=str(target_venv), environ=env)
        assert caught.value.reference == reference, case
        done = run_pipssl(
            "wheelhouse", "install", str(path), "--python", str(target_venv), env=env
        )
        assert done.returncode == 2, (case, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, case
        assert len(done.stderr.strip().splitlines()) <= 2, case
    assert pip_list(target_venv, env) == before


@pytest.mark.slow
def test_bundle_for_another_platform_is_refused(world: World, target_venv: Path) -> None:
    path = world.create("win.zip", platforms=["win_amd64"], python_versions=["3.8"])
    env = world.offline_env()
    before = pip_list(target_venv, env)
    result = wheelhouse.verify(path, python=str(target_venv), environ=env)
    assert [i.name for i in result.incompatible] == ["beta"]
    assert result.incompatible[0].tags == ["py3-none-win_amd64"]
    assert any(t.startswith("cp38-cp38-") for t in result.supported_tags)
    done = run_pipssl("wheelhouse", "install", str(path), "--python", str(target_venv), env=env)
    assert done.returncode == 2 and "no wheel installs" in done.stderr, done.stderr
    assert "beta (py3-none-win_amd64)" in done.stderr
    verified = run_pipssl("wheelhouse", "verify", str(path), "--python", str(target_venv), env=env)
    assert verified.returncode == 2
    assert pip_list(target_venv, env) == before


@pytest.mark.slow
def test_bundle_for_another_python_is_refused(world: World, target_venv: Path) -> None:
    path = world.create("py313.zip", reqs=["kappa"], python_versions=["3.13"])
    env = world.offline_env()
    before = pip_list(target_venv, env)
    result = wheelhouse.verify(path, python=str(target_venv), environ=env)
    assert [i.name for i in result.incompatible] == ["kappa"]
    assert result.incompatible[0].tags == ["cp313-none-any"]
    done = run_pipssl("wheelhouse", "install", str(path), "--python", str(target_venv), env=env)
    assert done.returncode == 2 and "kappa (cp313-none-any)" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert pip_list(target_venv, env) == before


def test_get_pipssl_carries_itself_into_the_bundles_it_makes(world: World) -> None:
    script = REPO / "get-pipssl.py"
    out = world.root / "from-bootstrap.zip"
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            "wheelhouse",
            "create",
            "gamma",
            "-o",
            str(out),
            "--index-url",
            world.index_url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=world.env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as bundle:
        assert bundle.read("get-pipssl.py") == script.read_bytes()
