"""Pythons without a working ssl module, made from a copy of a real interpreter install.

Only the executable is copied; ``lib/pythonX.Y`` is a directory of symlinks to the original
stdlib, except ``lib-dynload`` (symlinks, with ``_ssl`` removed or replaced by a patched copy)
and ``site-packages`` (empty). The copy finds its own prefix because the stdlib landmark
(``os.py``) sits beside its executable's ``../lib``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

VARIANTS = ("missing", "broken")
_SSL_NEEDED = re.compile(rb"\x00(libssl\.so[.0-9]*)\x00")


class NosslUnavailable(Exception):
    """The base interpreter install cannot be copied (not a POSIX prefix layout)."""


def _base_layout(base: Path) -> Tuple[Path, Path, str]:
    for exe in sorted((base / "bin").glob("python3.*")):
        short = exe.name[len("python") :]
        if (
            re.fullmatch(r"3\.\d+", short)
            and (base / "lib" / f"python{short}" / "os.py").is_file()
        ):
            return exe, base / "lib" / f"python{short}", short
    raise NosslUnavailable(f"{base} has no bin/python3.X with lib/python3.X/os.py beside it")


def _clean_env() -> Dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}


def _run(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, timeout=60, env=_clean_env()
    )


def _copy_missing_libraries(exe: Path, base: Path, dest: Path) -> None:
    """Copy libpython when the executable finds it relative to itself ($ORIGIN rpath)."""
    try:
        out = subprocess.run(["ldd", str(exe)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return
    for line in out.splitlines():
        name = line.strip().split(" ")[0]
        if "not found" in line and name.startswith("libpython"):
            for original in (base / "lib").glob(name + "*"):
                shutil.copy2(original, dest / "lib" / original.name)


def _patch_needed(original: Path, target: Path) -> str:
    """Copy ``_ssl`` with its DT_NEEDED libssl name changed to a same-length missing one."""
    data = original.read_bytes()
    found: List[bytes] = _SSL_NEEDED.findall(data)
    if len(set(found)) != 1:
        raise NosslUnavailable(f"cannot find one libssl DT_NEEDED entry in {original}")
    name = found[0]
    missing = name[:-1] + (b"9" if name[-1:] != b"9" else b"8")
    target.write_bytes(data.replace(b"\x00" + name + b"\x00", b"\x00" + missing + b"\x00"))
    shutil.copymode(original, target)
    return missing.decode()


def make_nossl_python(dest: Path, variant: str, base_prefix: Optional[Path] = None) -> Path:
    """Build a Python whose ``import ssl`` fails, from a copy of a real install.

    Args:
        dest: an empty or missing directory for the copy's prefix.
        variant: "missing" (no ``_ssl`` module) or "broken" (``_ssl`` cannot load libssl).
        base_prefix: the install to copy (default ``sys.base_prefix``).

    Returns:
        The copy's ``bin/python3.X``.

    Raises:
        ValueError: for an unknown variant.
        NosslUnavailable: when the base install cannot be copied.
        RuntimeError: when the copy does not behave as intended.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown no-ssl variant {variant!r}; use one of {VARIANTS}")
    if os.name != "posix":
        raise NosslUnavailable("copying an interpreter install is implemented for POSIX only")
    base = Path(base_prefix or sys.base_prefix)
    exe, stdlib, short = _base_layout(base)
    (dest / "bin").mkdir(parents=True, exist_ok=True)
    lib = dest / "lib" / f"python{short}"
    dynload = lib / "lib-dynload"
    dynload.mkdir(parents=True, exist_ok=True)
    (lib / "site-packages").mkdir(exist_ok=True)
    copy = dest / "bin" / f"python{short}"
    shutil.copy2(exe, copy)
    for alias in ("python3", "python"):
        (dest / "bin" / alias).symlink_to(copy.name)
    _copy_missing_libraries(copy, base, dest)
    for entry in stdlib.iterdir():
        if entry.name not in ("lib-dynload", "site-packages"):
            (lib / entry.name).symlink_to(entry)
    ssl_modules: List[Path] = []
    for entry in (stdlib / "lib-dynload").iterdir():
        if entry.name.startswith("_ssl.") and entry.name.endswith(".so"):
            ssl_modules.append(entry)
        else:
            (dynload / entry.name).symlink_to(entry)
    if len(ssl_modules) != 1:
        raise NosslUnavailable(f"{stdlib}/lib-dynload has no single _ssl extension module")
    expected = "No module named '_ssl'"
    if variant == "broken":
        expected = _patch_needed(ssl_modules[0], dynload / ssl_modules[0].name)
    _verify(copy, dest, expected)
    return copy


def _verify(copy: Path, dest: Path, expected: str) -> None:
    probe = _run(copy, "-c", "import sys, hashlib, zipfile, json, venv; print(sys.prefix)")
    if probe.returncode != 0 or Path(probe.stdout.strip()) != dest:
        raise RuntimeError(f"copied Python at {copy} is not self-contained: {probe}")
    if _run(copy, "-m", "ensurepip", "--version").returncode != 0:
        raise RuntimeError(f"copied Python at {copy} cannot run ensurepip")
    ssl_probe = _run(copy, "-c", "import ssl")
    if ssl_probe.returncode == 0 or expected not in ssl_probe.stderr:
        raise RuntimeError(f"copied Python at {copy}: import ssl did not fail as intended")
