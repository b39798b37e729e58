"""Faults with real processes: ``kill -9`` at every write step, a full disk, a read-only or
unwritable config directory, ten repairs at once.  After each, every file pip reads is
byte for byte as before the repair or as after it (so pip behaves exactly as before or
exactly as after: the test proves once, with a real pip, that the "before" state fails
and the "after" state verifies), nothing is half-written, and ``undo`` or a second
``repair`` ends in a consistent state.

The kills use ``PIPSSL_TEST_KILL_AT=N`` (pipssl/_faults.py): the Nth crash point reached
sends SIGKILL to the process itself, so nothing of pipssl's runs after it.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional

import pytest
from bed.pip import url_host_for
from bed.world import World
from targets import pipssl_path, repair_args, run_pipssl
from test_repair import pip_works, world

from pipssl.certs import bundle as cabundle
from pipssl.journal.state import state_dir

pytestmark = pytest.mark.once

__all__ = ["world"]  # the fixture, re-used from test_repair

POSIX = os.name == "posix"
STALE = (
    "# corporate settings, keep\n[global]\ntimeout = 30\ncert = /gone/corp.pem\n\n"
    "[install]\nno-compile = yes\n"
)


class FaultWorld(NamedTuple):
    python: Path
    url: str
    user_conf: Path
    bundle: Path
    state: Path
    root: Path
    ca: Path


class Snapshot(NamedTuple):
    """What pip reads: the config file, and the bundle only when the config names it."""

    conf: Optional[str]
    bundle: Optional[str]


def digest(path: Path) -> Optional[str]:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else None


def snapshot(w: FaultWorld) -> Snapshot:
    conf = w.user_conf.read_text("utf-8") if w.user_conf.is_file() else ""
    return Snapshot(digest(w.user_conf), digest(w.bundle) if str(w.bundle) in conf else None)


def reset(w: FaultWorld) -> None:
    """Back to the broken machine: the stale user config, no bundle, no pipssl state."""
    w.user_conf.parent.mkdir(parents=True, exist_ok=True)
    w.user_conf.write_text(STALE)
    shutil.rmtree(w.bundle.parent, ignore_errors=True)
    shutil.rmtree(w.state, ignore_errors=True)
    for temp in temp_files(w.root):  # what a killed run left, when the test skips recovery
        temp.unlink()


@pytest.fixture
def fault_world(venvs: Dict[str, Path], world: World, tmp_path: Path) -> FaultWorld:
    python = venvs["legacy"]
    # the walks over every kill point outlive an index's default 120 s on a loaded machine
    index = world.index("intercepted", python, lifetime=900)
    home = world.isolated.home
    w = FaultWorld(
        python,
        index.url,
        world.isolated.pip_conf_path("user"),
        Path(os.environ["XDG_DATA_HOME"]) / "pipssl" / "ca-bundle.pem",
        state_dir(os.environ),
        Path(home),
        world.certs.path("intercept.pem"),
    )
    reset(w)
    return w


def repair(w: FaultWorld, *extra: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return run_pipssl(*repair_args(w.python, w.url, "--ca", str(w.ca), *extra), **kwargs)


def killed_at(n: int) -> Dict[str, str]:
    return {**os.environ, "PIPSSL_TEST_KILL_AT": str(n)}


def parses(path: Path) -> None:
    """pip reads its config with a strict RawConfigParser; so must every file we leave."""
    if path.is_file():
        configparser.RawConfigParser().read_string(path.read_text("utf-8"))


def temp_files(root: Path) -> List[Path]:
    return [p for p in root.rglob("*.tmp")]


def assert_state_is(w: FaultWorld, expected: Snapshot, why: str) -> None:
    assert snapshot(w) == expected, why
    parses(w.user_conf)
    if expected.bundle is None:
        assert not w.bundle.exists(), why  # undo and rollback leave no bundle behind


def assert_consistent(w: FaultWorld) -> None:
    """No pending record, no temporary file, no backup that no record refers to."""
    records = (
        json.loads((w.state / "journal.json").read_text())
        if (w.state / "journal.json").exists()
        else []
    )
    assert not [r for r in records if r.get("pending")], json.dumps(records, indent=1)
    assert temp_files(w.root) == []
    backups = w.state / "backups"
    live = {r["id"] for r in records}
    if backups.exists():
        assert {p.name for p in backups.iterdir()} <= live
        for path in backups.rglob("*"):
            if path.is_file() and POSIX:
                assert stat.S_IMODE(path.stat().st_mode) == 0o600


def kill_each_step(
    w: FaultWorld,
    prepare: Callable[[], None],
    run: Callable[[Dict[str, str]], subprocess.CompletedProcess[str]],
    allowed: Callable[[Snapshot], bool],
    recover: Callable[[int], None],
) -> List[str]:
    """Kill ``run`` at crash point 1, 2, ... until it finishes; check each aftermath.

    Returns:
        The crash points, in order, as pipssl named them.
    """
    points: List[str] = []
    for n in range(1, 200):
        prepare()
        proc = run(killed_at(n))
        if proc.returncode >= 0:
            assert f"test crash point {n}:" not in proc.stderr
            return points
        assert proc.returncode == -9, proc.stderr
        line = proc.stderr.strip().splitlines()[-1]
        assert line.startswith(f"pipssl: test crash point {n}: "), proc.stderr
        points.append(line.split(": ", 2)[2])
        assert allowed(snapshot(w)), f"after a kill at {points[-1]!r}: {snapshot(w)}"
        parses(w.user_conf)
        if w.bundle.exists():  # complete, even if pip does not read it yet
            assert len(cabundle.load_cafile(str(w.bundle))) > 100, points[-1]
        recover(n)
    raise AssertionError("the run never finished")


@pytest.mark.slow
def test_kill_repair_at_every_step(fault_world: FaultWorld, tmp_path: Path) -> None:
    w = fault_world
    before = snapshot(w)
    assert not pip_works(w.python, w.url, tmp_path / "dl")
    done = repair(w)
    assert done.returncode == 0, done.stdout + done.stderr
    after = snapshot(w)
    assert after.conf != before.conf and after.bundle is not None

    def recover(n: int) -> None:
        # Half the time the user runs undo, the other half repair again.
        if n % 2:
            undo = run_pipssl("undo", "--json")
            assert undo.returncode in (0, 2), undo.stderr
            assert_state_is(w, before, f"undo after kill {n}")
            if undo.returncode == 2:
                # Killed before the journal held anything: nothing to undo, and the
                # state dir may keep the journal's temporary file until the next run.
                assert "nothing to undo" in undo.stderr
                assert all(w.state in p.parents for p in temp_files(w.root))
            else:
                assert_consistent(w)
            assert not (w.state / "journal.json").exists()
        again = repair(w)
        assert again.returncode == 0, again.stdout + again.stderr
        assert_state_is(w, after, f"repair after kill {n}")
        assert_consistent(w)
        assert len(json.loads((w.state / "journal.json").read_text())) == 1

    points = kill_each_step(
        w, lambda: reset(w), lambda env: repair(w, env=env), (before, after).__contains__, recover
    )
    assert len(points) >= 10, points
    assert any("pending record" in p for p in points) and any("replaced" in p for p in points)
    assert pip_works(w.python, w.url, tmp_path / "dl")
    print(f"repair: killed at {len(points)} points: {points}")


@pytest.mark.slow
def test_kill_undo_at_every_step(fault_world: FaultWorld, tmp_path: Path) -> None:
    w = fault_world
    before = snapshot(w)
    assert repair(w).returncode == 0
    after = snapshot(w)

    def prepare() -> None:
        reset(w)
        assert repair(w).returncode == 0

    def recover(n: int) -> None:
        if n % 2:
            finish = run_pipssl("undo")
            # Killed after its last journal write, the undo was done: nothing is left
            # to undo, and this run removes the backups it left.
            done = finish.returncode == 2 and "nothing to undo" in finish.stderr
            assert finish.returncode == 0 or done, finish.stderr
            assert_state_is(w, before, f"undo after killed undo {n}")
        else:
            finish = repair(w)
            assert finish.returncode == 0, finish.stderr
            assert_state_is(w, after, f"repair after killed undo {n}")
        assert_consistent(w)

    points = kill_each_step(
        w, prepare, lambda env: run_pipssl("undo", env=env), (before, after).__contains__, recover
    )
    assert len(points) >= 4, points
    assert not pip_works(w.python, w.url, tmp_path / "dl")  # the last undo went through
    print(f"undo: killed at {len(points)} points: {points}")


@pytest.mark.slow
def test_kill_rollback_at_every_step(
    fault_world: FaultWorld, world: World, tmp_path: Path
) -> None:
    """A repair whose verification fails rolls back; kill it while it does."""
    # What the writes leave just before verification: the config as a good repair
    # leaves it (cert = the bundle's path), whatever CA went into the bundle.
    assert repair(fault_world).returncode == 0
    written = snapshot(fault_world).conf
    reset(fault_world)
    # every kill is a repair and a repair again: on a busy machine, more than the index's
    # default two minutes
    wrong_host = world.index("wrong-host", url_host=url_host_for(fault_world.python), lifetime=900)
    w = fault_world._replace(
        url=wrong_host.url,
        ca=world.certs.path("root.pem"),
    )
    before = snapshot(w)
    failed = repair(w)
    assert failed.returncode == 1 and json.loads(failed.stdout)["rolled_back"], failed.stdout
    assert_state_is(w, before, "a rolled-back repair")

    def recover(n: int) -> None:
        again = repair(w)
        assert again.returncode == 1 and json.loads(again.stdout)["rolled_back"], again.stdout
        assert_state_is(w, before, f"rolled-back repair after kill {n}")
        assert_consistent(w)

    def allowed(now: Snapshot) -> bool:
        # Killed between the writes and the end of the rollback, pip.conf may name the
        # new bundle, which is then complete (it is written first): exactly as after the
        # writes.  The next run rolls it back, since verification had failed.
        return now == before or (now.conf == written and now.bundle is not None)

    points = kill_each_step(w, lambda: reset(w), lambda env: repair(w, env=env), allowed, recover)
    assert any("restored" in p for p in points), points
    print(f"rollback: killed at {len(points)} points: {points}")


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


@pytest.mark.slow
@pytest.mark.skipif(not POSIX, reason="permission bits")
@pytest.mark.parametrize("umask", ["000", "077"])
def test_files_have_their_mode_from_the_start(fault_world: FaultWorld, umask: str) -> None:
    """Stop the repair right after each temporary file or backup is written (before any
    rename or chmod could fix it up): the bundle is 0644, the journal, the consent store
    and backups 0600, and pip.conf keeps its own mode, whatever the umask."""
    w = fault_world
    os.chmod(w.user_conf, 0o640)
    umasked = ["sh", "-c", f'umask {umask}; exec "$@"', "sh"]
    seen = set()
    for n in range(1, 40):
        reset(w)
        os.chmod(w.user_conf, 0o640)
        proc = repair(w, env=killed_at(n), prefix=umasked)
        if proc.returncode >= 0:
            break
        point = proc.stderr.strip().splitlines()[-1].split(": ", 2)[2]
        temps = temp_files(w.root)
        if point.endswith("temporary file written"):
            (temp,) = [t for t in temps if t.name.startswith("." + point.split(":")[0])]
            name = point.split(":")[0]
            expected = {
                "ca-bundle.pem": "0o644",
                "journal.json": "0o600",
                "pip.conf": "0o640",
                "consent.json": "0o600",
            }
            assert mode(temp) == expected[name], point
            seen.add(name)
        elif point.startswith("backup of"):
            (backup,) = [p for p in (w.state / "backups").rglob("*") if p.is_file()]
            assert mode(backup) == "0o600"
            seen.add("backup")
        if (w.state / "journal.json").exists():
            assert mode(w.state / "journal.json") == "0o600"
        assert mode(w.state) == "0o700"
    assert seen == {"ca-bundle.pem", "journal.json", "pip.conf", "consent.json", "backup"}
    reset(w)
    os.chmod(w.user_conf, 0o640)
    assert repair(w, prefix=umasked).returncode == 0
    assert (mode(w.bundle), mode(w.user_conf)) == ("0o644", "0o640")
    assert mode(w.state / "journal.json") == "0o600"


@pytest.mark.slow
def test_ten_repairs_at_once(fault_world: FaultWorld, tmp_path: Path) -> None:
    """Ten processes start together: one writes, the others wait for the lock and find
    nothing left to change.  One journal record, one bundle, pip works, undo is exact."""
    w = fault_world
    before = snapshot(w)
    env = dict(os.environ, PYTHONPATH=pipssl_path())
    argv = [sys.executable, "-m", "pipssl", *repair_args(w.python, w.url, "--ca", str(w.ca))]
    procs = [
        subprocess.Popen(
            argv,
            env=env,
            cwd=pipssl_path(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(10)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        results.append((proc.returncode, out, err))
    assert [code for code, _, _ in results] == [0] * 10, [out for code, out, _ in results if code]
    reports = [json.loads(out) for _, out, _ in results]
    assert sum(r["changed"] for r in reports) == 1
    assert all(r["ok"] for r in reports)
    records = json.loads((w.state / "journal.json").read_text())
    assert len(records) == 1
    assert_consistent(w)
    parses(w.user_conf)
    assert w.user_conf.read_text().count("cert =") == 1
    assert cabundle.load_cafile(str(w.bundle))
    assert pip_works(w.python, w.url, tmp_path / "dl")
    assert run_pipssl("undo").returncode == 0
    assert_state_is(w, before, "undo after ten repairs")
    assert run_pipssl("undo").returncode == 2  # the nine others recorded nothing


def _can_unshare(*flags: str) -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", *flags, "true"], capture_output=True, timeout=30, check=False
    )
    return probe.returncode == 0


def confined(setup: str, inspect: str) -> List[str]:
    """A prefix that runs pipssl in a private mount namespace after ``setup`` (shell),
    then runs ``inspect`` there too, since what is mounted vanishes with the process."""
    script = f'set -e\n{setup}\nset +e\n"$@"\nrc=$?\n{inspect}\nexit $rc\n'
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"]


def assert_refused_cleanly(
    proc: subprocess.CompletedProcess[str], w: FaultWorld, before: Snapshot, path: Path, why: str
) -> None:
    """Exit 2, one error line naming the file, no traceback, nothing changed or left."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith("pipssl: error: cannot ") and str(path) in first, proc.stderr
    assert why in first, first
    assert_state_is(w, before, proc.stderr)
    assert not w.bundle.exists()
    assert_consistent(w)
    assert not (w.state / "journal.json").exists()  # nothing to undo: nothing was done


needs_mounts = pytest.mark.skipif(
    not _can_unshare("-m"), reason="needs unshare -m (a private mount namespace)"
)


@needs_mounts
def test_disk_full_while_writing_the_bundle(fault_world: FaultWorld, tmp_path: Path) -> None:
    w = fault_world
    before = snapshot(w)
    w.bundle.parent.mkdir(parents=True)
    report = tmp_path / "inside.txt"
    d = str(w.bundle.parent)
    proc = repair(
        w,
        prefix=confined(
            f"mount -t tmpfs -o size=64k tmpfs '{d}'",
            f"ls -A '{d}' > '{report}'",
        ),
    )
    assert_refused_cleanly(proc, w, before, w.bundle, "No space left on device")
    assert report.read_text() == ""  # no half-written bundle, no temporary file


@needs_mounts
@pytest.mark.parametrize("fault", ["disk-full", "read-only"])
def test_config_dir_fails_mid_repair(fault_world: FaultWorld, tmp_path: Path, fault: str) -> None:
    """The bundle is written, then pip.conf cannot be: the bundle goes again, pip.conf
    is as it was, and the journal records nothing."""
    w = fault_world
    before = snapshot(w)
    d, src, report = str(w.user_conf.parent), tmp_path / "pip.conf", tmp_path / "inside.txt"
    shutil.copy(w.user_conf, src)
    if fault == "disk-full":
        setup = (
            f"mount -t tmpfs -o size=16k tmpfs '{d}'\ncp '{src}' '{d}/pip.conf'\n"
            f"dd if=/dev/zero of='{d}/filler' bs=1k 2>/dev/null || true"
        )
        why = "No space left on device"
    else:
        setup = f"mount --bind '{d}' '{d}'\nmount -o remount,bind,ro '{d}'"
        why = "Read-only file system"
    inspect = f"ls -A '{d}' > '{report}'; sha256sum '{d}/pip.conf' >> '{report}'"
    proc = repair(w, prefix=confined(setup, inspect))
    assert_refused_cleanly(proc, w, before, w.user_conf, why)
    inside = report.read_text().split()
    assert sorted(inside[:-2]) == (
        ["filler", "pip.conf"] if fault == "disk-full" else ["pip.conf"]
    )
    assert inside[-2] == hashlib.sha256(src.read_bytes()).hexdigest()


@pytest.mark.skipif(not POSIX, reason="permission bits")
def test_unwritable_config_dir(fault_world: FaultWorld) -> None:
    """pip.conf's directory is not writable by the user running repair (root is made an
    ordinary user in a user namespace, where permission bits apply to it)."""
    w = fault_world
    before = snapshot(w)
    prefix: List[str] = []
    if os.geteuid() == 0:
        if not _can_unshare("-U", "--map-user=1000", "--map-group=1000"):
            pytest.skip("root ignores permission bits and cannot drop them here")
        prefix = ["unshare", "-U", "--map-user=1000", "--map-group=1000"]
    os.chmod(w.user_conf.parent, 0o555)
    try:
        proc = repair(w, prefix=prefix)
    finally:
        os.chmod(w.user_conf.parent, 0o755)
    assert_refused_cleanly(proc, w, before, w.user_conf, "Permission denied")


@needs_mounts
def test_disk_full_in_the_state_dir(fault_world: FaultWorld, tmp_path: Path) -> None:
    """The journal cannot be written: nothing else is written either."""
    w = fault_world
    before = snapshot(w)
    w.state.mkdir(parents=True, mode=0o700)
    d = str(w.state)
    proc = repair(
        w,
        prefix=confined(
            f"mount -t tmpfs -o size=4k,mode=0700 tmpfs '{d}'\n"
            f"dd if=/dev/zero of='{d}/filler' bs=1k 2>/dev/null || true",
            "true",
        ),
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "journal.json" in proc.stderr.splitlines()[0] and "No space" in proc.stderr
    assert_state_is(w, before, proc.stderr)
    assert not w.bundle.exists() and temp_files(w.root) == []
