"""Real pip, of several versions, as the client whose result proves things.

pip always runs as ``<python> -m pip download`` into a test directory: it never installs
into a real interpreter.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Tuple

from bed.isolation import REAL_ENVIRON, REAL_HOME

# pip 24.2 verifies through truststore and mishandles IP-address hosts there, so URLs for
# pip >= 24.2 name "localhost" instead of 127.0.0.1.
TRUSTSTORE_IP_BUG = (24, 2)


def _pyenv_root() -> Optional[Path]:
    if REAL_ENVIRON.get("PYENV_ROOT"):
        return Path(REAL_ENVIRON["PYENV_ROOT"])
    try:
        out = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, timeout=20, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    candidate = Path(out) if out else REAL_HOME / ".pyenv"
    return candidate if (candidate / "versions").is_dir() else None


@functools.lru_cache(maxsize=None)
def find_pythons() -> Dict[str, Path]:
    """Find real interpreters to drive pip with.

    Returns:
        ``{"X.Y.Z": path}`` for every pyenv install of Python 3.8 or newer that has pip
        (e.g. "3.8.18" with pip 23.0.1, "3.13.0" with pip 24.2), plus ``"sys"`` for
        ``sys.executable``.
    """
    found: Dict[str, Path] = {}
    root = _pyenv_root()
    if root is not None:
        versions = [
            d for d in (root / "versions").iterdir() if re.fullmatch(r"3\.\d+\.\d+", d.name)
        ]
        for version_dir in sorted(versions, key=lambda d: tuple(map(int, d.name.split(".")))):
            match = re.fullmatch(r"3\.(\d+)\.\d+", version_dir.name)
            if not match or int(match.group(1)) < 8:
                continue
            short = f"3.{match.group(1)}"
            exe = version_dir / "bin" / f"python{short}"
            if (
                exe.is_file()
                and (version_dir / "lib" / f"python{short}" / "site-packages" / "pip").is_dir()
            ):
                found[version_dir.name] = exe
    found["sys"] = Path(sys.executable)
    return found


@functools.lru_cache(maxsize=None)
def pip_version(python: Path) -> Tuple[int, ...]:
    """Return the version of the pip that ``python -m pip`` runs, e.g. (24, 2).

    Args:
        python: the interpreter.

    Returns:
        The numeric release parts.

    Raises:
        RuntimeError: when pip cannot report its version.
    """
    # Reading the dist-info name is instant; running pip is the fallback for odd layouts.
    infos = list(python.parent.parent.glob("lib/python3.*/site-packages/pip-*.dist-info"))
    text = infos[0].name[len("pip-") : -len(".dist-info")] if len(infos) == 1 else ""
    if not re.fullmatch(r"\d+(\.\d+)*", text):
        proc = subprocess.run(
            [str(python), "-m", "pip", "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": os.environ.get("PATH", ""), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
        match = re.match(r"pip (\d+(?:\.\d+)*)", proc.stdout)
        if proc.returncode != 0 or not match:
            raise RuntimeError(f"{python} -m pip --version failed: {proc.stderr.strip()}")
        text = match.group(1)
    return tuple(int(part) for part in text.split("."))


def reference_pythons() -> Dict[str, Path]:
    """Pick the interpreters whose pips the bed's own tests prove things with.

    Returns:
        ``"old"``: the oldest pyenv Python whose pip is below 24.2 (pip 23.0.1 on 3.8.18 here);
        ``"new"``: the Python with the newest pip (pip 24.2 on 3.13.0 here). A key is missing
        when no such interpreter exists on this machine.
    """
    ranked = []
    for key, python in find_pythons().items():
        if key != "sys":
            ranked.append((pip_version(python), tuple(map(int, key.split("."))), python))
    picked: Dict[str, Path] = {}
    old = [entry for entry in ranked if entry[0] < TRUSTSTORE_IP_BUG]
    if old:
        picked["old"] = min(old, key=lambda entry: entry[1])[2]
    if ranked:
        newest = max(ranked, key=lambda entry: (entry[0], entry[1]))
        if newest[0] >= TRUSTSTORE_IP_BUG:
            picked["new"] = newest[2]
    return picked


def url_host_for(python: Path) -> str:
    """The host name a test index URL should use for this interpreter's pip."""
    return "localhost" if pip_version(python) >= TRUSTSTORE_IP_BUG else "127.0.0.1"


def pip_download(
    python: Path,
    index_url: Optional[str],
    env: Mapping[str, str],
    dest: Path,
    *,
    package: str = "pipssl_probe_pkg",
    timeout: float = 120,
    extra_args: Sequence[str] = (),
    prefix: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pip download`` of one package from ``index_url`` into ``dest``.

    Args:
        python: the interpreter whose pip to run.
        index_url: the index, e.g. ``IndexServer.url``; None: the indexes pip's config names.
        env: the complete environment for pip (e.g. ``isolated_env.environ`` plus PIP_CERT).
        dest: the download directory.
        package: the requirement to download.
        timeout: seconds before the subprocess is killed.
        extra_args: more pip options, placed before the requirement.
        prefix: an argv prefix that runs pip, e.g. ``MountedOsStore.prefix()``.

    Returns:
        The completed process, output as text (check ``returncode``, ``stdout``, ``stderr``).
    """
    argv = [
        *prefix,
        str(python),
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--retries",
        "0",
        *(["--index-url", index_url] if index_url else []),
        "-d",
        str(dest),
        *extra_args,
        package,
    ]
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=dict(env), check=False
    )
