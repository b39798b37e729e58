"""Fixtures for the real uv, poetry and requests (tox env ``clients``).

Every other tox env lacks these clients: each test module skips itself then, and this
file imports none of them.  The clients never reach beyond loopback: their home, config
and cache directories are the test's own, every proxy variable points at a closed
loopback port (so any request for another host fails at once) and only loopback is
exempt from it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, Iterator

import pytest
from bed.index import closed_port
from bed.world import World

TOOL_ENV = {
    "UV_PYTHON_DOWNLOADS": "never",
    "UV_NO_CONFIG": "1",
    "POETRY_KEYRING_ENABLED": "false",
    "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    "POETRY_REQUESTS_MAX_RETRIES": "0",
    "POETRY_VIRTUALENVS_IN_PROJECT": "true",
    "POETRY_VIRTUALENVS_USE_POETRY_PYTHON": "true",
    "POETRY_NO_INTERACTION": "1",
}


@pytest.fixture
def tools_env(pip_world: World, tmp_path: Path) -> Iterator[Dict[str, str]]:
    """The test's scrubbed environment for a user-scope repair, with the clients' dirs in
    it, their caches in tmp, a dead proxy for anything but loopback, and an "OS store"
    (SSL_CERT_FILE) of certifi's roots only: the intercepting CA is trusted nowhere."""
    pip_world.user_scope().os_store()
    os.environ["UV_CACHE_DIR"] = str(tmp_path / "uv-cache")
    os.environ["POETRY_CACHE_DIR"] = str(tmp_path / "poetry-cache")
    os.environ.update(TOOL_ENV)
    dead = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ[name] = dead
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
    # the clients installed beside this interpreter (a tox env's bin) come first on PATH
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    yield dict(os.environ)


#: requests and what it imports: pure Python in the wheels tox env clients installs.
REQUESTS_PACKAGES = ("requests", "urllib3", "certifi", "idna", "charset_normalizer")


@pytest.fixture(scope="session")
def requests_313(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python 3.13 venv with the very requests and urllib3 this env installed (copied,
    files and metadata: they are pure Python), so that the real requests runs where
    urllib3 2 turns on OpenSSL's strict profile."""
    import shutil
    import sysconfig

    from targets import base_python, make_venv

    python = make_venv(base_python("3.13"), tmp_path_factory.mktemp("r313") / "venv")
    site = Path(sysconfig.get_paths()["purelib"])
    (dest,) = python.parent.parent.glob("lib/python3.13/site-packages")
    for name in REQUESTS_PACKAGES:
        shutil.copytree(site / name, dest / name, ignore=shutil.ignore_patterns("*.so"))
        for info in site.glob(f"{name}-*.dist-info"):
            shutil.copytree(info, dest / info.name)
    return python
