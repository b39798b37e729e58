"""Which certifi pipssl's bundle holds: one rule, whoever builds it.

The bundle's certifi is the newest of the target's (pip's vendored one, its standalone
certifi) and the one the bundle already holds; never the certifi pipssl happens to run
with.  So get-pipssl.py (which carries a certifi) and ``python -m pipssl`` on an
interpreter without one build the same bytes, neither calls the other's bundle stale, and
``bundle-stale`` names the certifi it compares with.  Real pipssl processes and pips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from bed.isolation import IsolatedEnv
from bed.world import World
from targets import LEGACY_BASE, base_python, make_venv, run_pipssl

from pipssl.certs import bundle as cabundle
from pipssl.certs.compose import render

pytestmark = pytest.mark.once

#: the checkout of the pipssl under test (get-pipssl.py is built from it)
#: The checkout: get-pipssl.py is built from its bootstrap/ and pipssl/ (under tox, the
#: pipssl imported is the installed wheel, whose parent is site-packages).
REPO = Path(__file__).resolve().parents[1]


def vendored(python: Path) -> Path:
    """The venv pip's vendored cacert.pem (pip 23.0.1: certifi 2022.12.07)."""
    found = sorted(python.parents[1].glob("lib/python*/site-packages/pip/_vendor/certifi"))
    return found[0] / "cacert.pem"


def stale(python: Path, env: Dict[str, str], *runner: str) -> List[Dict[str, Any]]:
    """doctor's bundle-stale findings, doctor run by ``runner`` (default: python -m pipssl)."""
    args = ("doctor", "--json", "--python", str(python))
    if runner:
        proc = subprocess.run(
            [*runner, *args], capture_output=True, text=True, timeout=300, env=env, check=False
        )
    else:
        proc = run_pipssl(*args, env=env)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "bundle-stale"]


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    return make_venv(base_python(LEGACY_BASE), tmp_path / "venv")


def a_bundle(
    python: Path, tmp_path: Path, isolated_env: IsolatedEnv, version: str, extra: str
) -> Path:
    """A bundle pipssl wrote from certifi ``version`` (the venv pip's roots, ``extra``
    added or, for "-", its first root missing), named by pip's config."""
    roots = cabundle.load_cafile(str(vendored(python)))
    if extra == "-":
        roots = roots[1:]
    elif extra:
        roots += cabundle.read_pem(Path(extra).read_bytes(), source="extra")
    path = tmp_path / "ca-bundle.pem"
    path.write_bytes(render([cabundle.BundleEntry(c, f"certifi {version}") for c in roots]))
    isolated_env.write_pip_conf(f"[global]\ncert = {path}\n")
    # an empty OS store: the bundle's roots are certifi's alone
    (tmp_path / "os-store.pem").write_bytes(b"")
    (tmp_path / "os-certs").mkdir()
    os.environ["SSL_CERT_FILE"] = str(tmp_path / "os-store.pem")
    os.environ["SSL_CERT_DIR"] = str(tmp_path / "os-certs")
    return path


def test_a_bundle_from_a_newer_certifi_is_not_stale_for_an_older_one(
    venv: Path, tmp_path: Path, pip_world: World
) -> None:
    # built by a pipssl carrying a newer certifi, which holds one root the venv's lacks
    a_bundle(venv, tmp_path, pip_world.isolated, "2099.1.1", str(pip_world.certs.path("root.pem")))
    assert stale(venv, dict(os.environ)) == []


def test_bundle_stale_names_the_certifi_it_compares_with(
    venv: Path, tmp_path: Path, isolated_env: IsolatedEnv
) -> None:
    a_bundle(venv, tmp_path, isolated_env, "2000.1.1", "-")
    (found,) = stale(venv, dict(os.environ))
    assert found["summary"].endswith("a rebuild adds " + found["summary"].split("adds ")[1])
    source = f"certifi 2022.12.07 from {vendored(venv)} (the target pip's vendored copy)"
    assert source in found["detail"], found["detail"]
    assert "the bundle holds certifi 2000.1.1" in found["detail"]


@pytest.mark.slow
def test_get_pipssl_and_python_m_pipssl_build_the_same_bundle(
    venv: Path, tmp_path: Path, pip_world: World
) -> None:
    script = tmp_path / "get-pipssl.py"  # built from this checkout: the code under test
    subprocess.run(
        [sys.executable, "-m", "pipssl._embed", "--root", str(REPO), "--output", str(script)],
        cwd=REPO, check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    index = pip_world.index("intercepted", venv)
    env = dict(os.environ)
    ca = str(pip_world.certs.path("intercept.pem"))
    bootstrap = (str(base_python(LEGACY_BASE)), str(script))  # carries its own certifi
    module = (str(venv), "-m", "pipssl")  # the venv has no certifi but pip's
    bundle = venv.parents[1] / "share" / "pipssl" / "ca-bundle.pem"
    built = {}
    for first, then in ((bootstrap, module), (module, bootstrap)):
        repair = [*first, "repair", "--yes", "--json", "--scope", "site", "--python", str(venv)]
        proc = subprocess.run(
            [*repair, "--index-url", index.url, "--ca", ca],
            capture_output=True, text=True, timeout=300, env=_with_pipssl(env, first), check=False,
        )  # fmt: skip
        assert proc.returncode == 0 and json.loads(proc.stdout)["changed"], proc.stderr
        built[first] = bundle.read_bytes()
        assert stale(venv, _with_pipssl(env, then), *then) == []
        assert run_pipssl("undo", env=env).returncode == 0 and not bundle.exists()
    assert built[bootstrap] == built[module]


def _with_pipssl(env: Dict[str, str], runner: Any) -> Dict[str, str]:
    """``python -m pipssl`` in the venv imports the checkout's pipssl; get-pipssl.py its own."""
    from targets import pipssl_path

    child = dict(env)
    if "-m" in runner:
        child["PYTHONPATH"] = pipssl_path()
    return child
