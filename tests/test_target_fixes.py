"""A fix is right for the pip it was printed for: pasted as printed, it acts on the same
interpreter, scope and indexes as the command that printed it, and the real pip of that
interpreter then works.

pipssl runs in this test's interpreter; the pip diagnosed is another venv's (``--python``,
or the pip ``run`` was given): a fix without ``--python`` would repair the wrong pip.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List
from urllib.parse import urlsplit

import pytest
from bed.osstore import MountedOsStore
from bed.world import World
from targets import base_python, make_venv, pipssl_path, run_pipssl
from test_fixlines import command_lines, fix_of, paste, paste_and_apply, pip_works

from pipssl import commands


@pytest.fixture
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv of its own: the pasted repairs write its site config (scope auto)."""
    return make_venv(base_python("3.8"), tmp_path_factory.mktemp("venv") / "legacy")


# The targets are fixed venvs (3.8, 3.13), their pips the truth: py312 runs these.
pytestmark = pytest.mark.once


def _env() -> Dict[str, str]:
    return {**os.environ, "PYTHONPATH": pipssl_path()}


def _invocation() -> commands.Invocation:
    return commands.module_of(sys.executable, os.environ.get("PATH"))


def _repair_line(fix: str, ca: Path) -> str:
    """The fix's repair command, with the CA file the user was told to get."""
    lines = [x for x in command_lines(fix, _invocation()) if " repair " in f" {x} "]
    assert lines, fix
    # the placeholder is made from the CA's name (acme-corp-root-ca.pem): the user saves
    # the certificate under that name; here it is the test's own file
    return re.sub(r"--ca [a-z0-9-]+\.pem\b", f"--ca {ca}", lines[-1])


def _fix_blocks(text: str, code: str) -> List[str]:
    """The fix of each ``code`` finding in pipssl's text output (indented under fix:)."""
    blocks, rows, inside, wanted = [], [], False, False
    for row in text.splitlines():
        if row and not row.startswith(" "):
            wanted = row.endswith(f"[{code}]")
            inside = False
        if inside and row.startswith("    ") and wanted:
            rows.append(row[4:])
            continue
        if rows:
            blocks.append("\n".join(rows))
            rows = []
        inside = row == "  fix:"
    if rows:
        blocks.append("\n".join(rows))
    return blocks


@pytest.mark.slow
def test_doctor_for_another_python_prints_fixes_for_that_python(
    legacy: Path, user_world: World, tmp_path: Path
) -> None:
    index = user_world.index("good", legacy)
    proc = run_pipssl("doctor", "--json", "--python", str(legacy), "--index-url", index.url)
    assert proc.returncode == 1, proc.stderr
    fix = fix_of(proc, "untrusted-issuer-unknown")
    line = _repair_line(fix, user_world.certs.path("root.pem"))
    words = shlex.split(line)
    assert words[words.index("--python") + 1] == str(legacy), line
    assert words[words.index("--index-url") + 1] == index.url, line
    paste_and_apply(line, Path(pipssl_path()), _env())
    assert pip_works(legacy, index.url, tmp_path)


@pytest.mark.slow
def test_run_prints_fixes_for_the_pip_it_ran(
    legacy: Path, user_world: World, tmp_path: Path
) -> None:
    index = user_world.index("good", legacy)
    pip = legacy.parent / "pip"
    args = ["install", "--no-cache-dir", "--retries", "0", "--target", str(tmp_path / "t")]
    proc = run_pipssl("run", "--", str(pip), *args, "-i", index.url, "pipssl_probe_pkg")
    assert proc.returncode != 0, proc.stderr
    (fix,) = _fix_blocks(proc.stderr, "untrusted-issuer-unknown")
    line = _repair_line(fix, user_world.certs.path("root.pem"))
    words = shlex.split(line)  # the venv's python, by the name pip's shebang gives it
    assert Path(words[words.index("--python") + 1]).parent == legacy.parent, line
    assert words[words.index("--index-url") + 1] == index.url, line
    paste_and_apply(line, Path(pipssl_path()), _env())
    assert pip_works(legacy, index.url, tmp_path)


def test_a_fix_names_the_target_once_and_only_for_commands_that_take_it() -> None:
    before = commands.aim()
    try:
        commands.use_aim(commands.Aim("/v/bin/python", "user", ("https://127.0.0.1:1/s",)))
        repair = shlex.split(commands.pipssl("repair", "--scope", "site", "--ca", "a.pem"))
        assert repair[repair.index("repair") :] == [
            "repair", "--python", "/v/bin/python", "--index-url", "https://127.0.0.1:1/s",
            "--scope", "site", "--ca", "a.pem",
        ]  # fmt: skip
        assert "--python" not in commands.pipssl("undo", "--list")
        assert "--scope" not in commands.pipssl("doctor")
        run = shlex.split(commands.pipssl("run", "--", "pip", "install", "x"))
        assert run[run.index("run") :] == [
            "run", "--python", "/v/bin/python", "--scope", "user", "--", "pip", "install", "x",
        ]  # fmt: skip
        install = shlex.split(commands.pipssl("wheelhouse", "install", "b.zip"))
        assert install[install.index("wheelhouse") :][:4] == [
            "wheelhouse", "install", "--python", "/v/bin/python",
        ]  # fmt: skip
    finally:
        commands.use_aim(before)


@pytest.mark.slow
def test_trusted_host_does_not_hide_what_pip_needs_to_verify(
    legacy: Path, user_world: World, tmp_path: Path
) -> None:
    """pip reaches the index only because trusted-host turns its checks off: doctor says
    what pip needs to verify it (exit 1), and the entry's fix is the one command that
    adds the CA and removes the entry, never the entry's removal alone."""
    index = user_world.index("good", legacy)
    host = urlsplit(index.url).hostname
    user = user_world.isolated.write_pip_conf(f"[global]\ntrusted-host = {host}\n", where="user")
    assert pip_works(legacy, index.url, tmp_path)  # unverified
    proc = run_pipssl("doctor", "--json", "--python", str(legacy), "--index-url", index.url)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    found = [f["code"] for f in data["findings"]]
    assert "untrusted-issuer-unknown" in found and "pip-reaches" not in found, found
    fix = fix_of(proc, "insecure-trusted-host")
    assert "pip config" not in fix, fix
    line = _repair_line(fix, user_world.certs.path("root.pem"))
    assert "--remove-trusted-host" in shlex.split(line), line
    done = paste(line, Path(pipssl_path()), _env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "trusted-host" not in user.read_text()
    assert pip_works(legacy, index.url, tmp_path)  # verified now


@pytest.mark.slow
def test_trusted_host_for_an_index_that_verifies_keeps_its_plain_fix(
    legacy: Path, user_world: World
) -> None:
    """The twin: the index verifies without the entry, so removing it is the whole fix."""
    index = user_world.index("good", legacy)
    host, root = urlsplit(index.url).hostname, user_world.certs.path("root.pem")
    conf = f"[global]\ntrusted-host = {host}\ncert = {root}\n"
    user_world.isolated.write_pip_conf(conf, where="user")
    proc = run_pipssl("doctor", "--json", "--python", str(legacy), "--index-url", index.url)
    data = json.loads(proc.stdout)
    assert [f["code"] for f in data["findings"]] == ["insecure-trusted-host"], data
    assert "unset global.trusted-host" in fix_of(proc, "insecure-trusted-host")


def _sh_line(fix: str, starts: str) -> str:
    """The sh line (not PowerShell's) of a fix that starts with ``starts``."""
    (line,) = [x for x in fix.splitlines() if x.startswith(starts)]
    return line


@pytest.mark.slow
def test_a_variable_over_pipssls_bundle_gets_both_remedies_from_doctor(
    legacy: Path, user_world: World, tmp_path: Path
) -> None:
    """After a repair, REQUESTS_CA_BUNDLE names another file: doctor offers to unset it
    or to keep it pointed at pipssl's bundle; each line, pasted before pip, works."""
    import certifi

    index = user_world.index("good", legacy)
    root = str(user_world.certs.path("root.pem"))
    args = ["--python", str(legacy), "--index-url", index.url]
    assert run_pipssl("repair", "--yes", *args, "--ca", root).returncode == 0
    env = {**_env(), "REQUESTS_CA_BUNDLE": certifi.where()}
    proc = run_pipssl("doctor", "--json", *args, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    fix = fix_of(proc, "env-shadows-config", "REQUESTS_CA_BUNDLE")
    for line in (_sh_line(fix, "unset "), _sh_line(fix, "export REQUESTS_CA_BUNDLE=")):
        pip = shlex.join([str(legacy), "-m", "pip", "download", "--no-deps", "-d"])
        dest = shlex.quote(str(tmp_path / f"d{len(line)}"))
        done = paste(f"{line}\n{pip} {dest} -i {index.url} pipssl_probe_pkg", tmp_path, env)
        assert done.returncode == 0, line + done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["PIP_CERT", "REQUESTS_CA_BUNDLE"])
def test_doctor_says_before_repair_that_a_variable_would_override_it(
    name: str, legacy: Path, user_world: World, mounted_os_store: MountedOsStore, tmp_path: Path
) -> None:
    """A variable decides pip's CA file and the index wants a CA: doctor says the repair's
    cert would not count while it is set (repair said it only afterwards); with the
    variable naming a file that verifies, nothing is said (the twin).  No pip config
    names a cert (the machine's global ones are hidden)."""
    import certifi

    prefix = mounted_os_store.prefix()
    index = user_world.index("good", legacy)
    args = ["doctor", "--json", "--python", str(legacy), "--index-url", index.url]
    proc = run_pipssl(*args, env={**_env(), name: certifi.where()}, prefix=prefix)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    fix = fix_of(proc, "env-shadows-config", name)
    assert f"unset {name}" in fix, fix
    # the repair then offers to keep the variable, pointed at the bundle it wrote
    env = {**_env(), name: certifi.where()}
    root = str(user_world.certs.path("root.pem"))
    repair = ["repair", "--yes", "--json", "--python", str(legacy), "--index-url", index.url]
    done = run_pipssl(*repair, "--ca", root, env=env, prefix=prefix)
    line = _sh_line(fix_of(done, "env-shadows-config", name), f"export {name}=")
    pip = shlex.join([str(legacy), "-m", "pip", "download", "--no-deps", "-d", str(tmp_path)])
    pasted = paste(f"{line}\n{pip} -i {index.url} pipssl_probe_pkg", tmp_path, env, prefix)
    assert pasted.returncode == 0, line + pasted.stdout + pasted.stderr
    assert run_pipssl("undo").returncode == 0
    twin = run_pipssl(
        *args, env={**_env(), name: str(user_world.certs.path("root.pem"))}, prefix=prefix
    )
    assert twin.returncode == 0, twin.stdout + twin.stderr
    assert "env-shadows-config" not in twin.stdout


@pytest.mark.slow
def test_for_leaves_alone_the_clients_not_installed(legacy: Path, user_world: World) -> None:
    """No uv, poetry or conda on PATH or configured, no requests in the venv: nothing is
    created for them (no ~/.condarc), they are named as left alone, and the repair of pip
    succeeds (exit 0)."""
    index = user_world.index("good", legacy)
    args = ["repair", "--yes", "--json", "--python", str(legacy), "--index-url", index.url]
    args += ["--ca", str(user_world.certs.path("root.pem")), "--for", "uv,poetry,conda,requests"]
    proc = run_pipssl(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    skipped = {c["client"]: c["why"] for c in data["clients_skipped"]}
    assert sorted(skipped) == ["conda", "poetry", "requests", "uv"], data["clients_skipped"]
    assert all("not installed for" in why for why in skipped.values())
    assert data["env_to_set"] == {} and not (user_world.isolated.home / ".condarc").exists()
    assert [a["kind"] for a in data["actions"]] == ["write-bundle", "set-cert", "record-consent"]


@pytest.mark.slow
def test_a_user_wide_condarc_is_never_pointed_into_a_venv(legacy: Path, user_world: World) -> None:
    """The venv's repair (scope site) leaves ~/.condarc alone and says how to give conda a
    bundle of the user's; that command, pasted, does it."""
    index = user_world.index("good", legacy)
    rc = user_world.isolated.home / ".condarc"
    rc.write_text("channels:\n  - defaults\n")
    args = ["repair", "--yes", "--json", "--python", str(legacy), "--index-url", index.url]
    proc = run_pipssl(*args, "--ca", str(user_world.certs.path("root.pem")), "--for", "conda")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert rc.read_text() == "channels:\n  - defaults\n"
    ((client, why),) = [(c["client"], c["why"]) for c in data["clients_skipped"]]
    assert client == "conda" and "user-wide" in why, why
    line = why.splitlines()[-1]
    words = shlex.split(line)
    assert words[words.index("--scope") + 1] == "user" and str(legacy) in words, line
    paste_and_apply(line, Path(pipssl_path()), _env())
    bundle = user_world.isolated.home / ".local" / "share" / "pipssl" / "ca-bundle.pem"
    assert f"ssl_verify: '{bundle}'" in rc.read_text(), rc.read_text()


# --- a Python without ssl ------------------------------------------------------------------


@pytest.fixture
def nossl(tmp_path: Path) -> Path:
    """A Python of this test's own without ssl (the wheelhouse install changes it)."""
    from bed.nossl import NosslUnavailable, make_nossl_python

    try:
        return make_nossl_python(tmp_path / "nossl", "missing")
    except NosslUnavailable as exc:
        pytest.skip(f"cannot build a no-ssl Python here: {exc}")


@pytest.mark.slow
def test_repair_writes_nothing_for_a_python_without_ssl(nossl: Path, user_world: World) -> None:
    """Nothing could be verified: no bundle, no cert in the user's pip.conf (read by every
    Python of theirs); the report names the interpreter by its path and says why."""
    index = user_world.index("good")
    args = ["repair", "--yes", "--json", "--python", str(nossl), "--index-url", index.url]
    proc = run_pipssl(*args, "--ca", str(user_world.certs.path("root.pem")))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["actions"] == [] and not data["changed"], data["actions"]
    (found,) = [f for f in data["findings"] if f["code"] == "ssl-module-missing"]
    assert found["target"] == str(nossl) and str(nossl) in found["summary"], found
    assert "writes nothing" in found["detail"], found
    assert not list(user_world.isolated.home.rglob("pip.conf")), "the user's pip.conf was written"
    assert not list(user_world.isolated.home.rglob("ca-bundle.pem"))


@pytest.mark.slow
def test_the_wheelhouse_route_printed_for_a_python_without_ssl_installs(
    nossl: Path, pip_world: World, tmp_path: Path
) -> None:
    """The two commands doctor prints: the one for a machine with network access (run
    here against the loopback index) and the one for this machine (pasted, offline)."""
    from bed.index import closed_port
    from test_wheelhouse import serve_tree

    proc = run_pipssl("doctor", "--json", "--python", str(nossl))
    fix = fix_of(proc, "ssl-module-missing")
    (there,) = [x[2:] for x in fix.splitlines() if x.startswith("# pipssl wheelhouse create")]
    (here,) = [x for x in command_lines(fix, _invocation()) if " wheelhouse install " in x]
    assert shlex.split(here)[-3:] == ["--python", str(nossl), "bundle.zip"], here
    work, tree = tmp_path / "work", tmp_path / "tree"
    work.mkdir()
    tree.mkdir()
    for world in serve_tree(tree, pip_world.certs, lambda _: None):
        connected = {**world.env, "PIP_INDEX_URL": world.index_url, "PYTHONPATH": pipssl_path()}
        line = there.replace("REQUIREMENT", "omega").replace(
            "pipssl ", f"{shlex.quote(sys.executable)} -m pipssl ", 1
        )
        made = paste(line, work, connected)
        assert made.returncode == 0, line + made.stdout + made.stderr
    offline = {**_env(), "PIP_INDEX_URL": f"https://127.0.0.1:{closed_port()}/simple/"}
    done = paste(here, work, offline)
    assert done.returncode == 0, here + done.stdout + done.stderr
    imported = subprocess.run(
        [str(nossl), "-c", "import omega"], capture_output=True, timeout=60, cwd=str(tmp_path)
    )
    assert imported.returncode == 0, imported.stderr
