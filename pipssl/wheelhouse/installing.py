"""``install``: pip install from a verified bundle, with no index and every hash required.

pip only sees wheels written out in the pass that checked them, and a requirements file
that pins exactly the wheels reached from the projects asked for, through the dependency
graph the manifest stores.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from pipssl._names import normalize
from pipssl._text import shown
from pipssl.wheelhouse.manifest import (
    REQUIREMENTS,
    SCHEMA,
    Manifest,
    error,
    invoke,
)
from pipssl.wheelhouse.resolving import Resolution, resolve
from pipssl.wheelhouse.verifying import (
    incompatible_message,
    marker_environment,
    read_bundle,
    verify,
)

_INDEX_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX")


@dataclass(frozen=True)
class InstallResult:
    """What ``install`` pinned and ran."""

    bundle: str
    python: str
    #: the pins pip installed in this run
    installed: List[str]
    ensurepip: bool
    output: str
    #: requirements whose marker is false for the target (pip would skip them too)
    skipped: List[str] = field(default_factory=list)
    #: what pip warns about and installs anyway (an extra a project does not provide)
    notes: List[str] = field(default_factory=list)
    #: the pins pip found already installed at that version ("already satisfied")
    already_installed: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, object]:
        # ok is always true here: an install that fails raises, and the CLI prints the
        # error object with "ok": false (exit 2), as for every other command
        return {"schema": SCHEMA, "ok": True, **asdict(self)}


def split_installed(pins: Sequence[str], output: str) -> Tuple[List[str], List[str]]:
    """The pins pip installed in this run, and those it found already satisfied: its
    ``Successfully installed NAME-VERSION ...`` line names the former (project names as
    their metadata spells them, so both sides are normalized)."""
    done = set()
    for line in output.splitlines():
        if line.startswith("Successfully installed "):
            done |= {normalize(w.rsplit("-", 1)[0]) for w in line.split()[2:]}
    new = [p for p in pins if normalize(p.split("==", 1)[0]) in done]
    return new, [p for p in pins if p not in new]


def _pinned(
    manifest: Manifest,
    pins: str,
    requirements: Sequence[str],
    wheels: Path,
    environment: Callable[[], Mapping[str, str]],
) -> Tuple[str, Resolution]:
    """The pins of what ``requirements`` (default: the bundle's own) reach, resolved
    against the bundle; every pin when the bundle's requirements name no projects."""
    asked = list(requirements) or _created_for(manifest)
    if asked is None:
        return pins, Resolution((), (), ())
    resolution = resolve(manifest, wheels, asked, environment())
    wanted = set(resolution.projects)
    lines = [ln for ln in pins.splitlines() if normalize(ln.split("==", 1)[0]) in wanted]
    return "".join(line + "\n" for line in lines), resolution


def _created_for(manifest: Manifest) -> Optional[List[str]]:
    """The requirements ``create`` was given, markers and all (None: they include a file
    or a path, which name no project); pip's per-line options and comments cut off."""
    if manifest.roots is None:
        return None
    lines = [line for line in manifest.requirements if not line.startswith("-")]
    return [_requirement_part(line) for line in lines]


def _requirement_part(line: str) -> str:
    """``line`` up to its first blank-then-``#`` or blank-then-``-`` (a comment or an
    option), stripped; by hand, as a repeated blank searched for from every blank was
    quadratic on a long run of blanks."""
    for at in range(1, len(line)):
        if line[at] in "#-" and line[at - 1].isspace():
            return line[:at].strip()
    return line.strip()


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
        requirements: PEP 508 requirements to install with their dependencies (default:
            the requirements the bundle was created for), resolved against the bundle by
            :func:`pipssl.wheelhouse.resolving.resolve`: versions, extras, and markers
            evaluated for ``python``; one whose marker is false is skipped.
        python: the interpreter to install into (default: this one).
        environ: the environment for pip (default ``os.environ``); index variables are
            removed and ``PIP_NO_INDEX=1`` set.

    Returns:
        The pins installed, whether ensurepip ran, and pip's output.

    Raises:
        PipsslError: every ``verify`` error; ``bundle-incompatible`` when a wheel does not
            install on the target; ``not-in-bundle`` when the bundle cannot satisfy a
            requirement (a project, version or extra's dependency it lacks);
            ``pip-failed``. Nothing is installed when any check fails.
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
        (root / "tmp").mkdir()
        env = _pip_env(environ, root / "tmp")
        reqs, resolution = _pinned(
            manifest, pins, requirements, wheels, lambda: marker_environment(python, env)
        )
        if not reqs:
            return InstallResult(
                bundle=str(bundle),
                python=target,
                installed=[],
                ensurepip=False,
                output="",
                skipped=list(resolution.skipped),
                notes=list(resolution.notes),
            )
        (root / REQUIREMENTS).write_text(reqs, encoding="utf-8")
        pip = [target, "-m", "pip"]
        ensurepip = False
        if invoke([*pip, "--version"], env, None)[0] != 0:
            ensurepip = True
            code, out = invoke([target, "-m", "ensurepip", "--default-pip"], env, None)
            if code != 0 or invoke([*pip, "--version"], env, None)[0] != 0:
                raise error(
                    f"{shown(target)} has no pip and ensurepip failed: "
                    f"{shown(out.strip()[-200:])}",
                    "pip-missing",
                    hint="install pip for this Python with the package manager (python3-pip)",
                )
        argv = [*pip, "install", "--no-index", "--find-links", str(wheels), "--require-hashes"]
        code, out = invoke([*argv, "-r", str(root / REQUIREMENTS)], env, None)
    if code != 0:
        tail = [ln for ln in out.splitlines() if ln.strip()][-1:] or ["(no output)"]
        raise error(f"pip install from {bundle} failed: {tail[0].strip()}", "pip-failed")
    new, present = split_installed([ln.split(" ", 1)[0] for ln in reqs.splitlines()], out)
    return InstallResult(
        bundle=str(bundle),
        python=target,
        installed=new,
        ensurepip=ensurepip,
        output=out,
        skipped=list(resolution.skipped),
        notes=list(resolution.notes),
        already_installed=present,
    )
