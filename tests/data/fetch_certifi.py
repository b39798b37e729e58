"""Test data step: the cacert.pem of every certifi release since 2015, from the registry.

    python tests/data/fetch_certifi.py [DEST]

pip (the ordinary client, with this machine's index settings) lists certifi's versions and
downloads each release since 2015 as a wheel (an sdist where no wheel exists); only its
``certifi/cacert.pem`` is kept, as ``DEST/<version>.pem``.  ``DEST/versions.txt`` is written
last, listing every release the registry had: it marks a complete set, and a later run only
fetches what is missing.  DEST defaults to :func:`default_dest`.

tests/test_certifi_releases.py parses what this leaves; tox runs it before py312's tests.
It is the only step of the test suite that reaches beyond loopback.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path
from typing import List, Optional

#: Releases of these years and later; certifi moved to calendar versions in 2015.
FIRST_YEAR = 2015
#: Concurrent pip runs: enough to hide each run's start-up, few enough for 2 shared cores.
WORKERS = 8
TIMEOUT = 120


def default_dest() -> Path:
    """``$PIPSSL_CERTIFI_RELEASES``, else ``$TOX_WORK_DIR/certifi-releases``, else
    ``~/.cache/pipssl-test-certifi``: always outside the repository."""
    if os.environ.get("PIPSSL_CERTIFI_RELEASES"):
        return Path(os.environ["PIPSSL_CERTIFI_RELEASES"])
    if os.environ.get("TOX_WORK_DIR"):
        return Path(os.environ["TOX_WORK_DIR"]) / "certifi-releases"
    return Path.home() / ".cache" / "pipssl-test-certifi"


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def versions() -> List[str]:
    """certifi's releases since :data:`FIRST_YEAR`, as the index lists them."""
    proc = _pip("index", "versions", "certifi")
    match = re.search(r"Available versions: (.*)", proc.stdout)
    if proc.returncode != 0 or match is None:
        raise SystemExit(f"pip index versions certifi failed:\n{proc.stdout}{proc.stderr}")
    found = [v.strip() for v in match.group(1).split(",")]
    year = [v.split(".")[0] for v in found]
    return sorted(v for v, y in zip(found, year) if y.isdigit() and int(y) >= FIRST_YEAR)


def _extract(archive: Path) -> bytes:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            return wheel.read("certifi/cacert.pem")
    with tarfile.open(archive) as sdist:
        for member in sdist.getmembers():
            if member.name.endswith("/certifi/cacert.pem"):
                handle = sdist.extractfile(member)
                if handle is not None:
                    return handle.read()
    raise ValueError(f"{archive.name} holds no certifi/cacert.pem")


def fetch(version: str, dest: Path) -> Optional[str]:
    """Fetch one release's cacert.pem into ``dest``; the problem, or None."""
    target = dest / f"{version}.pem"
    if target.is_file():
        return None
    with tempfile.TemporaryDirectory(prefix="certifi-") as tmp:
        common = ["download", f"certifi=={version}", "--no-deps", "-d", tmp, "-q"]
        proc = _pip(*common, "--only-binary", ":all:")
        if proc.returncode != 0:
            # No wheel: the sdist, whose metadata pip prepares without fetching anything.
            proc = _pip(*common, "--no-binary", ":all:", "--no-build-isolation")
        archives = sorted(Path(tmp).iterdir())
        if proc.returncode != 0 or not archives:
            return f"{version}: pip download failed: {(proc.stderr or proc.stdout).strip()[-300:]}"
        try:
            data = _extract(archives[0])
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, tarfile.TarError) as exc:
            return f"{version}: {exc}"
    part = target.with_suffix(".part")
    part.write_bytes(data)
    os.replace(part, target)
    return None


def main(argv: List[str]) -> int:
    dest = Path(argv[0]) if argv else default_dest()
    dest.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    wanted = versions()
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        problems = [p for p in pool.map(lambda v: fetch(v, dest), wanted) if p]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        (dest / "versions.txt").write_text("\n".join(wanted) + "\n")
    took = time.monotonic() - started
    done = len(wanted) - len(problems)
    print(f"certifi: {done} of {len(wanted)} releases in {dest} ({took:.1f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
