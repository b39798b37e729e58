"""Measure air-gapped bundles on the test tree (tests/test_wheelhouse.py) over loopback.

    python benchmarks/bench_wheelhouse.py [--runs 5]

Needs the test dependencies (trustme, cryptography, pytest) and pyenv's Python 3.8. Prints a
Markdown table: ``pipssl wheelhouse create`` (real pip download from an HTTPS loopback
index), ``verify`` and ``install`` into a fresh 3.8 venv (whole processes, wall time, median
and range; the venv is made before the clock starts), then the bundle's size against the
wheels it carries.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Dict, List, Sequence

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from bed.certs import CertWorld  # noqa: E402
from bed.index import closed_port, serve_index  # noqa: E402
from bed.isolation import scrubbed_environ  # noqa: E402
from targets import LEGACY_BASE, base_python, make_venv  # noqa: E402
from test_wheelhouse import TREE, make_wheel, tools_wheels  # noqa: E402


def fmt(values: List[float]) -> str:
    med = statistics.median(values)
    return f"{med:.3g} s ({min(values):.3g}-{max(values):.3g})"


def timed(argv: Sequence[str], env: Dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        list(argv), env=env, capture_output=True, text=True, timeout=600, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr}")
    return elapsed


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        world = CertWorld(tmp / "certs")
        index_dir = tmp / "index"
        index_dir.mkdir()
        for name, (tag, requires) in TREE.items():
            make_wheel(index_dir, name, tag, requires)
        tools_wheels(index_dir)
        env = scrubbed_environ(tmp / "home")
        env["PIP_CERT"] = str(world.path("root.pem"))
        env["PYTHONPATH"] = str(REPO)
        pipssl = [sys.executable, "-m", "pipssl", "wheelhouse"]
        bundle = tmp / "bundle.zip"
        create, verify, install = [], [], []
        with serve_index(index_dir, world.server_cert("good"), lifetime=3600) as index:
            for _ in range(args.runs):
                reqs = ["alpha", "omega", "-o", str(bundle), "--index-url", index.url]
                create.append(timed([*pipssl, "create", *reqs], env))
        offline = dict(env)
        offline["PIP_INDEX_URL"] = f"https://127.0.0.1:{closed_port()}/simple/"
        for i in range(args.runs):
            verify.append(timed([*pipssl, "verify", str(bundle)], offline))
            venv = make_venv(base_python(LEGACY_BASE), tmp / f"venv{i}")
            argv_install = [*pipssl, "install", str(bundle), "--python", str(venv)]
            install.append(timed(argv_install, offline))
        with zipfile.ZipFile(bundle) as archive:
            infos = archive.infolist()
            manifest = json.loads(archive.read("manifest.json"))
        wheels = {i.filename: i.file_size for i in infos if i.filename.endswith(".whl")}
        tree = sum(
            size for name, size in wheels.items() if name.split("/")[1].split("-")[0] in TREE
        )
        size = bundle.stat().st_size
        packed = {i.filename: i.compress_size for i in infos}
        bootstrap = packed["get-pipssl.py"]
        texts = packed["manifest.json"] + packed["requirements.txt"]
        print("| measurement | value |\n|---|---|")
        print(f"| create (pip download, {len(manifest['wheels'])} wheels) | {fmt(create)} |")
        print(f"| verify (whole process: hashes + tags) | {fmt(verify)} |")
        print(f"| install into a fresh 3.8 venv, offline | {fmt(install)} |")
        print(f"| bundle size | {size:,} bytes |")
        print(f"| the tree's own {len(TREE)} wheels | {tree:,} bytes |")
        print(
            f"| all {len(wheels)} wheels (with pip, certifi, packaging, pipssl) | "
            f"{sum(wheels.values()):,} bytes |"
        )
        print(f"| get-pipssl.py, deflated | {bootstrap:,} bytes |")
        print(f"| manifest.json + requirements.txt, deflated | {texts:,} bytes |")
        headers = size - sum(packed.values())
        print(f"| zip headers and directory | {headers:,} bytes |")
        overhead = size - sum(wheels.values())
        print(
            f"| bundle over its wheels | {overhead:,} bytes "
            f"(+{100 * overhead / sum(wheels.values()):.1f} %) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
