"""Air-gapped installs: one zip carries a verified set of wheels to a machine with no network.

``create`` runs on a connected machine and drives the real ``pip download`` (``pip wheel``
for sdist-only requirements when building for this interpreter); ``verify`` and ``install``
run on the target with no network at all, and on a Python without ``ssl``.  Only the
standard library is imported at module level: ``packaging`` is imported inside functions,
from the copy embedded in ``get-pipssl.py`` when the target has none.

A bundle is a deterministic zip::

    manifest.json        schema 1: targets, pip version, requirements, every file's
                         sha256 and size, each wheel's tags and dependencies
    requirements.txt     every wheel pinned with --hash=sha256:
    get-pipssl.py        the bootstrap, when it could be found or built
    wheels/*.whl         the requirements' wheels, plus pip, certifi, packaging, pipssl

Installing a subset: at ``create`` each wheel's ``Requires-Dist`` (from its METADATA) is
resolved against the wheels in the bundle and stored in the manifest, per extra; ``install``
walks that graph from the names asked for and pins exactly the wheels it reaches.  A
dependency whose marker holds for another environment is kept when its wheel is in the
bundle, since ``pip download`` put it there for the target.
"""

from __future__ import annotations

import email.parser
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union

from pipssl.errors import PipsslError
from pipssl.target.runpip import run_pip

SCHEMA = 1
MANIFEST = "manifest.json"
REQUIREMENTS = "requirements.txt"
BOOTSTRAP = "get-pipssl.py"
WHEELS = "wheels/"
TOOLS = ("pip", "certifi", "packaging")
_INDEX_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX")
_TIMEOUT = 1800.0
_SHOWN_TAGS = 5
_CHUNK = 1 << 20
_MANIFEST_LIMIT = 16 << 20
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_NO_MATCH = re.compile(r"No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)")
_DRIVE = re.compile(r"^[A-Za-z]:")

Progress = Callable[[str], None]


@dataclass
class CreateResult:
    """What ``create`` wrote: the bundle, its wheels and size, and anything left out."""

    bundle: str
    sha256: str
    size: int
    wheels: List[str]
    pip_version: str
    built_from_sdist: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"schema": SCHEMA, **asdict(self)}


@dataclass
class Incompatible:
    """A project none of whose wheels in the bundle installs on the target interpreter."""

    name: str
    files: List[str]
    tags: List[str]


@dataclass
class VerifyResult:
    """Hashes and sizes all match (else ``verify`` raised); ``incompatible`` may be empty."""

    bundle: str
    files: int
    wheels: List[str]
    python: str
    incompatible: List[Incompatible]
    supported_tags: List[str]

    @property
    def ok(self) -> bool:
        return not self.incompatible

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return {"schema": SCHEMA, **data}


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


def _error(message: str, reference: str, hint: Optional[str] = None) -> PipsslError:
    return PipsslError(message, reference=reference, hint=hint)


def normalize(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheel_parts(filename: str) -> Tuple[str, str, List[str]]:
    """``name, version, [tags]`` of a wheel file name (build tag ignored)."""
    parts = filename[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise _error(f"{filename} is not a wheel file name", "bundle-damaged")
    python, abi, platform = parts[-3:]
    tags = [
        f"{p}-{a}-{pl}"
        for p in python.split(".")
        for a in abi.split(".")
        for pl in platform.split(".")
    ]
    return normalize(parts[0]), parts[1], tags


# --- create -----------------------------------------------------------------------------


def _run(
    argv: Sequence[str], env: Mapping[str, str], progress: Optional[Progress]
) -> Tuple[int, str]:
    try:
        return run_pip(argv, env, echo=progress, timeout=_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        raise _error(f"cannot run {argv[0]}: {exc}", "pip-failed") from None


def _pip_version(python: str, env: Mapping[str, str]) -> str:
    code, out = _run([python, "-m", "pip", "--version"], env, None)
    match = re.match(r"pip (\S+)", out)
    if code != 0 or match is None:
        raise _error(
            f"{python} has no working pip: {out.strip()[-200:]}",
            "pip-missing",
            hint="install pip for that Python (python -m ensurepip), then run create again",
        )
    return match.group(1)


def _target_args(python_versions: Sequence[str], platforms: Sequence[str]) -> List[List[str]]:
    """One ``pip download`` option set per Python version (pip takes one at a time)."""
    if not python_versions and not platforms:
        return [[]]
    versions = list(python_versions) or [f"{sys.version_info[0]}.{sys.version_info[1]}"]
    sets = []
    for version in versions:
        if not re.fullmatch(r"3\.\d+", version):
            raise _error(f"--python-version {version!r}: expected e.g. 3.8", "usage-error")
        args = ["--only-binary", ":all:", "--python-version", version, "--implementation", "cp"]
        args += ["--abi", "cp" + version.replace(".", "")]
        for platform in platforms:
            args += ["--platform", platform]
        sets.append(args)
    return sets


def _requirement_lines(requirements: Union[Path, Sequence[str]]) -> Tuple[List[str], List[str]]:
    """(lines for the manifest, pip arguments)."""
    if isinstance(requirements, (str, bytes)):
        raise _error("requirements: give a list of strings or a Path", "usage-error")
    if isinstance(requirements, Path):
        try:
            text = requirements.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise _error(f"cannot read {requirements}: {reason}", "usage-error") from None
        lines = [ln.strip() for ln in text.splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith("#")]
        return lines, ["-r", str(requirements.resolve())]
    lines = [str(r).strip() for r in requirements if str(r).strip()]
    return lines, lines


def _roots(lines: Sequence[str]) -> Optional[List[str]]:
    """``name[extras]`` of every requirement line; None when one names no project."""
    roots = []
    for line in lines:
        if line.startswith("-"):
            if line.startswith(("-r", "--requirement", "-c", "--constraint", "-e")):
                return None
            continue
        match = _NAME.match(line.split(" #", 1)[0])
        if match is None or "://" in line or line.startswith((".", "/")):
            return None
        roots.append(_key(match.group(1), match.group(2)))
    return roots


def _key(name: str, extras: Optional[str]) -> str:
    names = sorted({normalize(e) for e in (extras or "").split(",") if e.strip()})
    return normalize(name) + (f"[{','.join(names)}]" if names else "")


def _requires(data: bytes, present: Set[str]) -> Dict[str, List[str]]:
    """Dependencies of one wheel that are in the bundle, keyed by extra ("" for none)."""
    from packaging.requirements import InvalidRequirement, Requirement

    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        names = [n for n in wheel.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        if len(names) != 1:
            return {}
        text = wheel.read(names[0]).decode("utf-8", "replace")
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
            graph.setdefault(key, []).append(_key(req.name, ",".join(req.extras)))
    return {k: sorted(set(v)) for k, v in sorted(graph.items())}


def _holds(marker: Any, extra: str) -> bool:
    try:
        return bool(marker.evaluate({"extra": extra}))
    except Exception:  # packaging's marker errors differ between its versions
        return True  # keep the edge: a needless pin costs less than a failed install


def _bootstrap(explicit: Optional[Path], root: Path, warnings: List[str]) -> Optional[bytes]:
    """get-pipssl.py for the bundle: the file given, else the one this pipssl runs from
    (get-pipssl.py tells the package where it is), else the checkout's (committed or
    built); an installed pipssl without either says so in ``warnings``."""
    if explicit is not None:
        try:
            return explicit.read_bytes()
        except OSError as exc:
            raise _error(f"--bootstrap {explicit}: {exc.strerror}", "usage-error") from None
    import pipssl

    running = getattr(pipssl, "_bootstrap_file", None)
    if running and os.path.isfile(running):
        return Path(running).read_bytes()
    committed = root / BOOTSTRAP
    if committed.is_file():
        return committed.read_bytes()
    from pipssl import _embed

    try:
        return _embed.build(root)
    except PipsslError as exc:
        warnings.append(
            f"{BOOTSTRAP} left out ({exc}); give it with --bootstrap FILE to carry it along"
        )
        return None


def _zip_bundle(entries: Sequence[Tuple[str, bytes]]) -> bytes:
    from pipssl._embed import _entry

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(entries):
            compress = zipfile.ZIP_STORED if name.endswith(".whl") else zipfile.ZIP_DEFLATED
            archive.writestr(_entry(name, compress), data, compresslevel=9)
    return buffer.getvalue()


def _download(
    base: List[str],
    what: List[str],
    targets: List[List[str]],
    dest: Path,
    env: Mapping[str, str],
    progress: Optional[Progress],
) -> None:
    for target in targets:
        code, out = _run([*base, "download", "--dest", str(dest), *target, *what], env, progress)
        if code == 0:
            continue
        missing = _NO_MATCH.search(out)
        if missing and target:
            raise _error(
                f"no wheel of {missing.group(1)} for the target ({' '.join(target[2:])})",
                "wheel-missing",
                hint="only wheels can be carried for another platform or Python: pin a "
                "version that has one, or create the bundle on a machine like the target",
            )
        last = [ln for ln in out.splitlines() if ln.strip()][-1:] or ["(no output)"]
        raise _error(f"pip download failed: {last[0].strip()}", "pip-failed")


def create(
    requirements: Union[Path, Sequence[str]],
    output: Path,
    *,
    python_versions: Sequence[str] = (),
    platforms: Sequence[str] = (),
    index_url: Optional[str] = None,
    python: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    progress: Optional[Progress] = None,
    bootstrap_file: Optional[Path] = None,
) -> CreateResult:
    """Download wheels with the real pip and write one verified bundle.

    Args:
        requirements: requirement strings, or the Path of a requirements file.
        output: the zip to write (replaced atomically).
        python_versions: target Python versions ("3.8"); with ``platforms``, wheels only.
        platforms: target platform tags ("manylinux2014_x86_64"); default this machine.
        index_url: the index to download from (default: pip's configuration).
        python: the interpreter whose pip downloads (default: this one).
        environ: the environment for pip (default ``os.environ``).
        progress: called with each line pip prints.
        bootstrap_file: the get-pipssl.py to carry (default: the running one, or the
            checkout's).

    Returns:
        The bundle's path, SHA-256, size and wheels.

    Raises:
        PipsslError: pip fails, a requirement has no wheel for a foreign target
            (``wheel-missing``), or the output cannot be written.
    """
    from pipssl import __version__
    from pipssl._embed import pipssl_wheel

    python = python or sys.executable
    env = dict(os.environ if environ is None else environ)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    lines, pip_args = _requirement_lines(requirements)
    if not lines:
        raise _error("create: no requirements given", "usage-error")
    targets = _target_args(python_versions, platforms)
    pip_version = _pip_version(python, env)
    base = [python, "-m", "pip"]
    index = ["--index-url", index_url] if index_url else []
    built: List[str] = []
    warnings: List[str] = []
    with tempfile.TemporaryDirectory(prefix="pipssl-wheelhouse-") as tmp:
        dest = Path(tmp) / "wheels"
        dest.mkdir()
        _download(base, [*index, *pip_args], targets, dest, env, progress)
        sdists = sorted(p for p in dest.iterdir() if not p.name.endswith(".whl"))
        for sdist in sdists:
            argv = [*base, "wheel", "--no-deps", "--wheel-dir", str(dest), *index, str(sdist)]
            code, out = _run(argv, env, progress)
            if code != 0:
                tail = [ln for ln in out.splitlines() if ln.strip()][-1:] or [""]
                raise _error(
                    f"pip wheel could not build {sdist.name}: {tail[0].strip()}", "pip-failed"
                )
            built.append(sdist.name)
            sdist.unlink()
        present = {_wheel_parts(p.name)[0] for p in dest.iterdir()}
        tools = [t for t in TOOLS if t not in present]
        if tools:
            _download(
                base, [*index, "--only-binary", ":all:", *tools], targets, dest, env, progress
            )
        wheels = {p.name: p.read_bytes() for p in dest.iterdir() if p.name.endswith(".whl")}
    # The pipssl package directory (this file lives one level below it) and its checkout.
    package = Path(__file__).resolve().parent.parent
    if "pipssl" not in {_wheel_parts(n)[0] for n in wheels}:
        name, data = pipssl_wheel(package)
        wheels[name] = data
    root = package.parent
    entries = [(WHEELS + name, data) for name, data in wheels.items()]
    bootstrap = _bootstrap(bootstrap_file, root, warnings)
    if bootstrap is not None:
        entries.append((BOOTSTRAP, bootstrap))
    entries.append((REQUIREMENTS, _pins(wheels).encode()))
    present = {_wheel_parts(n)[0] for n in wheels}
    manifest = {
        "schema": SCHEMA,
        "created_by": f"pipssl {__version__}",
        "created_for": {
            "python_versions": list(python_versions),
            "platforms": list(platforms),
            "interpreter": None if python_versions or platforms else _python_tag(python, env),
        },
        "pip_version": pip_version,
        "requirements": lines,
        "roots": _roots(lines),
        "wheels": [
            {
                "path": WHEELS + name,
                "name": _wheel_parts(name)[0],
                "version": _wheel_parts(name)[1],
                "tags": _wheel_parts(name)[2],
                "requires": _requires(data, present),
            }
            for name, data in sorted(wheels.items())
        ],
        "files": [
            {"path": name, "sha256": _sha256(data), "size": len(data)}
            for name, data in sorted(entries)
        ],
    }
    entries.append((MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()))
    data = _zip_bundle(entries)
    _write(output, data)
    return CreateResult(
        bundle=str(output),
        sha256=_sha256(data),
        size=len(data),
        wheels=sorted(wheels),
        pip_version=pip_version,
        built_from_sdist=built,
        warnings=warnings,
    )


def _python_tag(python: str, env: Mapping[str, str]) -> str:
    code, out = _run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.platform)"],
        env,
        None,
    )
    return out.strip() if code == 0 else "unknown"


def _pins(wheels: Mapping[str, bytes]) -> str:
    """``name==version --hash=...`` per project (several hashes for several platforms)."""
    projects: Dict[str, Dict[str, List[str]]] = {}
    for filename, data in sorted(wheels.items()):
        name, version, _tags = _wheel_parts(filename)
        projects.setdefault(name, {}).setdefault(version, []).append(_sha256(data))
    lines = []
    for name, versions in sorted(projects.items()):
        if len(versions) > 1:
            raise _error(
                f"the targets need different versions of {name} ({', '.join(sorted(versions))})",
                "usage-error",
                hint="create one bundle per target Python",
            )
        for version, hashes in versions.items():
            pins = " ".join(f"--hash=sha256:{h}" for h in sorted(hashes))
            lines.append(f"{name}=={version} {pins}")
    return "".join(line + "\n" for line in lines)


def _write(path: Path, data: bytes) -> None:
    from pipssl._embed import _write as write

    try:
        write(path, data)
    except PipsslError as exc:
        raise _error(str(exc), "write-failed") from None


# --- verify -----------------------------------------------------------------------------


def _unsafe(info: zipfile.ZipInfo) -> Optional[str]:
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


def _open(bundle: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(bundle)
    except FileNotFoundError:
        raise _error(f"{bundle} does not exist", "bundle-missing") from None
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise _error(
            f"{bundle} is not a readable zip ({exc}); it may be truncated",
            "bundle-damaged",
            hint="copy the bundle again and compare its sha256 with the one create printed",
        ) from None


def _entries(bundle: Path, archive: zipfile.ZipFile) -> Dict[str, zipfile.ZipInfo]:
    """Every entry by name, refusing unsafe names, links and duplicates."""
    entries: Dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        problem = _unsafe(info)
        if problem is None and info.filename in entries:
            problem = "in the zip twice"
        if problem is not None:
            raise _error(
                f"{bundle}: entry {info.filename!r} is {problem}; refusing the bundle",
                "bundle-unsafe",
            )
        entries[info.filename] = info
    return entries


def _manifest(bundle: Path, archive: zipfile.ZipFile, info: Optional[zipfile.ZipInfo]) -> Any:
    if info is None or info.file_size > _MANIFEST_LIMIT:
        raise _error(f"{bundle} has no valid {MANIFEST}", "bundle-damaged")
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
        raise _error(f"{bundle}: {MANIFEST} is invalid ({exc})", "bundle-damaged") from None
    for path in files:
        wheel = (
            path.startswith(WHEELS) and path.endswith(".whl") and "/" not in path[len(WHEELS) :]
        )
        if not (wheel or path in (REQUIREMENTS, BOOTSTRAP)):
            raise _error(
                f"{bundle}: {MANIFEST} lists an unexpected file {path!r}", "bundle-unsafe"
            )
    manifest["_files"] = files
    return manifest


def _read_bundle(bundle: Path, extract_to: Optional[Path] = None) -> Tuple[Dict[str, Any], str]:
    """The manifest and the pins, after checking every entry against the manifest.

    Files are hashed as they stream out of the zip; with ``extract_to`` the wheels are
    written there in the same pass, so pip only ever sees bytes that were checked.
    """
    damaged = "bundle-damaged"
    with _open(bundle) as archive:
        entries = _entries(bundle, archive)
        manifest = _manifest(bundle, archive, entries.pop(MANIFEST, None))
        files: Dict[str, Tuple[str, int]] = manifest.pop("_files")
        missing = sorted(set(files) - set(entries))
        if missing:
            raise _error(
                f"{bundle}: {', '.join(missing)} listed in {MANIFEST} but missing", damaged
            )
        extra = sorted(set(entries) - set(files))
        if extra:
            raise _error(f"{bundle}: {', '.join(extra)} not listed in {MANIFEST}", damaged)
        pins = b""
        for path, (digest, size) in sorted(files.items()):
            sink = None
            if extract_to is not None and path.startswith(WHEELS):
                sink = (extract_to / path[len(WHEELS) :]).open("wb")
            try:
                data = _hash_entry(archive, entries[path], size, sink)
            except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
                raise _error(
                    f"{bundle} is damaged ({exc}); it may be truncated", damaged
                ) from None
            finally:
                if sink is not None:
                    sink.close()
            if data is None or data[0] != digest:
                raise _error(
                    f"{bundle}: {path} does not match its sha256 and size in {MANIFEST}",
                    damaged,
                    hint="the bundle was changed after create; get an intact copy",
                )
            if path == REQUIREMENTS:
                pins = data[1]
    try:
        return manifest, pins.decode("utf-8")
    except UnicodeDecodeError:
        raise _error(f"{bundle}: {REQUIREMENTS} is not UTF-8", damaged) from None


def _hash_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int, sink: Optional[Any]
) -> Optional[Tuple[str, bytes]]:
    """(sha256, the bytes when small) of one entry, None when its size is not ``size``."""
    if info.file_size != size:
        return None
    digest = hashlib.sha256()
    small = b""
    read = 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            read += len(chunk)
            if read > size:
                return None
            digest.update(chunk)
            if sink is not None:
                sink.write(chunk)
            elif info.filename == REQUIREMENTS:
                small += chunk
    return (digest.hexdigest(), small) if read == size else None


# The target's own packaging, else its pip's copy, else ours (which may need a newer Python).
_TAGS_SCRIPT = r"""
import json, sys
try:
    from packaging import tags
except Exception:
    try:
        from pip._vendor.packaging import tags
    except Exception:
        sys.path.append(sys.argv[1])
        from packaging import tags
print(json.dumps([str(t) for t in tags.sys_tags()]))
"""


def _supported_tags(python: Optional[str], env: Mapping[str, str]) -> List[str]:
    """``packaging.tags.sys_tags()`` of the target, most preferred first."""
    import packaging
    from packaging import tags

    if python is None:
        return [str(t) for t in tags.sys_tags()]
    with tempfile.TemporaryDirectory(prefix="pipssl-tags-") as tmp:
        # Only packaging goes on the target's path: not the site-packages it came from.
        shutil.copytree(
            str(Path(packaging.__file__).parent),
            str(Path(tmp) / "packaging"),
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        code, out = _run([python, "-c", _TAGS_SCRIPT, tmp], env, None)
    try:
        found = json.loads(out.strip().splitlines()[-1]) if code == 0 else None
    except (ValueError, IndexError):
        found = None
    if not isinstance(found, list):
        raise _error(
            f"cannot read the wheel tags {python} supports: {out.strip()[-200:]}", "python-failed"
        )
    return [str(t) for t in found]


def verify(
    bundle: Path, *, python: Optional[str] = None, environ: Optional[Mapping[str, str]] = None
) -> VerifyResult:
    """Check a bundle without any network: entries, hashes, sizes, manifest, wheel tags.

    Args:
        bundle: the zip made by ``create``.
        python: the interpreter to check the wheels against (default: this one).
        environ: the environment for running ``python`` (default ``os.environ``).

    Returns:
        The counts, and the projects with no wheel for that interpreter (with its tags).

    Raises:
        PipsslError: ``bundle-unsafe`` (absolute, ``..``, symlink or duplicate entries),
            ``bundle-damaged`` (corrupt or truncated zip, a file changed, missing or not
            listed), ``bundle-missing``.
    """
    manifest, _pins = _read_bundle(bundle)
    env = dict(os.environ if environ is None else environ)
    supported = _supported_tags(python, env)
    allowed = set(supported)
    by_project: Dict[str, List[Dict[str, Any]]] = {}
    for wheel in manifest.get("wheels", []):
        by_project.setdefault(str(wheel["name"]), []).append(wheel)
    incompatible = []
    for name, wheels in sorted(by_project.items()):
        if not any(allowed.intersection(w["tags"]) for w in wheels):
            incompatible.append(
                Incompatible(
                    name=name,
                    files=[Path(w["path"]).name for w in wheels],
                    tags=sorted({t for w in wheels for t in w["tags"]}),
                )
            )
    return VerifyResult(
        bundle=str(bundle),
        files=len(manifest["files"]),
        wheels=sorted(Path(w["path"]).name for w in manifest.get("wheels", [])),
        python=python or sys.executable,
        incompatible=incompatible,
        supported_tags=supported[:_SHOWN_TAGS],
    )


def incompatible_message(result: VerifyResult) -> str:
    """One line naming the wheels that do not install on the target, and what it needs."""
    listed = "; ".join(f"{i.name} ({', '.join(i.tags)})" for i in result.incompatible)
    return (
        f"{result.bundle}: no wheel installs on {result.python} for {listed}; "
        f"it needs one of {', '.join(result.supported_tags)}, ..."
    )


# --- install ----------------------------------------------------------------------------


def _closure(manifest: Mapping[str, Any], asked: Sequence[str]) -> Set[str]:
    """The projects reached from ``asked`` (``name[extras]``) through the stored graph."""
    graph = {str(w["name"]): w.get("requires", {}) for w in manifest["wheels"]}
    todo = list(asked)
    done: Set[str] = set()
    names: Set[str] = set()
    while todo:
        item = todo.pop()
        if item in done:
            continue
        done.add(item)
        match = _NAME.match(item)
        if match is None:
            continue
        name = normalize(match.group(1))
        extras = [normalize(e) for e in (match.group(2) or "").split(",") if e.strip()]
        if name not in graph:
            continue
        names.add(name)
        for key in ["", *extras]:
            todo.extend(graph[name].get(key, []))
    return names


def _filtered_requirements(
    manifest: Mapping[str, Any], pins: str, requirements: Sequence[str], bundle: Path
) -> str:
    available = {str(w["name"]) for w in manifest["wheels"]}
    if requirements:
        asked = []
        for requirement in requirements:
            match = _NAME.match(requirement)
            if match is None or normalize(match.group(1)) not in available:
                raise _error(
                    f"{requirement!r} is not in {bundle}; it holds {', '.join(sorted(available))}",
                    "not-in-bundle",
                )
            asked.append(_key(match.group(1), match.group(2)))
    elif manifest.get("roots") is None:
        return pins
    else:
        asked = list(manifest["roots"])
    wanted = _closure(manifest, asked)
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
        raise _error(
            incompatible_message(result),
            "bundle-incompatible",
            hint="create the bundle with --python-version/--platform matching this machine",
        )
    with tempfile.TemporaryDirectory(prefix="pipssl-install-") as tmp:
        root = Path(tmp)
        wheels = root / "wheels"
        wheels.mkdir()
        manifest, pins = _read_bundle(bundle, extract_to=wheels)
        reqs = _filtered_requirements(manifest, pins, requirements, bundle)
        (root / REQUIREMENTS).write_text(reqs, encoding="utf-8")
        scratch = root / "tmp"
        scratch.mkdir()
        env = _pip_env(environ, scratch)
        pip = [target, "-m", "pip"]
        ensurepip = False
        if _run([*pip, "--version"], env, None)[0] != 0:
            ensurepip = True
            code, out = _run([target, "-m", "ensurepip", "--default-pip"], env, None)
            if code != 0 or _run([*pip, "--version"], env, None)[0] != 0:
                raise _error(
                    f"{target} has no pip and ensurepip failed: {out.strip()[-200:]}",
                    "pip-missing",
                    hint="install pip for this Python with the package manager (python3-pip)",
                )
        argv = [*pip, "install", "--no-index", "--find-links", str(wheels), "--require-hashes"]
        code, out = _run([*argv, "-r", str(root / REQUIREMENTS)], env, None)
    if code != 0:
        tail = [ln for ln in out.splitlines() if ln.strip()][-1:] or ["(no output)"]
        raise _error(f"pip install from {bundle} failed: {tail[0].strip()}", "pip-failed")
    return InstallResult(
        bundle=str(bundle),
        python=target,
        installed=[ln.split(" ", 1)[0] for ln in reqs.splitlines()],
        ensurepip=ensurepip,
        output=out,
    )
