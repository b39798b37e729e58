"""``verify``: check a bundle with no network, on a Python that may lack ``ssl``.

Every entry is checked against the manifest as it streams out of the zip (names, sizes,
sha256), then each project's wheels against the tags the target interpreter supports, as
``packaging.tags`` computes them there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, Dict, Iterator, List, Mapping, Optional, Tuple

from pipssl import _files
from pipssl._text import shown
from pipssl.wheelhouse.manifest import (
    MANIFEST,
    REQUIREMENTS,
    SCHEMA,
    WHEELS,
    Manifest,
    ManifestWheel,
    check_manifest,
    error,
    invoke,
    unsafe,
)

_SHOWN_TAGS = 5
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Incompatible:
    """A project none of whose wheels in the bundle installs on the target interpreter."""

    name: str
    files: List[str]
    tags: List[str]


@dataclass(frozen=True)
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

    def to_dict(self) -> Dict[str, object]:
        return {"schema": SCHEMA, **asdict(self), "ok": self.ok}


@contextlib.contextmanager
def _open(bundle: Path) -> Iterator[zipfile.ZipFile]:
    try:
        # A FIFO or a device given as the bundle is refused before a byte is read.
        handle = _files.open_file(bundle, _files.BUNDLE)
    except _files.FileRefused as exc:
        if exc.why == _files.MISSING:
            raise error(f"{shown(bundle, 4096)} does not exist", "bundle-missing") from None
        hint = "Give the path of the bundle's zip file."
        raise error(exc.message, exc.reference, hint=hint) from None
    with handle:  # ZipFile leaves a file object it was given open
        try:
            archive = zipfile.ZipFile(handle)
        except (OSError, zipfile.BadZipFile, ValueError) as exc:
            raise error(
                f"{shown(bundle)} is not a readable zip ({shown(exc)}); it may be truncated",
                "bundle-damaged",
                hint="copy the bundle again and compare its sha256 with the one create printed",
            ) from None
        with archive:
            yield archive


def _entries(bundle: Path, archive: zipfile.ZipFile) -> Dict[str, zipfile.ZipInfo]:
    """Every entry by name, refusing unsafe names, links and duplicates."""
    entries: Dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        problem = unsafe(info)
        if problem is None and info.filename in entries:
            problem = "in the zip twice"
        if problem is not None:
            raise error(
                f"{shown(bundle)}: entry {shown(repr(info.filename))} is {problem}; refusing the "
                "bundle",
                "bundle-unsafe",
            )
        entries[info.filename] = info
    return entries


def read_bundle(bundle: Path, extract_to: Optional[Path] = None) -> Tuple[Manifest, str]:
    """The manifest and the pins, after checking every entry against the manifest.

    Files are hashed as they stream out of the zip; with ``extract_to`` the wheels are
    written there in the same pass, so pip only ever sees bytes that were checked.
    """
    damaged = "bundle-damaged"
    with _open(bundle) as archive:
        entries = _entries(bundle, archive)
        manifest = check_manifest(bundle, archive, entries.pop(MANIFEST, None))
        files = manifest.digests()
        missing = sorted(set(files) - set(entries))
        if missing:
            raise error(
                f"{shown(bundle)}: {shown(', '.join(missing))} listed in {MANIFEST} but missing",
                damaged,
            )
        extra = sorted(set(entries) - set(files))
        if extra:
            listed = shown(", ".join(extra))
            raise error(f"{shown(bundle)}: {listed} not listed in {MANIFEST}", damaged)
        pins = b""
        for path, (digest, size) in sorted(files.items()):
            if size > _files.WHEEL.limit:  # inflated, it would fill the disk (a zip bomb)
                raise error(
                    f"{shown(bundle)}: {shown(path)} would inflate to {size} bytes, over the "
                    f"{_files.WHEEL.limit // (1 << 20)} MB a {_files.WHEEL.what} may hold",
                    "bundle-unsafe",
                )
            sink = None
            if extract_to is not None and path.startswith(WHEELS):
                sink = (extract_to / path[len(WHEELS) :]).open("wb")
            try:
                data = _hash_entry(archive, entries[path], size, sink)
            except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
                raise error(
                    f"{shown(bundle)} is damaged ({shown(exc)}); it may be truncated", damaged
                ) from None
            finally:
                if sink is not None:
                    sink.close()
            if data is None or data[0] != digest:
                raise error(
                    f"{shown(bundle)}: {shown(path)} does not match its sha256 and size in "
                    f"{MANIFEST}",
                    damaged,
                    hint="the bundle was changed after create; get an intact copy",
                )
            if path == REQUIREMENTS:
                pins = data[1]
    try:
        return manifest, pins.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{bundle}: {REQUIREMENTS} is not UTF-8", damaged) from None


def _hash_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int, sink: Optional[BinaryIO]
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


# The target's own packaging, else its pip's copy, else ours (which may need a newer Python):
# argv[1] is the directory holding our copy, argv[2] what to print.
_PACKAGING_SCRIPT = r"""
import json, sys
try:
    from packaging import markers, tags
except Exception:
    try:
        from pip._vendor.packaging import markers, tags
    except Exception:
        sys.path.append(sys.argv[1])
        from packaging import markers, tags
if sys.argv[2] == "tags":
    print(json.dumps([str(t) for t in tags.sys_tags()]))
else:
    print(json.dumps(markers.default_environment()))
"""


def _ask_packaging(python: str, env: Mapping[str, str], what: str) -> Tuple[object, str]:
    """(what ``packaging`` computes inside the target interpreter, parsed from JSON, or None
    when it cannot say; the child's output for the error)."""
    import packaging  # noqa: PLC0415 packaging may be missing

    with tempfile.TemporaryDirectory(prefix="pipssl-tags-") as tmp:
        # Only packaging goes on the target's path: not the site-packages it came from.
        shutil.copytree(
            str(Path(packaging.__file__).parent),
            str(Path(tmp) / "packaging"),
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        code, out = invoke([python, "-c", _PACKAGING_SCRIPT, tmp, what], env, None)
    try:
        return (json.loads(out.strip().splitlines()[-1]) if code == 0 else None), out
    except (ValueError, IndexError):
        return None, out


def _supported_tags(python: Optional[str], env: Mapping[str, str]) -> List[str]:
    """``packaging.tags.sys_tags()`` of the target, most preferred first."""
    from packaging import tags  # noqa: PLC0415 packaging may be missing

    if python is None:
        return [str(t) for t in tags.sys_tags()]
    found, out = _ask_packaging(python, env, "tags")
    if not isinstance(found, list):
        raise error(
            f"cannot read the wheel tags {shown(python)} supports: {shown(out.strip()[-200:])}",
            "python-failed",
        )
    return [str(t) for t in found]


def marker_environment(python: Optional[str], env: Mapping[str, str]) -> Dict[str, str]:
    """``packaging.markers.default_environment()`` of the target interpreter: what its pip
    evaluates requirement markers against (default: this interpreter)."""
    from packaging import markers  # noqa: PLC0415 packaging may be missing

    if python is None:
        return {str(k): str(v) for k, v in markers.default_environment().items()}
    found, out = _ask_packaging(python, env, "markers")
    if not isinstance(found, dict):
        raise error(
            f"cannot read the marker environment of {shown(python)}: {shown(out.strip()[-200:])}",
            "python-failed",
        )
    return {str(k): str(v) for k, v in found.items()}


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
    manifest, _pins = read_bundle(bundle)
    env = dict(os.environ if environ is None else environ)
    supported = _supported_tags(python, env)
    allowed = set(supported)
    by_project: Dict[str, List[ManifestWheel]] = {}
    for wheel in manifest.wheels:
        by_project.setdefault(wheel.name, []).append(wheel)
    incompatible = []
    for name, wheels in sorted(by_project.items()):
        if not any(allowed.intersection(w.tags) for w in wheels):
            incompatible.append(
                Incompatible(
                    name=name,
                    files=[Path(w.path).name for w in wheels],
                    tags=sorted({t for w in wheels for t in w.tags}),
                )
            )
    return VerifyResult(
        bundle=str(bundle),
        files=len(manifest.files),
        wheels=sorted(Path(w.path).name for w in manifest.wheels),
        python=python or sys.executable,
        incompatible=incompatible,
        supported_tags=supported[:_SHOWN_TAGS],
    )


def incompatible_message(result: VerifyResult) -> str:
    """One line naming the wheels that do not install on the target, and what it needs."""
    listed = "; ".join(
        f"{shown(i.name)} ({shown(', '.join(i.tags))})" for i in result.incompatible
    )
    return (
        f"{shown(result.bundle)}: no wheel installs on {shown(result.python)} for {listed}; "
        f"it needs one of {shown(', '.join(result.supported_tags))}, ..."
    )
