"""A bundle shared by several users: the consent it holds belongs to it.

User A repairs a venv with ``--ca``; user B (another HOME: a Docker image repaired as root
and run as another user, a CI job with a fresh HOME) diagnoses and repairs the same venv.
B must not drop A's CA, and A's pip and A's undo must keep working.  Real pipssl
processes, real pip, loopback indexes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, Mapping

import pytest
from bed.isolation import scrubbed_environ
from bed.world import World
from targets import LEGACY_BASE, base_python, make_venv, run_pipssl

pytestmark = [pytest.mark.once, pytest.mark.slow]


def pip_install(python: Path, url: str, env: Mapping[str, str], dest: Path) -> bool:
    """The real ``pip install`` of the test package from ``url`` into ``dest``."""
    proc = subprocess.run(
        [
            str(python), "-m", "pip", "install", "--no-deps", "--no-cache-dir",
            "--disable-pip-version-check", "--retries", "0", "--index-url", url,
            "--target", str(dest), "pipssl_probe_pkg",
        ],
        capture_output=True, text=True, timeout=180, env=dict(env), check=False,
    )  # fmt: skip
    return proc.returncode == 0 and any(dest.glob("pipssl_probe_pkg*"))


def as_user(env: Mapping[str, str], *args: str) -> Dict[str, Any]:
    proc = run_pipssl(*args, "--json", env=env)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def test_another_home_keeps_the_ca_consented_for_a_shared_venv(
    pip_world: World, tmp_path: Path
) -> None:
    pip_world.user_scope().os_store()
    python = make_venv(base_python(LEGACY_BASE), tmp_path / "shared-venv")
    index = pip_world.index("intercepted", python)
    ca = str(pip_world.certs.path("intercept.pem"))
    user_a = dict(os.environ)
    user_b = scrubbed_environ(tmp_path / "user-b", base=user_a)
    user_b.pop("PIP_CONFIG_FILE")
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):  # the same machine: the same OS store
        user_b[name] = user_a[name]
    target = ("--python", str(python), "--index-url", index.url)

    done = as_user(user_a, "repair", "--yes", "--scope", "site", *target, "--ca", ca)
    assert done["ok"] and done["changed"], done
    bundle = python.parent.parent / "share" / "pipssl" / "ca-bundle.pem"
    written = bundle.read_bytes()
    assert pip_install(python, index.url, user_a, tmp_path / "a1")

    # B's doctor sees a bundle that matches its sources: A's CA is the bundle's consent
    found = as_user(user_b, "doctor", *target)["findings"]
    assert "bundle-stale" not in [f["code"] for f in found], found
    # B's repair keeps A's CA: nothing to change
    again = as_user(user_b, "repair", "--yes", "--scope", "site", *target)
    assert again["ok"] and not again["changed"], again
    assert bundle.read_bytes() == written
    assert pip_install(python, index.url, user_b, tmp_path / "b1")
    assert pip_install(python, index.url, user_a, tmp_path / "a2")

    # A's undo finds the files as A's repair left them
    undone = run_pipssl("undo", env=user_a)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert not bundle.exists()

    # forget stays the way a consented CA leaves, for B too (it is not in B's own store)
    assert as_user(user_a, "repair", "--yes", "--scope", "site", *target, "--ca", ca)["ok"]
    sha = done["bundle"]["added"][-1]["sha256"]
    gone = as_user(user_b, "forget", "--yes", "--scope", "site", "--python", str(python), sha)
    assert gone["changed"] and [c["sha256"] for c in gone["bundle"]["removed"]] == [sha], gone
    assert not pip_install(python, index.url, user_a, tmp_path / "a3")


def test_a_rebuild_that_drops_a_root_no_source_withdrew_is_rolled_back(
    pip_world: World, tmp_path: Path
) -> None:
    pip_world.user_scope().os_store()
    python = make_venv(base_python(LEGACY_BASE), tmp_path / "venv")
    index = pip_world.index("intercepted", python)
    target = ("--python", str(python), "--index-url", index.url)
    ca = str(pip_world.certs.path("intercept.pem"))
    done = as_user(os.environ, "repair", "--yes", "--scope", "site", *target, "--ca", ca)
    assert done["ok"] and done["changed"], done
    # the CA's label edited by hand: neither a source's root nor a consent any more
    bundle = python.parent.parent / "share" / "pipssl" / "ca-bundle.pem"
    text = bundle.read_text()
    start = text.index("# source: consented ")
    end = text.index("\n", start)
    bundle.write_text(text[:start] + "# source: added by hand" + text[end:])
    edited = bundle.read_bytes()
    user_b = scrubbed_environ(tmp_path / "user-b", base=os.environ)
    user_b.pop("PIP_CONFIG_FILE")
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        user_b[name] = os.environ[name]
    again = as_user(user_b, "repair", "--yes", "--scope", "site", *target)
    assert again["rolled_back"] and not again["changed"], again
    assert again["message"] == f"rolled back: it would break {index.url}, which verified before"
    assert bundle.read_bytes() == edited
    assert pip_install(python, index.url, user_b, tmp_path / "b")
