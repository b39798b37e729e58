"""The bundle's format, and the rules that ``create``, ``verify`` and ``install`` share.

``manifest.json`` (schema 1) lists every other file of the zip with its sha256 and size,
the targets the bundle was made for, pip's version, the requirements and, per wheel, its
project, version, tags and dependencies.  Only ``requirements.txt``, ``get-pipssl.py`` and
``wheels/*.whl`` may be listed, and no entry name may leave the directory it is unpacked in.

The dependency graph: at ``create`` each wheel's ``Requires-Dist`` (from its METADATA) is
resolved against the wheels in the bundle and stored in the manifest, per extra, for
whoever reads the manifest.  ``install`` resolves from the wheels' METADATA itself
(:mod:`pipssl.wheelhouse.resolving`): it needs the specifiers and markers, and the
dependencies the bundle lacks, which the graph leaves out.
"""

from __future__ import annotations

import email.parser
import io
import json
import re
import stat
import subprocess
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from pipssl import _files
from pipssl._names import normalize
from pipssl.errors import PipsslError
from pipssl.target.runpip import run_pip

SCHEMA = 1
MANIFEST = "manifest.json"
REQUIREMENTS = "requirements.txt"
BOOTSTRAP = "get-pipssl.py"
WHEELS = "wheels/"
_TIMEOUT = 1800.0
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_DRIVE = re.compile(r"^[A-Za-z]:")

Progress = Callable[[str], None]


def error(message: str, reference: str, hint: Optional[str] = None) -> PipsslError:
    """The error every step raises; ``reference`` is the code the CLI and JSON name."""
    return PipsslError(message, reference=reference, hint=hint)


def wheel_parts(filename: str) -> Tuple[str, str, List[str]]:
    """``name, version, [tags]`` of a wheel file name (build tag ignored)."""
    parts = filename[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise error(f"{filename} is not a wheel file name", "bundle-damaged")
    python, abi, platform = parts[-3:]
    tags = [
        f"{p}-{a}-{pl}"
        for p in python.split(".")
        for a in abi.split(".")
        for pl in platform.split(".")
    ]
    return normalize(parts[0]), parts[1], tags


def run(
    argv: Sequence[str], env: Mapping[str, str], progress: Optional[Progress]
) -> Tuple[int, str]:
    """(exit code, output) of a pip or Python run; one that cannot start is ``pip-failed``."""
    if progress is not None:  # each line as pip prints it, not all at its exit
        env = {**env, "PYTHONUNBUFFERED": "1"}
    try:
        return run_pip(argv, env, echo=progress, timeout=_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        raise error(f"cannot run {argv[0]}: {exc}", "pip-failed") from None


# --- the dependency graph: stored by create, walked by install ---------------------------


def roots(lines: Sequence[str]) -> Optional[List[str]]:
    """``name[extras]`` of every requirement line; None when one names no project."""
    found = []
    for line in lines:
        if line.startswith("-"):
            if line.startswith(("-r", "--requirement", "-c", "--constraint", "-e")):
                return None
            continue
        match = NAME.match(line.split(" #", 1)[0])
        if match is None or "://" in line or line.startswith((".", "/")):
            return None
        found.append(requirement_key(match.group(1), match.group(2)))
    return found


def requirement_key(name: str, extras: Optional[str]) -> str:
    """``name[extra,...]``, normalised and sorted: the graph's node names."""
    names = sorted({normalize(e) for e in (extras or "").split(",") if e.strip()})
    return normalize(name) + (f"[{','.join(names)}]" if names else "")


def requires(data: bytes, present: Set[str]) -> Dict[str, List[str]]:
    """Dependencies of one wheel that are in the bundle, keyed by extra ("" for none)."""
    from packaging.requirements import InvalidRequirement, Requirement

    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        names = [n for n in wheel.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        if len(names) != 1:
            return {}
        text = _files.read_member(wheel, names[0], _files.METADATA).decode("utf-8", "replace")
    message = email.parser.Parser().parsestr(text, headersonly=True)
    extras = [normalize(e) for e in message.get_all("Provides-Extra") or ()]
    graph: Dict[str, List[str]] = {}
    for line in message.get_all("Requires-Dist") or ():
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if normalize(req.name) not in present:
            continue
        keys = [""]
        if req.marker is not None and "extra" in str(req.marker):
            keys = [e for e in extras if _holds(req.marker, e)]
        for key in keys:
            graph.setdefault(key, []).append(requirement_key(req.name, ",".join(req.extras)))
    return {k: sorted(set(v)) for k, v in sorted(graph.items())}


def _holds(marker: Any, extra: str) -> bool:
    try:
        return bool(marker.evaluate({"extra": extra}))
    except Exception:  # packaging's marker errors differ between its versions
        return True  # keep the edge: a needless pin costs less than a failed install


# --- what a bundle may hold ---------------------------------------------------------------


def unsafe(info: zipfile.ZipInfo) -> Optional[str]:
    """Why a zip entry must not be unpacked (absolute, ``..``, link, NUL), else None."""
    name = info.filename
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "an absolute path"
    if ".." in parts:
        return "a path with '..'"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link"
    if "\x00" in name:
        return "a NUL byte in its name"
    return None


def check_manifest(bundle: Path, archive: zipfile.ZipFile, info: Optional[zipfile.ZipInfo]) -> Any:
    """The parsed manifest, checked against schema 1, with ``_files``: path -> (sha256, size)."""
    if info is None or info.file_size > _files.MANIFEST.limit:
        raise error(f"{bundle} has no valid {MANIFEST}", "bundle-damaged")
    try:
        manifest = json.loads(archive.read(info).decode("utf-8"))
        files = {str(f["path"]): (str(f["sha256"]), int(f["size"])) for f in manifest["files"]}
        if manifest["schema"] != SCHEMA:
            raise ValueError(f"schema {manifest['schema']!r}, expected {SCHEMA}")
        if REQUIREMENTS not in files:
            raise ValueError(f"{REQUIREMENTS} is not listed")
        for wheel in manifest["wheels"]:
            if wheel["path"] not in files or not isinstance(wheel["name"], str):
                raise ValueError(f"wheel entry {wheel!r} names no listed file")
            if not isinstance(wheel["tags"], list) or not isinstance(wheel["requires"], dict):
                raise ValueError(f"wheel entry {wheel['path']!r} is malformed")
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise error(f"{bundle}: {MANIFEST} is invalid ({exc})", "bundle-damaged") from None
    for path in files:
        wheel = (
            path.startswith(WHEELS) and path.endswith(".whl") and "/" not in path[len(WHEELS) :]
        )
        if not (wheel or path in (REQUIREMENTS, BOOTSTRAP)):
            raise error(f"{bundle}: {MANIFEST} lists an unexpected file {path!r}", "bundle-unsafe")
    manifest["_files"] = files
    return manifest
