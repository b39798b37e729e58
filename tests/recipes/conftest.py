"""Fixtures of the recipe tests: a broken world each recipe of docs/provisioning.md must fix.

The world is the intercepting-CA world of ``tests/test_repair.py``: a loopback HTTPS index
whose certificate a test CA ("the corporate proxy's") issued, an OS store holding certifi's
roots only, pip's user and site config read as on a real machine, and ``PIP_INDEX_URL``
in the environment standing for the route through the proxy.  Everything else comes from
``tests/conftest.py`` (``isolated_env``, ``cert_world``, ``make_index``).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict

import pytest
from bed.certs import CertWorld
from bed.index import MakeIndex
from bed.isolation import IsolatedEnv
from bed.pip import pip_download, url_host_for
from recipebed import PROBE, VERIFY_FAILED, show
from targets import base_python, make_venv


@dataclass
class RecipeWorld:
    """What a recipe test gets: the CA to name, the index, and the environment to run in."""

    ca: Path
    index_url: str
    env: Dict[str, str]

    def pip_download(self, python: Path, dest: Path) -> subprocess.CompletedProcess[str]:
        """``python -m pip download`` of the probe package from the index, no retries."""
        return pip_download(python, self.index_url, self.env, dest)

    def assert_pip_fails(self, python: Path, dest: Path) -> None:
        done = self.pip_download(python, dest)
        assert done.returncode != 0, show(done)
        assert VERIFY_FAILED in done.stdout + done.stderr, show(done)

    def assert_pip_installed(self, python: Path) -> None:
        """The recipe's ``pip install`` put the probe package into ``python``'s prefix."""
        done = subprocess.run(
            [str(python), "-c", f"import {PROBE}; print({PROBE}.__version__)"],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
            check=False,
        )
        assert done.stdout.strip() == "1.0", show(done)


@pytest.fixture
def recipe_world(
    isolated_env: IsolatedEnv, tmp_path: Path, make_index: MakeIndex, cert_world: CertWorld
) -> Callable[[str], RecipeWorld]:
    """Factory ``recipe_world(version) -> RecipeWorld`` for a pip of pyenv's ``version``.

    The index URL names the host that version's pip can verify (``bed.pip.url_host_for``).
    """
    import certifi

    def factory(version: str) -> RecipeWorld:
        index = make_index(
            "intercepted", url_host=url_host_for(base_python(version)), lifetime=900
        )
        # pip reads the user and site files only while PIP_CONFIG_FILE names none
        os.environ.pop("PIP_CONFIG_FILE", None)
        store = tmp_path / "os-store.pem"
        store.write_bytes(Path(certifi.where()).read_bytes())
        certs = tmp_path / "os-certs"
        certs.mkdir(exist_ok=True)
        os.environ["SSL_CERT_FILE"] = str(store)
        os.environ["SSL_CERT_DIR"] = str(certs)
        os.environ["PIP_INDEX_URL"] = index.url
        os.environ["XDG_STATE_HOME"] = str(isolated_env.home / ".local" / "state")
        return RecipeWorld(cert_world.path("intercept.pem"), index.url, dict(os.environ))

    return factory


@pytest.fixture(scope="session")
def pristine_venv(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Factory ``pristine_venv(version) -> python``: a venv that only ever downloads, to show
    that a pip of that version fails in the world before a recipe runs."""
    made: Dict[str, Path] = {}

    def factory(version: str) -> Path:
        if version not in made:
            root = tmp_path_factory.mktemp(f"pristine-{version}")
            made[version] = make_venv(base_python(version), root / "venv")
        return made[version]

    return factory
