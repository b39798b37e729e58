"""Read the recipes out of docs/provisioning.md and run them as written.

A recipe is the fenced block right after a ``<!-- tested: NAME -->`` line of the page, so
the page cannot drift from what the tests run.  What the tests supply in place of a real
image, host or runner is said under each recipe in the page itself.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

import pytest
from targets import base_python

DOC = Path(__file__).resolve().parents[2] / "docs" / "provisioning.md"
BOOTSTRAP = Path(__file__).resolve().parents[2] / "get-pipssl.py"
MARKER = re.compile(r"<!-- tested: ([\w-]+) -->")
VERIFY_FAILED = "CERTIFICATE_VERIFY_FAILED"
PROBE = "pipssl_probe_pkg"


def require_recipes_env() -> None:
    """Skip the module outside tox env ``recipes``.

    The recipes run pyenv's Pythons whatever interpreter runs pytest, so running them once
    is enough: in the env that has ansible-core (which needs a recent Python).
    """
    pytest.importorskip("ansible", reason="the recipes are tested in tox env recipes")


def doc_block(name: str, doc: Path = DOC) -> Tuple[str, str]:
    """The fenced block marked ``<!-- tested: NAME -->`` in ``doc`` (docs/provisioning.md).

    Returns:
        (the fence's language, the block's text with a final newline).
    """
    lines = doc.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = MARKER.fullmatch(line.strip())
        if not match or match.group(1) != name:
            continue
        fence = lines[number + 1]
        assert fence.startswith("```"), f"{doc}:{number + 2}: no fenced block after the marker"
        end = lines.index("```", number + 2)
        return fence[3:].strip(), "\n".join(lines[number + 2 : end]) + "\n"
    raise LookupError(f"{doc} has no block marked <!-- tested: {name} -->")


def python_shims(directory: Path, version: str) -> Path:
    """A directory with ``python`` and ``python3`` running pyenv's Python ``version``.

    Scripts rather than links: a venv made through a link would record the link's
    directory as its home.
    """
    directory.mkdir(parents=True, exist_ok=True)
    real = base_python(version)
    for name in ("python", "python3"):
        shim = directory / name
        shim.write_text(f'#!/bin/sh\nexec {shlex.quote(str(real))} "$@"\n')
        shim.chmod(0o755)
    return directory


def first_json(stdout: str) -> Dict[str, Any]:
    """The first JSON object printed on a line of its own (pip may print after it)."""
    for match in re.finditer(r"^\{", stdout, re.MULTILINE):
        try:
            data, _ = json.JSONDecoder().raw_decode(stdout, match.start())
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    raise AssertionError(f"no JSON object in the output:\n{stdout}")


def run_shell(
    argv: List[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run a recipe's shell with its own output captured; never inherits a terminal."""
    return subprocess.run(
        argv,
        cwd=str(cwd),
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def show(proc: subprocess.CompletedProcess[str]) -> str:
    """A process's outcome for an assertion message."""
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
