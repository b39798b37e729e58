"""Target interpreters for doctor tests: fresh venvs whose pips are known and untouched.

The machine's own interpreters may carry an edited certifi (this one's does), so tests
that expect "no finding" diagnose venvs made here with ``python -m venv`` (pip from
ensurepip, offline): one legacy pip (< 24.2, no OS store) and one truststore pip (24.2).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

from bed.pip import find_pythons

from pipssl import commands

LEGACY_BASE = "3.8"  # pip 23.0.1 from ensurepip: verifies with one bundle
TRUSTSTORE_BASE = "3.13"  # pip 24.2 from ensurepip: OS store via truststore


def base_python(short: str) -> Path:
    for version, path in find_pythons().items():
        if version.startswith(short + "."):
            return path
    raise LookupError(f"no Python {short} found under pyenv")


def make_venv(base: Path, dest: Path, *, with_pip: bool = True) -> Path:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(dest.parent)}
    args = [str(base), "-m", "venv", str(dest)]
    if not with_pip:
        args.insert(3, "--without-pip")
    subprocess.run(args, check=True, timeout=300, env=env, capture_output=True)
    return dest / "bin" / "python"


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def doctor_env(base: Mapping[str, str], **extra: Optional[str]) -> Dict[str, str]:
    env = dict(base)
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@functools.lru_cache(maxsize=None)
def pipssl_path() -> str:
    """A directory holding only a link to the pipssl under test, and tomli, for PYTHONPATH.

    Child interpreters (a no-ssl copy, a venv) need pipssl importable, but putting the
    tox environment's whole site-packages on their path would lend them its pip too.
    tomli is pipssl's one dependency below Python 3.11 that it cannot run without where a
    project's TOML is read (a pip install brings it, get-pipssl.py carries it): the wheel
    get-pipssl.py carries, unpacked.
    """
    import pipssl

    root = Path(tempfile.mkdtemp(prefix="pipssl-path-"))
    (root / "pipssl").symlink_to(Path(pipssl.__file__).resolve().parent, target_is_directory=True)
    (tomli,) = (Path(__file__).resolve().parent.parent / "bootstrap" / "vendor").glob(
        "tomli-*.whl"
    )
    with zipfile.ZipFile(tomli) as wheel:
        wheel.extractall(root, [n for n in wheel.namelist() if n.startswith("tomli/")])
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return str(root)


def repair_args(python: Path, url: str, *extra: str) -> List[str]:
    """``repair --yes --json`` at the user scope, for ``python``'s pip and index ``url``."""
    scope = ["--scope", "user", "--python", str(python), "--index-url", url]
    return ["repair", "--yes", "--json", *scope, *extra]


def run_pipssl(
    *args: str,
    python: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    prefix: Sequence[str] = (),
    timeout: float = 180,
    cwd: Optional[Path] = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m pipssl ARGS`` as a user runs it: its own process, no terminal on stdin,
    the given environment (default: the test's, which is scrubbed), in ``cwd`` (the
    project uv and poetry read; default: a directory of pipssl alone).  Every fix it
    prints is checked as pasted (:func:`check_printed_fixes`)."""
    child = dict(os.environ if env is None else env)
    child["PYTHONPATH"] = pipssl_path()
    executable = python or sys.executable
    proc = subprocess.run(
        [*prefix, executable, "-m", "pipssl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child,
        cwd=str(cwd or pipssl_path()),
        check=False,
        stdin=subprocess.DEVNULL,
    )
    check_printed_fixes(proc, commands.module_of(executable, child.get("PATH")))
    return proc


def check_printed_fixes(
    proc: subprocess.CompletedProcess[str], invocation: commands.Invocation
) -> None:
    """Every fix (and "To apply:" line) a pipssl run printed, checked as pasted."""
    from bed import fixlines

    fixlines.record_text(proc.stdout, invocation)  # the report
    fixlines.record_text(proc.stderr, invocation)  # `run` speaks beside the tool there
    try:
        data = json.loads(proc.stdout) if proc.stdout.lstrip().startswith("{") else None
    except ValueError:
        data = None
    for finding in _findings_in(data):
        fixlines.record(finding["code"], finding.get("fix", ""), invocation)


def _findings_in(data: Any) -> Iterator[Dict[str, Any]]:
    """Every finding in a JSON answer (a report's, a repair's, its verification's)."""
    if isinstance(data, dict):
        if "code" in data and "fix" in data and "severity" in data:
            yield data
        for value in data.values():
            yield from _findings_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from _findings_in(value)
