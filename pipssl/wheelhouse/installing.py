"""``install``: pip install from a verified bundle, with no index and every hash required.

pip only sees wheels written out in the pass that checked them, and a requirements file
that pins exactly the wheels reached from the projects asked for, through the dependency
graph the manifest stores.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from pipssl.wheelhouse.manifest import (
    NAME,
    REQUIREMENTS,
    SCHEMA,
    closure,
    error,
    normalize,
    requirement_key,
    run,
)
from pipssl.wheelhouse.verifying import incompatible_message, read_bundle, verify

_INDEX_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX")


@dataclass
class InstallResult:
    """What ``install`` pinned and ran."""

    bundle: str
    python: str
    installed: List[str]
    ensurepip: bool
    output: str

    def to_dict(self) -> Dict[str, Any]:
        return {"schema": SCHEMA, **asdict(self)}


def _filtered_requirements(
    manifest: Mapping[str, Any], pins: str, requirements: Sequence[str], bundle: Path
) -> str:
    available = {str(w["name"]) for w in manifest["wheels"]}
    if requirements:
        asked = []
        for requirement in requirements:
            match = NAME.match(requirement)
            if match is None or normalize(match.group(1)) not in available:
                raise error(
                    f"{requirement!r} is not in {bundle}; it holds {', '.join(sorted(available))}",
                    "not-in-bundle",
                )
            asked.append(requirement_key(match.group(1), match.group(2)))
    elif manifest.get("roots") is None:
        return pins
    else:
        asked = list(manifest["roots"])
    wanted = closure(manifest, asked)
    lines = [ln for ln in pins.splitlines() if normalize(ln.split("==", 1)[0]) in wanted]
    return "".join(line + "\n" for line in lines)


def _pip_env(environ: Optional[Mapping[str, str]], scratch: Path) -> Dict[str, str]:
    env = {k: v for k, v in (os.environ if environ is None else environ).items()}
    for key in _INDEX_VARIABLES:
        env.pop(key, None)
    env["PIP_NO_INDEX"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # ensurepip's pip leaves a copy of its CA file in TMPDIR: keep it in ours.
    for key in ("TMPDIR", "TEMP", "TMP"):
        env[key] = str(scratch)
    return env


def install(
    bundle: Path,
    requirements: Sequence[str] = (),
    *,
    python: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> InstallResult:
    """Verify the bundle, then pip install from it with no index (ensurepip first if needed).

    Args:
        bundle: the zip made by ``create``.
        requirements: project names to install with their dependencies (default: the
            requirements the bundle was created for).
        python: the interpreter to install into (default: this one).
        environ: the environment for pip (default ``os.environ``); index variables are
            removed and ``PIP_NO_INDEX=1`` set.

    Returns:
        The pins installed, whether ensurepip ran, and pip's output.

    Raises:
        PipsslError: every ``verify`` error; ``bundle-incompatible`` when a wheel does not
            install on the target; ``not-in-bundle``; ``pip-failed``. Nothing is installed
            when any check fails.
    """
    target = python or sys.executable
    result = verify(bundle, python=python, environ=environ)
    if not result.ok:
        raise error(
            incompatible_message(result),
            "bundle-incompatible",
            hint="create the bundle with --python-version/--platform matching this machine",
        )
    with tempfile.TemporaryDirectory(prefix="pipssl-install-") as tmp:
        root = Path(tmp)
        wheels = root / "wheels"
        wheels.mkdir()
        manifest, pins = read_bundle(bundle, extract_to=wheels)
        reqs = _filtered_requirements(manifest, pins, requirements, bundle)
        (root / REQUIREMENTS).write_text(reqs, encoding="utf-8")
        scratch = root / "tmp"
        scratch.mkdir()
        env = _pip_env(environ, scratch)
        pip = [target, "-m", "pip"]
        ensurepip = False
        if run([*pip, "--version"], env, None)[0] != 0:
            ensurepip = True
            code, out = run([target, "-m", "ensurepip", "--default-pip"], env, None)
            if code != 0 or run([*pip, "--version"], env, None)[0] != 0:
                raise error(
                    f"{target} has no pip and ensurepip failed: {out.strip()[-200:]}",
                    "pip-missing",
                    hint="install pip for this Python with the package manager (python3-pip)",
                )
        argv = [*pip, "install", "--no-index", "--find-links", str(wheels), "--require-hashes"]
        code, out = run([*argv, "-r", str(root / REQUIREMENTS)], env, None)
    if code != 0:
        tail = [ln for ln in out.splitlines() if ln.strip()][-1:] or ["(no output)"]
        raise error(f"pip install from {bundle} failed: {tail[0].strip()}", "pip-failed")
    return InstallResult(
        bundle=str(bundle),
        python=target,
        installed=[ln.split(" ", 1)[0] for ln in reqs.splitlines()],
        ensurepip=ensurepip,
        output=out,
    )
