"""``pipssl run`` runs exactly the tool given, in the environment it belongs to: a pip
script by its path (pip 24.2's ``#!/bin/sh`` exec trampoline of a long venv path
included), a python with ``-m pip``, a bare name through the child's PATH; diagnosis
and repair target that tool's interpreter; the refusals each say what to give instead.

pipssl itself runs from a venv without pip (``bare_python``): a ``run`` that ran
pipssl's own interpreter's pip instead of the one given fails there, and can install
nothing into a shared environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from bed.isolation import IsolatedEnv
from bed.world import World
from targets import base_python, make_venv, run_pipssl

from pipssl.errors import UsageError

PKG = "pipssl_probe_pkg"


def installed(python: Path) -> bool:
    """Whether ``python`` imports the probe package (the real interpreter says)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [str(python), "-c", f"import {PKG}"], env=env, capture_output=True, timeout=60
    )
    return done.returncode == 0


def pip_show(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-m", "pip", "show", "--files", PKG],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout


def install_args(url: str, cert: Path) -> List[str]:
    return ["install", "--no-cache-dir", "--retries", "0", "--cert", str(cert), "-i", url, PKG]


@pytest.mark.once
@pytest.mark.slow
def test_a_pip_path_installs_into_its_own_venv(
    pip_world: World, bare_python: Path, tmp_path: Path
) -> None:
    # a path long enough that pip writes the #!/bin/sh + exec trampoline, as pip 24.2 does
    target = make_venv(base_python("3.13"), tmp_path / ("v" * 80) / "target")
    pip = target.parent / "pip"
    assert pip.read_text().startswith("#!/bin/sh\n'''exec' "), "no trampoline: path too short"
    index = pip_world.index("good", target)
    proc = run_pipssl(
        "run",
        "--",
        str(pip),
        *install_args(index.url, pip_world.certs.path("root.pem")),
        python=str(bare_python),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert installed(target) and f"Location: {target.parent.parent}" in pip_show(target)
    assert not installed(bare_python)


@pytest.mark.once
@pytest.mark.slow
def test_a_python_dash_m_pip_installs_into_that_interpreter(
    pip_world: World, bare_python: Path, tmp_path: Path
) -> None:
    target = make_venv(base_python("3.8"), tmp_path / "target")
    index = pip_world.index("good", target)
    args = install_args(index.url, pip_world.certs.path("root.pem"))
    proc = run_pipssl("run", "--", str(target), "-m", "pip", *args, python=str(bare_python))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert installed(target) and f"Location: {target.parent.parent}" in pip_show(target)
    assert not installed(bare_python)


@pytest.mark.once
def test_a_bare_name_is_found_on_the_childs_path(
    isolated_env: IsolatedEnv, venvs: Dict[str, Path], bare_python: Path
) -> None:
    legacy = venvs["legacy"]
    env = dict(os.environ, PATH=f"{legacy.parent}{os.pathsep}{os.environ['PATH']}")
    for command in (["pip"], ["pip3"], ["python", "-m", "pip"]):
        proc = run_pipssl("run", "--", *command, "--version", env=env, python=str(bare_python))
        assert proc.returncode == 0, proc.stderr
        # pip says where it runs from: the venv first on PATH, not pipssl's interpreter
        assert f"from {legacy.parent.parent}/lib/python3.8/site-packages/pip" in proc.stdout


@pytest.mark.once
def test_the_interpreter_of_a_pip_script(venvs: Dict[str, Path], tmp_path: Path) -> None:
    from pipssl.interpreter.tool import resolve, shebang_interpreter

    legacy = venvs["legacy"]
    # pip 23.0.1 from Python 3.8's ensurepip names bin/python3.8, not bin/python
    named = legacy.parent / "python3.8"
    assert (legacy.parent / "pip").read_text().startswith(f"#!{named}\n")
    env = {"PATH": os.defpath}
    assert shebang_interpreter(str(legacy.parent / "pip"), env) == str(named)
    tool = resolve(["--", str(legacy.parent / "pip3"), "list"], environ=env)
    assert (tool.kind, tool.python) == ("pip", str(named))
    assert tool.argv == [str(legacy.parent / "pip3"), "list"]
    # --python naming the same venv through another name agrees; a bare pip means its pip
    same = resolve([str(legacy.parent / "pip"), "list"], python=str(legacy))
    assert same.python == str(named)
    bare = resolve(["pip", "list"], python=str(legacy), environ=env)
    assert bare.argv == [str(legacy), "-m", "pip", "list"] and bare.python == str(legacy)
    # a python's own options before -m pip are not pip's (python -i is not pip's -i)
    url = "https://127.0.0.1:1/simple/"
    flagged = resolve([str(legacy), "-I", "-i", "-m", "pip", "download", "-i", url], environ=env)
    assert (flagged.kind, flagged.python, flagged.args) == (
        "python",
        str(legacy),
        ["download", "-i", url],
    )
    # a script whose shebang names no python: the python beside it (a version manager's
    # shim), and with none beside it, a refusal that says what to give instead
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "pip").write_text("#!/usr/bin/env bash\nexec true\n")
    (shims / "pip").chmod(0o755)
    with pytest.raises(UsageError, match="cannot tell which interpreter") as refused:
        resolve([str(shims / "pip")], environ=env)
    assert refused.value.hint and "-m pip" in refused.value.hint
    (shims / "python").symlink_to(legacy)
    assert resolve([str(shims / "pip")], environ=env).python == str(shims / "python")


@pytest.mark.once
@pytest.mark.slow
def test_a_failure_on_tls_is_diagnosed_and_repaired_in_the_tools_venv(
    pip_world: World, bare_python: Path, tmp_path: Path
) -> None:
    pip_world.user_scope().os_store()
    target = make_venv(base_python("3.8"), tmp_path / "target")
    index = pip_world.index("intercepted", target)
    dest = tmp_path / "dl"
    pip = [str(target.parent / "pip"), "download", "--no-deps", "--no-cache-dir"]
    pip += ["--retries", "0", "-d", str(dest), "-i", index.url, PKG]
    failed = subprocess.run(pip, capture_output=True, text=True, timeout=120, check=False)
    assert failed.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in failed.stdout + failed.stderr
    ca = str(pip_world.certs.path("intercept.pem"))
    proc = run_pipssl("run", "--yes", "--ca", ca, "--", *pip, python=str(bare_python))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"diagnosing {target}3.8's pip" in proc.stderr  # the interpreter pip's shebang names
    assert list(dest.glob(f"{PKG}-*.whl"))
    # the repair went where that venv's pip reads it (auto scope: the venv's site file),
    # not into pipssl's own venv; and that pip now works on its own
    site_conf = target.parent.parent / "pip.conf"
    assert "cert = " in site_conf.read_text()
    assert not (bare_python.parent.parent / "pip.conf").exists()
    again = subprocess.run(pip, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert run_pipssl("undo", python=str(bare_python)).returncode == 0
    assert not site_conf.exists()


@pytest.mark.slow
def test_a_failure_pipssl_cannot_fix_says_nothing_was_changed(
    pip_world: World, venvs: Dict[str, Path], tmp_path: Path
) -> None:
    legacy = venvs["legacy"]
    index = pip_world.index("intercepted", legacy)  # a CA given nowhere
    pip = [str(legacy.parent / "pip"), "download", "--no-deps", "--no-cache-dir"]
    pip += ["--retries", "0", "-d", str(tmp_path / "dl"), "-i", index.url, PKG]
    proc = run_pipssl("run", "--yes", "--", *pip)
    assert proc.returncode != 0 and "Left for you:" in proc.stderr, proc.stderr
    assert "nothing was changed; pip's failure stands" in proc.stderr
    assert "dry run" not in proc.stderr  # the user ran pip, not a dry run


@pytest.mark.parametrize(
    "command, message, hint",
    [
        ([], "give the command to run after --", "run drives a pip"),
        (["pip3.99", "install", "x"], "pip3.99: command not found on PATH", "give its path"),
        (["/nonexistent/bin/pip", "list"], "/nonexistent/bin/pip is not an executable", "path"),
        (["ls", "-l"], "ls is not an installer run drives", "a python with -m pip"),
        (["python3", "-c", "print(1)"], "`python3 -c 'print(1)'` does not run pip", "-m pip"),
    ],
)
def test_refusals_say_what_to_give(
    isolated_env: IsolatedEnv, command: List[str], message: str, hint: str
) -> None:
    proc = run_pipssl("run", "--", *command)
    assert proc.returncode == 2 and f"error: run: {message}" in proc.stderr, proc.stderr
    assert "hint: " in proc.stderr and hint in proc.stderr.split("hint: ", 1)[1]
    assert not proc.stdout


def test_a_python_that_is_not_the_tools_is_refused(
    isolated_env: IsolatedEnv, venvs: Dict[str, Path]
) -> None:
    legacy, other = venvs["legacy"], venvs["truststore"]
    for command in ([str(legacy.parent / "pip"), "list"], [str(legacy), "-m", "pip", "list"]):
        proc = run_pipssl("run", "--python", str(other), "--", *command)
        assert proc.returncode == 2, proc.stderr
        runs = legacy.parent / ("python3.8" if command[0].endswith("pip") else "python")
        assert f"run: --python {other} but the command runs {runs}'s pip" in proc.stderr
        assert f"hint: drop --python (run targets {runs}), or run `{other} -m pip" in proc.stderr


@pytest.mark.once
def test_uv_targets_the_environment_uv_itself_uses(
    isolated_env: IsolatedEnv, tmp_path: Path
) -> None:
    from pipssl.clients.registry import resolve_run as resolve

    uv = shutil.which("uv") or _uv_from_package()
    if uv is None:
        pytest.skip("no uv here (tox env clients has it)")
    base = base_python("3.13")
    proj, active, chosen = (tmp_path / n for n in ("proj", "active", "chosen"))
    for venv in (proj / ".venv", active, chosen):
        make_venv(base, venv, with_pip=False)
    cwd = proj / "sub"
    cwd.mkdir()
    plain = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    worlds = [
        ({}, [], proj / ".venv"),  # the nearest .venv above the current directory
        ({"VIRTUAL_ENV": str(active)}, [], active),
        ({"CONDA_PREFIX": str(active)}, [], active),
        ({"VIRTUAL_ENV": str(active)}, ["--python", str(chosen / "bin" / "python")], chosen),
    ]
    for extra, option, expected in worlds:
        env = dict(plain, **extra)
        argv = [uv, "pip", "list", *option]
        said = subprocess.run(
            argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=True
        )
        # uv says where it acts: "Using Python 3.13.0 environment at: PATH"
        (where,) = re.findall(r"environment at: (\S+)", said.stderr)
        assert (cwd / where).resolve() == expected.resolve(), (extra, option, said.stderr)
        tool = resolve(argv, environ=env, cwd=str(cwd))
        assert tool.python is not None and Path(tool.python).parent.parent == expected, extra
    # pipssl's --python wins over uv's own choice (the interpreter whose pip is diagnosed)
    other = resolve([uv, "pip", "list"], python=str(chosen), environ=plain, cwd=str(cwd))
    assert other.python == str(chosen)
    assert resolve([uv, "pip", "list"], environ=plain, cwd=str(tmp_path)).python is None


def _uv_from_package() -> Optional[str]:
    try:
        import uv
    except ImportError:
        return None
    return str(uv.find_uv_bin())
