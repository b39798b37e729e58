"""``create``: drive the real ``pip download`` (and ``pip wheel``) and write one bundle.

Runs on a connected machine.  The wheels are pinned by hash in ``requirements.txt``, pip,
certifi, packaging, tomli and pipssl itself are carried along, and the zip is deterministic: the
same wheels give the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union

from pipssl import __version__, _files
from pipssl._files import sha256, write_atomic
from pipssl._text import shown
from pipssl._wheel import entry, pipssl_wheel
from pipssl.commands import Bootstrap
from pipssl.errors import PipsslError
from pipssl.wheelhouse.downloading import download
from pipssl.wheelhouse.manifest import (
    BOOTSTRAP,
    MANIFEST,
    REQUIREMENTS,
    SCHEMA,
    WHEELS,
    Manifest,
    ManifestFile,
    ManifestWheel,
    Progress,
    error,
    invoke,
    requires,
    roots,
    wheel_parts,
)

TOOLS = ("pip", "certifi", "packaging", "tomli")  # tomli: pipssl reads TOML with it below 3.11


@dataclass(frozen=True)
class CreateResult:
    """What ``create`` wrote: the bundle, its wheels and size, and anything left out."""

    bundle: str
    sha256: str
    size: int
    wheels: List[str]
    pip_version: str
    built_from_sdist: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, object]:
        return {"schema": SCHEMA, **asdict(self)}


def _pip_version(python: str, env: Mapping[str, str]) -> str:
    code, out = invoke([python, "-m", "pip", "--version"], env, None)
    match = re.match(r"pip (\S+)", out)
    if code != 0 or match is None:
        raise error(
            f"{shown(python)} has no working pip: {shown(out.strip()[-200:])}",
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
            raise error(f"--python-version {version!r}: expected e.g. 3.8", "usage-error")
        args = ["--only-binary", ":all:", "--python-version", version, "--implementation", "cp"]
        args += ["--abi", "cp" + version.replace(".", "")]
        for platform in platforms:
            args += ["--platform", platform]
        sets.append(args)
    return sets


def _requirement_lines(requirements: Union[Path, Sequence[str]]) -> Tuple[List[str], List[str]]:
    """(lines for the manifest, pip arguments)."""
    if isinstance(requirements, (str, bytes)):
        raise error("requirements: give a list of strings or a Path", "usage-error")
    if isinstance(requirements, Path):
        try:
            text = _files.read_file(requirements, _files.REQUIREMENTS).decode("utf-8")
        except _files.FileRefused as exc:  # a FIFO or /dev/zero: refused, never read
            raise error(exc.message, "usage-error") from None
        except UnicodeDecodeError as exc:
            raise error(f"cannot read {requirements}: {exc}", "usage-error") from None
        lines = [ln.strip() for ln in text.splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith("#")]
        return lines, ["-r", str(requirements.resolve())]
    lines = [str(r).strip() for r in requirements if str(r).strip()]
    return lines, lines


def _bootstrap(
    explicit: Optional[Path], running: Optional[Bootstrap], root: Path, warnings: List[str]
) -> Optional[bytes]:
    """get-pipssl.py for the bundle: the file given, else the one this pipssl runs from
    (``bootstrap-missing`` when it cannot be read again),
    else the checkout's (committed or built); an installed pipssl without either says so
    in ``warnings``."""
    if explicit is not None:
        try:
            return _files.read_file(explicit, _files.BOOTSTRAP)
        except _files.FileRefused as exc:
            raise error(f"--bootstrap: {exc.message}", "usage-error") from None
    if running is not None:
        if running.path and os.path.isfile(running.path):
            return _files.read_file(running.path, _files.BOOTSTRAP)
        # A bundle made by get-pipssl.py without get-pipssl.py would not do what it says.
        raise error(
            f"cannot find the {BOOTSTRAP} that is running (it was piped) to carry it along",
            "bootstrap-missing",
            hint=f"give the file: --bootstrap PATH/{BOOTSTRAP} (or run {BOOTSTRAP} as a file, "
            "not piped)",
        )
    committed = root / BOOTSTRAP
    if committed.is_file():
        return _files.read_file(committed, _files.BOOTSTRAP)
    try:
        from pipssl import _embed  # noqa: PLC0415 a checkout's tool: not in the wheel the bootstrap installs

        return _embed.build(root)
    except ImportError:
        warnings.append(f"{BOOTSTRAP} left out; give it with --bootstrap FILE to carry it along")
        return None
    except PipsslError as exc:
        warnings.append(
            f"{BOOTSTRAP} left out ({exc}); give it with --bootstrap FILE to carry it along"
        )
        return None


def _zip_bundle(entries: Sequence[Tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(entries):
            compress = zipfile.ZIP_STORED if name.endswith(".whl") else zipfile.ZIP_DEFLATED
            archive.writestr(entry(name, compress), data, compresslevel=9)
    return buffer.getvalue()


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
    running: Optional[Bootstrap] = None,
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
        bootstrap_file: the get-pipssl.py to carry (default: ``running``'s, else the
            checkout's).
        running: the get-pipssl.py pipssl runs from, if it does (the CLI passes what
            get-pipssl.py gave its ``main``).

    Returns:
        The bundle's path, SHA-256, size and wheels.

    Raises:
        PipsslError: pip fails (``pip-failed``; ``index-unusable`` with doctor's findings
            when the index cannot be used, e.g. its certificate is not trusted), a
            requirement has no wheel for a foreign target (``wheel-missing``), no
            get-pipssl.py can be found when running from one (``bootstrap-missing``), or
            the output cannot be written.
    """
    python = python or sys.executable
    env = dict(os.environ if environ is None else environ)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    lines, pip_args = _requirement_lines(requirements)
    if not lines:
        raise error("create: no requirements given", "usage-error")
    targets = _target_args(python_versions, platforms)
    pip_version = _pip_version(python, env)
    base = [python, "-m", "pip"]
    index = ["--index-url", index_url] if index_url else []
    built: List[str] = []
    warnings: List[str] = []
    with tempfile.TemporaryDirectory(prefix="pipssl-wheelhouse-") as tmp:
        dest = Path(tmp) / "wheels"
        dest.mkdir()
        download(base, [*index, *pip_args], targets, dest, env, progress, index_url)
        sdists = sorted(p for p in dest.iterdir() if not p.name.endswith(".whl"))
        for sdist in sdists:
            argv = [*base, "wheel", "--no-deps", "--wheel-dir", str(dest), *index, str(sdist)]
            code, out = invoke(argv, env, progress)
            if code != 0:
                tail = [ln for ln in out.splitlines() if ln.strip()][-1:] or [""]
                raise error(
                    f"pip wheel could not build {shown(sdist.name)}: {shown(tail[0].strip())}",
                    "pip-failed",
                )
            built.append(sdist.name)
            sdist.unlink()
        present = {wheel_parts(p.name)[0] for p in dest.iterdir()}
        tools = [t for t in TOOLS if t not in present]
        if tools:
            what = [*index, "--only-binary", ":all:", *tools]
            download(base, what, targets, dest, env, progress, index_url)
        wheels = {
            p.name: _files.read_file(p, _files.WHEEL)
            for p in dest.iterdir()
            if p.name.endswith(".whl")
        }
    # The pipssl package directory (this file lives one level below it) and its checkout.
    package = Path(__file__).resolve().parent.parent
    if "pipssl" not in {wheel_parts(n)[0] for n in wheels}:
        name, data = pipssl_wheel(package)
        wheels[name] = data
    root = package.parent
    entries = [(WHEELS + name, data) for name, data in wheels.items()]
    bootstrap = _bootstrap(bootstrap_file, running, root, warnings)
    if bootstrap is not None:
        entries.append((BOOTSTRAP, bootstrap))
    entries.append((REQUIREMENTS, _pins(wheels).encode()))
    present = {wheel_parts(n)[0] for n in wheels}
    found = roots(lines)
    manifest = Manifest(
        created_by=f"pipssl {__version__}",
        created_for={
            "python_versions": list(python_versions),
            "platforms": list(platforms),
            "interpreter": None if python_versions or platforms else _python_tag(python, env),
        },
        pip_version=pip_version,
        requirements=tuple(lines),
        roots=None if found is None else tuple(found),
        wheels=tuple(_listed_wheel(name, data, present) for name, data in sorted(wheels.items())),
        files=tuple(ManifestFile(name, sha256(data), len(data)) for name, data in sorted(entries)),
    )
    text = json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n"
    entries.append((MANIFEST, text.encode()))
    data = _zip_bundle(entries)
    _write(output, data)
    return CreateResult(
        bundle=str(output),
        sha256=sha256(data),
        size=len(data),
        wheels=sorted(wheels),
        pip_version=pip_version,
        built_from_sdist=built,
        warnings=warnings,
    )


def _listed_wheel(name: str, data: bytes, present: Set[str]) -> ManifestWheel:
    """A wheel as the manifest lists it, its dependencies in the bundle by extra."""
    project, version, tags = wheel_parts(name)
    graph = requires(data, present)
    return ManifestWheel(
        WHEELS + name, project, version, tuple(tags), {k: tuple(v) for k, v in graph.items()}
    )


def _python_tag(python: str, env: Mapping[str, str]) -> str:
    code, out = invoke(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.platform)"],
        env,
        None,
    )
    return out.strip() if code == 0 else "unknown"


def _pins(wheels: Mapping[str, bytes]) -> str:
    """``name==version --hash=...`` per project (several hashes for several platforms)."""
    projects: Dict[str, Dict[str, List[str]]] = {}
    for filename, data in sorted(wheels.items()):
        name, version, _tags = wheel_parts(filename)
        projects.setdefault(name, {}).setdefault(version, []).append(sha256(data))
    lines = []
    for name, versions in sorted(projects.items()):
        if len(versions) > 1:
            raise error(
                f"the targets need different versions of {name} ({', '.join(sorted(versions))})",
                "usage-error",
                hint="create one bundle per target Python",
            )
        for version, hashes in versions.items():
            pins = " ".join(f"--hash=sha256:{h}" for h in sorted(hashes))
            lines.append(f"{name}=={version} {pins}")
    return "".join(line + "\n" for line in lines)


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data, 0o644)
    except PipsslError as exc:
        raise error(str(exc), "write-failed") from None
