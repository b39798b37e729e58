"""Issue 15, point 3: the wheelhouse honours requirement semantics, and ``create`` is honest.

``install`` resolves versions, extras and markers (for the TARGET interpreter) against the
bundle and refuses what it cannot satisfy before pip runs; each verdict is checked against
the target's real pip, offered the same wheels with ``--no-index --find-links --dry-run``.
``create`` names doctor's finding when pip could not download because of TLS, and a piped
``get-pipssl.py`` carries itself (or refuses).

The index is test_wheelhouse's tree plus ``rho`` (an extra needing ``sigma``, which no
index serves, and dependencies behind markers).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, Iterator

import pytest
from bed.certs import CertWorld
from bed.index import MakeIndex
from bed.isolation import scrubbed_environ
from targets import LEGACY_BASE, base_python, make_venv, run_pipssl
from test_wheelhouse import World, make_wheel, pip_list, serve_tree

from pipssl import _embed, wheelhouse
from pipssl.errors import PipsslError

pytestmark = pytest.mark.once

REPO = Path(__file__).resolve().parent.parent
RHO = ['sigma>=2; extra == "socks"', 'omega; python_version < "3"', 'gamma; python_version >= "3"']
# The target is Python 3.8; the tests run pipssl on other Pythons too: these markers differ
# between the two, so only an evaluation for the target gives the expected result.
FOR_TARGET = 'python_version < "3.9"'
NOT_FOR_TARGET = 'python_version >= "3.9"'


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, cert_world: CertWorld) -> Iterator[World]:
    def rho(index_dir: Path) -> None:
        make_wheel(index_dir, "rho", "py3-none-any", RHO)

    yield from serve_tree(tmp_path_factory.mktemp("semantics"), cert_world, rho)


@pytest.fixture(scope="module")
def bundle(world: World) -> Path:
    """rho (with gamma, not omega: markers) and beta (with delta); sigma nowhere."""
    return world.create("rho.zip", ["rho", "beta"])


@pytest.fixture(scope="module")
def target(world: World) -> Path:
    return make_venv(base_python(LEGACY_BASE), world.root / "target")


@pytest.fixture(scope="module")
def wheels(world: World, bundle: Path) -> Path:
    """The bundle's wheels, for the real pip to resolve the same requirements against."""
    directory = world.root / "wheels"
    directory.mkdir()
    with zipfile.ZipFile(bundle) as archive:
        for name in archive.namelist():
            if name.startswith("wheels/"):
                (directory / Path(name).name).write_bytes(archive.read(name))
    return directory


def real_pip_takes(python: Path, wheels: Path, requirement: str, env: Dict[str, str]) -> bool:
    """Whether the target's own pip resolves ``requirement`` from these wheels alone."""
    argv = [str(python), "-m", "pip", "install", "--dry-run", "--no-index"]
    argv += ["--find-links", str(wheels), requirement]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    return done.returncode == 0


REFUSED = {
    # requirement: what the refusal says
    "rho==2.0": "the bundle holds rho 1.0",
    "rho>=99": "the bundle holds rho 1.0",
    "rho[socks]": "rho 1.0 needs sigma>=2, which is not in the bundle",
    "omega": "omega is not in the bundle; it holds",
    f"rho==3; {FOR_TARGET}": "the bundle holds rho 1.0",
}


def test_what_the_bundle_cannot_satisfy_is_refused_before_anything_is_installed(
    world: World, bundle: Path, target: Path, wheels: Path
) -> None:
    env = world.offline_env()
    before = pip_list(target, env)
    for requirement, message in REFUSED.items():
        assert not real_pip_takes(target, wheels, requirement, env), requirement
        argv = ["wheelhouse", "install", str(bundle), "beta", requirement, "--python", str(target)]
        done = run_pipssl(*argv, env=env)
        assert done.returncode == 2, (requirement, done.stderr)
        assert f"{requirement}: " in done.stderr and message in done.stderr, done.stderr
        assert "hint: create the bundle with that requirement" in done.stderr
        with pytest.raises(PipsslError) as caught:
            wheelhouse.install(bundle, ["beta", requirement], python=str(target), environ=env)
        assert caught.value.reference == "not-in-bundle"
    assert pip_list(target, env) == before  # beta, asked with each of them, neither


def test_versions_extras_and_target_markers_that_hold_install(
    world: World, bundle: Path, wheels: Path
) -> None:
    python = make_venv(base_python(LEGACY_BASE), world.root / "installed")
    env = world.offline_env()
    asked = ["rho>=1", f"beta[more]; {FOR_TARGET}", f"omega; {NOT_FOR_TARGET}"]
    for requirement in asked[:2]:
        assert real_pip_takes(python, wheels, requirement, env), requirement
    argv = ["wheelhouse", "install", str(bundle), *asked, "--python", str(python), "--json"]
    done = run_pipssl(*argv, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True and result["already_installed"] == [], result
    # beta[more] pulls gamma in; rho's gamma marker holds on 3.8, its omega one does not
    assert sorted(result["installed"]) == ["beta==1.0", "delta==1.0", "gamma==1.0", "rho==1.0"]
    assert result["skipped"] == [f"omega; {NOT_FOR_TARGET}"]
    installed = {line.split("==")[0] for line in pip_list(python, env)}
    assert {"rho", "beta", "gamma", "delta"} <= installed and "omega" not in installed
    again = json.loads(run_pipssl(*argv, env=env).stdout)  # nothing new to do
    assert (again["ok"], again["installed"]) == (True, []), again
    assert sorted(again["already_installed"]) == sorted(result["installed"]), again
    text = run_pipssl(*argv[:-1], env=env)  # again, as people read it
    assert text.returncode == 0, text.stderr
    assert "installed nothing" in text.stdout and "already installed: " in text.stdout
    assert f"skipped omega; {NOT_FOR_TARGET}: its marker is false for {python}" in text.stdout


def test_by_default_the_bundles_own_requirements_keep_their_markers(world: World) -> None:
    # false on every Python: pip download skipped omega, and install skips that line too
    never = 'omega; python_version < "3"'
    path = world.create("markers.zip", ["gamma", never])
    python = make_venv(base_python(LEGACY_BASE), world.root / "default")
    env = world.offline_env()
    result = wheelhouse.install(path, python=str(python), environ=env)
    assert result.installed == ["gamma==1.0"] and result.skipped == [never]
    assert real_pip_takes(python, world.root / "index", never, env)  # "Ignoring omega"


def test_an_extra_the_project_lacks_is_installed_without_as_pip_does(
    world: World, bundle: Path, wheels: Path
) -> None:
    python = make_venv(base_python(LEGACY_BASE), world.root / "noextra")
    env = world.offline_env()
    assert real_pip_takes(python, wheels, "delta[nope]", env)
    result = wheelhouse.install(bundle, ["delta[nope]"], python=str(python), environ=env)
    assert result.installed == ["delta==1.0"]
    assert result.notes == ["delta 1.0 does not provide the extra 'nope'"]


def test_prereleases_follow_pip(tmp_path: Path) -> None:
    """The rule measured with pip 23.0.1 and 24.2 on one 2.0rc1 wheel (see ``allows``)."""
    from packaging.specifiers import SpecifierSet

    from pipssl.wheelhouse.resolving import allows

    wheel_dir = tmp_path / "pre"
    wheel_dir.mkdir()
    make_wheel(wheel_dir, "xpre", "py3-none-any", version="2.0rc1")
    env = scrubbed_environ(tmp_path / "home")
    python = base_python(LEGACY_BASE)
    for spec in ["", ">=2.0rc1", ">=1", "<3", "!=1.0", "==2.*"]:
        argv = [str(python), "-m", "pip", "install", "--dry-run", "--no-index"]
        argv += ["--find-links", str(wheel_dir), "xpre" + spec]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        assert allows(SpecifierSet(spec), "2.0rc1") == (done.returncode == 0), (spec, done)


def test_a_dependency_held_at_a_version_it_excludes_is_refused(
    tmp_path: Path, target: Path, world: World
) -> None:
    """A bundle ``create`` would not make (tau needs delta>=2, delta 1.0 held): the check
    reaches past the asked requirement, as pip's resolver does."""
    from pipssl.wheelhouse.manifest import Manifest, ManifestWheel
    from pipssl.wheelhouse.resolving import resolve

    wheel_dir = tmp_path / "wheels"
    wheel_dir.mkdir()
    paths = [make_wheel(wheel_dir, "tau", "py3-none-any", ["delta>=2"])]
    paths.append(make_wheel(wheel_dir, "delta", "py3-none-any"))
    wheels = [
        ManifestWheel(f"wheels/{p.name}", p.name.split("-")[0], "1.0", ("py3-none-any",), {})
        for p in paths
    ]
    manifest = Manifest(files=(), wheels=tuple(wheels), requirements=(), roots=None)
    env = world.offline_env()
    assert not real_pip_takes(target, wheel_dir, "tau", env)
    assert real_pip_takes(target, wheel_dir, "delta", env)
    with pytest.raises(PipsslError) as caught:
        resolve(manifest, wheel_dir, ["tau"], {"python_version": "3.8"})
    assert str(caught.value) == "tau: tau 1.0 needs delta>=2, and the bundle holds delta 1.0"
    assert resolve(manifest, wheel_dir, ["delta"], {"python_version": "3.8"}).projects == (
        "delta",
    )


# --- create: the TLS cause, and the piped bootstrap ------------------------------------------


def test_create_names_the_tls_cause_when_pip_cannot_download(
    world: World, make_index: MakeIndex
) -> None:
    # a server whose CA the pip of the world does not trust
    index = make_index("intercepted", wheel_dir=world.root / "index")
    out = world.root / "tls.zip"
    argv = ["wheelhouse", "create", "gamma", "-o", str(out), "--index-url", index.url]
    argv += ["--bootstrap", str(REPO / "get-pipssl.py")]
    done = run_pipssl(*argv, env=world.env, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "pip download failed: ERROR: No matching distribution found for gamma" in done.stderr
    assert "(untrusted-issuer" in done.stderr and "hint: " in done.stderr, done.stderr
    assert not out.exists()
    with pytest.raises(PipsslError) as caught:
        wheelhouse.create(
            ["gamma"], world.root / "tls2.zip", index_url=index.url, environ=world.env
        )
    assert caught.value.reference == "index-unusable"


def test_create_on_a_reachable_index_lacking_the_project_keeps_pips_message(
    world: World,
) -> None:
    with pytest.raises(PipsslError, match="No matching distribution found for nosuch") as caught:
        world.create("nosuch.zip", ["nosuch"])
    assert caught.value.reference == "pip-failed"
    assert "untrusted" not in str(caught.value)


@pytest.fixture(scope="module")
def script(world: World) -> Path:
    """get-pipssl.py built from this tree (the committed one may predate it)."""
    path = world.root / "get-pipssl.py"
    path.write_bytes(_embed.build(REPO))
    return path


def _piped(world: World, script: Path, out: Path, *extra: str, through_a_pipe: bool) -> str:
    """``python - wheelhouse create ... < get-pipssl.py`` (or ``cat get-pipssl.py |``):
    its exit code, a newline, its stderr."""
    argv = [sys.executable, "-", "wheelhouse", "create", "gamma", "-o", str(out)]
    argv += ["--index-url", world.index_url, *extra]
    with script.open("rb") as stream:
        if through_a_pipe:
            done = subprocess.run(
                argv, input=stream.read(), capture_output=True, timeout=300, env=world.env
            )
        else:
            done = subprocess.run(
                argv, stdin=stream, capture_output=True, timeout=300, env=world.env
            )
    return f"{done.returncode}\n{done.stderr.decode()}"


def test_piped_get_pipssl_carries_itself(world: World, script: Path) -> None:
    out = world.root / "piped.zip"
    result = _piped(world, script, out, through_a_pipe=False)
    assert result.startswith("0\n"), result
    with zipfile.ZipFile(out) as bundle:
        assert bundle.read("get-pipssl.py") == script.read_bytes()


def test_get_pipssl_through_a_pipe_runs_nothing(world: World, script: Path) -> None:
    """Through a real pipe get-pipssl.py cannot read itself again to check it was not cut
    short: it says to save it as a file, and creates nothing (with --bootstrap too)."""
    out = world.root / "pipe.zip"
    for extra in ((), ("--bootstrap", str(script))):
        result = _piped(world, script, out, *extra, through_a_pipe=True)
        assert result.startswith("2\n") and "save it as a file" in result, result
        assert len(result.splitlines()) == 2, result
        assert not out.exists()
