"""A hostile file cannot make pipssl write where it must not.

pipssl's journal names the files a repair wrote and where their backups are; ``undo``
(and the recovery after a kill) writes them back.  A journal someone edited or planted
must not make it overwrite another file, copy a file from outside pipssl's backups into
a config file, or follow a link to a secret: each is refused, naming the path, and
nothing is written.  A pip.conf that is a link to another user's file keeps that user as
its owner, and its mode.  A run killed between its journal write and the removal of the
backups leaves nothing the next run does not clean.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import pytest
from bed.isolation import IsolatedEnv
from targets import run_pipssl

from pipssl import _files
from pipssl.errors import PipsslError
from pipssl.journal.fileops import Guard
from pipssl.journal.state import state_dir
from pipssl.journal.transaction import Transaction
from pipssl.repairing.places import places_for

pytestmark = pytest.mark.once

POSIX = os.name == "posix"
BEFORE = b"[global]\ntimeout = 30\n"
AFTER = b"[global]\ntimeout = 30\ncert = /somewhere/ca-bundle.pem\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def guard() -> Guard:
    return places_for(dict(os.environ)).refusal


def repaired(isolated_env: IsolatedEnv) -> Path:
    """The user's pip.conf as a repair leaves it, through the journal (one record)."""
    conf = isolated_env.pip_conf_path("user")
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_bytes(BEFORE)
    with Transaction(state(), label="pipssl repair", guard=guard()) as tx:
        tx.write(conf, AFTER)
    assert conf.read_bytes() == AFTER
    return conf


def state() -> Path:
    return state_dir(os.environ)


def edit_journal(**change: Any) -> Dict[str, Any]:
    """Rewrite the one change of the journal's newest record; returns that record."""
    path = state() / "journal.json"
    records: List[Dict[str, Any]] = json.loads(path.read_text())
    records[-1]["changes"][0].update(change)
    path.write_text(json.dumps(records))
    return records[-1]


def refused(*args: str) -> str:
    """pipssl refuses with exit 2, one error line naming ``foreign-path``."""
    proc = run_pipssl(*args, "--json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["reference"] == "foreign-path", error
    return str(error["message"])


def test_places_name_every_file_a_repair_writes_and_nothing_else(
    isolated_env: IsolatedEnv, tmp_path: Path
) -> None:
    env = dict(os.environ)
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    places = places_for(env)
    allowed = [
        isolated_env.pip_conf_path("user"),
        isolated_env.pip_conf_path("user-legacy"),
        isolated_env.pip_conf_path("global"),
        isolated_env.pip_conf_path("env"),
        Path("/etc/pip.conf"),
        Path(env["XDG_DATA_HOME"]) / "pipssl" / "ca-bundle.pem",
        Path("/etc/pipssl/ca-bundle.pem"),
        state() / "consent.json",
        venv / "pip.conf",
        venv / "share" / "pipssl" / "ca-bundle.pem",
        Path(env["XDG_CONFIG_HOME"]) / "pypoetry" / "config.toml",
        Path(env["HOME"]) / ".condarc",
    ]
    for path in allowed:
        assert places.refusal(str(path)) is None, path
    plain = tmp_path / "plain"
    plain.mkdir()
    for path in [
        Path(env["HOME"]) / ".bashrc",
        Path("/etc/passwd"),
        plain / "pip.conf",  # a pip.conf, but not in a Python prefix
        plain / "share" / "pipssl" / "ca-bundle.pem",
        state() / "journal.json",
        venv / "bin" / "activate",
    ]:
        assert places.refusal(str(path)) is not None, path


def test_untouched_journal_is_undone(isolated_env: IsolatedEnv) -> None:
    """The twin of the refusals below: the same record, not edited, is undone."""
    conf = repaired(isolated_env)
    proc = run_pipssl("undo", "--json")
    assert proc.returncode == 0, proc.stderr
    assert conf.read_bytes() == BEFORE


@pytest.mark.parametrize("where", ["home", "etc"])
def test_journal_naming_another_file_is_refused(
    isolated_env: IsolatedEnv, tmp_path: Path, where: str
) -> None:
    conf = repaired(isolated_env)
    if where == "home":
        victim = Path(os.environ["HOME"]) / ".bashrc"
        victim.write_bytes(AFTER)  # what the journal says pipssl wrote there
        edit_journal(path=str(victim))
    else:
        victim = Path(f"/etc/pipssl-test-{os.getpid()}-{tmp_path.name}")
        assert not victim.exists()
        # "pipssl removed it": undo would create it from the backup
        edit_journal(path=str(victim), after_sha256=None)
    try:
        message = refused("undo")
    finally:
        created = where == "etc" and victim.exists()
        if created:  # the refusal failed: leave /etc as it was all the same
            victim.unlink()
    assert str(victim) in message
    assert not created
    if where == "home":
        assert victim.read_bytes() == AFTER
    assert conf.read_bytes() == AFTER
    # The way out: forget drops the record and touches no file.
    proc = run_pipssl("undo", "--forget", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    assert not (state() / "journal.json").exists()


def test_pending_record_naming_another_file_is_refused_by_recovery(
    isolated_env: IsolatedEnv,
) -> None:
    """A planted *pending* record: the recovery that every repair and undo runs first
    refuses it too."""
    repaired(isolated_env)
    victim = Path(os.environ["HOME"]) / ".profile"
    victim.write_bytes(AFTER)
    path = state() / "journal.json"
    records = json.loads(path.read_text())
    records[-1]["pending"] = True
    records[-1]["changes"][0]["path"] = str(victim)
    path.write_text(json.dumps(records))
    assert str(victim) in refused("undo")
    with pytest.raises(PipsslError) as caught:
        with Transaction(state(), label="pipssl repair", guard=guard()):
            pass
    assert caught.value.reference == "foreign-path"
    assert victim.read_bytes() == AFTER


def test_repair_never_writes_another_file(isolated_env: IsolatedEnv) -> None:
    victim = Path(os.environ["HOME"]) / ".bashrc"
    victim.write_bytes(BEFORE)
    with pytest.raises(PipsslError) as caught:
        with Transaction(state(), label="pipssl repair", guard=guard()) as tx:
            tx.write(victim, AFTER)
    assert caught.value.reference == "foreign-path" and str(victim) in str(caught.value)
    assert victim.read_bytes() == BEFORE


def test_backup_outside_the_backups_directory_is_refused(
    isolated_env: IsolatedEnv, tmp_path: Path
) -> None:
    conf = repaired(isolated_env)
    secret = tmp_path / "secret"
    secret.write_bytes(b"token = s3cr3t\n")
    secret.chmod(0o600)
    edit_journal(backup=str(secret), before_sha256=sha(secret.read_bytes()))
    message = refused("undo")
    assert str(secret) in message and "backups directory" in message
    assert conf.read_bytes() == AFTER


def test_backup_that_is_a_link_to_a_secret_is_refused(
    isolated_env: IsolatedEnv, tmp_path: Path
) -> None:
    conf = repaired(isolated_env)
    secret = tmp_path / "secret"
    secret.write_bytes(b"token = s3cr3t\n")
    record = edit_journal(before_sha256=sha(secret.read_bytes()))
    backup = Path(record["changes"][0]["backup"])
    backup.unlink()
    backup.symlink_to(secret)
    message = refused("undo")
    assert str(backup) in message and "symbolic link" in message
    assert conf.read_bytes() == AFTER


@pytest.mark.skipif(not POSIX or os.geteuid() != 0, reason="giving files away takes root")
def test_linked_pip_conf_keeps_its_owner_and_mode(
    isolated_env: IsolatedEnv, tmp_path: Path
) -> None:
    """root repairs (and undoes) a pip.conf that links to another user's file: the file
    is written where the link points, and stays that user's, with its mode."""
    real = tmp_path / "dotfiles" / "pip.conf"
    real.parent.mkdir()
    real.write_bytes(BEFORE)
    os.chown(real, 12345, 12346)
    real.chmod(0o640)
    conf = isolated_env.pip_conf_path("user")
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.symlink_to(real)
    with Transaction(state(), label="pipssl repair", guard=guard()) as tx:
        tx.write(conf, AFTER)

    def owned() -> None:
        assert conf.is_symlink() and os.readlink(conf) == str(real)
        info = real.stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (12345, 12346, 0o640)

    assert real.read_bytes() == AFTER
    owned()
    proc = run_pipssl("undo", "--json")
    assert proc.returncode == 0, proc.stderr
    assert real.read_bytes() == BEFORE
    owned()


KILL_POINT = "journal: record dropped, its backups not yet"


def test_undo_killed_before_removing_backups_leaves_no_orphan(isolated_env: IsolatedEnv) -> None:
    backups = state() / "backups"
    for n in range(1, 20):
        shutil.rmtree(state(), ignore_errors=True)
        conf = repaired(isolated_env)
        assert len(list(backups.iterdir())) == 1
        proc = run_pipssl("undo", env={**os.environ, "PIPSSL_TEST_KILL_AT": str(n)})
        assert proc.returncode == -9, proc.stderr
        if proc.stderr.strip().endswith(KILL_POINT):
            break
    else:
        raise AssertionError(f"undo never reached {KILL_POINT!r}")
    assert conf.read_bytes() == BEFORE  # the undo itself was done ...
    assert not (state() / "journal.json").exists()
    assert len(list(backups.iterdir())) == 1  # ... but its backups were left
    proc = run_pipssl("undo", "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"]["reference"] == (
        "nothing-to-undo"
    )
    assert list(backups.iterdir()) == []
    assert conf.read_bytes() == BEFORE


@pytest.mark.skipif(not POSIX or os.geteuid() != 0, reason="another user takes root to make")
def test_a_user_never_takes_over_another_users_file() -> None:
    """A user who may write the directory, but cannot give a file away, is refused
    rather than replacing another user's pip.conf with a file of their own."""
    shared = Path(tempfile.mkdtemp(prefix="pipssl-shared-"))  # a path uid 12345 can reach
    try:
        shared.chmod(0o777)
        theirs = shared / "pip.conf"
        theirs.write_bytes(BEFORE)
        os.chown(theirs, 12346, 12346)
        theirs.chmod(0o644)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: uid 12345, then the write
            answer = b"written"
            try:
                os.setgroups([])
                os.setgid(12345)
                os.setuid(12345)
                _files.write_atomic(theirs, AFTER)
            except PipsslError as exc:
                answer = f"{exc.reference}: {exc}".encode()
            except BaseException as exc:  # anything else is the test's failure
                answer = repr(exc).encode()
            finally:
                os.write(write, answer)
                os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        with os.fdopen(read, "rb") as pipe:
            answer = pipe.read().decode()
        assert answer.startswith("write-failed: will not replace"), answer
        assert "uid 12346" in answer
        assert theirs.read_bytes() == BEFORE and theirs.stat().st_uid == 12346
        assert [p.name for p in shared.iterdir()] == ["pip.conf"]  # no temporary file left
    finally:
        shutil.rmtree(shared)
