"""pipssl's own wheel, built from its sources byte for byte reproducibly: what
``get-pipssl.py`` carries and ``wheelhouse create`` puts in a bundle.

Nothing depends on the clock, the umask, the order a directory lists in or the Python
running this: timestamps and modes are fixed and entries sorted.  ``_embed.py``, the
builder of ``get-pipssl.py``, needs a checkout and stays out of the wheel.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from pipssl import _files
from pipssl.errors import PipsslError

SUMMARY = "Diagnose and safely repair pip's TLS trust without turning verification off."
_EPOCH = (1980, 1, 1, 0, 0, 0)
_VERSION_LINE = re.compile(r'^__version__ = "([0-9A-Za-z.+!-]+)"$', re.MULTILINE)
#: Modules of a checkout that an installed pipssl has no use for.
CHECKOUT_ONLY = ("pipssl/_embed.py",)


def build_error(message: str, hint: Optional[str] = None) -> PipsslError:
    return PipsslError(message, reference="bootstrap-build", hint=hint)


def entry(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.create_system = 3  # "Unix", so the mode below means the same on every OS
    info.external_attr = 0o100644 << 16
    info.compress_type = compress
    return info


def zip_entries(entries: Sequence[Tuple[str, bytes]], compress: int, *, only: str = "") -> bytes:
    """A reproducible zip; ``only``: compress just the entries whose name starts so."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            method = compress if name.startswith(only) else zipfile.ZIP_STORED
            archive.writestr(entry(name, method), data, compresslevel=9)
    return buffer.getvalue()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def package_files(
    package_dir: Path, transform: Optional[Callable[[bytes], bytes]] = None
) -> List[Tuple[str, bytes]]:
    """Read pipssl's own files, as they go into its wheel.

    Args:
        package_dir: the ``pipssl`` directory.
        transform: what to make of each ``.py`` file's bytes (get-pipssl.py's lean copy).

    Returns:
        ``(archive name, bytes)`` sorted by name: every ``.py`` file (and ``py.typed``)
        below it but :data:`CHECKOUT_ONLY`, no bytecode, with CRLF line ends turned into
        LF so that a Windows checkout builds the same bytes.
    """
    files = []
    for path in package_dir.rglob("*"):
        relative = path.relative_to(package_dir.parent)
        if "__pycache__" in relative.parts or not path.is_file():
            continue
        if relative.as_posix() in CHECKOUT_ONLY:
            continue
        if path.suffix == ".py" or path.name == "py.typed":
            data = _files.read_file(path, _files.SOURCE).replace(b"\r\n", b"\n")
            if transform is not None and path.suffix == ".py":
                data = transform(data)
            files.append((relative.as_posix(), data))
    return sorted(files)


def _version(package_dir: Path) -> str:
    """``__version__`` of the sources being packed (not of the pipssl running this)."""
    init = package_dir / "__init__.py"
    try:
        text = _files.read_file(init, _files.SOURCE).decode("utf-8")
        # universal newlines, as a text read gives them (a checkout with CRLF line ends)
        match = _VERSION_LINE.search(text.replace("\r\n", "\n").replace("\r", "\n"))
    except _files.FileRefused as exc:
        raise build_error(exc.message) from None
    except UnicodeDecodeError as exc:
        raise build_error(f"cannot read {init}: {exc}") from None
    if match is None:
        raise build_error(f'{init} has no line __version__ = "..."')
    return match.group(1)


def pipssl_wheel(
    package_dir: Path,
    *,
    compress: int = zipfile.ZIP_DEFLATED,
    transform: Optional[Callable[[bytes], bytes]] = None,
) -> Tuple[str, bytes]:
    """Build pipssl's wheel from its sources, deterministically.

    Args:
        package_dir: the ``pipssl`` directory.
        compress: how its members are stored (``get-pipssl.py`` compresses the whole
            wheel instead).
        transform: applied to each module's bytes (as :func:`package_files`).

    Returns:
        The wheel's file name and its bytes.

    Raises:
        PipsslError: when ``__init__.py`` cannot be read or names no version.
    """
    version = _version(package_dir)
    info = f"pipssl-{version}.dist-info"
    metadata = (
        "Metadata-Version: 2.1\n"
        "Name: pipssl\n"
        f"Version: {version}\n"
        f"Summary: {SUMMARY}\n"
        "License: MIT\n"
        "Requires-Python: >=3.8\n"
        "Requires-Dist: certifi\n"
        "Requires-Dist: packaging\n"
        "Requires-Dist: tomli>=2.0.1; python_version < '3.11'\n"
    )
    wheel = (
        "Wheel-Version: 1.0\nGenerator: pipssl-embed\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    entry_points = "[console_scripts]\npipssl = pipssl.cli.main:main\n"
    entries = [
        *package_files(package_dir, transform),
        (f"{info}/METADATA", metadata.encode()),
        (f"{info}/WHEEL", wheel.encode()),
        (f"{info}/entry_points.txt", entry_points.encode()),
    ]
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    entries.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    return f"pipssl-{version}-py3-none-any.whl", zip_entries(entries, compress)
