"""The CI recipes of docs/provisioning.md: the GitHub Actions steps and the generic shell
step, run as written in a temporary workspace, twice (the second run changes nothing)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
from recipebed import (
    BOOTSTRAP,
    PROBE,
    doc_block,
    first_json,
    python_shims,
    require_recipes_env,
    run_shell,
    show,
)
from targets import LEGACY_BASE, TRUSTSTORE_BASE

require_recipes_env()

GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # `shell: bash`, as run


def checkout(workspace: Path, ca: Path) -> Path:
    """What ``actions/checkout`` would give: the repository with ci/ and requirements.txt."""
    (workspace / "ci").mkdir(parents=True)
    shutil.copyfile(BOOTSTRAP, workspace / "ci" / "get-pipssl.py")
    shutil.copyfile(ca, workspace / "ci" / "corp-ca.pem")
    (workspace / "requirements.txt").write_text(f"{PROBE}\n")
    return workspace


def check_repair_output(stdout: str, first: bool) -> None:
    data = first_json(stdout)
    assert data["ok"] is True, stdout
    assert data["changed"] is first, stdout
    assert bool(data["actions"]) is first, stdout


def setup_python_version(steps: List[Dict[str, Any]]) -> str:
    versions = [
        str(step["with"]["python-version"])
        for step in steps
        if str(step.get("uses", "")).startswith("actions/setup-python@")
    ]
    assert len(versions) == 1, "one actions/setup-python step with a python-version"
    return versions[0]


def test_github_actions_recipe(
    recipe_world: Callable[[str], Any], pristine_venv: Callable[[str], Path], tmp_path: Path
) -> None:
    yaml = pytest.importorskip("yaml")
    lang, text = doc_block("github-actions")
    assert lang == "yaml"
    (job,) = yaml.safe_load(text)["jobs"].values()
    steps: List[Dict[str, Any]] = job["steps"]
    version = setup_python_version(steps)
    world = recipe_world(version)
    workspace = checkout(tmp_path / "workspace", world.ca)
    shims = python_shims(tmp_path / "toolcache", version)
    world.assert_pip_fails(pristine_venv(version), tmp_path / "dl-before")
    repairs = 0
    for job_run in (1, 2):  # a runner that keeps its workspace runs the job again
        for number, step in enumerate(steps):
            uses = str(step.get("uses", ""))
            if uses.startswith(("actions/checkout@", "actions/setup-python@")):
                continue  # the workspace, and the shims on PATH
            assert not uses, f"the test cannot stand in for {uses}"
            script: str = step["run"]
            assert "${{" not in script, "expressions need a runner; use environment variables"
            path = tmp_path / f"step-{job_run}-{number}.sh"
            path.write_text(script)
            env = dict(world.env, PATH=f"{shims}{os.pathsep}{world.env['PATH']}", CI="true")
            env.update({k: str(v) for k, v in step.get("env", {}).items()})
            proc = run_shell([*GITHUB_BASH, str(path)], workspace, env)
            assert proc.returncode == 0, f"step {step.get('name', number)}\n{show(proc)}"
            if "get-pipssl.py" in script:
                check_repair_output(proc.stdout, first=job_run == 1)
                repairs += 1
        python = workspace / ".venv" / "bin" / "python"
        world.assert_pip_installed(python)
    assert repairs == 2
    done = world.pip_download(python, tmp_path / "dl-after")
    assert done.returncode == 0, show(done)


@pytest.mark.parametrize("version", [LEGACY_BASE, TRUSTSTORE_BASE])
def test_ci_shell_recipe(
    version: str,
    recipe_world: Callable[[str], Any],
    pristine_venv: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    lang, text = doc_block("ci-shell")
    assert lang == "sh"
    world = recipe_world(version)
    workspace = checkout(tmp_path / "workspace", world.ca)
    script = tmp_path / "ci-step.sh"
    script.write_text(text)
    shims = python_shims(tmp_path / "shims", version)
    env = dict(
        world.env,
        PATH=f"{shims}{os.pathsep}{world.env['PATH']}",
        CORP_CA_FILE=str(workspace / "ci" / "corp-ca.pem"),
    )
    world.assert_pip_fails(pristine_venv(version), tmp_path / "dl-before")
    for job_run in (1, 2):
        proc = run_shell(["sh", str(script)], workspace, env)
        assert proc.returncode == 0, show(proc)
        check_repair_output(proc.stdout, first=job_run == 1)
        world.assert_pip_installed(workspace / ".venv" / "bin" / "python")
    done = world.pip_download(workspace / ".venv" / "bin" / "python", tmp_path / "dl-after")
    assert done.returncode == 0, show(done)


def test_ci_shell_recipe_stops_before_pip_install(
    recipe_world: Callable[[str], Any], tmp_path: Path
) -> None:
    """A CA that is not the proxy's: the repair rolls back, exits 1, and ``set -e`` stops the
    step before ``pip install`` runs."""
    _, text = doc_block("ci-shell")
    world = recipe_world(LEGACY_BASE)
    workspace = checkout(tmp_path / "workspace", world.ca)
    script = tmp_path / "ci-step.sh"
    script.write_text(text)
    shims = python_shims(tmp_path / "shims", LEGACY_BASE)
    from_elsewhere = Path(str(world.ca).replace("intercept.pem", "client-ca.pem"))
    env = dict(
        world.env,
        PATH=f"{shims}{os.pathsep}{world.env['PATH']}",
        CORP_CA_FILE=str(from_elsewhere),
    )
    proc = run_shell(["sh", str(script)], workspace, env)
    assert proc.returncode == 1, show(proc)
    data = first_json(proc.stdout)
    assert data["ok"] is False and data["rolled_back"] is True and data["changed"] is False
    assert "Successfully installed" not in proc.stdout
    assert not (workspace / ".venv" / "pip.conf").exists()
