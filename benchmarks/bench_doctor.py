"""Measure doctor's budgets on loopback worlds, for two interpreter/pip pairs.

    python benchmarks/bench_doctor.py [--runs 7]

Needs the test dependencies (trustme, cryptography), pyenv's Python 3.13.0 and 3.8.18, and
the package registry (once: the newest pip, and requests for each venv). Each pair gets a
fresh venv: 3.13 with pip upgraded to the newest release, 3.8 with ensurepip's pip 23.0.1
untouched; both with requests installed (its real check is part of a confirmed verdict).
pipssl is installed into each venv from a wheel built from this checkout (with the vendored
certifi and packaging), as a user would install it: pip compiles the .pyc files at install,
and every run starts outside the source tree, so the venv's own pipssl is what runs.

``VENV/bin/python -m pipssl doctor --json`` then diagnoses the venv's own pip, in each
world, interleaved in every round with ``doctor --quick`` and one stock pip attempt in the
same world (``pip download --retries 0`` of the index's package: what a user runs once):

* an index whose chain comes from an intercepting CA trusted nowhere, pip's ``cert`` the
  distribution bundle (/etc/ssl/certs/ca-certificates.crt: a common Debian/Ubuntu setup);
* a healthy index whose root is added to a copy of the distribution bundle, pip's ``cert``;
* a healthy index whose root is given alone by ``cert`` (one root: the cheapest trust);
* the OS store: a private mount namespace binds certifi's roots and the test root over
  /etc/ssl/certs (``tests/bed/osstore.py``), no ``cert``: pip 24.2+ verifies through it,
  older pips do not (each of the three commands runs through the same namespace prefix);
* a closed port and a server that never answers, with ``--timeout 1`` (pip: ``--timeout 1``);
* a CONNECT proxy answering 407 (HTTPS_PROXY);
* a healthy index (its root given by ``cert``) whose files (a ``pip`` project) sit on a
  second host behind the intercepting CA: the path followed, and the real pip asked to
  fetch a file.

Prints, per pair, one Markdown table of medians (min-max) over whole-process wall times,
with doctor / stock pip as the median of each round's ratio (the rounds interleave, so a
change in the machine's load touches both sides), then the interpreter's own start
(``python -c pass``, the floor under every row), ``import pipssl``, and, in the unknown-CA
world, stock pip with its default retries, and stock pip with what a confirmed doctor runs
beside the real pip started at the same moment (requests' check and ``doctor --quick``):
the floor of that work on this machine's cores, whatever doctor's own order.
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
from bed.osstore import MountedOsStore  # noqa: E402
from bed.pip import find_pythons, pip_version, url_host_for  # noqa: E402
from targets import make_venv  # noqa: E402

from pipssl._embed import pipssl_wheel  # noqa: E402

# (pyenv version, upgrade pip from the registry?)
PAIRS = (("3.13.0", True), ("3.8.18", False))
LIFETIME = 900.0  # seconds; every server stops by itself even if this script is killed
RUN_TIMEOUT = 600.0


#: The distribution bundle (Debian/Ubuntu's path), as pip's ``cert`` in two worlds.
DISTRIBUTION_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass
class World:
    """What one run of doctor needs: the index URL, extra doctor options, the environment,
    and a prefix every command of the world runs through (the OS store's namespace)."""

    url: str
    args: Tuple[str, ...]
    env: Dict[str, str]
    prefix: Tuple[str, ...] = ()


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
    run([*pip, "requests"])  # whichever release supports this Python
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


class Unavailable(Exception):
    """A world this machine cannot build: its row says why instead of a measurement."""


def distribution_bundle(tmp: Path, *extra: Path) -> Path:
    """A copy of the distribution bundle with ``extra`` PEM files appended (none: itself)."""
    if not DISTRIBUTION_BUNDLE.is_file():
        raise Unavailable(f"no distribution bundle at {DISTRIBUTION_BUNDLE}")
    if not extra:
        return DISTRIBUTION_BUNDLE
    tmp.mkdir(parents=True, exist_ok=True)
    bundle = tmp / "distribution+root.pem"
    text = DISTRIBUTION_BUNDLE.read_text(encoding="utf-8").rstrip("\n") + "\n"
    bundle.write_text(text + "".join(p.read_text(encoding="utf-8") for p in extra))
    return bundle


@contextlib.contextmanager
def unknown_ca(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    with serve_index(
        wheels, certs.server_cert("intercepted"), url_host=pair.url_host, lifetime=LIFETIME
    ) as index:
        yield World(index.url, (), world_env(tmp, distribution_bundle(tmp)))


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
def healthy_dist(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    bundle = distribution_bundle(tmp, certs.path("root.pem"))
    with serve_index(
        wheels, certs.server_cert("good"), url_host=pair.url_host, lifetime=LIFETIME
    ) as index:
        yield World(index.url, (), world_env(tmp, bundle))


@contextlib.contextmanager
def healthy(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    with serve_index(
        wheels, certs.server_cert("good"), url_host=pair.url_host, lifetime=LIFETIME
    ) as index:
        yield World(index.url, (), world_env(tmp, certs.path("root.pem")))


@contextlib.contextmanager
def os_store(certs: CertWorld, wheels: Path, pair: Pair, tmp: Path) -> Iterator[World]:
    if not MountedOsStore.available():
        raise Unavailable("needs a private mount namespace (root, Linux)")
    store = MountedOsStore(tmp / "os-store")
    store.set(certs.path("root.pem").read_bytes())
    with serve_index(
        wheels, certs.server_cert("good"), url_host=pair.url_host, lifetime=LIFETIME
    ) as index:
        yield World(index.url, (), world_env(tmp), tuple(store.prefix()))


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
    ("unknown-ca", "unknown CA, cert = the distribution bundle", unknown_ca),
    ("healthy-dist", "healthy, cert = distribution bundle + root", healthy_dist),
    ("healthy", "healthy, cert = the root alone", healthy),
    ("os-store", "the OS store (certifi + root), no cert", os_store),
    ("closed", "closed port, --timeout 1", dead_port),
    ("proxy-407", "CONNECT proxy answering 407", proxy_407),
    ("silent", "server that never answers, --timeout 1", silent),
    ("files-host", "files on a second host behind an unknown CA", files_host),
)


def doctor_argv(pair: Pair, world: World, *more: str) -> List[str]:
    argv = [str(pair.python), "-m", "pipssl", "doctor", "--json", "--index-url", world.url]
    return [*world.prefix, *argv, *world.args, *more]


def pip_argv(pair: Pair, world: World, dest: Path, retries: int = 0) -> List[str]:
    """One stock pip attempt (``retries`` 0) to get the index's package, as a user runs it."""
    argv = [str(pair.python), "-m", "pip", "download", "--no-deps", "--no-cache-dir"]
    argv += ["--retries", str(retries), "-d", str(dest), "--index-url", world.url]
    timeout = ["--timeout", world.args[1]] if world.args[:1] == ("--timeout",) else []
    return [*world.prefix, *argv, *timeout, "pipssl_probe_pkg"]


def requests_argv(pair: Pair, world: World) -> List[str]:
    """requests' real check as a confirmed doctor runs it: import requests, get the index."""
    script = (
        f"import requests\ntry: requests.get({world.url!r}, timeout=5)\nexcept Exception: pass"
    )
    return [*world.prefix, str(pair.python), "-c", script]


def _quiet(argv: Sequence[str], env: Dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    null = subprocess.DEVNULL
    return subprocess.Popen(list(argv), env=env, cwd=cwd, stdin=null, stdout=null, stderr=null)


def beside(
    argv: Sequence[str], company: Sequence[Sequence[str]], env: Dict[str, str], cwd: Path
) -> float:
    """``argv``'s wall time with ``company`` started at the same moment beside it."""
    start = time.perf_counter()
    main = _quiet(argv, env, cwd)
    others = [_quiet(c, env, cwd) for c in company]
    main.wait(timeout=RUN_TIMEOUT)
    took = time.perf_counter() - start
    for other in others:
        other.wait(timeout=RUN_TIMEOUT)
    return took


def floor_line(pair: Pair, world: World, tmp: Path, cwd: Path, runs: int) -> str:
    """Stock pip alone, then with requests' check and ``doctor --quick`` beside it, in turn
    for ``runs`` rounds: the second's time and the median of the rounds' ratios."""
    pip = pip_argv(pair, world, tmp / "dl")
    company = [requests_argv(pair, world), doctor_argv(pair, world, "--quick")]
    alone: List[float] = []
    crowded: List[float] = []
    for _ in range(runs):
        alone.append(beside(pip, [], world.env, cwd))
        crowded.append(beside(pip, company, world.env, cwd))
    ratio = statistics.median(c / a for c, a in zip(crowded, alone))
    return (
        "stock pip with requests' check and doctor --quick started beside it, unknown-CA"
        f" world: {fmt(crowded)} ({ratio:.2f}x stock pip alone)"
    )


def verdict(argv: Sequence[str], world: World, cwd: Path) -> str:
    """Run doctor once and read its JSON: the codes found ("ok" when none)."""
    proc = subprocess.run(
        argv,
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
    return ", ".join(f["code"] for f in report["findings"]) or "ok"


def rounds(
    argvs: Sequence[Sequence[str]], env: Dict[str, str], cwd: Path, runs: int
) -> List[List[float]]:
    """Each command once per round, in turn, ``runs`` rounds: the times per command."""
    times: List[List[float]] = [[] for _ in argvs]
    for _ in range(runs):
        for argv, out in zip(argvs, times):
            out.extend(timed(argv, env, cwd, 1))
    return times


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


def _world_row(
    pair: Pair,
    certs: CertWorld,
    wheels: Path,
    tmp: Path,
    world_key: Tuple[str, str, WorldMaker],
    runs: int,
    lines: List[str],
) -> Tuple[str, ...]:
    """One world's row (and, for the unknown-CA world, a line under the table)."""
    key, name, maker = world_key
    cwd = tmp / "cwd"  # never the checkout: `-m` and `-c` put the cwd on sys.path
    with maker(certs, wheels, pair, tmp / key) as world:
        codes = verdict(doctor_argv(pair, world), world, cwd)
        quick_codes = verdict(doctor_argv(pair, world, "--quick"), world, cwd)
        argvs = [
            doctor_argv(pair, world),
            doctor_argv(pair, world, "--quick"),
            pip_argv(pair, world, tmp / "dl"),
        ]
        doctor, quick, pip = rounds(argvs, world.env, cwd, runs)
        ratios = [d / p for d, p in zip(doctor, pip)]
        quick_cell = fmt(quick) + (f" [{quick_codes}]" if quick_codes != codes else "")
        if key == "unknown-ca":
            retrying = timed(
                pip_argv(pair, world, tmp / "dl", retries=5), world.env, cwd, max(1, runs // 2)
            )
            lines.append(
                f"stock pip with its default 5 retries, unknown-CA world: {fmt(retrying)}"
                f" ({statistics.median(retrying) / statistics.median(quick):.1f}x --quick)"
            )
            lines.append(floor_line(pair, world, tmp, cwd, runs))
    return (
        name, f"{fmt(doctor)} [{codes}]", quick_cell, fmt(pip), f"{statistics.median(ratios):.2f}x"
    )  # fmt: skip


#: The columns of each pair's table.
HEADER = (
    "world",
    "doctor [its findings]",
    "doctor --quick",
    "stock pip, one attempt",
    "doctor / pip",
)


def measure(
    pair: Pair, certs: CertWorld, wheels: Path, tmp: Path, runs: int
) -> Tuple[List[Tuple[str, ...]], List[str]]:
    """The table's rows for one pair, and the lines under it."""
    rows: List[Tuple[str, ...]] = []
    cwd = tmp / "cwd"  # never the checkout: `-m` and `-c` put the cwd on sys.path
    cwd.mkdir(parents=True, exist_ok=True)
    lines: List[str] = []
    for key, name, maker in WORLDS:
        try:
            rows.append(_world_row(pair, certs, wheels, tmp, (key, name, maker), runs, lines))
        except Unavailable as exc:
            rows.append((name, f"not measured: {exc}", "-", "-", "-"))
    env = world_env(tmp / "import")
    # The floor under every doctor row on this machine, at this load.
    start = timed([str(pair.python), "-c", "pass"], env, cwd, runs)
    lines.append(f"interpreter start alone, python -c pass: {fmt(start)}")
    imports = import_times(pair.python, env, cwd, runs)
    lines.append(
        f"python -X importtime -c 'import pipssl' (cumulative): {fmt(imports, 1000, 'ms')}"
    )
    return rows, lines


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv or None)
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
            rows, lines = measure(pair, certs, wheels, tmp / version, args.runs)
            load = os.getloadavg() if hasattr(os, "getloadavg") else ()
            print(f"\n{pair.label} ({args.runs} rounds; load average after: "
                  + " ".join(f"{x:.2f}" for x in load) + ")\n")  # fmt: skip
            print("| " + " | ".join(HEADER) + " |")
            print("|---" * len(HEADER) + "|")
            for row in rows:
                print("| " + " | ".join(row) + " |")
            print()
            for line in lines:
                print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
