"""The Ansible collection (ansible_collections/pipssl/pipssl) against a fleet that differs.

One journey over one fleet (``fleetbed``): three hosts whose pips cannot verify the
loopback index (its certificate is the test's intercepting CA's), each with its own
Python and pip (3.9's pip 23.0.1, 3.11's, 3.13's pip 24.2 with truststore), its own OS
store, HOME and pip config (the venv's, PIP_CONFIG_FILE's, the user's), and a fourth host
whose Python has no ssl module.  The collection's example playbook runs in check mode
(nothing written), then for real (the three are fixed and their real pips install, the
fourth fails with its finding, ``--diff`` shows the root added), then again (nothing
changes); ``state: absent`` then puts every file back as it was.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import ssl
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
from bed.certs import CertWorld
from bed.index import MakeIndex
from bed.isolation import IsolatedEnv
from bed.osstore import MountedOsStore, why_unavailable
from bed.pip import url_host_for
from fleetbed import Host, inventory, make_host
from recipebed import BOOTSTRAP, doc_block, require_recipes_env, run_shell, show
from targets import base_python, make_venv
from test_ansible import ansible_env, ansible_playbook

require_recipes_env()

DOC = Path(__file__).resolve().parents[2] / "docs" / "ansible.md"
SOURCE = Path(__file__).resolve().parents[2] / "ansible_collections" / "pipssl" / "pipssl"
RECAP = re.compile(
    r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE
)
#: the fleet: name, Python, where its pip config names the index
FLEET = (("py39", "3.9", "site"), ("py311", "3.11", "env"), ("py313", "3.13", "user"))


def recaps(output: str) -> Dict[str, Tuple[int, int, int]]:
    """{host: (changed, unreachable, failed)} from the PLAY RECAP."""
    return {h: (int(c), int(u), int(f)) for h, _ok, c, u, f in RECAP.findall(output)}


def report(output: str) -> List[str]:
    """The fleet report's lines, as the debug task printed them."""
    start = output.index("TASK [Print the fleet report]")
    block = output[start : output.index("PLAY RECAP", start)]
    data = json.loads(block[block.index("{") : block.rindex("}") + 1])
    lines: List[str] = data["msg"]
    return lines


def colons(ca: Any) -> str:
    """A CA's SHA-256 as pipssl spells it (upper case, colons)."""
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2)).upper()


def ansible() -> str:
    return str(Path(ansible_playbook()).with_name("ansible"))


def galaxy() -> str:
    return str(Path(ansible_playbook()).with_name("ansible-galaxy"))


def install_collection(directory: Path, env: Dict[str, str]) -> Path:
    """Build the collection's tarball and install it offline, as the docs say; the
    collections path it went to."""
    built = run_shell([galaxy(), "collection", "build", str(SOURCE)], directory, env, timeout=120)
    assert built.returncode == 0, show(built)
    (tarball,) = directory.glob("pipssl-pipssl-*.tar.gz")
    into = directory / "collections"
    argv = [galaxy(), "collection", "install", "--offline", tarball.name, "-p", str(into)]
    done = run_shell(argv, directory, env, timeout=120)
    assert done.returncode == 0, show(done)
    # the tarball carries get-pipssl.py itself, not the link the checkout has
    carried = into / "ansible_collections" / "pipssl" / "pipssl" / "files" / "get-pipssl"
    assert not carried.is_symlink()
    assert carried.read_bytes() == BOOTSTRAP.read_bytes()
    return into


def test_docs_show_the_playbook() -> None:
    """docs/ansible.md shows the collection's playbook as it is."""
    lang, text = doc_block("fleet-playbook", DOC)
    assert lang == "yaml"
    assert text == (SOURCE / "playbooks" / "new_root.yml").read_text()


@pytest.fixture
def fleet(
    isolated_env: IsolatedEnv,
    tmp_path: Path,
    make_index: MakeIndex,
    nossl_python: Callable[[str], Path],
) -> List[Host]:
    if why_unavailable():
        pytest.skip(f"the OS store bed is not available: {why_unavailable()}")
    index = make_index("intercepted", lifetime=900)
    hosts = []
    for name, version, kind in FLEET:
        base = base_python(version)
        venv = tmp_path / "venvs" / name
        python = make_venv(base, venv)
        url = f"https://{url_host_for(base)}:{index.port}/simple/"
        hosts.append(make_host(tmp_path / name, name, python, venv, kind, url))
    bare = nossl_python("missing")
    url = f"https://127.0.0.1:{index.port}/simple/"
    hosts.append(make_host(tmp_path / "nossl", "nossl", bare, None, "user", url))
    return hosts


@pytest.mark.once
@pytest.mark.slow
@pytest.mark.skipif(not MountedOsStore.available(), reason="no private mount namespaces here")
def test_fleet_journey(fleet: List[Host], cert_world: CertWorld, tmp_path: Path) -> None:
    good = [h for h in fleet if h.name != "nossl"]
    inv = tmp_path / "inventory.yml"
    inv.write_text(inventory(fleet))
    env = ansible_env(dict(os.environ), tmp_path / "ansible")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(install_collection(tmp_path, env))
    env["ANSIBLE_FORKS"] = "4"
    ca = cert_world.path("intercept.pem")
    argv = [ansible_playbook(), "-i", str(inv), "pipssl.pipssl.new_root", "-e", f"pipssl_ca={ca}"]
    for host in good:
        done = host.pip_download(tmp_path / f"dl-before-{host.name}")
        assert done.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in done.stdout + done.stderr
    before = {h.name: h.snapshot() for h in fleet}

    # check mode: every good host would change, the bare one fails, nothing is written
    checked = run_shell([*argv, "--check", "--diff"], tmp_path, env)
    assert recaps(checked.stdout) == {
        **{h.name: (1, 0, 0) for h in good},
        "nossl": (0, 0, 1),
        "localhost": (0, 0, 0),
    }, show(checked)
    assert {h.name: h.snapshot() for h in fleet} == before
    assert "would be fixed: 3" in report(checked.stdout), show(checked)
    # the plan names the file each host's repair edits: the venv's, PIP_CONFIG_FILE's
    for host in good[:2]:
        assert f"set-cert {host.config}: cert = " in checked.stdout, show(checked)

    # the real run: fixed, the roots added shown, the bare host fails with its finding
    first = run_shell([*argv, "--diff"], tmp_path, env)
    assert recaps(first.stdout) == {
        **{h.name: (1, 0, 0) for h in good},
        "nossl": (0, 0, 1),
        "localhost": (0, 0, 0),
    }, show(first)
    root = cert_world.intercept
    added = (
        f"+O=Zscaler Inc. (pipssl test double), CN=Zscaler Root CA (test)  sha256:{colons(root)}"
    )
    assert added in first.stdout, show(first)
    for host in good[:2]:  # the config's lines before and after: the user's kept, cert added
        assert f"--- before: {host.config}\n+++ after: {host.config}\n" in first.stdout
    assert "+cert = " in first.stdout and " timeout = 20\n" in first.stdout, show(first)
    assert "ssl-module-missing" in first.stdout, show(first)
    lines = report(first.stdout)
    assert lines[:3] == [
        "machines ok: 0",
        "fixed in this run: 3",
        "broken: 1 (ssl-module-missing: 1, pip-missing: 1)",
    ]
    assert "nossl  broken  ssl-module-missing,pip-missing" in lines
    for host in good:
        done = host.pip_download(tmp_path / f"dl-after-{host.name}")
        assert done.returncode == 0, show(done)
    assert fleet[-1].snapshot() == before["nossl"]

    # again: nothing to change anywhere
    again = run_shell(argv, tmp_path, env)
    assert recaps(again.stdout) == {
        **{h.name: (0, 0, 0) for h in good},
        "nossl": (0, 0, 1),
        "localhost": (0, 0, 0),
    }, show(again)
    assert report(again.stdout)[:2] == ["machines ok: 3", "fixed in this run: 0"]

    # state: absent with the CA withdraws it (pipssl forget): py39's pip fails again
    adhoc = [ansible(), "-i", str(inv), "py39", "-m", "pipssl.pipssl.pip_trust"]
    forget = [*adhoc, "-a", f"state=absent ca={ca}"]
    withdrawn = run_shell(forget, tmp_path, env)
    assert withdrawn.returncode == 0 and "py39 | CHANGED" in withdrawn.stdout, show(withdrawn)
    done = good[0].pip_download(tmp_path / "dl-withdrawn")
    assert done.returncode != 0, show(done)
    withdrawn = run_shell(forget, tmp_path, env)
    assert withdrawn.returncode == 0 and "py39 | SUCCESS" in withdrawn.stdout, show(withdrawn)

    # state: absent alone undoes (py39 twice: the withdrawal, then the repair); every file
    # is then exactly as before, and there is nothing left to undo
    undo = tmp_path / "undo.yml"
    undo.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - pipssl.pipssl.pip_trust:\n        state: absent\n"
    )
    undo_argv = [ansible_playbook(), "-i", str(inv), str(undo), "--limit"]
    absent = run_shell([*undo_argv, "py39,py311,py313"], tmp_path, env)
    assert recaps(absent.stdout) == {h.name: (1, 0, 0) for h in good}, show(absent)
    absent = run_shell([*undo_argv, "py39"], tmp_path, env)
    assert recaps(absent.stdout) == {"py39": (1, 0, 0)}, show(absent)
    assert {h.name: h.snapshot() for h in good} == {h.name: before[h.name] for h in good}
    absent = run_shell([*undo_argv, "py39"], tmp_path, env)
    assert recaps(absent.stdout) == {"py39": (0, 0, 0)}, show(absent)
    done = good[0].pip_download(tmp_path / "dl-undone")
    assert done.returncode != 0, show(done)

    # a CA that does not issue the index's chain: the task fails, nothing stays written
    failed = run_shell([*adhoc, "-a", f"ca={cert_world.path('root.pem')}"], tmp_path, env)
    assert failed.returncode != 0, show(failed)
    assert "FAILED" in failed.stdout and "Fix:" in failed.stdout, show(failed)
    assert good[0].snapshot() == before[good[0].name]
    shutil.rmtree(tmp_path / "ansible", ignore_errors=True)


def module_utils() -> Any:
    """The collection's pipssl_cli, loaded from its file (it imports nothing of Ansible)."""
    path = SOURCE / "plugins" / "module_utils" / "pipssl_cli.py"
    spec = importlib.util.spec_from_file_location("pipssl_cli_under_test", path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.mark.once
def test_diff_masks_credentials_as_pipssl_does() -> None:
    """A pip config shown by --diff leaves the target with the credentials pipssl masks."""
    from pipssl._redact import redact

    masked = module_utils().masked
    for line in (
        "index-url = https://alice:s3cret@127.0.0.1:8443/simple/",
        "extra-index-url = https://TOKEN123@127.0.0.1/simple/ https://bob:pw@[::1]/simple/",
        "proxy = http://carol:p%40ss@127.0.0.1:3128",
        "cert = /etc/ssl/certs/ca-certificates.crt",
    ):
        assert masked(line) == redact(line)
        assert "s3cret" not in masked(line) and "TOKEN123" not in masked(line)


@pytest.mark.once
def test_fingerprints_are_pipssls(cert_world: CertWorld) -> None:
    """``state: absent`` with ``ca`` withdraws by the SHA-256 pipssl lists (any spelling)."""
    utils = module_utils()
    pem = cert_world.path("intercept.pem").read_text() + cert_world.path("root.pem").read_text()
    bare = [colons(c).replace(":", "").lower() for c in (cert_world.intercept, cert_world.root)]
    assert utils.pem_fingerprints(pem) == bare
    diff = utils.roots_diff({"added": [{"subject": "CN=a", "sha256": "AA"}], "removed": []})
    assert diff["after"] == "CN=a  sha256:AA\n" and diff["before"] == ""
    assert utils.roots_diff(None) is None


@pytest.mark.once
def test_a_private_key_never_leaves_the_controller(
    isolated_env: IsolatedEnv, cert_world: CertWorld, tmp_path: Path
) -> None:
    """A ``ca`` file that holds a key fails the task in the action plugin, before anything
    reaches a target, and the key's bytes appear nowhere in the output."""
    key = cert_world.intercept.private_key_pem.bytes()
    bundle = tmp_path / "ca-and-key.pem"
    bundle.write_bytes(cert_world.intercept.cert_pem.bytes() + key)
    env = ansible_env(dict(os.environ), tmp_path / "ansible")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(SOURCE.parents[2])
    argv = [ansible(), "-i", "localhost,", "-c", "local", "localhost"]
    argv += ["-m", "pipssl.pipssl.pip_trust", "-a", f"ca={bundle}"]
    argv += ["-e", f"ansible_python_interpreter={sys.executable}"]
    done = run_shell(argv, tmp_path, env, timeout=120)
    assert done.returncode != 0, show(done)
    assert "holds a private key: only CA certificates are sent" in done.stdout, show(done)
    body = b"".join(key.splitlines()[1:-1]).decode()
    assert body[:40] not in done.stdout + done.stderr
    assert not list((tmp_path / "ansible").rglob("get-pipssl.py"))
