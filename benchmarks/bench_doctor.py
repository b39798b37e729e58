"""Measure doctor's budgets on loopback worlds, for two interpreter/pip pairs.

    python benchmarks/bench_doctor.py [--runs 5]

Needs the test dependencies (trustme, cryptography), pyenv's Python 3.13.0 and 3.8.18, and
the package registry (once, for the newest pip). Each pair gets a fresh venv: 3.13 with pip
upgraded to the newest release, 3.8 with ensurepip's pip 23.0.1 untouched. pipssl is
installed into each venv from a wheel built from this checkout (with the vendored certifi
and packaging), as a user would install it: pip compiles the .pyc files at install, and
every run starts outside the source tree, so the venv's own pipssl is what runs.

``VENV/bin/python -m pipssl doctor --json`` then diagnoses the venv's own pip. Prints one
Markdown table, a column per pair, of medians (min-max) over whole-process runs:

* doctor on an index whose chain comes from an intercepting CA trusted nowhere, against
  stock ``pip download`` failing on the same index (pip's default retries);
* doctor on a closed port and on a server that never answers, with ``--timeout 1``;
* doctor through a CONNECT proxy that answers 407 (HTTPS_PROXY);
* doctor on a healthy index (its root given by ``cert =`` in pip.conf): no finding;
* doctor on such an index whose files (a ``pip`` project) sit on a second host behind the
  intercepting CA: the path followed, and the real pip asked to fetch a file;
* ``python -X importtime -c "import pipssl"`` in the venv, and ``python -c pass`` (the
  interpreter's own start, the floor under every doctor row).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ContextManager, Dict, Iterator, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from bed.certs import CertWorld  # noqa: E402
from bed.index import (  # noqa: E402
    build_wheel,
    closed_port,
    connect_proxy,
    serve_index,
    silent_server,
)
from bed.isolation import scrubbed_environ  # noqa: E402
from bed.pip import find_pythons, pip_version, url_host_for  # noqa: E402
from targets import make_venv  # noqa: E402

from pipssl._embed import pipssl_wheel  # noqa: E402

# (pyenv version, upgrade pip from the registry?)
PAIRS = (("3.13.0", True), ("3.8.18", False))
LIFETIME = 900.0  # seconds; every server stops by itself even if this script is killed
RUN_TIMEOUT = 600.0


@dataclass
class World:
    """What one run of doctor needs: the index URL, extra doctor options, the environment."""

    url: str
    args: Tuple[str, ...]
    env: Dict[str, str]


@dataclass
class Pair:
    """One interpreter/pip pair: its venv's python and how pip there spells loopback."""

    label: str
    python: Path
    url_host: str


def timed(argv: Sequence[str], env: Dict[str, str], cwd: Path, runs: int) -> List[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            list(argv),
            env=env,
            cwd=cwd,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        times.append(time.perf_counter() - start)
    return times


def fmt(values: List[float], scale: float = 1.0, unit: str = "s") -> str:
    med = statistics.median(values) * scale
    return f"{med:.3g} {unit} ({min(values) * scale:.3g}-{max(values) * scale:.3g})"


def install_environ() -> Dict[str, str]:
    """The machine's environment minus what bends child Pythons, so that pip can reach the
    registry (its proxy and CA settings stay) while the venv stays a venv."""
    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k.upper() not in drop}


def build_pair(version: str, upgrade: bool, tmp: Path, wheel: Path) -> Pair:
    """Make a fresh venv of pyenv's ``version``, upgrade its pip if asked, install pipssl."""
    base = find_pythons().get(version)
    if base is None:
        raise SystemExit(f"pyenv has no Python {version} with pip")
    tmp.mkdir(parents=True, exist_ok=True)
    python = make_venv(base, tmp / f"venv-{version}")
    env = install_environ()
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]

    def run(argv: List[str]) -> str:
        proc = subprocess.run(
            argv,
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stdout}{proc.stderr}")
        return proc.stdout

    if upgrade:
        run([*pip, "-U", "pip"])
    # Offline, from this checkout's wheel and the vendored dependencies; pip compiles the
    # .pyc files here even though this machine sets PYTHONDONTWRITEBYTECODE=1.
    vendored = sorted((REPO / "bootstrap" / "vendor").glob("*.whl"))
    run([*pip, "--no-index", "--no-deps", str(wheel), *map(str, vendored)])
    # The runs must time the installed, compiled pipssl, never the checkout's sources.
    where = Path(run([str(python), "-c", "import pipssl; print(pipssl.__file__)"]).strip())
    if python.parent.parent not in where.parents or not list(
        where.parent.glob("__pycache__/*.pyc")
    ):
        raise SystemExit(f"{python} imports pipssl from {where}, or without compiled .pyc")
    pip_text = ".".join(map(str, pip_version(python)))
    short = ".".join(version.split(".")[:2])
    return Pair(f"{short} + pip {pip_text}", python, url_host_for(python))


def pip_conf(path: Path, cert: Optional[Path] = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[global]\n" + (f"cert = {cert}\n" if cert else ""), encoding="utf-8")
    return path


def world_env(directory: Path, cert: Optional[Path] = None, **extra: str) -> Dict[str, str]:
    env = scrubbed_environ(directory / "env")
    env["PIP_CONFIG_FILE"] = str(pip_conf(directory / "pip.conf", cert))
    env.update(extra)
    return env


@contextlib.contextmanager
def unknown_ca(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    with serve_index(
        wheels, certs.server_cert("intercepted"), url_host=pair.url_host, lifetime=LIFETIME
    ) as index:
        yield World(index.url, (), world_env(tmp))


@contextlib.contextmanager
def dead_port(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    yield World(f"https://127.0.0.1:{closed_port()}/simple/", ("--timeout", "1"), world_env(tmp))


@contextlib.contextmanager
def proxy_407(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    root = certs.path("root.pem")
    with serve_index(
        wheels, certs.server_cert("good"), url_host=pair.url_host, lifetime=LIFETIME
    ) as index, connect_proxy(auth=("alice", "s3cret-pw"), lifetime=LIFETIME) as proxy:
        yield World(index.url, (), world_env(tmp, root, HTTPS_PROXY=proxy.url))


@contextlib.contextmanager
def healthy(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    with serve_index(
        wheels, certs.server_cert("good"), url_host=pair.url_host, lifetime=LIFETIME
    ) as index:
        yield World(index.url, (), world_env(tmp, certs.path("root.pem")))


@contextlib.contextmanager
def files_host(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    """The page host trusted (cert = root.pem), its files on a second host behind the
    intercepting CA: doctor follows pip's path there, and asks the real pip to fetch one."""
    with serve_index(
        wheels, certs.server_cert("intercepted"), url_host=pair.url_host, lifetime=LIFETIME
    ) as files, serve_index(
        wheels,
        certs.server_cert("good"),
        url_host=pair.url_host,
        lifetime=LIFETIME,
        files_at=files.base_url,
    ) as index:
        yield World(index.url, (), world_env(tmp, certs.path("root.pem")))


@contextlib.contextmanager
def silent(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    with silent_server(lifetime=LIFETIME) as port:
        yield World(f"https://127.0.0.1:{port}/simple/", ("--timeout", "1"), world_env(tmp))


WorldMaker = Callable[[CertWorld, Path, Pair, Path], ContextManager[World]]
WORLDS: Tuple[Tuple[str, str, WorldMaker], ...] = (
    ("unknown-ca", "doctor, unknown-CA world", unknown_ca),
    ("closed", "doctor, closed port, --timeout 1", dead_port),
    ("proxy-407", "doctor, CONNECT proxy answering 407", proxy_407),
    ("healthy", "doctor, healthy world (cert = root.pem)", healthy),
    ("files-host", "doctor, files on a second host behind an unknown CA", files_host),
    ("silent", "doctor, server that never answers, --timeout 1", silent),
)


#: The worlds also timed with --quick: the real pip not asked (its start-up is the rest).
QUICK = ("unknown-ca", "healthy", "files-host")


def doctor_argv(pair: Pair, world: World) -> List[str]:
    return [
        str(pair.python),
        "-m",
        "pipssl",
        "doctor",
        "--json",
        "--index-url",
        world.url,
        *world.args,
    ]


def verdict(pair: Pair, world: World, cwd: Path) -> Tuple[str, float]:
    """Run doctor once and read its JSON: the codes found ("ok" when none) and the probe time."""
    proc = subprocess.run(
        doctor_argv(pair, world),
        env=world.env,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise SystemExit(f"doctor printed no JSON:\n{proc.stdout}{proc.stderr}") from None
    codes = [f["code"] for f in report["findings"]]
    return ", ".join(codes) or "ok", report["targets"][0]["elapsed"]


def import_times(python: Path, env: Dict[str, str], cwd: Path, runs: int) -> List[float]:
    out = []
    for _ in range(runs):
        proc = subprocess.run(
            [str(python), "-X", "importtime", "-c", "import pipssl"],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=60,
            check=True,
        )
        for line in proc.stderr.splitlines():
            match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| pipssl$", line)
            if match:
                out.append(int(match.group(1)) / 1e6)
    return out


def measure(pair: Pair, certs: CertWorld, wheels: Path, tmp: Path, runs: int) -> Dict[str, str]:
    """Every row of the table for one pair, keyed by row name."""
    cells: Dict[str, str] = {}
    cwd = tmp / "cwd"  # never the checkout: `-m` and `-c` put the cwd on sys.path
    cwd.mkdir(parents=True, exist_ok=True)
    doctor_medians: Dict[str, float] = {}
    for key, name, maker in WORLDS:
        with maker(certs, wheels, pair, tmp / key) as world:
            codes, probe = verdict(pair, world, cwd)
            times = timed(doctor_argv(pair, world), world.env, cwd, runs)
            doctor_medians[key] = statistics.median(times)
            cells[name] = f"{fmt(times)} [{codes}]"
            if key in QUICK:
                quick = timed([*doctor_argv(pair, world), "--quick"], world.env, cwd, runs)
                cells[f"  the same with --quick ({key}: pipssl's probes only)"] = fmt(quick)
            if key == "unknown-ca":
                cells["  of which the probe (from the JSON)"] = f"{probe * 1000:.1f} ms"
                pip_times = timed(
                    [
                        str(pair.python),
                        "-m",
                        "pip",
                        "download",
                        "--no-deps",
                        "--no-cache-dir",
                        "-d",
                        str(tmp / "dl"),
                        "--index-url",
                        world.url,
                        "pipssl_probe_pkg",
                    ],
                    world.env,
                    cwd,
                    max(1, runs // 2),
                )
                cells["stock pip download failing, unknown-CA world"] = fmt(pip_times)
                ratio = statistics.median(pip_times) / doctor_medians[key]
                cells["ratio pip / doctor (medians)"] = f"{ratio:.1f}x"
    env = world_env(tmp / "import")
    # The floor under every doctor row on this machine, at this load.
    cells["interpreter start alone, python -c pass"] = fmt(
        timed([str(pair.python), "-c", "pass"], env, cwd, runs)
    )
    cells["python -X importtime -c 'import pipssl' (cumulative)"] = fmt(
        import_times(pair.python, env, cwd, runs), 1000, "ms"
    )
    return cells


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv or None)
    columns: List[Tuple[str, Dict[str, str]]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        certs = CertWorld(tmp / "certs")
        wheels = tmp / "wheels"
        build_wheel(wheels)
        build_wheel(wheels, name="pip", version="0.0.1")  # the project doctor follows
        name, data = pipssl_wheel(REPO / "pipssl")
        wheel = tmp / "dist" / name
        wheel.parent.mkdir()
        wheel.write_bytes(data)
        for version, upgrade in PAIRS:
            pair = build_pair(version, upgrade, tmp / version, wheel)
            columns.append((pair.label, measure(pair, certs, wheels, tmp / version, args.runs)))
    rows = list(columns[0][1])
    print("| measurement | " + " | ".join(label for label, _ in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for row in rows:
        print(f"| {row} | " + " | ".join(cells.get(row, "-") for _, cells in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
