"""``ansible-test sanity`` on the Ansible collection as it ships (``tox -e collection``).

The collection is built into a tarball and installed offline, as docs/ansible.md says, and
the installed copy is tested: the tarball holds ``get-pipssl.py`` itself where the checkout
has a link.  Every sanity test runs on the controller's Python; ``compile`` and ``import``
(the tests that depend on the target's Python) run on each other target Python the
collection declares that pyenv has.  ``pslint`` needs PowerShell, which the collection has
no file for, and ``shellcheck`` needs a program this project does not install (the
collection has no shell script): both are skipped.

ansible-test makes a virtual environment per test (under ``~/.ansible/test``: HOME is
``--home``, kept between runs so that they are made once) and installs its pinned
requirements into it from the package index.  It bootstraps pip in them with a get-pip
script it downloads from its own file host; ``--pip-from-ensurepip`` writes a stand-in
that takes pip from the Python's ensurepip and the index instead, for a machine that
reaches the index but not that host.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

SOURCE = Path(__file__).resolve().parents[2] / "ansible_collections" / "pipssl" / "pipssl"
CONTROLLER = "3.12"
TARGETS = ("3.9", "3.10", "3.11", "3.13")
SKIPPED = ("pslint", "shellcheck")
STAND_IN = '''"""ansible-test's pip bootstrap, from ensurepip and the package index."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
'''


def tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def run(argv: List[str], cwd: Path, env: Dict[str, str]) -> None:
    print("+", " ".join(argv), flush=True)
    done = subprocess.run(
        argv,
        cwd=str(cwd),
        env=env,
        timeout=1800,
        check=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    print(done.stdout, flush=True)
    if done.returncode != 0:
        raise SystemExit(f"exit {done.returncode}: {argv[0]}")
    # ansible-test lists a collection's files with git when a checkout holds it, and a
    # copy under an ignored directory (.tox) then has none: a pass that tested nothing
    if "All targets skipped" in done.stdout:
        raise SystemExit("ansible-test found no file of the collection to test")


def real_python(version: str, env: Dict[str, str]) -> Optional[str]:
    """The interpreter ``pythonX.Y`` runs, by its own path (not pyenv's shim)."""
    if shutil.which(f"python{version}", path=env.get("PATH")) is None:
        return None
    probe = [f"python{version}", "-c", "import sys; print(sys.executable)"]
    done = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60, check=False)
    return done.stdout.strip() or None if done.returncode == 0 else None


def pip_version_wanted() -> str:
    """The pip version ansible-test bootstraps its environments with."""
    import ansible_test

    source = Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    found = re.search(r"pip='(\d+(?:\.\d+)*)'", source.read_text())
    if not found:
        raise SystemExit(f"cannot tell which pip {source} bootstraps")
    return found.group(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, type=Path, help="HOME for ansible-test")
    parser.add_argument("--pip-from-ensurepip", action="store_true")
    args = parser.parse_args()
    # outside any git checkout (see run)
    work = Path(tempfile.mkdtemp(prefix="pipssl-collection-sanity-"))
    try:
        return sanity(work, args.home.resolve(), args.pip_from_ensurepip)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sanity(work: Path, home: Path, pip_from_ensurepip: bool) -> int:
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(home), ANSIBLE_HOME=str(home / ".ansible"))
    # pyenv's shims find their versions through HOME unless PYENV_ROOT says where
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    if pyenv.is_dir():
        env["PYENV_ROOT"] = str(pyenv)
    run([tool("ansible-galaxy"), "collection", "build", str(SOURCE)], work, env)
    (tarball,) = work.glob("pipssl-pipssl-*.tar.gz")
    into = work / "collections"
    install = ["collection", "install", "--offline", tarball.name, "-p", str(into)]
    run([tool("ansible-galaxy"), *install], work, env)
    if pip_from_ensurepip:
        cache = home / ".ansible" / "test" / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        (cache / f"get_pip_{pip_version_wanted().replace('.', '_')}.py").write_text(STAND_IN)
    where = into / "ansible_collections" / "pipssl" / "pipssl"
    skips = [a for name in SKIPPED for a in ("--skip-test", name)]
    run([tool("ansible-test"), "sanity", "--python", CONTROLLER, *skips], where, env)
    # ansible-test starts pythonX.Y from PATH with an environment of its own, in which
    # pyenv's shims find no version: a directory of links to the real ones goes first
    links = work / "pythons"
    links.mkdir()
    env["PATH"] = os.pathsep.join([str(links), env.get("PATH", "")])
    for version in TARGETS:
        interpreter = real_python(version, env)
        if interpreter is None:
            print(f"no python{version} here: compile and import not run on it", flush=True)
            continue
        (links / f"python{version}").symlink_to(interpreter)
        argv = ["sanity", "--python", version, "--python-interpreter", interpreter]
        run([tool("ansible-test"), *argv, "--test", "compile", "--test", "import"], where, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
