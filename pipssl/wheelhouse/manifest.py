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
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
)

from pipssl import _files
from pipssl._names import normalize
from pipssl.errors import PipsslError
from pipssl.interpreter.runpip import run_pip

if TYPE_CHECKING:  # packaging is imported where it is used (see pipssl's import rule)
    from packaging.markers import Marker

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


def invoke(
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
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 packaging may be missing

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


def _holds(marker: Marker, extra: str) -> bool:
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


@dataclass(frozen=True)
class ManifestFile:
    """One listed file of the bundle: its path in the zip, SHA-256 and size."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ManifestWheel:
    """One wheel of the bundle.

    Attributes:
        path: its entry (``wheels/NAME.whl``).
        name / version: the project (PEP 503 normalised) and its version.
        tags: the tags it installs on (``py3-none-any`` ...).
        requires: its dependencies in the bundle, keyed by extra (``""``: none).
    """

    path: str
    name: str
    version: str
    tags: Tuple[str, ...]
    requires: Mapping[str, Tuple[str, ...]]


@dataclass(frozen=True)
class Manifest:
    """``manifest.json`` (schema 1), read and checked once at the boundary.

    Attributes:
        files: every other file of the zip.
        wheels: the wheels, each with its tags and dependencies.
        requirements: the lines ``create`` was given.
        roots: ``name[extras]`` of each of them (None: one named no project, a file or a
            path).
        created_by / created_for / pip_version: for people; nothing decides from them.
    """

    files: Tuple[ManifestFile, ...]
    wheels: Tuple[ManifestWheel, ...]
    requirements: Tuple[str, ...]
    roots: Optional[Tuple[str, ...]]
    created_by: str = ""
    created_for: Mapping[str, object] = field(default_factory=dict)
    pip_version: str = ""

    def digests(self) -> Dict[str, Tuple[str, int]]:
        """path -> (sha256, size) of every listed file."""
        return {f.path: (f.sha256, f.size) for f in self.files}

    def to_json(self) -> Dict[str, object]:
        """The JSON ``create`` writes (keys sorted when dumped)."""
        return {
            "schema": SCHEMA,
            "created_by": self.created_by,
            "created_for": dict(self.created_for),
            "pip_version": self.pip_version,
            "requirements": list(self.requirements),
            "roots": None if self.roots is None else list(self.roots),
            "wheels": [
                {
                    "path": w.path,
                    "name": w.name,
                    "version": w.version,
                    "tags": list(w.tags),
                    "requires": {k: list(v) for k, v in w.requires.items()},
                }
                for w in self.wheels
            ],
            "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files],
        }


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a string")
    return value


def _texts(value: object, what: str) -> Tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list")
    return tuple(_text(v, what) for v in value)


def _object(value: object, what: str) -> Dict[str, Any]:
    # JSON's objects come in as Dict[str, Any]; each value is checked as it is taken out
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    return value


def _file(item: object) -> ManifestFile:
    entry = _object(item, "a file entry")
    size = entry["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"file entry {entry.get('path')!r} has no size")
    return ManifestFile(_text(entry["path"], "a path"), _text(entry["sha256"], "a sha256"), size)


def _wheel(item: object, listed: Set[str]) -> ManifestWheel:
    entry = _object(item, "a wheel entry")
    if entry.get("path") not in listed or not isinstance(entry.get("name"), str):
        raise ValueError(f"wheel entry {entry!r} names no listed file")
    path = _text(entry["path"], "a path")
    try:
        graph = _object(entry["requires"], "requires")
        return ManifestWheel(
            path=path,
            name=_text(entry["name"], "a name"),
            version=_text(entry["version"], "a version"),
            tags=_texts(entry["tags"], "tags"),
            requires={str(k): _texts(v, "a dependency") for k, v in graph.items()},
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(f"wheel entry {path!r} is malformed ({exc})") from None


def parse_manifest(data: bytes) -> Manifest:
    """The manifest in ``data``, checked against schema 1.

    Raises:
        ValueError, KeyError, TypeError: it is not one (:func:`check_manifest` words it).
    """
    raw = _object(json.loads(data.decode("utf-8")), MANIFEST)
    files = tuple(_file(f) for f in _list(raw["files"], "files"))
    if raw["schema"] != SCHEMA:
        raise ValueError(f"schema {raw['schema']!r}, expected {SCHEMA}")
    listed = {f.path for f in files}
    if REQUIREMENTS not in listed:
        raise ValueError(f"{REQUIREMENTS} is not listed")
    roots = raw.get("roots")
    return Manifest(
        files=files,
        wheels=tuple(_wheel(w, listed) for w in _list(raw["wheels"], "wheels")),
        requirements=_texts(raw.get("requirements", []), "requirements"),
        roots=None if roots is None else _texts(roots, "roots"),
        created_by=str(raw.get("created_by", "")),
        created_for=_object(raw.get("created_for", {}), "created_for"),
        pip_version=str(raw.get("pip_version", "")),
    )


def _list(value: object, what: str) -> List[object]:
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list")
    return value


def check_manifest(
    bundle: Path, archive: zipfile.ZipFile, info: Optional[zipfile.ZipInfo]
) -> Manifest:
    """The bundle's manifest, checked against schema 1, and its files' names checked."""
    if info is None or info.file_size > _files.MANIFEST.limit:
        raise error(f"{bundle} has no valid {MANIFEST}", "bundle-damaged")
    try:
        manifest = parse_manifest(archive.read(info))
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise error(f"{bundle}: {MANIFEST} is invalid ({exc})", "bundle-damaged") from None
    for path in manifest.digests():
        wheel = (
            path.startswith(WHEELS) and path.endswith(".whl") and "/" not in path[len(WHEELS) :]
        )
        if not (wheel or path in (REQUIREMENTS, BOOTSTRAP)):
            raise error(f"{bundle}: {MANIFEST} lists an unexpected file {path!r}", "bundle-unsafe")
    return manifest
