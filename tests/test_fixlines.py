"""Every command pipssl prints works when pasted: the journeys that paste them.

Each test runs pipssl as a user would, takes the line it printed (a finding's fix, a
"To apply:" line, a hint), pastes it into bash in the same directory and environment, and
checks that it did what it said, ending with the real pip.  The static checks of every fix
the suite sees are bed/fixlines.py's (conftest.py applies them to every test).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest
from bed import fixlines
from bed.certs import CertWorld, ServerCert
from bed.index import MakeProxy
from bed.osstore import MountedOsStore
from bed.pip import pip_download, pip_version, url_host_for
from bed.world import World
from targets import base_python, make_venv, pipssl_path, run_pipssl

from pipssl import commands

REPO = Path(__file__).resolve().parents[1]


def paste(
    line: str, cwd: Path, env: Optional[Dict[str, str]] = None, prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """``line`` typed into bash, as the user pastes it (no terminal: stdin is empty);
    ``prefix``: the world's (a mount namespace's) argv prefix."""
    return subprocess.run(
        [*prefix, "bash", "-c", line],
        cwd=cwd,
        env=dict(os.environ if env is None else env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def paste_and_apply(
    line: str, cwd: Path, env: Dict[str, str], prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Paste a repair line as printed: with no terminal it changes nothing and prints the
    line to apply; paste that one too.  Returns the second run (which must succeed)."""
    asked = paste(line, cwd, env, prefix)
    assert asked.returncode == 1 and "nothing was changed" in asked.stdout, asked.stderr
    done = paste(to_apply(asked.stdout), cwd, env, prefix)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def to_apply(output: str) -> str:
    (line,) = [row for row in output.splitlines() if row.startswith("To apply: ")]
    return line[len("To apply: ") :]


def fix_of(proc: subprocess.CompletedProcess[str], code: str, about: str = "") -> str:
    """The fix of the one ``code`` finding (whose target holds ``about``) in a JSON answer."""
    data = json.loads(proc.stdout)
    assert "findings" in data, proc.stdout + proc.stderr
    found = [f for f in data["findings"] if f["code"] == code and about in f["target"]]
    assert len(found) == 1, found
    return str(found[0]["fix"])


def command_lines(fix: str, invocation: commands.Invocation) -> List[str]:
    return [
        line.text
        for line in fixlines.split_fix(fix, invocation)
        if line.kind in ("pipssl", "python", "sh")
    ]


def pip_works(python: Path, url: Optional[str], tmp: Path, prefix: Sequence[str] = ()) -> bool:
    dest = tmp / f"dl{len(list(tmp.glob('dl*')))}"
    return pip_download(python, url, dict(os.environ), dest, prefix=prefix).returncode == 0


def pip_installs(python: Path, url: str, tmp: Path) -> bool:
    """``pip install`` (which reads the [install] section ``download`` does not) into a
    scratch target."""
    target = tmp / f"target{len(list(tmp.glob('target*')))}"
    argv = [str(python), "-m", "pip", "install", "--no-deps", "--no-cache-dir"]
    argv += ["--target", str(target), "-i", url, "pipssl_probe_pkg"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode == 0


@pytest.fixture
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv of its own (tests here change what is installed in it)."""
    return make_venv(base_python("3.8"), tmp_path_factory.mktemp("venv") / "legacy")


def bootstrap_copy(directory: Path) -> Path:
    copy = directory / "get-pipssl.py"
    shutil.copyfile(REPO / "get-pipssl.py", copy)
    return copy


# --- the line to apply, for each way of running pipssl ----------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("style", ["module", "bootstrap", "piped"])
def test_to_apply_works_pasted_however_pipssl_was_run(
    style: str, venvs: Dict[str, Path], user_world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = user_world.index("good", python)
    root = str(user_world.certs.path("root.pem"))
    args = ["repair", "--scope", "user", "--index-url", index.url, "--ca", root]
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = dict(os.environ)
    if style == "module":
        proc = run_pipssl(*args, "--python", str(python))
        cwd, env = Path(pipssl_path()), {**env, "PYTHONPATH": pipssl_path()}
        head = [str(sys.executable) if shutil.which(Path(sys.executable).name) != sys.executable
                else Path(sys.executable).name, "-m", "pipssl"]  # fmt: skip
    else:
        script = bootstrap_copy(cwd)
        argv = [str(python), "get-pipssl.py", *args] if style == "bootstrap" else [
            str(python), "-", *args]  # fmt: skip
        with open(script, "rb") as stdin:
            proc = subprocess.run(
                argv,
                cwd=cwd,
                stdin=stdin if style == "piped" else subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        head = [str(python), "get-pipssl.py"] if style == "bootstrap" else [str(python), "-"]
    assert proc.returncode == 1, proc.stderr
    line = to_apply(proc.stdout)
    assert "nothing was changed" in proc.stdout and "dry run" not in proc.stdout
    assert shlex.split(line)[: len(head)] == head, line
    if style == "piped":
        assert line.endswith(" < get-pipssl.py"), line
    assert not pip_works(python, index.url, tmp_path)
    done = paste(line, cwd, env)
    assert done.returncode == 0, done.stderr
    assert "pipssl changed:" in done.stdout
    assert pip_works(python, index.url, tmp_path)


def test_a_usage_error_points_at_help_as_pipssl_was_run(tmp_path: Path) -> None:
    script = bootstrap_copy(tmp_path)
    with open(script, "rb") as stdin:
        proc = subprocess.run(
            [sys.executable, "-", "doctor", "--no-such-option"],
            cwd=tmp_path,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 2
    hint = re.search(r"hint: see `(.*)`", proc.stderr)
    assert hint and hint.group(1).endswith(" - --help < get-pipssl.py"), proc.stderr
    shown = paste(hint.group(1), tmp_path)
    assert shown.returncode == 0 and "doctor" in shown.stdout, shown.stderr


@pytest.mark.parametrize("style", ["module", "bootstrap"])
@pytest.mark.parametrize("reader", ["true", "head -c 10"])
def test_a_closed_pipe_ends_quietly(style: str, reader: str, tmp_path: Path) -> None:
    """``... --help | head``: no BrokenPipeError traceback, whenever the reader goes
    (``true`` goes before pipssl writes anything)."""
    if style == "module":
        command = f"{shlex.quote(sys.executable)} -m pipssl --help | {reader}"
        env = {**os.environ, "PYTHONPATH": pipssl_path()}
    else:
        bootstrap_copy(tmp_path)
        command = f"{shlex.quote(sys.executable)} get-pipssl.py -h | {reader}"
        env = dict(os.environ)
    done = paste(command, tmp_path, env)
    assert done.stdout == "" if reader == "true" else done.stdout.startswith("usage: ")
    assert done.stderr == "", done.stderr


# --- findings whose fix is a command to copy ----------------------------------------------


def _leaf_only(cert_world: CertWorld) -> ServerCert:
    """A server that sends its own certificate alone, issued by a CA nobody here trusts
    (the corporate case)."""
    chain = cert_world.path("intercepted.chain.pem").read_bytes()
    leaf = cert_world.path("intercepted.leaf.pem").read_bytes()
    key = cert_world.path("intercepted.key.pem").read_bytes()
    assert chain.startswith(leaf)
    return ServerCert("leaf-only", leaf, key, leaf, cert_world.path("intercept.pem").read_bytes())


@pytest.mark.slow
def test_an_unknown_issuer_gets_the_commands_to_trust_its_ca(
    legacy: Path, user_world: World, tmp_path: Path
) -> None:
    python = legacy  # its own: the pasted repair writes its site config (scope auto)
    index = user_world.index(_leaf_only(user_world.certs), url_host=url_host_for(python))
    proc = run_pipssl("doctor", "--json", "--python", str(python), "--index-url", index.url)
    fix = fix_of(proc, "untrusted-issuer-unknown")
    invocation = commands.module_of(sys.executable, os.environ.get("PATH"))
    lines = command_lines(fix, invocation)
    assert [shlex.split(x)[0] for x in lines] == ["openssl", *invocation.head[:1]], fix
    assert "Zscaler Root CA (test)" in fix
    cwd = Path(pipssl_path())
    env = {**os.environ, "PYTHONPATH": pipssl_path()}
    # what IT hands over, saved where the fix says: a file named after the CA
    named = "zscaler-root-ca-test.pem"
    assert f"openssl x509 -in {named} " in lines[0] and lines[1].endswith(f"--ca {named}")
    corp = tmp_path / named
    corp.write_bytes(user_world.certs.path("intercept.pem").read_bytes())
    lines = [x.replace(named, str(corp)) for x in lines]
    shown = paste(lines[0], cwd, env)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    ca = x509.load_pem_x509_certificate(corp.read_bytes())
    sha = ":".join(f"{b:02X}" for b in ca.fingerprint(hashes.SHA256()))
    assert shown.returncode == 0, shown.stderr
    assert f"Fingerprint={sha}" in shown.stdout and "Zscaler Root CA (test)" in shown.stdout
    paste_and_apply(lines[1], cwd, env)  # as printed: it names the index and the python
    assert pip_works(python, index.url, tmp_path)


@pytest.mark.slow
def test_accept_ca_is_offered_only_for_a_certificate_repair_accepts(
    legacy: Path, user_world: World, tmp_path: Path
) -> None:
    """The one rule: a self-signed server certificate that is not a CA gets no
    --accept-ca (repair would refuse it); one that is a CA gets it, and it works."""
    python = legacy  # its own: the pasted repair writes its site config (scope auto)
    cwd = Path(pipssl_path())
    env = {**os.environ, "PYTHONPATH": pipssl_path()}
    plain = user_world.index("self-signed", python)
    proc = run_pipssl("doctor", "--json", "--python", str(python), "--index-url", plain.url)
    fix = fix_of(proc, "self-signed")
    assert "--accept-ca" not in fix and "not a CA" in fix, fix
    ca_server = user_world.index("self-signed-ca", python)
    proc = run_pipssl("doctor", "--json", "--python", str(python), "--index-url", ca_server.url)
    fix = fix_of(proc, "self-signed")
    invocation = commands.module_of(sys.executable, os.environ.get("PATH"))
    (accept,) = [x for x in command_lines(fix, invocation) if "--accept-ca" in x]
    paste_and_apply(accept, cwd, env)  # as printed: it names the index and the python
    assert pip_works(python, ca_server.url, tmp_path)


@pytest.mark.slow
def test_an_edited_certifi_is_put_back_without_losing_the_ca_it_was_given(
    legacy: Path,
    pip_world: World,
    mounted_os_store: MountedOsStore,
    wheel_dir: Path,
    tmp_path: Path,
) -> None:
    """The machine whose pip works only through a CA pasted into pip's certifi: the fix
    first gives that CA to pipssl, then reinstalls the pip installed now (pinned), and
    pip still reaches the index afterwards.  (The OS store and the global pip configs
    are the mount namespace's: nothing of the machine's.)"""
    prefix = mounted_os_store.prefix()
    served = tmp_path / "served"
    shutil.copytree(wheel_dir, served)
    bundled = Path(base_python("3.8")).parents[1] / "lib" / "python3.8" / "ensurepip" / "_bundled"
    installed = ".".join(map(str, pip_version(legacy)))
    (pip_wheel,) = bundled.glob(f"pip-{installed}-*.whl")
    shutil.copy(pip_wheel, served)
    index = pip_world.index("intercepted", wheel_dir=served, url_host=url_host_for(legacy))
    os.environ.pop("PIP_CONFIG_FILE", None)
    pip_world.isolated.write_pip_conf(f"[global]\nindex-url = {index.url}\n", "user")
    site = legacy.parents[1] / "lib" / "python3.8" / "site-packages"
    vendored = site / "pip" / "_vendor" / "certifi" / "cacert.pem"
    assert not pip_works(legacy, None, tmp_path, prefix)
    with open(vendored, "ab") as stream:
        stream.write(b"\n" + pip_world.certs.path("intercept.pem").read_bytes())
    assert pip_works(legacy, None, tmp_path, prefix)
    proc = run_pipssl("doctor", "--json", "--python", str(legacy), prefix=prefix)
    fix = fix_of(proc, "certifi-modified")
    invocation = commands.module_of(sys.executable, os.environ.get("PATH"))
    keep, reinstall = command_lines(fix, invocation)
    assert reinstall == commands.pip(
        str(legacy), "install", "--force-reinstall", "--no-deps", f"pip=={installed}"
    )
    cwd = Path(pipssl_path())
    env = {**os.environ, "PYTHONPATH": pipssl_path()}
    # the CA pasted in is in the file the fix names: the line works as printed
    assert "ADDED-CAS" not in keep
    paste_and_apply(keep, cwd, env, prefix)  # as printed: it names the python
    done = paste(reinstall, cwd, env, prefix)
    assert done.returncode == 0, done.stdout + done.stderr
    assert pip_world.certs.path("intercept.pem").read_bytes() not in vendored.read_bytes()
    proc = run_pipssl("doctor", "--json", "--python", str(legacy), prefix=prefix)
    assert json.loads(proc.stdout)["findings"] == [], proc.stdout
    assert pip_works(legacy, None, tmp_path, prefix)


def test_a_proxy_password_is_given_in_the_url_as_the_fix_says(
    venvs: Dict[str, Path], pip_world: World, make_proxy: MakeProxy, tmp_path: Path
) -> None:
    pip_world.trust()
    python = venvs["legacy"]
    index = pip_world.index("good")
    proxy = make_proxy(auth=("alice", "s3cret@pw"))
    os.environ["HTTPS_PROXY"] = proxy.url
    proc = run_pipssl("doctor", "--json", "--python", str(python), "--index-url", index.url)
    fix = fix_of(proc, "proxy-auth-required")
    assert "prompt" not in fix
    (line,) = [x for x in fix.splitlines() if x.startswith("export ")]
    assert line == f"export HTTPS_PROXY=http://USER:****@127.0.0.1:{proxy.port}"
    typed = line.replace("USER", "alice").replace("****", "s3cret%40pw")
    download = f"{python} -m pip download --no-deps -d {tmp_path / 'dl'} -i {index.url} " + (
        "pipssl_probe_pkg"
    )
    done = paste(f"{typed}\n{download}", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not paste(download, tmp_path).returncode == 0  # and without it, still 407


@pytest.mark.slow
def test_a_cert_in_install_that_wins_gets_commands_that_keep_its_cas(
    venvs: Dict[str, Path], user_world: World, tmp_path: Path
) -> None:
    """A valid cert in [install] beats repair's [global] cert in the same file: no
    --scope can help (the old fix said --scope env, no such choice); unsetting it and
    giving its CAs to pipssl does, and both indexes work after."""
    python = venvs["legacy"]
    good = user_world.index("good", python)
    theirs = user_world.index("intercepted", python)
    conf = user_world.pip_conf(
        "user", f"[install]\ncert = {user_world.certs.path('intercept.pem')}\n"
    )
    assert pip_installs(python, theirs.url, tmp_path)
    proc = run_pipssl(
        "repair", "--yes", "--json", "--scope", "user", "--python", str(python),
        "--index-url", good.url, "--ca", str(user_world.certs.path("root.pem")),
    )  # fmt: skip
    # pip install reads [install]'s cert, so it still fails: the repair is not kept (the
    # real pip was asked with `download` before, which reads no [install], and said yes)
    assert json.loads(proc.stdout)["rolled_back"], proc.stdout
    assert not pip_installs(python, good.url, tmp_path)
    fix = fix_of(proc, "env-shadows-config", "[install]")
    assert "--scope env" not in fix  # the scope given is kept: no other one can help
    invocation = commands.module_of(sys.executable, os.environ.get("PATH"))
    unset, again = command_lines(fix, invocation)
    assert unset == commands.pip(str(python), "config", "--user", "unset", "install.cert")
    # the same repair again, with that file's CAs added
    asked_for = ["--ca", str(user_world.certs.path("root.pem"))]
    asked_for += ["--ca", str(user_world.certs.path("intercept.pem"))]
    # for the same pip, scope and index as the repair that printed it
    aimed = ["--python", str(python), "--scope", "user", "--index-url", good.url]
    assert shlex.split(again)[len(invocation.head) :] == ["repair", *aimed, *asked_for]
    cwd = Path(pipssl_path())
    env = {**os.environ, "PYTHONPATH": pipssl_path()}
    assert paste(unset, cwd, env).returncode == 0
    assert "cert" not in conf.read_text().partition("[install]")[2]
    paste_and_apply(f"{again} --index-url {theirs.url}", cwd, env)
    assert pip_installs(python, good.url, tmp_path) and pip_installs(python, theirs.url, tmp_path)


def test_pip_config_unset_is_offered_only_for_the_file_it_edits(
    venvs: Dict[str, Path], user_world: World, tmp_path: Path
) -> None:
    """`pip config --user unset` edits the newest user file: for a trusted-host in the
    legacy ~/.pip/pip.conf it fails (measured here), so the fix names the line instead."""
    python = venvs["legacy"]
    cwd = Path(pipssl_path())
    env = {**os.environ, "PYTHONPATH": pipssl_path()}
    index = user_world.index("good")
    for kind in ("user", "user-legacy"):
        conf = user_world.pip_conf(kind, "[global]\ntrusted-host = example.invalid\n")
        proc = run_pipssl("doctor", "--json", "--python", str(python), "--index-url", index.url)
        fix = fix_of(proc, "insecure-trusted-host")
        pip_line = commands.pip(str(python), "config", "--user", "unset", "global.trusted-host")
        if kind == "user":
            assert fix == pip_line
            assert paste(fix, cwd, env).returncode == 0
            assert "trusted-host" not in conf.read_text()
        else:
            assert fix == f"remove the line 'trusted-host' from [global] in {conf}"
            assert paste(pip_line, cwd, env).returncode != 0  # what the old fix would do
            conf.unlink()


def test_no_reinstall_is_offered_to_a_python_that_cannot_download(venvs: Dict[str, Path]) -> None:
    """The certifi-modified fix pins the reinstall, and leaves it out where pip cannot
    download (no ssl module): it would fail there."""
    from dataclasses import replace

    from pipssl.diagnosis.localsetup import check_certifi
    from pipssl.interpreter.facts import RecordCheck, SslFacts, inspect

    target = inspect(str(venvs["legacy"]), env=dict(os.environ), timeout=60)
    edited = RecordCheck("pip", "/x/pip/_vendor/certifi/cacert.pem", "a", "b")
    target = replace(target, record_checks=(edited,))
    assert target.pip is not None
    (with_ssl,) = check_certifi(target, os.environ)
    pinned = commands.pip(
        target.executable,
        "install",
        "--force-reinstall",
        "--no-deps",
        f"pip=={target.pip.version}",
    )
    assert with_ssl.fix.splitlines()[-1] == pinned
    (without,) = check_certifi(
        replace(target, ssl=SslFacts(ok=False, error="No module named _ssl")), os.environ
    )
    assert "pip install" not in without.fix and "repair --ca" in without.fix
