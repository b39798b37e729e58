"""repair, run and undo against real pips: broken before, working after, broken again after
undo; and the twins that must stay broken whatever pipssl is told."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from bed.isolation import IsolatedEnv
from bed.pip import pip_download
from bed.world import World
from targets import pipssl_path, repair_args, run_pipssl

import pipssl
from pipssl import commands
from pipssl.journal.recover import last_record
from pipssl.journal.state import state_dir

FLAVOURS = ["legacy", "truststore"]


def pip_works(python: Path, url: str, tmp: Path) -> bool:
    done = pip_download(python, url, dict(os.environ), tmp / f"dl{len(list(tmp.iterdir()))}")
    return done.returncode == 0


def tree_hash(*roots: Path) -> Dict[str, str]:
    out = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def pip_conf_texts(isolated_env: IsolatedEnv, *extra: Path) -> str:
    paths = [isolated_env.pip_conf_path(w) for w in ("env", "user", "user-legacy", "global")]
    return "".join(p.read_text() for p in [*paths, *extra] if p.is_file())


@pytest.fixture
def world(user_world: World, tmp_path: Path) -> World:
    """The user-scope world (``user_world``) and a directory for pip's downloads."""
    (tmp_path / "dl").mkdir()
    return user_world


@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_unknown_intercepting_ca_given_with_ca(
    flavour: str, venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs[flavour]
    index = world.index("intercepted", python)
    dl = tmp_path / "dl"
    assert not pip_works(python, index.url, dl)
    proc = run_pipssl(
        *repair_args(python, index.url, "--ca", str(world.certs.path("intercept.pem")))
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] and data["changed"]
    kinds = [a["kind"] for a in data["actions"]]
    assert kinds == ["write-bundle", "set-cert", "record-consent"]
    bundle = Path(data["actions"][0]["path"])
    assert oct(bundle.stat().st_mode & 0o777) == "0o644"
    assert re.search(r"# source: consented [0-9-]{10}, named by the user: ", bundle.read_text())
    assert pip_works(python, index.url, dl)
    assert "trusted-host" not in pip_conf_texts(world.isolated)
    # a second repair changes nothing
    again = json.loads(
        run_pipssl(
            *repair_args(python, index.url, "--ca", str(world.certs.path("intercept.pem")))
        ).stdout
    )
    assert again["changed"] is False and again["actions"] == [] and again["ok"]
    undone = run_pipssl("undo", "--json")
    assert undone.returncode == 0, undone.stderr
    assert not pip_works(python, index.url, dl)
    assert not bundle.exists()


def test_os_store_ca_reaches_a_legacy_pip(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    world.os_store("intercept.pem")
    index = world.index("intercepted", python)
    dl = tmp_path / "dl"
    assert not pip_works(python, index.url, dl)
    proc = run_pipssl(*repair_args(python, index.url))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert pip_works(python, index.url, dl)
    assert run_pipssl("undo").returncode == 0
    assert not pip_works(python, index.url, dl)


@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_accept_ca_by_the_fingerprint_doctor_showed(
    flavour: str, venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs[flavour]
    index = world.index("intercepted", python)
    doctor = json.loads(
        run_pipssl("doctor", "--json", "--python", str(python), "--index-url", index.url).stdout
    )
    (found,) = [f for f in doctor["findings"] if f["code"] == "untrusted-issuer-unknown"]
    sha = re.search(r"sha256: ([0-9A-F:]{95})", found["detail"]).group(1)  # type: ignore[union-attr]
    # for the pip diagnosed: it names that python and the index
    target = f"repair --python {python} --index-url {index.url} --accept-ca {sha}"
    assert target in found["fix"], found["fix"]
    # without a fingerprint, nothing is trusted on first use
    proc = run_pipssl(*repair_args(python, index.url))
    assert proc.returncode == 1 and json.loads(proc.stdout)["changed"] is False
    assert not pip_works(python, index.url, tmp_path / "dl")
    proc = run_pipssl(*repair_args(python, index.url, "--accept-ca", sha.replace(":", "").lower()))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert pip_works(python, index.url, tmp_path / "dl")
    assert run_pipssl("undo").returncode == 0
    assert not pip_works(python, index.url, tmp_path / "dl")


@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_stale_cert_in_user_config(
    flavour: str, venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs[flavour]
    # the index's root is in the OS store; only the stale cert breaks pip
    world.os_store("root.pem")
    index = world.index("good", python)
    user = world.isolated.write_pip_conf(
        "# my settings\n[global]\ntimeout = 30\ncert = /gone/corp.pem\n\n"
        "[install]\nno-compile = yes\n",
        where="user",
    )
    before = user.read_text()
    assert not pip_works(python, index.url, tmp_path / "dl")
    proc = run_pipssl(*repair_args(python, index.url))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = user.read_text()
    bundle = json.loads(proc.stdout)["actions"][0]["path"]
    assert after == before.replace("/gone/corp.pem", bundle)  # one value changed, all else kept
    assert pip_works(python, index.url, tmp_path / "dl")
    assert run_pipssl("undo").returncode == 0
    assert user.read_text() == before
    assert not pip_works(python, index.url, tmp_path / "dl")


@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_run_repairs_a_pip_cert_to_a_missing_file_and_retries(
    flavour: str, venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs[flavour]
    world.os_store("root.pem")
    index = world.index("good", python)
    os.environ["PIP_CERT"] = str(tmp_path / "missing.pem")
    dest = tmp_path / "dl" / "run"
    pip = [
        "pip",
        "download",
        "--no-deps",
        "--no-cache-dir",
        "--retries",
        "0",
        "-d",
        str(dest),
        "--index-url",
        index.url,
        "pipssl_probe_pkg",
    ]
    # non-interactive without --yes: shows the plan, changes nothing, pip's failure stands
    proc = run_pipssl("run", "--scope", "user", "--python", str(python), "--", *pip)
    assert proc.returncode != 0 and "--yes" in proc.stderr
    assert last_record(state_dir(os.environ)) is None
    proc = run_pipssl("run", "--yes", "--scope", "user", "--python", str(python), "--", *pip)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "unset PIP_CERT" in proc.stderr and "retrying once without PIP_CERT" in proc.stderr
    assert list(dest.glob("pipssl_probe_pkg-*.whl"))
    # the parent's PIP_CERT still breaks a plain pip: that is what the message says to fix
    assert not pip_works(python, index.url, tmp_path / "dl")
    del os.environ["PIP_CERT"]
    assert pip_works(python, index.url, tmp_path / "dl")
    assert run_pipssl("undo").returncode == 0


def test_healthy_world_is_a_no_op(venvs: Dict[str, Path], world: World, tmp_path: Path) -> None:
    python = venvs["legacy"]
    world.isolated.write_pip_conf(f"[global]\ncert = {world.certs.path('root.pem')}\n", "user")
    index = world.index("good", python)
    before = tree_hash(world.isolated.root)
    proc = run_pipssl(*repair_args(python, index.url))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["actions"] == [] and data["changed"] is False and data["ok"]
    assert tree_hash(world.isolated.root) == before
    assert run_pipssl("undo").returncode == 2  # nothing to undo


def test_dry_run_changes_nothing(venvs: Dict[str, Path], world: World) -> None:
    python = venvs["legacy"]
    index = world.index("intercepted", python)
    before = tree_hash(world.isolated.root)
    proc = run_pipssl(
        "repair",
        "--dry-run",
        "--json",
        "--scope",
        "user",
        "--python",
        str(python),
        "--index-url",
        index.url,
        "--ca",
        str(world.certs.path("intercept.pem")),
    )
    data = json.loads(proc.stdout)
    assert [a["kind"] for a in data["actions"]] == ["write-bundle", "set-cert", "record-consent"]
    assert all(a["after"] for a in data["actions"])
    assert tree_hash(world.isolated.root) == before
    # without --yes and without a terminal: the plan, the command to run, no change
    proc = run_pipssl(
        "repair",
        "--scope",
        "user",
        "--python",
        str(python),
        "--index-url",
        index.url,
        "--ca",
        str(world.certs.path("intercept.pem")),
    )
    # as it was run: `python -m pipssl`, by the interpreter's path when PATH has another
    again = commands.module_of(sys.executable, os.environ["PATH"]).line(["repair", "--yes"])
    assert proc.returncode == 1 and f"To apply: {again} --scope user" in proc.stdout
    assert tree_hash(world.isolated.root) == before


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["expired", "wrong-host", "self-signed"])
def test_bad_servers_stay_bad_whatever_pipssl_is_told(
    kind: str, venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    world.os_store("root.pem")
    index = world.index(kind, python)
    for extra in ([], ["--ca", str(world.certs.path("intercept.pem"))]):
        proc = run_pipssl(*repair_args(python, index.url, *extra))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        data = json.loads(proc.stdout)
        assert not data["ok"] and data["changed"] is False
        assert not pip_works(python, index.url, tmp_path / "dl")
        assert "trusted-host" not in pip_conf_texts(world.isolated)
    if kind == "self-signed":
        proc = run_pipssl(
            *repair_args(python, index.url, "--ca", str(world.certs.path("self-signed.leaf.pem")))
        )
        assert proc.returncode == 2 and "not a CA" in proc.stderr
        assert not pip_works(python, index.url, tmp_path / "dl")


def test_failed_verification_is_rolled_back(venvs: Dict[str, Path], world: World) -> None:
    python = venvs["legacy"]
    index = world.index("wrong-host", python)
    before = tree_hash(world.isolated.root)
    result = pipssl.repair(
        ca_files=[str(world.certs.path("root.pem"))],
        scope="user",
        python=str(python),
        index_urls=[index.url],
        timeout=5,
    )
    assert result.rolled_back and not result.ok and not result.changed
    assert "hostname-mismatch" in [f.code for f in result.findings]
    # the status line says what happened: changed, then put back (not "would change")
    args = repair_args(python, index.url, "--ca", str(world.certs.path("root.pem")))
    text = run_pipssl(*[a for a in args if a != "--json"])
    assert "pipssl changed, then put back" in text.stdout and "would change" not in text.stdout
    after = {
        k: v
        for k, v in tree_hash(world.isolated.root).items()
        if "/pipssl/" not in k or k.endswith(".pem")
    }
    assert after == before


def test_private_key_and_non_ca_are_refused(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = world.index("intercepted", python)
    with_key = tmp_path / "ca-and-key.pem"
    key = world.certs.path("intercepted.key.pem").read_text()
    with_key.write_text(world.certs.path("intercept.pem").read_text() + key)
    before = tree_hash(world.isolated.root)
    proc = run_pipssl(*repair_args(python, index.url, "--ca", str(with_key)))
    assert proc.returncode == 2 and "private key" in proc.stderr.lower()
    secret = key.splitlines()[1]
    assert secret not in proc.stdout + proc.stderr
    proc = run_pipssl(
        *repair_args(python, index.url, "--ca", str(world.certs.path("good.leaf.pem")))
    )
    assert proc.returncode == 2 and "not a CA" in proc.stderr
    assert tree_hash(world.isolated.root) == before
    bundle_dir = world.isolated.home / ".local" / "share" / "pipssl"
    assert not bundle_dir.exists()


def test_trusted_host_removed_only_with_consent_and_once_verified(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = world.index("intercepted", python)
    user = world.isolated.write_pip_conf(
        "[global]\ntrusted-host = 127.0.0.1\n    mirror.invalid\n", where="user"
    )
    ca = str(world.certs.path("intercept.pem"))
    proc = run_pipssl(*repair_args(python, index.url, "--ca", ca))
    assert proc.returncode == 1  # repaired, but trusted-host is still there
    assert "insecure-trusted-host" in proc.stdout and "trusted-host" in user.read_text()
    proc = run_pipssl(*repair_args(python, index.url, "--ca", ca, "--remove-trusted-host"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "trusted-host" not in user.read_text()
    assert pip_works(python, index.url, tmp_path / "dl")  # verified, not trusted blindly
    assert run_pipssl("undo").returncode == 0
    assert "mirror.invalid" in user.read_text()


@pytest.mark.slow
def test_scope_auto_in_a_venv_writes_the_site_config(world: World, tmp_path: Path) -> None:
    from targets import LEGACY_BASE, base_python, make_venv

    python = make_venv(base_python(LEGACY_BASE), tmp_path / "venv")
    index = world.index("intercepted", python)
    proc = run_pipssl(
        "repair",
        "--yes",
        "--json",
        "--python",
        str(python),
        "--index-url",
        index.url,
        "--ca",
        str(world.certs.path("intercept.pem")),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    site = tmp_path / "venv" / "pip.conf"
    assert [a["path"] for a in data["actions"]][1] == str(site)
    assert data["actions"][0]["path"].startswith(str(tmp_path / "venv"))
    assert pip_works(python, index.url, tmp_path / "dl")
    assert run_pipssl("undo").returncode == 0
    assert not site.exists()


def test_undo_refuses_when_a_file_changed_since(venvs: Dict[str, Path], world: World) -> None:
    python = venvs["legacy"]
    index = world.index("intercepted", python)
    proc = run_pipssl(
        *repair_args(python, index.url, "--ca", str(world.certs.path("intercept.pem")))
    )
    config = Path(json.loads(proc.stdout)["actions"][1]["path"])
    config.write_text(config.read_text() + "timeout = 9\n")
    proc = run_pipssl("undo")
    assert proc.returncode == 2 and str(config) in proc.stderr
    assert "timeout = 9" in config.read_text()


def test_a_second_repair_waits_for_the_lock_then_says_so(
    venvs: Dict[str, Path], world: World
) -> None:
    python = venvs["legacy"]
    index = world.index("intercepted", python)
    state = state_dir(os.environ)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[1]); "
            "from pipssl.journal.state import Lock; "
            "lock = Lock(__import__('pathlib').Path(sys.argv[2])); lock.acquire(); "
            "print('held', flush=True); time.sleep(30)",
            pipssl_path(),
            str(state),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = tree_hash(world.isolated.root / "home" / ".config")
        with pytest.raises(pipssl.PipsslError) as caught:
            pipssl.repair(
                ca_files=[str(world.certs.path("intercept.pem"))],
                scope="user",
                python=str(python),
                index_urls=[index.url],
                timeout=5,
                lock_timeout=0.5,
            )
        assert caught.value.reference == "locked"
        assert tree_hash(world.isolated.root / "home" / ".config") == before
    finally:
        holder.kill()
        holder.wait(timeout=30)
    # once the other run is gone, the repair goes through
    result = pipssl.repair(
        ca_files=[str(world.certs.path("intercept.pem"))],
        scope="user",
        python=str(python),
        index_urls=[index.url],
        timeout=5,
    )
    assert result.ok and result.changed
    # bundle_path(scope) names the bundle that repair(scope=...) wrote, in a venv too
    written = [a.path for a in result.actions if a.kind == "write-bundle"]
    assert written == [pipssl.bundle_path("user", python=str(python))]
    assert (
        os.path.isfile(written[0]) and pipssl.bundle_path("auto", python=str(python)) != written[0]
    )


@pytest.mark.slow
def test_a_broken_cert_that_would_win_is_removed_and_certifi_is_untouched(
    world: World, tmp_path: Path
) -> None:
    from targets import LEGACY_BASE, base_python, make_venv

    python = make_venv(base_python(LEGACY_BASE), tmp_path / "venv")
    site = tmp_path / "venv" / "pip.conf"
    site.write_text("[global]\ncert = /gone/old-corp.pem\nretries = 1\n")
    (vendored,) = (tmp_path / "venv").glob("lib/python*/site-packages/pip/_vendor/certifi/*.pem")
    certifi_before = hashlib.sha256(vendored.read_bytes()).hexdigest()
    index = world.index("intercepted", python)
    proc = run_pipssl(
        *repair_args(python, index.url, "--ca", str(world.certs.path("intercept.pem")))
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kinds = [(a["kind"], a["path"]) for a in json.loads(proc.stdout)["actions"]]
    assert ("remove-cert", str(site)) in kinds  # the site file wins over the user file
    assert site.read_text() == "[global]\nretries = 1\n"
    assert pip_works(python, index.url, tmp_path / "dl")
    assert hashlib.sha256(vendored.read_bytes()).hexdigest() == certifi_before
    assert run_pipssl("undo").returncode == 0
    assert "old-corp" in site.read_text()


# --- consent: the plan the user agreed to is the plan applied -----------------------------


def _edit_user_conf(isolated_env: IsolatedEnv, text: str) -> Path:
    """A hand edit of the user's pip.conf between consent and apply."""
    path = isolated_env.pip_conf_path("user")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_apply_checks_the_files_the_plan_was_made_from(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    from pipssl.repairing import api
    from pipssl.repairing.apply import CHANGED_SINCE, apply
    from pipssl.repairing.plan import stale_inputs

    python = venvs["legacy"]
    index = world.index("intercepted", python)
    ca = str(world.certs.path("intercept.pem"))

    def plan() -> Any:
        return api.plan(ca_files=[ca], scope="user", python=str(python), index_urls=[index.url])

    agreed = plan()
    assert [a.kind for a in agreed.actions] == ["write-bundle", "set-cert", "record-consent"]
    assert not stale_inputs(agreed)
    conf = _edit_user_conf(world.isolated, "[global]\ntimeout = 30\n")
    assert stale_inputs(agreed) == [str(conf)]
    # nobody to ask: a plan whose files changed is refused
    assert apply(agreed).message == CHANGED_SINCE
    assert conf.read_text() == "[global]\ntimeout = 30\n"
    shown: List[Any] = []

    def refuse(old: Any, new: Any) -> bool:
        shown.append((old, new))
        return False

    refused = apply(agreed, confirm=refuse)
    assert (refused.changed, refused.message) == (False, CHANGED_SINCE)
    ((old, new),) = shown
    assert old is agreed and not new.same_changes(agreed)
    assert conf.read_text() == "[global]\ntimeout = 30\n"  # the user's edit, untouched
    assert not Path(agreed.bundle).exists() and last_record(state_dir(os.environ)) is None
    assert not pip_works(python, index.url, tmp_path / "dl")
    # agreeing to the new plan applies it, keeping the user's line
    done = apply(agreed, confirm=lambda old, new: True)
    assert done.ok and done.changed
    assert "timeout = 30" in conf.read_text() and "cert = " in conf.read_text()
    assert pip_works(python, index.url, tmp_path / "dl")
    # a plan whose files did not change is applied as agreed, with no question asked
    assert run_pipssl("undo").returncode == 0
    again = plan()
    assert apply(again, confirm=refuse).changed and len(shown) == 1


def _terminal(argv: List[str], env: Dict[str, str], answers: List[Any]) -> Any:
    """Run ``argv`` on a pseudo-terminal (stdin, stdout, stderr: a real TTY, as when a
    user types the command); each answer is (prompt to wait for, callback, text to type).
    Returns (exit code, everything the terminal showed)."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: exec the command on the terminal
        os.execvpe(argv[0], argv, env)
    shown = b""
    deadline = time.monotonic() + 120
    pending = list(answers)
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break  # the child closed the terminal
                if not chunk:
                    break
                shown += chunk
            if pending and pending[0][0].encode() in shown:
                _prompt, before, typed = pending.pop(0)
                before()
                os.write(fd, typed.encode())
    finally:
        _done, status = os.waitpid(pid, 0)
        os.close(fd)
    # os.waitstatus_to_exitcode is Python 3.9+
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
    return code, shown.decode("utf-8", "replace")


def test_terminal_repair_asks_again_when_the_files_changed_and_probes_twice(
    venvs: Dict[str, Path], world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = world.index("intercepted", python)
    argv = [
        sys.executable, "-m", "pipssl", "repair", "--scope", "user",
        "--ca", str(world.certs.path("intercept.pem")),
        "--python", str(python), "--index-url", index.url,
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=pipssl_path())
    edit = "[global]\ntimeout = 30\n"

    def hand_edit() -> None:
        _edit_user_conf(world.isolated, edit)

    # answering no says so
    code, shown = _terminal(argv, env, [("Apply these changes? [y/N]", lambda: None, "n\n")])
    assert code == 1 and shown.rstrip().endswith("nothing was changed."), shown
    code, shown = _terminal(
        argv,
        env,
        [
            ("Apply these changes? [y/N]", hand_edit, "y\n"),
            ("Apply the new plan? [y/N]", lambda: None, "n\n"),
        ],
    )
    assert code == 1, shown
    assert "The files changed since you agreed" in shown and "not applied" in shown
    assert world.isolated.pip_conf_path("user").read_text() == edit
    assert not pip_works(python, index.url, tmp_path / "dl")
    # agreed, nothing changed meanwhile: diagnosed once (a failed handshake, the one that
    # reads the chain, and the real pip's), verified once (pipssl's probe, then the project
    # page it follows to the files, and the real pip)
    del index.connections[:]
    code, shown = _terminal(argv, env, [("Apply these changes? [y/N]", lambda: None, "y\n")])
    assert code == 0, shown
    assert "repaired: pip verifies every index" in shown
    assert len(index.connections) == 6, index.connections
    assert pip_works(python, index.url, tmp_path / "dl")
