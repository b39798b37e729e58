"""Measure repair (issue budgets): `repair --yes` on the intercepting-CA world, and the
bundle build from certifi + this machine's OS store.

    python benchmarks/bench_repair.py [--runs 5]

Needs the test dependencies (trustme, cryptography) and pyenv's Python 3.8 (pip 23.0.1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from bed.certs import CertWorld  # noqa: E402
from bed.index import build_wheel, serve_index  # noqa: E402
from bed.isolation import scrubbed_environ  # noqa: E402
from targets import LEGACY_BASE, base_python, make_venv  # noqa: E402

from pipssl.certs import bundle as cabundle  # noqa: E402
from pipssl.certs import store as _platform  # noqa: E402
from pipssl.certs.compose import build_bundle  # noqa: E402
from pipssl.certs.store import linux  # noqa: E402
from pipssl.diagnosis.ownbundle import certifi_copies  # noqa: E402
from pipssl.interpreter.facts import inspect  # noqa: E402


def fmt(values: List[float], scale: float = 1.0, unit: str = "s") -> str:
    med = statistics.median(values) * scale
    return f"{med:.3g} {unit} ({min(values) * scale:.3g}-{max(values) * scale:.3g})"


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv or None)
    rows: List[List[str]] = []
    # bundle build, in process, from this machine's real OS store
    target = inspect()
    store = _platform.os_store()
    n_os = len(cabundle.read_pem(store.pem)) if store.pem else 0
    times = []
    for _ in range(args.runs):
        # cold, as in a fresh process: pipssl keeps what it parsed and read for the process
        cabundle._parse_pem.cache_clear()
        cabundle._PARSED.clear()
        cabundle._BY_BODY.clear()
        linux._READ.clear()
        start = time.perf_counter()
        data = build_bundle(certifi_copies(target), os.environ, [])
        times.append(time.perf_counter() - start)
    n_out = data.count(b"-----BEGIN CERTIFICATE-----")
    rows.append(
        [
            f"bundle build: certifi + OS store ({n_os} certs) -> {n_out} unique",
            fmt(times, 1000, "ms"),
        ]
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        world = CertWorld(tmp / "certs")
        wheels = tmp / "wheels"
        wheels.mkdir()
        build_wheel(wheels)
        venv = make_venv(base_python(LEGACY_BASE), tmp / "venv")
        with serve_index(wheels, world.server_cert("intercepted"), lifetime=3600) as index:
            repair_times, undo_times = [], []
            for i in range(args.runs):
                env: Dict[str, str] = scrubbed_environ(tmp / f"env{i}")
                env["PYTHONPATH"] = str(REPO)
                # as installed: with its .pyc files (the first run writes them)
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                base = [sys.executable, "-m", "pipssl"]
                if i == 0:
                    subprocess.run(
                        [*base, "undo"], env=env, capture_output=True, timeout=60, check=False
                    )
                start = time.perf_counter()
                proc = subprocess.run(
                    [
                        *base,
                        "repair",
                        "--yes",
                        "--scope",
                        "user",
                        "--python",
                        str(venv),
                        "--index-url",
                        index.url,
                        "--ca",
                        str(world.path("intercept.pem")),
                    ],
                    env=env,
                    capture_output=True,
                    timeout=300,
                    check=False,
                )
                repair_times.append(time.perf_counter() - start)
                assert proc.returncode == 0, proc.stderr
                start = time.perf_counter()
                subprocess.run(
                    [*base, "undo"], env=env, capture_output=True, timeout=60, check=True
                )
                undo_times.append(time.perf_counter() - start)
            rows.append(
                [
                    "repair --yes --ca, intercepting-CA world (diagnose, build, write, verify)",
                    fmt(repair_times),
                ]
            )
            rows.append(["undo", fmt(undo_times)])
    print("| measurement | median (min-max) |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
