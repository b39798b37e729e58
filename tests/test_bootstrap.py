"""get-pipssl.py: reproducible, checked, and runnable by every Python a user may have.

Every run of the script gets a TMPDIR of its own that must be empty again afterwards, and
runs a copy of the committed file from a read-only directory (so the checkout's own
``pipssl/`` cannot be imported by accident).
"""

from __future__ import annotations

import ast
import hashlib
import io
import itertools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tokenize
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import pytest
from bed.index import IndexServer, MakeIndex, build_wheel, closed_port
from bed.isolation import IsolatedEnv
from bed.nossl import make_nossl_python
from bed.pip import find_pythons
from bed.world import World
from targets import LEGACY_BASE, base_python, make_venv

from pipssl import _embed, _wheel
from pipssl.errors import PipsslError

pytestmark = pytest.mark.once

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "get-pipssl.py"
PYTHONS = {k: v for k, v in find_pythons().items() if k != "sys"}
GATE = re.compile(
    r"get-pipssl\.py needs Python 3\.8 or newer \(this is Python \d\.\d\); "
    r"get one from your package manager or python\.org"
)
_runs = itertools.count()


def old_python(short: str) -> Optional[Path]:
    """Python 2.7 / 3.6 / 3.7 from pyenv's versions directory, if installed."""
    for python in PYTHONS.values():
        found = sorted(python.parents[2].glob(f"{short}.*/bin/python{short}"))
        if found:
            return found[-1]
    return None


@pytest.fixture(scope="session")
def script(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the committed get-pipssl.py in a read-only directory."""
    directory = tmp_path_factory.mktemp("read-only")
    copy = directory / "get-pipssl.py"
    shutil.copyfile(SCRIPT, copy)
    directory.chmod(0o555)
    yield copy
    directory.chmod(0o755)


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run(python, *args, script=..., stdin=False, flags=(), env=None)``: run the script
    as a user would (cwd = its directory), with an empty TMPDIR checked empty afterwards
    and the script's directory checked unchanged."""

    def runner(
        python: Any,
        *args: str,
        script: Path,
        stdin: bool = False,
        flags: Sequence[str] = (),
        env: Optional[Dict[str, str]] = None,
        timeout: float = 240,
    ) -> subprocess.CompletedProcess[str]:
        tmpdir = tmp_path / f"tmpdir-{next(_runs)}"
        tmpdir.mkdir()
        child = dict(os.environ if env is None else env)
        child["TMPDIR"] = str(tmpdir)
        before = sorted(os.listdir(script.parent))
        argv = [str(python), *flags, "-" if stdin else str(script), *args]
        with open(script, "rb") if stdin else open(os.devnull, "rb") as source:
            proc = subprocess.run(
                argv,
                stdin=source,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=child,
                cwd=script.parent,
                check=False,
            )
        assert sorted(os.listdir(script.parent)) == before
        assert list(tmpdir.iterdir()) == [], f"left behind in TMPDIR: {list(tmpdir.iterdir())}"
        return proc

    return runner


def one_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def healthy_world(world: World, kind: str = "good") -> IndexServer:
    world.trust()
    return world.index(kind, url_host="localhost")


def doctor_json(proc: subprocess.CompletedProcess[str], code: int) -> Dict[str, Any]:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    assert data["schema"] == 1
    return data


# --- the file itself -------------------------------------------------------------------


def test_committed_file_is_a_fresh_build() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipssl._embed", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr + "\nrun: python -m pipssl._embed"
    assert SCRIPT.read_bytes() == _embed.build(REPO)
    assert len(SCRIPT.read_bytes()) <= 500_000
    assert SCRIPT.read_bytes().isascii()


@pytest.mark.parametrize("short", ["3.8", "3.13"])
def test_build_is_the_same_on_every_python(short: str, tmp_path: Path) -> None:
    try:
        python = base_python(short)
    except LookupError:
        pytest.skip(f"no Python {short}")
    output = tmp_path / "get-pipssl.py"
    proc = subprocess.run(
        [str(python), "-m", "pipssl._embed", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)},
        preexec_fn=lambda: os.umask(0o077),  # the build must not depend on it
    )
    assert proc.returncode == 0, proc.stderr
    assert output.read_bytes() == _embed.build(REPO)
    assert stat.S_IMODE(output.stat().st_mode) == 0o644


def test_check_fails_on_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "get-pipssl.py"
    stale.write_bytes(SCRIPT.read_bytes() + b"\n")
    root = ["--root", str(REPO)]
    assert _embed.main([*root, "--check", "--output", str(stale)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stale" in err and "python -m pipssl._embed" in err
    assert _embed.main([*root, "--check", "--output", str(tmp_path / "missing.py")]) == 1
    assert _embed.main([*root, "--output", str(stale)]) == 0
    assert _embed.main([*root, "--check", "--output", str(stale)]) == 0
    assert stale.read_bytes() == SCRIPT.read_bytes()
    # outside a checkout: one line and a hint, exit 2
    assert _embed.main(["--root", str(tmp_path), "--check"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[-2].startswith("pipssl._embed: error: cannot read")
    assert lines[-1].startswith("hint")


def test_wheel_ignores_order_times_modes_and_bytecode(tmp_path: Path) -> None:
    reference = _wheel.pipssl_wheel(REPO / "pipssl")
    copy = tmp_path / "pipssl"
    sources = [*sorted((REPO / "pipssl").rglob("*.py"), reverse=True), REPO / "pipssl/py.typed"]
    for path in sources:  # created in another order, with other times and modes
        target = copy / path.relative_to(REPO / "pipssl")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
        target.chmod(0o600)
        os.utime(target, (1_900_000_000, 1_900_000_000))
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "_cli.cpython-311.pyc").write_bytes(b"bytecode")
    (copy / "notes.txt").write_text("not part of the package")
    assert _wheel.pipssl_wheel(copy) == reference


def _as_carried(tree: ast.AST) -> str:
    """The module's code as Python sees it, its docstrings and its functions' annotations
    taken out (a function or class left empty gets the ``pass`` lean puts there; a module
    may be empty).  A multi-line annotation, which lean keeps, is taken out of both."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
            params = node.args
            for arg in [*params.posonlyargs, *params.args, *params.kwonlyargs]:
                arg.annotation = None
            for arg in (params.vararg, params.kwarg):
                if arg is not None:
                    arg.annotation = None
        body = getattr(node, "body", None)
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) or not body:
            continue
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            if isinstance(first.value.value, str):
                empty: List[ast.stmt] = [] if isinstance(node, ast.Module) else [ast.Pass()]
                node.body = body[1:] or empty
    return ast.dump(tree)


def test_the_lean_modules_are_the_same_code_on_the_same_lines() -> None:
    """get-pipssl.py carries pipssl without comments, docstrings and the annotations of
    function signatures: the same code (the same syntax tree, once those are out of the
    original), on the same lines."""
    modules = sorted((REPO / "pipssl").rglob("*.py"))
    dropped = 0
    for path in modules:
        source = path.read_bytes()
        lean = _embed.lean(source)
        assert lean.count(b"\n") == source.count(b"\n"), path
        assert _as_carried(ast.parse(lean)) == _as_carried(ast.parse(source))
        tokens = tokenize.tokenize(io.BytesIO(lean).readline)
        assert not [t for t in tokens if t.type == tokenize.COMMENT], path
        dropped += len(source) - len(lean)
    assert dropped > len(b"".join(p.read_bytes() for p in modules)) // 4
    # a docstring sharing its line with code stays; the only statement becomes `pass`
    assert _embed.lean(b'def f(): "doc"\n') == b'def f(): "doc"\n'
    assert _embed.lean(b'def f():\n    """doc\n    more"""\n') == b"def f():\n    pass\n\n"
    assert _embed.lean(b"x = 1  # why\n") == b"x = 1\n"
    # a function's annotations go; a class's (dataclass fields) and a multi-line one stay
    assert _embed.lean(b"def f(a: int = 1, *b: str, **c: Any) -> None: ...\n") == (
        b"def f(a = 1, *b, **c): ...\n"
    )
    assert _embed.lean(b"class A:\n    a: int = 1\n") == b"class A:\n    a: int = 1\n"
    kept = b"def f(\n    a: Dict[\n        str, int\n    ],\n) -> None:\n    pass\n"
    assert _embed.lean(kept) == kept.replace(b") -> None:", b"):")


def test_payload_holds_the_vendored_wheels_byte_for_byte() -> None:

    data = _embed.payload(REPO)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert len(names) == 4 and names == sorted(names)
    lock = (REPO / "bootstrap" / "vendor.lock").read_text().splitlines()
    for line in lock:
        digest, name = line.split("  ")
        assert archive.read(name) == (REPO / "bootstrap" / "vendor" / name).read_bytes()
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        wheel = zipfile.ZipFile(io.BytesIO(archive.read(name)))
        assert any("LICENSE" in entry for entry in wheel.namelist()), name
    (own,) = [n for n in names if n.startswith("pipssl-")]
    wheel = zipfile.ZipFile(io.BytesIO(archive.read(own)))
    assert not [n for n in wheel.namelist() if "__pycache__" in n or n.startswith("tests/")]
    # the builder of this very file needs a checkout: not carried, everything else is
    carried = {n for n in wheel.namelist() if n.startswith("pipssl/")}
    tree = {p.relative_to(REPO).as_posix() for p in (REPO / "pipssl").rglob("*.py")}
    assert carried == (tree | {"pipssl/py.typed"}) - {"pipssl/_embed.py"}
    info = own[: -len("-py3-none-any.whl")] + ".dist-info"
    record = wheel.read(f"{info}/RECORD").decode().splitlines()
    assert len(record) == len(wheel.namelist())
    for line in record:
        name, digest, size = line.split(",")
        if digest:
            assert digest == _wheel._record_hash(wheel.read(name)) and int(size) > 0
    metadata = wheel.read(f"{info}/METADATA").decode()
    assert "Requires-Python: >=3.8" in metadata and "Requires-Dist: certifi" in metadata
    assert "Requires-Dist: tomli>=2.0.1; python_version < '3.11'" in metadata
    assert hashlib.sha256(data).hexdigest() in SCRIPT.read_text()


def test_vendored_wheel_that_differs_from_the_lock_stops_the_build(tmp_path: Path) -> None:
    shutil.copytree(REPO / "bootstrap", tmp_path / "bootstrap")
    shutil.copytree(REPO / "pipssl", tmp_path / "pipssl")
    wheel = next((tmp_path / "bootstrap" / "vendor").glob("certifi-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    with pytest.raises(PipsslError, match="does not match its SHA-256"):
        _embed.build(tmp_path)
    wheel.unlink()
    with pytest.raises(PipsslError, match="cannot read"):
        _embed.build(tmp_path)


DAMAGED = "get-pipssl.py is incomplete or damaged: download it again"


def test_damaged_file_is_one_clear_line(
    tmp_path: Path, run: Callable[..., subprocess.CompletedProcess[str]], isolated_env: IsolatedEnv
) -> None:
    copy = tmp_path / "copy" / "get-pipssl.py"
    copy.parent.mkdir()
    for suffix in (b"x", b"\n"):
        copy.write_bytes(SCRIPT.read_bytes() + suffix)
        assert one_line(run(sys.executable, "doctor", script=copy), 2) == DAMAGED
    # one character of the payload changed: as a file, and piped from it
    text = SCRIPT.read_text()
    start = text.index("\n#=") + 20_000
    swapped = "1" if text[start] != "1" else "2"
    copy.write_text(text[:start] + swapped + text[start + 1 :])
    for stdin in (False, True):
        assert one_line(run(sys.executable, "doctor", script=copy, stdin=stdin), 2) == DAMAGED


def test_piped_through_a_pipe_says_to_save_it(isolated_env: IsolatedEnv) -> None:
    """Read from a pipe, the file cannot be read again to be checked: one line, exit 2."""
    with open(SCRIPT, "rb") as source:
        cat = subprocess.Popen(["cat"], stdin=source, stdout=subprocess.PIPE)
        assert cat.stdout is not None
        proc = subprocess.run(
            [sys.executable, "-", "doctor"],
            stdin=cat.stdout,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        cat.stdout.close()
        cat.wait(timeout=60)
    assert "save it as a file" in one_line(proc, 2)


# Every cut of the file past its loader line, run by the loader itself in one interpreter
# (a process per cut would take minutes): it must parse, and end with exit 2 and one line.
CUT_RUNNER = r"""
import io, os, sys
script, cuts, work = sys.argv[1], sys.argv[2], sys.argv[3]
with open(script, "rb") as stream:
    data = stream.read()
with open(cuts) as stream:
    offsets = [int(n) for n in stream.read().split()]
seen = {}
for n in offsets:
    with open(work, "wb") as stream:
        stream.write(data[:n])
    saved, sys.stderr = sys.stderr, io.BytesIO() if sys.version_info[0] == 2 else io.StringIO()
    try:
        code = compile(data[:n], work, "exec")
        exec(code, {"__file__": work, "__name__": "__main__"})
        outcome = "exit 0"
    except SystemExit as exc:
        outcome = "exit %s: %s" % (exc.code, sys.stderr.getvalue().strip())
    except BaseException as exc:
        outcome = "raised %s" % type(exc).__name__
    finally:
        sys.stderr = saved
    seen.setdefault(outcome, []).append(n)
for outcome in sorted(seen):
    sys.stdout.write("%d %s (first at %d)\n" % (len(seen[outcome]), outcome, seen[outcome][0]))
"""


def cut_offsets(data: bytes) -> List[int]:
    """Every line boundary past line 2 (the loader), a byte inside every third line, and
    every byte of the last line and of the first program line: strict prefixes only."""
    starts = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
    past_loader = starts[1]
    offsets = set(starts[1:])
    for begin, end in zip(starts[1::3], starts[2::3]):
        offsets.add(begin + (end - begin) * 2 // 3)
    offsets.update(range(starts[-2], len(data)))
    program = data.index(b"\n#| ") + 1
    offsets.update(range(program, data.index(b"\n", program)))
    return sorted(n for n in offsets if past_loader <= n < len(data))


@pytest.mark.slow
@pytest.mark.parametrize("short", ["2.7", "3.8", "newest"])
def test_a_copy_cut_anywhere_says_so_in_one_line(short: str, tmp_path: Path) -> None:
    """A download cut short past its loader line: never a SyntaxError, never exit 0, one
    line and exit 2, on Python 3 and on 2.7 (whose gate speaks first)."""
    python = sys.executable if short == "newest" else old_python(short)
    if python is None:
        python = PYTHONS.get(short)
    if python is None:
        pytest.skip(f"no Python {short}")
    data = SCRIPT.read_bytes()
    offsets = cut_offsets(data)
    assert len(offsets) > data.count(b"\n")
    (tmp_path / "cuts").write_text(" ".join(map(str, offsets)))
    (tmp_path / "runner.py").write_text(CUT_RUNNER)
    argv = [str(python), str(tmp_path / "runner.py"), str(SCRIPT), str(tmp_path / "cuts")]
    proc = subprocess.run(
        [*argv, str(tmp_path / "get-pipssl.py")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    expected = DAMAGED if short != "2.7" else "get-pipssl.py needs Python 3.8 or newer"
    outcomes = proc.stdout.strip().splitlines()
    assert len(outcomes) == 1 and f" exit 2: {expected}" in outcomes[0], proc.stdout
    assert outcomes[0].startswith(f"{len(offsets)} "), proc.stdout


@pytest.mark.parametrize("where", ["program", "payload", "last line"])
def test_a_cut_copy_run_as_users_run_it(
    where: str,
    tmp_path: Path,
    run: Callable[..., subprocess.CompletedProcess[str]],
    isolated_env: IsolatedEnv,
) -> None:
    """The same, end to end: a real run of a cut copy, as a file and piped from it."""
    data = SCRIPT.read_bytes()
    at = {
        "program": data.index(b"\n#| def install") + 9,
        "payload": data.index(b"\n#=") + 50_000,
        "last line": len(data) - 20,
    }[where]
    copy = tmp_path / "copy" / "get-pipssl.py"
    copy.parent.mkdir()
    copy.write_bytes(data[:at])
    for stdin in (False, True):
        assert one_line(run(sys.executable, "doctor", script=copy, stdin=stdin), 2) == DAMAGED


# --- old Pythons: the gate -------------------------------------------------------------


@pytest.mark.parametrize("short", ["2.7", "3.6", "3.7"])
def test_old_python_gets_one_line(
    short: str,
    run: Callable[..., subprocess.CompletedProcess[str]],
    script: Path,
    isolated_env: IsolatedEnv,
) -> None:
    python = old_python(short)
    if python is None:
        pytest.skip(f"no Python {short} under pyenv")
    for stdin in (False, True):
        line = one_line(run(python, "install", script=script, stdin=stdin), 2)
        assert GATE.fullmatch(line) and f"this is Python {short}" in line


# --- every supported Python, against loopback worlds --------------------------------


@pytest.mark.parametrize("version", sorted(PYTHONS))
@pytest.mark.parametrize(("kind", "code"), [("good", 0), ("self-signed", 1)])
def test_doctor_json_on_every_python(
    version: str,
    kind: str,
    code: int,
    run: Callable[..., subprocess.CompletedProcess[str]],
    script: Path,
    venvs: Dict[str, Path],
    pip_world: World,
) -> None:
    index = healthy_world(pip_world, kind)
    proc = run(
        PYTHONS[version],
        "--json",
        "doctor",
        "--python",
        str(venvs["legacy"]),
        "--index-url",
        index.url,
        script=script,
    )
    data = doctor_json(proc, code)
    codes = [f["code"] for f in data["findings"]]
    assert data["ok"] is (code == 0)
    assert codes == ([] if code == 0 else ["self-signed"])


@pytest.mark.parametrize("mode", ["isolated", "stdin"])
def test_isolated_and_piped(
    mode: str,
    run: Callable[..., subprocess.CompletedProcess[str]],
    script: Path,
    venvs: Dict[str, Path],
    pip_world: World,
) -> None:
    index = healthy_world(pip_world)
    args = ("doctor", "--json", "--python", str(venvs["legacy"]), "--index-url", index.url)
    flags = ["-I"] if mode == "isolated" else []
    proc = run(base_python(LEGACY_BASE), *args, script=script, flags=flags, stdin=mode == "stdin")
    assert doctor_json(proc, 0)["ok"] is True


def test_no_argument_is_doctor_then_the_plan(
    run: Callable[..., subprocess.CompletedProcess[str]],
    script: Path,
    venvs: Dict[str, Path],
    pip_world: World,
    tmp_path: Path,
) -> None:
    import certifi

    # the OS store trusts the intercepting CA, pip does not: repair has a plan
    store = tmp_path / "os-store.pem"
    store.write_bytes(
        Path(certifi.where()).read_bytes()
        + b"\n"
        + pip_world.certs.path("intercept.pem").read_bytes()
    )
    (tmp_path / "os-certs").mkdir()
    os.environ["SSL_CERT_FILE"] = str(store)
    os.environ["SSL_CERT_DIR"] = str(tmp_path / "os-certs")
    index = pip_world.index("intercepted", url_host="localhost")
    pip_world.isolated.write_pip_conf(f"[global]\nindex-url = {index.url}\n")
    before = sorted(str(p) for p in pip_world.isolated.root.rglob("*"))
    conf = pip_world.isolated.pip_config_file.read_bytes()
    proc = run(venvs["legacy"], script=script)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr == "", proc.stderr
    assert "untrusted-issuer-in-system-store" in proc.stdout
    assert "pipssl would change:" in proc.stdout and "dry run" not in proc.stdout
    assert proc.stdout.count("[untrusted-issuer-in-system-store]") == 1, proc.stdout  # once
    last = proc.stdout.strip().splitlines()[-1]
    # the interpreter by its path: the shell's `python` is another one, with another pip
    assert last == f"To apply: {venvs['legacy']} {script} repair --yes"
    assert sorted(str(p) for p in pip_world.isolated.root.rglob("*")) == before
    assert pip_world.isolated.pip_config_file.read_bytes() == conf


def test_help_names_install(
    run: Callable[..., subprocess.CompletedProcess[str]], script: Path, isolated_env: IsolatedEnv
) -> None:
    proc = run(sys.executable, "--help", script=script)
    assert proc.returncode == 0 and "doctor" in proc.stdout and "install" in proc.stdout
    line = one_line(run(sys.executable, "install", "--user", script=script), 2)
    assert "install takes no arguments" in line


# --- without ssl ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "code"), [("missing", "ssl-module-missing"), ("broken", "ssl-module-broken")]
)
def test_doctor_without_ssl(
    variant: str,
    code: str,
    run: Callable[..., subprocess.CompletedProcess[str]],
    script: Path,
    nossl_python: Callable[[str], Path],
    isolated_env: IsolatedEnv,
) -> None:
    data = doctor_json(run(nossl_python(variant), "doctor", "--json", script=script), 1)
    found = [f for f in data["findings"] if f["code"] == code]
    assert found and found[0]["fix"], data["findings"]


# --- install, offline ---------------------------------------------------------------------


def offline_env(isolated_env: IsolatedEnv, make_index: MakeIndex) -> Any:
    """Every way pip could look for packages points at a closed port or at an index that
    records requests; `install` must use none of them."""
    index = make_index("good", url_host="localhost")
    dead = f"https://127.0.0.1:{closed_port()}/simple/"
    isolated_env.write_pip_conf(
        f"[global]\nindex-url = {index.url}\nextra-index-url = {index.url}\n"
        f"find-links = {index.base_url}/\n"
    )
    os.environ["PIP_INDEX_URL"] = dead
    os.environ["PIP_EXTRA_INDEX_URL"] = dead
    return index


def installed(python: Path, code: str) -> str:
    proc = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=python.parent,  # not the checkout, whose pipssl/ would be imported instead
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.slow
def test_install_into_a_fresh_venv_offline(
    run: Callable[..., subprocess.CompletedProcess[str]],
    script: Path,
    pip_world: World,
    tmp_path: Path,
) -> None:
    python = make_venv(base_python(LEGACY_BASE), tmp_path / "venv")
    # an installed certifi (here a newer one) is kept, not replaced by the embedded one
    fake = build_wheel(tmp_path / "wheels", name="certifi", version="9999.1")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(fake)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    index = offline_env(pip_world.isolated, pip_world.index)
    proc = run(python, "install", script=script)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert index.requests == []
    code = "import pipssl, certifi, packaging; print(pipssl.__file__, certifi.__version__)"
    where, version = installed(python, code).split()
    assert where.startswith(str(tmp_path / "venv")) and version == "9999.1"
    assert installed(python, "import pipssl.cli.main, packaging.version; print(1)") == "1"
    assert (python.parent / "pipssl").is_file()  # the console script
    # a second install is a no-op, still offline
    assert run(python, "install", script=script).returncode == 0


@pytest.mark.slow
def test_install_on_a_python_without_ssl_or_pip(
    run: Callable[..., subprocess.CompletedProcess[str]],
    script: Path,
    pip_world: World,
    tmp_path: Path,
) -> None:
    python = make_nossl_python(tmp_path / "nossl", "missing")  # a throwaway copy, no pip
    index = offline_env(pip_world.isolated, pip_world.index)
    proc = run(python, "install", script=script)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ensurepip" in proc.stderr
    assert index.requests == []
    assert installed(python, "import pipssl, certifi, packaging; print(1)") == "1"


def test_install_without_pip_or_ensurepip_says_what_to_do(
    run: Callable[..., subprocess.CompletedProcess[str]],
    script: Path,
    isolated_env: IsolatedEnv,
    tmp_path: Path,
) -> None:
    python = make_venv(base_python(LEGACY_BASE), tmp_path / "bare", with_pip=False)
    broken = tmp_path / "no-ensurepip" / "ensurepip"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("")
    (broken / "__main__.py").write_text("raise SystemExit(1)\n")
    env = dict(os.environ, PYTHONPATH=str(broken.parent))
    proc = run(python, "install", script=script, env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines: List[str] = proc.stderr.strip().splitlines()
    assert "no pip and ensurepip failed" in lines[-2]
    assert lines[-1].startswith("hint: ") and "doctor" in lines[-1]
    assert not list((tmp_path / "bare").glob("lib/python3.*/site-packages/pip"))


def test_readme_gives_the_committed_files_size_and_sha256() -> None:
    root = Path(__file__).resolve().parent.parent
    data = (root / "get-pipssl.py").read_bytes()
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"{len(data):,} bytes" in readme
    assert f"{hashlib.sha256(data).hexdigest()}  get-pipssl.py" in readme


@pytest.mark.once
def test_a_wheelhouse_carries_the_get_pipssl_it_is_told_it_runs_from(tmp_path: Path) -> None:
    """get-pipssl.py says which file it is through ``main(bootstrap=...)``, passed down to
    the bundle: that file is carried; one that cannot be read again is refused."""
    from pipssl.commands import Bootstrap
    from pipssl.wheelhouse.creating import _bootstrap

    running = tmp_path / "get-pipssl.py"
    running.write_bytes(b"# the very file that ran\n")
    warnings: List[str] = []
    assert _bootstrap(None, Bootstrap(str(running)), REPO, warnings) == running.read_bytes()
    with pytest.raises(PipsslError) as refused:
        _bootstrap(None, Bootstrap(None), REPO, warnings)
    assert refused.value.reference == "bootstrap-missing"
    assert _bootstrap(None, None, REPO, warnings) == SCRIPT.read_bytes()  # the checkout's
    assert warnings == []
