"""Measure doctor's budgets (DESIGN.md §7) on a loopback world.

    python benchmarks/bench_doctor.py [--runs 5]

Needs the test dependencies (trustme, cryptography) and pyenv's Python 3.8 (pip 23.0.1).
Prints a Markdown table of medians (min-max) over whole-process runs:

* doctor's verdict on an index whose certificate comes from an unknown (intercepting)
  CA, against stock ``pip download`` failing on the same index (pip's default retries);
* doctor on a closed port and on a server that never answers, with ``--timeout 1``;
* ``python -X importtime -c "import pipssl"``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from bed.certs import CertWorld  # noqa: E402
from bed.index import build_wheel, closed_port, serve_index, silent_server  # noqa: E402
from bed.isolation import scrubbed_environ  # noqa: E402
from targets import LEGACY_BASE, base_python, make_venv  # noqa: E402


def timed(argv: Sequence[str], env: Dict[str, str], runs: int) -> List[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(list(argv), env=env, capture_output=True, timeout=600, check=False)
        times.append(time.perf_counter() - start)
    return times


def fmt(values: List[float], scale: float = 1.0, unit: str = "s") -> str:
    med = statistics.median(values) * scale
    return f"{med:.3g} {unit} ({min(values) * scale:.3g}-{max(values) * scale:.3g})"


def import_times(runs: int) -> List[float]:
    out = []
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import pipssl"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        for line in proc.stderr.splitlines():
            match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| pipssl$", line)
            if match:
                out.append(int(match.group(1)) / 1e6)
    return out


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv or None)
    rows: List[List[str]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = scrubbed_environ(tmp / "env")
        env["PYTHONPATH"] = str(REPO)
        env["PIP_CONFIG_FILE"] = str(tmp / "pip.conf")
        world = CertWorld(tmp / "certs")
        wheels = tmp / "wheels"
        wheels.mkdir()
        build_wheel(wheels)
        venv = make_venv(base_python(LEGACY_BASE), tmp / "venv")
        doctor: Callable[..., List[str]] = lambda *a: [  # noqa: E731
            sys.executable,
            "-m",
            "pipssl",
            "doctor",
            "--json",
            "--python",
            str(venv),
            *a,
        ]
        with serve_index(wheels, world.server_cert("intercepted"), lifetime=3600) as index:
            proc = subprocess.run(
                doctor("--index-url", index.url),
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            report = json.loads(proc.stdout)
            codes = [f["code"] for f in report["findings"]]
            verdict = report["targets"][0]["elapsed"]
            d = timed(doctor("--index-url", index.url), env, args.runs)
            pip = timed(
                [
                    str(venv),
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--no-cache-dir",
                    "-d",
                    str(tmp / "dl"),
                    "--index-url",
                    index.url,
                    "pipssl_probe_pkg",
                ],
                env,
                max(1, args.runs // 2),
            )
            rows.append(["doctor, unknown-issuer world ({})".format(", ".join(codes)), fmt(d)])
            rows.append(["  of which the probe (from the JSON)", f"{verdict * 1000:.1f} ms"])
            rows.append(["stock pip download failing on the same world", fmt(pip)])
            rows.append(
                [
                    "ratio pip / doctor (medians)",
                    f"{statistics.median(pip) / statistics.median(d):.1f}x",
                ]
            )
        dead = f"https://127.0.0.1:{closed_port()}/simple/"
        rows.append(
            [
                "doctor, closed port, --timeout 1",
                fmt(timed(doctor("--index-url", dead, "--timeout", "1"), env, args.runs)),
            ]
        )
        with silent_server(lifetime=600) as port:
            silent = f"https://127.0.0.1:{port}/simple/"
            rows.append(
                [
                    "doctor, server that never answers, --timeout 1",
                    fmt(timed(doctor("--index-url", silent, "--timeout", "1"), env, args.runs)),
                ]
            )
    rows.append(
        [
            "python -X importtime -c 'import pipssl' (cumulative)",
            fmt(import_times(args.runs), 1000, "ms"),
        ]
    )
    print("| measurement | median (min-max) |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
