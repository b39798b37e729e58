"""The Ansible play of docs/provisioning.md, run by ansible-core against localhost.

The first run must end with ``changed=1`` in the recap, the second with ``changed=0``, and
pip must verify afterwards.  Ansible gets its own config, home and temporary directories
inside the test's directory (never the real ``~/.ansible.cfg`` or ``~/.ansible``) and a
UTF-8 locale, which it refuses to run without.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
from recipebed import BOOTSTRAP, doc_block, require_recipes_env, run_shell, show
from targets import LEGACY_BASE, TRUSTSTORE_BASE, base_python, make_venv

require_recipes_env()

RECAP = re.compile(
    r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE
)


def ansible_playbook() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = str(beside) if beside.is_file() else shutil.which("ansible-playbook")
    assert found, "ansible-playbook is not installed beside this Python"
    return found


def playbook_argv(playbook: Path, extra_vars: str) -> List[str]:
    """ansible-playbook against this machine, with no inventory file and no SSH."""
    return [ansible_playbook(), "-i", "localhost,", "-c", "local", str(playbook), "-e", extra_vars]


def ansible_env(base: Dict[str, str], directory: Path) -> Dict[str, str]:
    directory.mkdir()
    config = directory / "ansible.cfg"
    config.write_text(
        "[defaults]\n"
        f"local_tmp = {directory / 'local-tmp'}\n"
        f"remote_tmp = {directory / 'remote-tmp'}\n"
        "retry_files_enabled = false\n"
        "nocows = true\n"
    )
    return dict(
        base,
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_HOME=str(directory / "home"),
        ANSIBLE_LOCAL_TEMP=str(directory / "local-tmp"),
        ANSIBLE_NOCOLOR="1",
        LC_ALL="C.UTF-8",
        LANG="C.UTF-8",
    )


def recap(output: str) -> Tuple[int, int, int, int]:
    """(ok, changed, unreachable, failed) of localhost from the PLAY RECAP."""
    found: List[Tuple[str, ...]] = RECAP.findall(output)
    assert len(found) == 1, output
    ok, changed, unreachable, failed = (int(n) for n in found[0])
    return ok, changed, unreachable, failed


@pytest.mark.parametrize("version", [LEGACY_BASE, TRUSTSTORE_BASE])
def test_ansible_recipe(version: str, recipe_world: Callable[[str], Any], tmp_path: Path) -> None:
    lang, text = doc_block("ansible")
    assert lang == "yaml"
    world = recipe_world(version)
    python = make_venv(base_python(version), tmp_path / "venv")
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(text)
    extra = tmp_path / "vars.json"
    extra.write_text(
        json.dumps(
            {
                "pipssl_python": str(python),
                "pipssl_script": str(BOOTSTRAP),
                "pipssl_ca": str(world.ca),
                "ansible_python_interpreter": sys.executable,
            }
        )
    )
    env = ansible_env(world.env, tmp_path / "ansible")
    argv = playbook_argv(playbook, f"@{extra}")

    world.assert_pip_fails(python, tmp_path / "dl-before")
    first = run_shell(argv, tmp_path, env)
    assert first.returncode == 0, show(first)
    assert recap(first.stdout) == (1, 1, 0, 0), first.stdout
    again = run_shell(argv, tmp_path, env)
    assert again.returncode == 0, show(again)
    assert recap(again.stdout) == (1, 0, 0, 0), again.stdout
    print(first.stdout, first.stderr, again.stdout, again.stderr, sep="\n")  # shown with -rP
    done = world.pip_download(python, tmp_path / "dl-after")
    assert done.returncode == 0, show(done)
    # the repair went into the venv's own pip.conf, nowhere else
    assert (python.parent.parent / "pip.conf").is_file()
    assert not list(Path(env["HOME"]).rglob("pip.conf"))


def test_ansible_fails_on_bad_input(
    recipe_world: Callable[[str], Any], pristine_venv: Callable[[str], Path], tmp_path: Path
) -> None:
    """A CA file that is not there: exit 2, no JSON; the task fails, it does not crash."""
    _, text = doc_block("ansible")
    world = recipe_world(LEGACY_BASE)
    python = pristine_venv(LEGACY_BASE)
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(text)
    extra = json.dumps(
        {
            "pipssl_python": str(python),
            "pipssl_script": str(BOOTSTRAP),
            "pipssl_ca": str(tmp_path / "missing.pem"),
            "ansible_python_interpreter": sys.executable,
        }
    )
    env = ansible_env(world.env, tmp_path / "ansible")
    argv = playbook_argv(playbook, extra)
    proc = run_shell(argv, tmp_path, env)
    assert proc.returncode != 0, show(proc)
    assert recap(proc.stdout) == (0, 0, 0, 1), proc.stdout
    assert "missing.pem does not exist" in proc.stdout, proc.stdout
