"""The real uv, poetry, pdm and requests against a loopback index behind an intercepting CA
they do not trust: each fails, installs (or fetches) after ``pipssl repair --for ...``,
and fails again after ``pipssl undo``.  Runs in tox env ``clients``; every other env
lacks the clients and skips this module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

pytest.importorskip("uv", reason="uv is installed in tox env clients only")
pytest.importorskip("poetry", reason="poetry is installed in tox env clients only")
pytest.importorskip("requests", reason="requests is installed in tox env clients only")
pytest.importorskip("pdm", reason="pdm is installed in tox env clients only")

import uv
from targets import base_python, make_venv, pipssl_path

from pipssl.interpreter.runpip import failed_on_tls

POETRY = Path(sys.executable).parent / ("poetry.exe" if sys.platform == "win32" else "poetry")
PDM = Path(sys.executable).parent / ("pdm.exe" if sys.platform == "win32" else "pdm")
REQUEST = "import requests, sys; print(requests.get(sys.argv[1], timeout=20).status_code)"


def run(argv: List[str], env: Dict[str, str], cwd: Optional[Path] = None) -> Any:
    return subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=str(cwd) if cwd else None,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def pipssl(*args: str, env: Dict[str, str], cwd: Optional[Path] = None) -> Any:
    child = dict(env, PYTHONPATH=pipssl_path())
    return run([sys.executable, "-m", "pipssl", *args], child, cwd or Path(pipssl_path()))


def repair_for(tool: str, python: Path, url: str, ca: Path, env: Dict[str, str], **kw: Any) -> Any:
    args = ["repair", "--yes", "--json", "--for", tool, "--scope", "user"]
    args += ["--python", str(python), "--index-url", url, "--ca", str(ca)]
    return pipssl(*args, env=env, **kw)


def client_findings(python: Path, url: str, env: Dict[str, str], **kw: Any) -> List[str]:
    proc = pipssl("doctor", "--json", "--python", str(python), "--index-url", url, env=env, **kw)
    data = json.loads(proc.stdout)
    return [
        f"{f['code']} {f['target']}" for f in data["findings"] if f["code"].startswith("client-")
    ]


def test_uv_fails_installs_after_repair_and_fails_after_undo(
    tools_env: Dict[str, str],
    venvs: Dict[str, Path],
    make_index: Any,
    cert_world: Any,
    tmp_path: Path,
) -> None:
    python = venvs["legacy"]
    index = make_index("intercepted", url_host="localhost")
    target = make_venv(base_python("3.12"), tmp_path / "target")
    install = [uv.find_uv_bin(), "pip", "install", "--python", target, "--no-cache"]
    install += ["--reinstall", "--index-url", index.url, "pipssl_probe_pkg"]

    failed = run(install, tools_env)
    assert failed.returncode != 0 and "UnknownIssuer" in failed.stderr, failed.stderr
    assert "client-cannot-verify uv" in client_findings(python, index.url, tools_env)
    proc = repair_for("uv", python, index.url, cert_world.path("intercept.pem"), tools_env)
    assert proc.returncode == 1, proc.stderr  # uv still needs the variable in your shell
    result = json.loads(proc.stdout)
    bundle = result["actions"][0]["path"]
    assert result["changed"] and result["env_to_set"] == {"SSL_CERT_FILE": bundle}
    fix = next(f["fix"] for f in result["findings"] if f["code"] == "client-cannot-verify")
    assert f"export SSL_CERT_FILE='{bundle}'" in fix and f"$env:SSL_CERT_FILE = '{bundle}'" in fix
    # through pipssl run, and with the printed variable
    ran = pipssl(
        "run", "--scope", "user", "--python", str(python), "--", *map(str, install), env=tools_env
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"running uv with SSL_CERT_FILE={bundle}" in ran.stderr
    site = Path(target).parent.parent / "lib" / "python3.12" / "site-packages"
    assert list(site.glob("pipssl_probe_pkg*"))
    printed = dict(tools_env, SSL_CERT_FILE=bundle)
    assert run(install, printed).returncode == 0
    assert "client-cannot-verify uv" not in client_findings(python, index.url, printed)
    # undo: the bundle is gone, and uv trusts nothing from a missing SSL_CERT_FILE
    assert pipssl("undo", env=tools_env).returncode == 0
    assert not Path(bundle).exists()
    assert run(install, printed).returncode != 0
    assert run(install, tools_env).returncode != 0
    assert index.requests and all(r.startswith(("/simple/", "/files/")) for r in index.requests)


def write_project(project: Path, url: str) -> None:
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "proj"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n'
        'package-mode = false\n\n[tool.poetry.dependencies]\npython = ">=3.8"\n'
        'pipssl_probe_pkg = "*"\n\n[[tool.poetry.source]]\nname = "loopback"\n'
        f'url = "{url}"\npriority = "primary"\n'
    )


def test_poetry_fails_installs_after_repair_and_fails_after_undo(
    tools_env: Dict[str, str],
    venvs: Dict[str, Path],
    make_index: Any,
    cert_world: Any,
    tmp_path: Path,
) -> None:
    python = venvs["legacy"]
    index = make_index("intercepted", url_host="localhost")
    project = tmp_path / "proj"
    write_project(project, index.url)
    caches = iter(range(10))

    def poetry(*args: str) -> Any:
        # a fresh cache each time: poetry must fetch the index again
        env = dict(tools_env, POETRY_CACHE_DIR=str(tmp_path / f"pc{next(caches)}"))
        return run([str(POETRY), *args], env, project)

    failed = poetry("lock")
    assert failed.returncode != 0, failed.stdout + failed.stderr
    assert index.wait_handshake_errors(1)  # it reached our index, and stopped at TLS
    found = client_findings(python, index.url, tools_env, cwd=project)
    assert "client-cannot-verify poetry source loopback" in found
    config = Path(tools_env["XDG_CONFIG_HOME"]) / "pypoetry" / "config.toml"
    proc = repair_for(
        "poetry", python, index.url, cert_world.path("intercept.pem"), tools_env, cwd=project
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bundle = json.loads(proc.stdout)["actions"][0]["path"]
    assert config.read_text() == f'[certificates.loopback]\ncert = "{bundle}"\n'
    assert poetry("lock").returncode == 0
    installed = poetry("install", "--no-root")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert list((project / ".venv").glob("lib/python*/site-packages/pipssl_probe_pkg*"))
    # the only index poetry asked is ours: the default one would have hit the dead proxy
    assert all(r.startswith(("/simple/", "/files/")) for r in index.requests)
    assert "pypi" not in (poetry("source", "show").stdout.lower())
    assert pipssl("undo", env=tools_env).returncode == 0
    assert not config.exists()
    (project / "poetry.lock").unlink()
    assert poetry("lock").returncode != 0


def test_requests_get_with_and_without_the_printed_variable(
    tools_env: Dict[str, str], make_index: Any, cert_world: Any
) -> None:
    python = Path(sys.executable)  # requests is importable here (tox env clients)
    index = make_index("intercepted", url_host="localhost")
    get = [sys.executable, "-c", REQUEST, index.url]
    failed = run(get, tools_env)
    assert failed.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in failed.stderr
    assert "client-cannot-verify requests" in client_findings(python, index.url, tools_env)
    proc = repair_for("requests", python, index.url, cert_world.path("intercept.pem"), tools_env)
    result = json.loads(proc.stdout)
    bundle = result["actions"][0]["path"]
    assert result["env_to_set"] == {"REQUESTS_CA_BUNDLE": bundle}, proc.stderr
    printed = dict(tools_env, REQUESTS_CA_BUNDLE=bundle)
    ok = run(get, printed)
    assert ok.returncode == 0 and ok.stdout.strip() == "200", ok.stderr
    assert pipssl("undo", env=tools_env).returncode == 0
    assert run(get, printed).returncode != 0
    assert run(get, tools_env).returncode != 0


def test_pdm_fails_locks_after_repair_and_fails_after_undo(
    tools_env: Dict[str, str],
    venvs: Dict[str, Path],
    make_index: Any,
    cert_world: Any,
    tmp_path: Path,
) -> None:
    """pdm's default index (``PDM_PYPI_URL``) behind the intercepting CA: pdm fails, locks
    once ``repair --for pdm`` set ``[pypi] ca_certs`` in its config.toml, and fails again
    after undo."""
    python = venvs["legacy"]
    index = make_index("intercepted", url_host="localhost")
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0.1.0"\nrequires-python = ">=3.8"\n'
        'dependencies = ["pipssl_probe_pkg"]\n\n[tool.pdm]\ndistribution = false\n'
    )
    env = dict(tools_env, PDM_PYPI_URL=index.url, PDM_CHECK_UPDATE="false")
    env.update(PDM_CACHE_DIR=str(tmp_path / "pdm-cache"), PDM_PYTHON=sys.executable)
    env.update(PDM_NON_INTERACTIVE="1", PDM_USE_VENV="false")

    def lock() -> Any:
        (project / "pdm.lock").unlink(missing_ok=True)
        return run([str(PDM), "lock"], env, project)

    failed = lock()
    assert failed.returncode != 0, failed.stdout + failed.stderr
    assert index.wait_handshake_errors(1), failed.stdout + failed.stderr  # stopped at TLS
    # in words `pipssl run -- pdm ...` knows for a TLS failure (pip's: pdm's module adds none)
    assert failed_on_tls(failed.returncode, failed.stdout + failed.stderr)
    assert "client-cannot-verify pdm" in client_findings(python, index.url, env, cwd=project)
    config = Path(tools_env["XDG_CONFIG_HOME"]) / "pdm" / "config.toml"
    ca = cert_world.path("intercept.pem")
    proc = repair_for("pdm", python, index.url, ca, env, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bundle = json.loads(proc.stdout)["actions"][0]["path"]
    assert config.read_text() == f'[pypi]\nca_certs = "{bundle}"\n'
    locked = lock()
    assert locked.returncode == 0, locked.stdout + locked.stderr
    assert "pipssl_probe_pkg" in (project / "pdm.lock").read_text().replace("-", "_")
    assert "client-cannot-verify pdm" not in client_findings(python, index.url, env, cwd=project)
    assert all(r.startswith(("/simple/", "/files/")) for r in index.requests)
    assert pipssl("undo", env=env).returncode == 0
    assert not config.exists()
    assert lock().returncode != 0
