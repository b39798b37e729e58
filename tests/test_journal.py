"""pipssl.journal: backed-up atomic writes, exact undo, the state lock, a private state dir."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Callable, Iterator, List, Optional, Tuple

import pytest
from bed.isolation import IsolatedEnv

from pipssl.errors import PipsslError
from pipssl.journal.records import Change
from pipssl.journal.recover import last_record
from pipssl.journal.rollback import drop, undo_last, undo_next
from pipssl.journal.state import Lock, state_dir
from pipssl.journal.status import undo_stack
from pipssl.journal.transaction import Transaction

pytestmark = pytest.mark.once

REPO = Path(__file__).resolve().parents[1]
POSIX = os.name == "posix"
posix_only = pytest.mark.skipif(not POSIX, reason="POSIX permission bits")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    """A common umask, so the modes the tests expect do not depend on the shell's."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def state(isolated_env: IsolatedEnv, monkeypatch: pytest.MonkeyPatch, umask: None) -> Path:
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    path = state_dir(os.environ)
    assert str(path).startswith(str(isolated_env.root))
    return path


@pytest.fixture
def files(isolated_env: IsolatedEnv) -> Path:
    path = isolated_env.root / "files"
    path.mkdir()
    return path


def journal(state: Path) -> List[dict]:  # type: ignore[type-arg]
    path = state / "journal.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else []


# -- the state directory -------------------------------------------------------------------


def test_state_dir_per_platform() -> None:
    home = {"HOME": "/home/u"}
    assert state_dir(home, platform="linux") == Path("/home/u/.local/state/pipssl")
    xdg = dict(home, XDG_STATE_HOME="/x/state")
    assert state_dir(xdg, platform="linux") == Path("/x/state/pipssl")
    assert state_dir(xdg, platform="freebsd13") == Path("/x/state/pipssl")
    relative = dict(home, XDG_STATE_HOME="rel/state")  # invalid per the XDG spec: ignored
    assert state_dir(relative, platform="linux") == Path("/home/u/.local/state/pipssl")
    assert state_dir(xdg, platform="darwin") == Path(
        "/home/u/Library/Application Support/pipssl/state"
    )
    windows = {"LOCALAPPDATA": "C:\\Users\\u\\AppData\\Local", "USERPROFILE": "C:\\Users\\u"}
    assert state_dir(windows, platform="win32") == Path(windows["LOCALAPPDATA"], "pipssl", "state")
    assert state_dir({"USERPROFILE": "C:\\Users\\u"}, platform="win32") == Path(
        "C:\\Users\\u", "AppData", "Local", "pipssl", "state"
    )
    for platform in ("linux", "darwin", "win32"):
        with pytest.raises(PipsslError) as info:
            state_dir({}, platform=platform)
        assert info.value.reference == "no-state-dir"


@posix_only
def test_everything_created_private(state: Path, files: Path) -> None:
    old = os.umask(0)  # nothing may rely on the umask to keep backups private
    try:
        target = files / "pip.conf"
        target.write_bytes(b"[global]\n")
        target.chmod(0o644)
        with Transaction(state, label="repair") as tx:
            backup = Path(tx.write(target, b"[global]\ncert = /x\n").backup or "")
            tx.write(files / "new" / "dir" / "bundle.pem", b"PEM")
            assert mode_of(backup) == 0o600  # checked before commit: private from the start
        assert mode_of(state) == 0o700
        assert mode_of(state / "backups") == 0o700
        assert mode_of(backup.parent) == 0o700
        assert mode_of(state / "journal.json") == 0o600
        assert mode_of(state / "lock") == 0o600
        assert mode_of(target) == 0o644  # an existing file keeps its mode
        assert mode_of(files / "new" / "dir" / "bundle.pem") == 0o644
    finally:
        os.umask(old)


@posix_only
def test_missing_parents_are_0755(state: Path, files: Path) -> None:
    with Transaction(state, label="repair") as tx:
        tx.write(files / "a" / "b" / "pip.conf", b"x", mode=0o600)
    assert mode_of(files / "a" / "b") == 0o755
    assert mode_of(files / "a" / "b" / "pip.conf") == 0o600


@posix_only
@pytest.mark.parametrize("how", ["symlink", "0777", "0770", "backups-symlink", "file"])
def test_unsafe_state_dir_refused(state: Path, files: Path, how: str) -> None:
    elsewhere = files / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    bad = state
    state.parent.mkdir(parents=True)
    if how == "symlink":
        state.symlink_to(elsewhere)
    elif how == "file":
        state.write_bytes(b"")
    else:
        state.mkdir(mode=0o700)
        if how == "backups-symlink":
            bad = state / "backups"
            bad.symlink_to(elsewhere)
        else:
            state.chmod(int(how, 8))
    target = files / "pip.conf"
    target.write_bytes(b"old")
    with pytest.raises(PipsslError) as info:
        with Transaction(state, label="repair") as tx:
            tx.write(target, b"new")
    assert info.value.reference == "unsafe-state-dir"
    assert str(bad) in str(info.value)
    assert target.read_bytes() == b"old"
    assert list(elsewhere.iterdir()) == []
    if how != "backups-symlink":
        calls: Tuple[Callable[[], object], ...] = (
            lambda: undo_last(state),
            lambda: last_record(state),
        )
        for call in calls:
            with pytest.raises(PipsslError) as info:
                call()
            assert info.value.reference == "unsafe-state-dir"


@posix_only
@pytest.mark.skipif(not POSIX or os.geteuid() != 0, reason="needs root to chown")
def test_state_dir_of_another_user_refused(state: Path) -> None:
    state.mkdir(parents=True, mode=0o700)
    os.chown(state, 65534, -1)
    with pytest.raises(PipsslError) as info:
        Lock(state).acquire()
    assert info.value.reference == "unsafe-state-dir"
    assert "owned by uid 65534" in str(info.value)


@posix_only
def test_backup_never_follows_a_planted_symlink(state: Path, files: Path) -> None:
    victim = files / "victim"
    victim.write_bytes(b"victim")
    target = files / "pip.conf"
    target.write_bytes(b"old")
    with pytest.raises(PipsslError) as info:
        with Transaction(state, label="repair") as tx:
            tx.backup_dir.mkdir(parents=True, mode=0o700)
            (tx.backup_dir / "001-pip.conf").symlink_to(victim)
            tx.write(target, b"new")
    assert info.value.reference == "write-failed"
    assert victim.read_bytes() == b"victim"
    assert target.read_bytes() == b"old"
    assert journal(state) == []


# -- write / remove / undo -----------------------------------------------------------------


def test_new_file_round_trip(state: Path, files: Path) -> None:
    target = files / "conf" / "pip.conf"
    with Transaction(state, label="repair user config") as tx:
        change = tx.write(target, b"[global]\n")
    created = (str(target.resolve().parent),)  # the transaction made conf/ for it
    assert change == Change(
        str(target.resolve()), None, sha(b"[global]\n"), None, None, created_dirs=created
    )
    assert target.read_bytes() == b"[global]\n"
    record = last_record(state)
    assert record is not None and record.changes == (change,)
    assert record.label == "repair user config"
    assert record.created.endswith("Z")
    assert undo_last(state) == record
    assert not target.exists()
    assert last_record(state) is None


@posix_only
def test_changed_file_round_trip_restores_mode(state: Path, files: Path) -> None:
    target = files / "pip.conf"
    target.write_bytes(b"old\n")
    target.chmod(0o600)
    with Transaction(state, label="repair") as tx:
        change = tx.write(target, b"new\n", mode=0o644)
    assert change.before_sha256 == sha(b"old\n") and change.after_sha256 == sha(b"new\n")
    assert change.mode == 0o600 and change.backup is not None
    assert (target.read_bytes(), mode_of(target)) == (b"new\n", 0o644)
    undo_last(state)
    assert (target.read_bytes(), mode_of(target)) == (b"old\n", 0o600)
    assert not Path(change.backup).exists()  # backups of an undone record are dropped


def test_removed_file_round_trip(state: Path, files: Path) -> None:
    target = files / "pip.conf"
    target.write_bytes(b"[global]\ntrusted-host = x\n")
    if POSIX:
        target.chmod(0o640)
    with Transaction(state, label="remove") as tx:
        change = tx.remove(target)
        assert tx.remove(files / "absent") == Change(str(files / "absent"), None, None, None, None)
    assert change.after_sha256 is None and not target.exists()
    assert len(last_record(state).changes) == 1  # type: ignore[union-attr]
    undo_last(state)
    assert target.read_bytes() == b"[global]\ntrusted-host = x\n"
    if POSIX:
        assert mode_of(target) == 0o640


def test_second_undo_goes_to_previous_record(state: Path, files: Path) -> None:
    a, b = files / "a.conf", files / "b.pem"
    a.write_bytes(b"a0")
    with Transaction(state, label="first") as tx:
        tx.write(a, b"a1")
        tx.write(b, b"b1")
    with Transaction(state, label="second") as tx:
        tx.write(a, b"a2")
        tx.remove(b)
    assert [r["label"] for r in journal(state)] == ["first", "second"]
    assert undo_last(state).label == "second"
    assert (a.read_bytes(), b.read_bytes()) == (b"a1", b"b1")
    assert undo_last(state).label == "first"
    assert a.read_bytes() == b"a0" and not b.exists()
    with pytest.raises(PipsslError) as info:
        undo_last(state)
    assert info.value.reference == "nothing-to-undo"
    assert list((state / "backups").iterdir()) == []


@pytest.mark.parametrize("edit", ["content", "deleted", "recreated", "symlink"])
def test_changed_since_refuses_and_touches_nothing(state: Path, files: Path, edit: str) -> None:
    a, b, gone = files / "a.conf", files / "b.conf", files / "gone.conf"
    a.write_bytes(b"a0")
    b.write_bytes(b"b0")  # deleting a file the repair created would put it back
    gone.write_bytes(b"g0")
    with Transaction(state, label="repair") as tx:
        tx.write(a, b"a1")
        tx.write(b, b"b1")
        tx.remove(gone)
    edited = b
    if edit == "content":
        b.write_bytes(b"user edit")
    elif edit == "deleted":
        b.unlink()
    elif edit == "recreated":
        edited = gone
        gone.write_bytes(b"user's new file")
    else:
        if not POSIX:
            pytest.skip("symlinks need privileges on Windows")
        (files / "real").write_bytes(b"b1")
        b.unlink()
        b.symlink_to(files / "real")
    before = {p.name: p.read_bytes() for p in files.iterdir() if p.exists()}
    entries = journal(state)
    with pytest.raises(PipsslError) as info:
        undo_last(state)
    assert info.value.reference == "changed-since"
    assert str(edited) in str(info.value) and "nothing was restored" in str(info.value)
    assert {p.name: p.read_bytes() for p in files.iterdir() if p.exists()} == before
    assert a.read_bytes() == b"a1"  # the untouched file was not restored either
    assert journal(state) == entries  # the record stays, to be undone once fixed


def test_damaged_backup_refuses(state: Path, files: Path) -> None:
    a, b = files / "a.conf", files / "b.conf"
    a.write_bytes(b"a0")
    b.write_bytes(b"b0")
    with Transaction(state, label="repair") as tx:
        tx.write(a, b"a1")
        change = tx.write(b, b"b1")
    Path(change.backup or "").write_bytes(b"tampered")
    with pytest.raises(PipsslError) as info:
        undo_last(state)
    assert info.value.reference == "backup-damaged" and str(b) in str(info.value)
    assert (a.read_bytes(), b.read_bytes()) == (b"a1", b"b1")


def test_symlinked_target_is_written_through(state: Path, files: Path) -> None:
    if not POSIX:
        pytest.skip("symlinks need privileges on Windows")
    real, link = files / "dotfiles-pip.conf", files / "pip.conf"
    real.write_bytes(b"old")
    link.symlink_to(real)
    with Transaction(state, label="repair") as tx:
        assert tx.write(link, b"new").path == str(real.resolve())
    assert link.is_symlink() and real.read_bytes() == b"new"
    undo_last(state)
    assert link.is_symlink() and real.read_bytes() == b"old"


def test_same_file_twice_is_one_change(state: Path, files: Path) -> None:
    target = files / "pip.conf"
    target.write_bytes(b"v0")
    with Transaction(state, label="repair") as tx:
        tx.write(target, b"v1")
        tx.remove(target)
        change = tx.write(target, b"v2")
    assert (change.before_sha256, change.after_sha256) == (sha(b"v0"), sha(b"v2"))
    assert len(last_record(state).changes) == 1  # type: ignore[union-attr]
    undo_last(state)
    assert target.read_bytes() == b"v0"


# -- no-ops, rollback, the journal -----------------------------------------------------------


def test_noop_writes_record_nothing(state: Path, files: Path) -> None:
    target = files / "pip.conf"
    target.write_bytes(b"same")
    with Transaction(state, label="repair") as tx:
        change = tx.write(target, b"same")
    assert change.before_sha256 == change.after_sha256 == sha(b"same")
    assert not change.changed and change.backup is None
    assert not (state / "journal.json").exists()
    with Transaction(state, label="repair") as tx:  # changed, then changed back
        tx.write(target, b"other")
        tx.write(target, b"same")
    assert not (state / "journal.json").exists()
    assert list((state / "backups").iterdir()) == []


def test_repeated_repair_is_idempotent(state: Path, files: Path) -> None:
    def repair() -> int:
        with Transaction(state, label="repair") as tx:
            tx.write(files / "pip.conf", b"[global]\ncert = /b.pem\n")
            tx.write(files / "b.pem", b"PEM")
            tx.remove(files / "old.pem")
            return len(tx.commit().changes)

    (files / "old.pem").write_bytes(b"old")
    assert repair() == 3
    assert repair() == 0
    assert len(journal(state)) == 1


def test_rollback_on_exception(state: Path, files: Path) -> None:
    a, new, gone = files / "a.conf", files / "new.conf", files / "gone.conf"
    a.write_bytes(b"a0")
    gone.write_bytes(b"g0")
    with pytest.raises(RuntimeError, match="verification"):
        with Transaction(state, label="repair") as tx:
            tx.write(a, b"a1", mode=0o600)
            tx.write(new, b"n1")
            tx.remove(gone)
            raise RuntimeError("verification failed")
    assert a.read_bytes() == b"a0" and not new.exists() and gone.read_bytes() == b"g0"
    if POSIX:
        assert mode_of(a) == 0o644
    assert journal(state) == []
    assert not tx.backup_dir.exists()
    with Lock(state, timeout=0):  # and the lock was released
        pass


def test_explicit_rollback_then_clean_exit(state: Path, files: Path) -> None:
    a = files / "a.conf"
    a.write_bytes(b"a0")
    with Transaction(state, label="repair") as tx:
        tx.write(a, b"a1")
        tx.rollback()
        with pytest.raises(PipsslError) as info:
            tx.write(a, b"a2")
        assert info.value.reference == "transaction-closed"
    assert a.read_bytes() == b"a0"
    assert journal(state) == []


def test_transaction_needs_with(state: Path, files: Path) -> None:
    with pytest.raises(PipsslError) as info:
        Transaction(state, label="x").write(files / "a", b"a")
    assert info.value.reference == "transaction-closed"
    assert not (files / "a").exists()


def test_not_a_regular_file(state: Path, files: Path) -> None:
    with pytest.raises(PipsslError) as info:
        with Transaction(state, label="repair") as tx:
            tx.write(files, b"x")
    assert info.value.reference == "not-a-regular-file" and str(files) in str(info.value)


def test_journal_has_no_contents_and_no_credentials(state: Path, files: Path) -> None:
    target = files / "pip.conf"
    target.write_bytes(b"old SECRET-OLD-CONTENT")
    label = "repair index-url https://alice:s3cr3t-token@127.0.0.1:8443/simple"
    with Transaction(state, label=label) as tx:
        tx.write(target, b"new SECRET-NEW-CONTENT")
        tx.write(files / "bundle.pem", b"SECRET-PEM-CONTENT")
    text = (state / "journal.json").read_text("utf-8")
    assert "SECRET" not in text and "s3cr3t-token" not in text
    (entry,) = json.loads(text)
    assert entry["label"] == "repair index-url https://alice:****@127.0.0.1:8443/simple"
    assert set(entry["changes"][0]) == {"path", "before_sha256", "after_sha256", "backup", "mode"}


def test_corrupt_journal(state: Path, files: Path) -> None:
    state.mkdir(parents=True, mode=0o700)
    (state / "journal.json").write_text('{"not": "a list"}', "utf-8")
    check_corrupt(state)
    escaping = [{"id": "../../files", "label": "x", "created": "now", "changes": []}]
    (state / "journal.json").write_text(json.dumps(escaping), "utf-8")
    check_corrupt(state)
    assert files.exists()


def check_corrupt(state: Path) -> None:
    calls: Tuple[Callable[[], object], ...] = (
        lambda: last_record(state),
        lambda: undo_last(state),
    )
    for call in calls:
        with pytest.raises(PipsslError) as info:
            call()
        assert info.value.reference == "journal-corrupt"
        assert str(state / "journal.json") in str(info.value)


# -- the lock, across processes -------------------------------------------------------------

LOCK_HOLDER = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from pipssl.journal.state import Lock
with Lock(Path(sys.argv[2]), timeout=60):
    print("held", flush=True)
    sys.stdin.read()
"""

WORKER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from pipssl.journal.transaction import Transaction
state, shared, n = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
with Transaction(state, label="worker " + n, timeout=60) as tx:
    old = shared.read_bytes() if shared.exists() else b""
    time.sleep(0.05)  # without the lock, another worker would read the same old content
    tx.write(shared, old + ("worker " + n + "\\n").encode())
    tx.write(shared.parent / ("own-" + n), n.encode())
"""


def read_line(stream: IO[str], timeout: float) -> Optional[str]:
    lines: List[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else None


def test_lock_held_by_another_process(state: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(REPO), str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert read_line(holder.stdout, 30) == "held\n"
        started = time.monotonic()
        with pytest.raises(PipsslError) as info:
            with Lock(state, timeout=0.5):
                pass
        assert 0.4 < time.monotonic() - started < 5
        assert info.value.reference == "locked"
        assert str(state / "lock") in str(info.value) and "another pipssl" in str(info.value)
        with pytest.raises(PipsslError) as info:
            with Transaction(state, label="repair", timeout=0.2):
                pass
        assert info.value.reference == "locked"
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)
    with Lock(state, timeout=5):
        pass


def test_concurrent_transactions_serialize(state: Path, files: Path) -> None:
    shared = files / "shared.conf"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(REPO), str(state), str(shared), str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for n in range(5)
    ]
    for worker in workers:
        try:
            _out, err = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate(timeout=30)
        assert worker.returncode == 0, err
    records = journal(state)
    assert sorted(r["label"] for r in records) == [f"worker {n}" for n in range(5)]
    assert len({r["id"] for r in records}) == 5
    lines = shared.read_text("utf-8").splitlines()
    assert lines == [r["label"] for r in records]  # no update lost, in journal order
    previous = None
    for record in records:  # each record starts where the one before ended
        change = next(c for c in record["changes"] if c["path"] == str(shared.resolve()))
        assert change["before_sha256"] == previous
        previous = change["after_sha256"]
    assert previous == sha(shared.read_bytes())
    for record in reversed(records):
        assert undo_last(state).id == record["id"]
    assert sorted(p.name for p in files.iterdir()) == []
    with pytest.raises(PipsslError) as info:
        undo_last(state)
    assert info.value.reference == "nothing-to-undo"


def _interrupted(state: Path, files: Path) -> Tuple[Path, Path]:
    """A transaction that wrote two files and died before committing (its pending
    record is on disk, its lock is gone)."""
    a, b = files / "a.conf", files / "b.pem"
    a.write_bytes(b"a0")
    tx = Transaction(state, label="killed")
    tx.__enter__()
    tx.write(a, b"a1")
    tx.write(b, b"b1")
    tx._lock.release()  # what the kernel does when the process dies
    return a, b


def test_an_interrupted_transaction_is_rolled_back_by_the_next(state: Path, files: Path) -> None:
    a, b = _interrupted(state, files)
    (pending,) = journal(state)
    assert pending["pending"] is True and len(pending["changes"]) == 2
    (state / "backups" / "20000101T000000000000Z-abcdef").mkdir()  # an orphan
    with Transaction(state, label="next") as tx:
        assert a.read_bytes() == b"a0" and not b.exists()
        tx.write(a, b"a2")
    assert [r["label"] for r in journal(state)] == ["next"]
    assert [p.name for p in (state / "backups").iterdir()] == [journal(state)[0]["id"]]


def test_undo_finishes_an_interrupted_transaction(state: Path, files: Path) -> None:
    a, b = _interrupted(state, files)
    assert undo_last(state).pending
    assert a.read_bytes() == b"a0" and not b.exists()
    assert not (state / "journal.json").exists()


def test_recovery_never_overwrites_a_later_edit(state: Path, files: Path) -> None:
    a, b = _interrupted(state, files)
    a.write_bytes(b"the user's edit after the crash")
    entries = journal(state)
    with pytest.raises(PipsslError) as info:
        Transaction(state, label="next").__enter__()
    assert info.value.reference == "changed-since" and str(a) in str(info.value)
    assert a.read_bytes() == b"the user's edit after the crash"
    assert b.read_bytes() == b"b1"  # all or nothing: b is not rolled back alone
    assert journal(state) == entries


# -- the undo stack: where each file stands, put-back and blocked records, forget ----------


def statuses(state: Path) -> List[Tuple[str, List[Tuple[str, str, Optional[str]]]]]:
    """``undo_stack`` as plain data: (record status, [(file name, status, detail)])."""
    return [
        (r.status, [(Path(f.path).name, f.status, f.detail) for f in r.files])
        for r in undo_stack(state)
    ]


def test_file_status_of_every_kind(state: Path, files: Path) -> None:
    names = ["edited", "as-before", "created", "deleted", "recreated", "dir", "kept", "gone"]
    for name in names:
        if name != "created":
            (files / name).write_bytes(b"old " + name.encode())
    with Transaction(state, label="repair") as tx:
        for name in [*names[:4], "dir", "kept"]:
            tx.write(files / name, b"new " + name.encode())
        tx.remove(files / "recreated")
        tx.remove(files / "gone")
    written = [(n, "as-written", None) for n in [*names[:4], "dir", "kept", "recreated", "gone"]]
    assert statuses(state) == [("undoable", written)]
    (files / "edited").write_bytes(b"the user's")
    (files / "as-before").write_bytes(b"old as-before")  # put back by hand
    (files / "created").unlink()  # the repair created it: absent is as before
    (files / "deleted").unlink()
    (files / "recreated").write_bytes(b"the user's new file")
    (files / "dir").unlink()
    (files / "dir").mkdir()
    ((status, got),) = statuses(state)
    assert status == "blocked"
    assert got == [
        ("edited", "changed", "its content changed"),
        ("as-before", "as-before", None),
        ("created", "as-before", None),
        ("deleted", "changed", "it was removed"),
        ("dir", "changed", "it is no longer a regular file"),
        ("kept", "as-written", None),
        ("recreated", "changed", "it was created again"),
        ("gone", "as-written", None),
    ]


def test_undo_stack_reads_only(state: Path, files: Path) -> None:
    assert undo_stack(state) == () and not state.exists()  # creates nothing
    with Transaction(state, label="first") as tx:
        tx.write(files / "a", b"a1")
    with Transaction(state, label="second") as tx:
        tx.write(files / "a", b"a2")
    before = journal(state)
    assert [(r.record.label, r.status) for r in undo_stack(state)] == [
        ("second", "undoable"),
        # a holds what the second wrote over what the first did: pipssl's, not an edit
        ("first", "held"),
    ]
    assert journal(state) == before


def test_a_record_under_a_later_one_is_held_only_by_pipssl_s_writes(
    state: Path, files: Path
) -> None:
    a, b = files / "a", files / "b"
    with Transaction(state, label="first") as tx:
        tx.write(a, b"a1")
        tx.write(b, b"b1")
    with Transaction(state, label="second") as tx:
        tx.write(a, b"a2")
    second = journal(state)[1]["id"]
    assert [(f.path, f.held_by) for f in undo_stack(state)[1].files] == [
        (str(a.resolve()), second),
        (str(b.resolve()), None),
    ]
    b.write_bytes(b"the user's b")  # an edit as well: blocked, not held
    assert [r.status for r in undo_stack(state)] == ["undoable", "blocked"]
    b.write_bytes(b"b1")
    a.write_bytes(b"the user's a")  # the later record is blocked; the first still held
    assert [r.status for r in undo_stack(state)] == ["blocked", "held"]


def test_put_back_records_are_dropped_and_the_next_undone(state: Path, files: Path) -> None:
    a, b, c = files / "a.conf", files / "b.pem", files / "c.conf"
    a.write_bytes(b"a0")
    c.write_bytes(b"c0")
    with Transaction(state, label="first") as tx:
        tx.write(a, b"a1")
    with Transaction(state, label="second") as tx:
        tx.write(b, b"b2")
    with Transaction(state, label="third") as tx:
        tx.write(c, b"c3")
    b.unlink()  # the user put back the third and the second by hand
    c.write_bytes(b"c0")
    second, third = journal(state)[1:]
    assert [s for s, _ in statuses(state)] == ["put-back", "put-back", "undoable"]
    done = undo_next(state)
    assert done.record.label == "first" and done.restored == (str(a.resolve()),)
    assert [p.record.label for p in done.put_back] == ["third", "second"]
    assert a.read_bytes() == b"a0" and not b.exists() and c.read_bytes() == b"c0"
    assert journal(state) == [] and list((state / "backups").iterdir()) == []
    assert not (state / "backups" / second["id"]).exists()
    assert not (state / "backups" / third["id"]).exists()


def test_only_put_back_records_left_is_nothing_to_undo(state: Path, files: Path) -> None:
    a = files / "a.conf"
    a.write_bytes(b"a0")
    with Transaction(state, label="repair one") as tx:
        tx.write(a, b"a1")
        tx.write(files / "new.pem", b"n1")
    a.write_bytes(b"a0")
    (files / "new.pem").unlink()
    with pytest.raises(PipsslError) as info:
        undo_next(state)
    assert info.value.reference == "nothing-to-undo"
    assert "'repair one'" in str(info.value) and "put back by hand" in str(info.value)
    assert journal(state) == [] and list((state / "backups").iterdir()) == []
    assert a.read_bytes() == b"a0"
    with pytest.raises(PipsslError) as info:
        undo_next(state)
    assert info.value.reference == "nothing-to-undo"


def test_mixed_record_restores_only_what_pipssl_wrote(state: Path, files: Path) -> None:
    conf, bundle = files / "pip.conf", files / "share" / "pipssl" / "bundle.pem"
    conf.write_bytes(b"[global]\n")
    with Transaction(state, label="repair") as tx:
        tx.write(bundle, b"PEM")
        tx.write(conf, b"[global]\ncert = bundle.pem\n")
    conf.write_bytes(b"[global]\n")  # put back by hand
    inode = os.stat(conf).st_ino
    done = undo_next(state)
    assert done.restored == (str(bundle.resolve()),)
    assert done.already_before == (str(conf.resolve()),)
    assert not bundle.exists() and not (files / "share").exists()
    assert conf.read_bytes() == b"[global]\n" and os.stat(conf).st_ino == inode  # untouched
    assert journal(state) == []


def test_blocked_record_refuses_and_says_how_to_go_on(state: Path, files: Path) -> None:
    a, b, c = files / "a.conf", files / "b.conf", files / "c.conf"
    a.write_bytes(b"a0")
    c.write_bytes(b"c0")
    with Transaction(state, label="below") as tx:
        tx.write(b, b"b1")
    with Transaction(state, label="middle") as tx:
        tx.write(c, b"c1")
    with Transaction(state, label="top") as tx:
        tx.write(a, b"a1")
    a.write_bytes(b"a1 and the user's edit")
    entries = journal(state)
    with pytest.raises(PipsslError) as info:
        undo_next(state)
    assert info.value.reference == "changed-since"
    assert f"{a.resolve()} (its content changed) is not as pipssl left it" in str(info.value)
    assert "'top'" in str(info.value) and "nothing was restored" in str(info.value)
    assert "pipssl undo --forget 1" in (info.value.hint or "")
    assert "pipssl undo --list" in (info.value.hint or "")
    assert journal(state) == entries  # refused: nothing restored, nothing dropped
    a.write_bytes(b"a0")  # the top one put back by hand, the middle one edited
    c.unlink()
    assert [s for s, _ in statuses(state)] == ["put-back", "blocked", "undoable"]
    with pytest.raises(PipsslError) as info:
        undo_next(state)
    assert f"{c.resolve()} (it was removed)" in str(info.value)
    assert "--forget 2" in (info.value.hint or "") and "put back by hand" in str(info.value)
    assert journal(state) == entries
    assert not c.exists() and b.read_bytes() == b"b1"


def test_forget_drops_one_record_and_leaves_its_files(state: Path, files: Path) -> None:
    a, b = files / "a.conf", files / "b.conf"
    a.write_bytes(b"a0")
    with Transaction(state, label="first") as tx:
        tx.write(a, b"a1")
    with Transaction(state, label="second") as tx:
        tx.write(b, b"b1")
    a.write_bytes(b"the user's a")  # blocks the first
    first, second = journal(state)
    for bad in (0, -1, 3):
        with pytest.raises(PipsslError) as info:
            drop(state, bad)
        assert info.value.reference == "usage-error"
        assert f"no record {bad}" in str(info.value) and "2 records" in str(info.value)
    assert journal(state) == [first, second]
    dropped = drop(state, 2)
    assert dropped.label == "first"
    assert journal(state) == [second]
    assert list((state / "backups").iterdir()) == []  # the first's backup of a went
    assert a.read_bytes() == b"the user's a" and b.read_bytes() == b"b1"
    assert undo_next(state).record.label == "second" and not b.exists()
    with pytest.raises(PipsslError) as info:
        drop(state, 1)
    assert info.value.reference == "usage-error" and "holds no record" in str(info.value)


def test_forget_with_no_state_dir_creates_nothing(state: Path) -> None:
    with pytest.raises(PipsslError) as info:
        drop(state, 1)
    assert info.value.reference == "usage-error"
    assert not state.exists()


# -- the directories a repair created --------------------------------------------------------


def test_undo_removes_the_directories_it_created(state: Path, files: Path) -> None:
    deep = files / "a" / "b" / "c.pem"
    with Transaction(state, label="repair") as tx:
        change = tx.write(deep, b"PEM")
        tx.write(files / "top.pem", b"top")
    assert change.created_dirs == (str(files / "a"), str(files / "a" / "b"))
    (entry,) = journal(state)
    assert entry["changes"][0]["created_dirs"] == list(change.created_dirs)
    assert "created_dirs" not in entry["changes"][1]  # files/ was there: nothing created
    undo_next(state)
    assert not (files / "a").exists() and files.is_dir()


def test_a_created_directory_that_got_another_file_stays(state: Path, files: Path) -> None:
    with Transaction(state, label="repair") as tx:
        tx.write(files / "a" / "b" / "c.pem", b"PEM")
    (files / "a" / "mine").write_bytes(b"the user's")
    undo_next(state)
    assert not (files / "a" / "b").exists()  # empty once c.pem went: removed
    assert (files / "a" / "mine").read_bytes() == b"the user's"


def test_rollback_and_recovery_remove_created_directories(state: Path, files: Path) -> None:
    with pytest.raises(RuntimeError):
        with Transaction(state, label="repair") as tx:
            tx.write(files / "x" / "y.pem", b"PEM")
            raise RuntimeError("verification failed")
    assert not (files / "x").exists()
    tx = Transaction(state, label="killed")
    tx.__enter__()
    tx.write(files / "k" / "l" / "m.pem", b"PEM")
    tx._lock.release()  # killed before committing
    assert journal(state)[0]["changes"][0]["created_dirs"] == [
        str(files / "k"),
        str(files / "k" / "l"),
    ]
    assert undo_next(state).record.pending
    assert not (files / "k").exists() and journal(state) == []


def test_an_old_journal_without_created_dirs_still_reads(state: Path, files: Path) -> None:
    target = files / "new" / "pip.conf"
    with Transaction(state, label="old pipssl") as tx:
        tx.write(target, b"[global]\n")
    entries = journal(state)
    del entries[0]["changes"][0]["created_dirs"]  # as pipssl wrote it before the field
    (state / "journal.json").write_text(json.dumps(entries), "utf-8")
    (record,) = undo_stack(state)
    assert record.status == "undoable" and record.record.changes[0].created_dirs == ()
    assert undo_next(state).restored == (str(target.resolve()),)
    assert not target.exists() and (files / "new").is_dir()  # not known to be pipssl's


def test_an_interrupted_record_edited_since_can_be_forgotten(state: Path, files: Path) -> None:
    a, b = _interrupted(state, files)
    a.write_bytes(b"the user's edit after the crash")
    ((status, got),) = statuses(state)
    assert status == "pending" and got[0] == ("a.conf", "changed", "its content changed")
    with pytest.raises(PipsslError) as info:
        undo_next(state)
    assert info.value.reference == "changed-since"
    assert "pipssl undo --forget 1" in (info.value.hint or "")
    assert drop(state, 1).pending
    assert journal(state) == [] and list((state / "backups").iterdir()) == []
    assert a.read_bytes() == b"the user's edit after the crash" and b.read_bytes() == b"b1"
    with Transaction(state, label="next") as tx:  # no longer stuck
        tx.write(a, b"a2")


@pytest.mark.parametrize("dirs", [["/"], ["{files}"], ["{files}/new", "{files}"]])
def test_created_dirs_must_be_the_files_own_parents(
    state: Path, files: Path, dirs: List[str]
) -> None:
    with Transaction(state, label="repair") as tx:
        tx.write(files / "new" / "pip.conf", b"[global]\n")
    entries = journal(state)
    entries[0]["changes"][0]["created_dirs"] = [d.format(files=files) for d in dirs]
    (state / "journal.json").write_text(json.dumps(entries), "utf-8")
    check_corrupt(state)
    assert (files / "new" / "pip.conf").exists()
