"""undo's stack against real pips, through the command line: a repair blocked by a hand
edit never sticks (``undo --list``, ``undo --forget N``), repairs put back by hand are
skipped, a mixed record restores only what pipssl wrote, and the directories a repair
created go with its files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest
from bed.world import World
from targets import repair_args, run_pipssl
from test_repair import pip_works, world

__all__ = ["world"]  # the fixture, re-used from test_repair

# Journeys through the CLI against fixed venvs: the Python running pytest does not matter.
pytestmark = pytest.mark.once


def repair(python: Path, url: str, *extra: str) -> Dict[str, Any]:
    proc = run_pipssl(*repair_args(python, url, *extra))
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    assert data["changed"], data
    return data


def listing() -> Dict[str, Any]:
    proc = run_pipssl("undo", "--list", "--json")
    assert proc.returncode == 0, proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    assert data["schema"] == 1 and data["ok"] is True
    return data


def refused(*args: str) -> str:
    """Run pipssl; it must refuse with one ``pipssl: error:`` line (and a hint)."""
    proc = run_pipssl(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    # --json: the error object on stdout; else nothing there
    if "--json" in args:
        assert json.loads(proc.stdout)["ok"] is False, proc.stdout
    else:
        assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("pipssl: error: ") and len(lines) <= 2, proc.stderr
    return proc.stderr


@pytest.mark.slow
def test_a_repair_blocked_by_a_hand_edit_never_sticks(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = world.index("intercepted", python)
    ca = str(world.certs.path("intercept.pem"))
    first = repair(python, index.url, "--ca", ca)
    bundle, config, consent = (Path(a["path"]) for a in first["actions"])
    config.write_text(config.read_text() + "timeout = 9\n")  # a hand edit
    error = refused("undo")
    assert str(config) in error and "its content changed" in error
    assert "pipssl undo --forget 1" in error and "pipssl undo --list" in error
    assert "timeout = 9" in config.read_text()
    # The user "fixes" it some other way than putting pipssl's bytes back ...
    config.write_text("[global]\ncert = /gone/corp.pem\ntimeout = 9\n")
    theirs = config.read_text()
    assert not pip_works(python, index.url, tmp_path / "dl")
    # ... and repairs again: a new record, on top of the blocked one
    second = repair(python, index.url, "--ca", ca)
    assert str(config) in [a["path"] for a in second["actions"]]
    assert pip_works(python, index.url, tmp_path / "dl")
    undone = run_pipssl("undo", "--json")
    assert undone.returncode == 0, undone.stderr
    assert json.loads(undone.stdout)["record"] == second["record"]
    assert config.read_text() == theirs
    assert not pip_works(python, index.url, tmp_path / "dl")
    # the first repair is next: blocked by the user's version, named, never overwritten
    error = refused("undo")
    assert str(config) in error and "pipssl undo --forget 1" in error
    (record,) = listing()["records"]
    assert (record["number"], record["id"], record["status"]) == (1, first["record"], "blocked")
    assert "repair --yes --json" in record["label"] and record["created"].endswith("Z")
    assert record["files"] == [
        {"path": str(bundle), "status": "as-written", "detail": None, "held_by": None},
        {
            "path": str(config),
            "status": "changed",
            "detail": "its content changed",
            "held_by": None,
        },
        {"path": str(consent), "status": "as-written", "detail": None, "held_by": None},
    ]
    text = run_pipssl("undo", "--list")
    assert text.returncode == 0 and text.stderr == "", text.stderr
    assert " 1  blocked" in text.stdout and "pipssl undo --forget 1" in text.stdout
    assert "not allowed" in refused("undo", "--list", "--forget", "1")
    for bad in ("0", "2"):
        assert f"no record {bad} to forget" in refused("undo", "--forget", bad)
    forgot = run_pipssl("undo", "--forget", "1", "--json")
    assert forgot.returncode == 0, forgot.stderr
    data = json.loads(forgot.stdout)
    assert (data["schema"], data["ok"], data["forgotten"]) == (1, True, first["record"])
    assert data["left_as_they_are"] == [str(bundle), str(config), str(consent)]
    assert config.read_text() == theirs and bundle.is_file()  # nothing restored
    error = refused("undo", "--json")
    assert "nothing to undo" in error
    assert listing()["records"] == []
    empty = run_pipssl("undo", "--list")
    assert empty.returncode == 0 and "nothing to undo" in empty.stdout


@pytest.mark.slow
def test_undo_skips_repairs_put_back_by_hand(venvs: Dict[str, Path], world: World) -> None:
    python = venvs["legacy"]
    index = world.index("intercepted", python)
    ca = str(world.certs.path("intercept.pem"))
    original = "[global]\ntrusted-host = 127.0.0.1\n    mirror.invalid\n"
    config = world.isolated.write_pip_conf(original, where="user")
    first = repair(python, index.url, "--ca", ca)  # trusted-host is still there
    bundle, consent = (Path(a["path"]) for a in first["actions"] if a["path"] != str(config))
    repaired = config.read_text()
    second = repair(python, index.url, "--ca", ca, "--remove-trusted-host")
    assert "trusted-host" not in config.read_text()
    config.write_text(repaired)  # the user puts the second repair back by hand
    assert [r["status"] for r in listing()["records"]] == ["put-back", "undoable"]
    undone = run_pipssl("undo", "--json")
    assert undone.returncode == 0, undone.stderr
    data = json.loads(undone.stdout)
    assert data["record"] == first["record"]
    assert [r["id"] for r in data["put_back"]] == [second["record"]]
    assert sorted(data["restored"]) == sorted([str(bundle), str(config), str(consent)])
    assert config.read_text() == original and not bundle.exists()
    assert listing()["records"] == []
    # a lone repair put back by hand: nothing is left to undo, and it is dropped
    repair(python, index.url, "--ca", ca)
    config.write_text(original)
    bundle.unlink()
    consent.unlink()  # the consent pipssl recorded, too
    error = refused("undo")
    assert "nothing left to undo" in error and "put back by hand" in error
    assert listing()["records"] == []
    assert "nothing to undo" in refused("undo")
    assert config.read_text() == original


@pytest.mark.slow
def test_undo_restores_only_what_pipssl_wrote_and_removes_its_directories(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = world.index("intercepted", python)
    ca = str(world.certs.path("intercept.pem"))
    config = world.isolated.pip_conf_path("user")
    bundle_dir = Path(os.environ["XDG_DATA_HOME"]) / "pipssl"
    assert not config.parent.exists() and not bundle_dir.exists()
    # the directories a repair created go with its files
    repair(python, index.url, "--ca", ca)
    assert config.is_file() and bundle_dir.is_dir()
    assert run_pipssl("undo").returncode == 0
    assert not config.parent.exists() and not bundle_dir.exists()
    assert config.parent.parent.is_dir() and bundle_dir.parent.is_dir()  # not pipssl's
    # ... unless one got another file meanwhile
    repair(python, index.url, "--ca", ca)
    (bundle_dir / "notes.txt").write_text("mine")
    assert run_pipssl("undo").returncode == 0
    assert not config.parent.exists()
    assert [p.name for p in bundle_dir.iterdir()] == ["notes.txt"]
    assert not pip_works(python, index.url, tmp_path / "dl")
    # a mixed record: pip.conf put back by hand, the bundle as written
    original = "[global]\ntimeout = 30\n"
    world.isolated.write_pip_conf(original, where="user")
    done = repair(python, index.url, "--ca", ca)
    bundle, consent = (Path(done["actions"][i]["path"]) for i in (0, 2))
    assert pip_works(python, index.url, tmp_path / "dl")
    config.write_text(original)
    inode = config.stat().st_ino
    statuses = [f["status"] for f in listing()["records"][0]["files"]]
    assert statuses == ["as-written", "as-before", "as-written"]
    undone = run_pipssl("undo", "--json")
    assert undone.returncode == 0, undone.stderr
    data = json.loads(undone.stdout)
    restored = [str(bundle), str(consent)]
    assert (data["restored"], data["already_before"]) == (restored, [str(config)])
    assert not bundle.exists() and (bundle_dir / "notes.txt").is_file()
    assert config.read_text() == original and config.stat().st_ino == inode  # left alone
    assert not pip_works(python, index.url, tmp_path / "dl")
    assert listing()["records"] == []


@pytest.mark.slow
def test_a_repair_under_a_later_repair_is_held_not_blocked(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    intercepted = world.index("intercepted", python)
    good = world.index("good", python)
    first = repair(python, intercepted.url, "--ca", str(world.certs.path("intercept.pem")))
    second = repair(python, good.url, "--ca", str(world.certs.path("root.pem")))
    newer, older = listing()["records"]
    assert (newer["id"], newer["status"]) == (second["record"], "undoable")
    assert (older["id"], older["status"]) == (first["record"], "held")
    rewritten = {a["path"] for a in second["actions"]}
    for f in older["files"]:
        held = f["path"] in rewritten
        assert (f["status"], f["held_by"]) == (("changed", 1) if held else ("as-written", None))
    text = run_pipssl("undo", "--list")
    said = text.stdout + text.stderr
    assert text.returncode == 0 and " 2  held" in said
    assert "written since by repair 1: undo that first" in said
    assert "your edit" not in said and "--forget" not in said
    assert "one stack for every Python" in said
    # undo takes the later one, then the one it held
    for record in (second, first):
        undone = run_pipssl("undo", "--json")
        assert undone.returncode == 0, undone.stderr
        assert json.loads(undone.stdout)["record"] == record["record"]
    assert listing()["records"] == []
