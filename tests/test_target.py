"""Facts read from the target interpreter, and the default index taken from its pip."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Dict

import pytest
from bed.isolation import IsolatedEnv

from pipssl.diagnosis.indexes import urls_to_check
from pipssl.errors import PipsslError
from pipssl.interpreter import facts, pipconfig
from pipssl.interpreter.facts import inspect, parse_version

ASK_PIP = (
    "import json, pip; from pip._internal.models.index import PyPI; "
    "print(json.dumps([pip.__version__, PyPI.simple_url, PyPI.file_storage_domain]))"
)


@pytest.mark.parametrize("flavour", ["legacy", "truststore"])
def test_default_index_comes_from_the_installed_pip(
    flavour: str, venvs: Dict[str, Path], isolated_env: IsolatedEnv
) -> None:
    version, simple_url, file_host = json.loads(
        subprocess.run(
            [str(venvs[flavour]), "-c", ASK_PIP],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
    target = inspect(str(venvs[flavour]))
    assert target.pip is not None and target.pip.version == version
    assert target.pip.default_index == simple_url
    assert Path(target.pip.certifi or "").is_file()
    assert target.prefix == str(venvs[flavour].parent.parent)
    import os

    environ = dict(os.environ, PIP_CONFIG_FILE=os.devnull)
    config = pipconfig.load(environ, prefix=target.prefix)
    assert urls_to_check(target, config) == [simple_url, f"https://{file_host}/"]
    # a configured index replaces the default one; extra-index-url adds to it
    environ["PIP_INDEX_URL"] = "https://127.0.0.1:1/simple/"
    environ["PIP_EXTRA_INDEX_URL"] = "https://127.0.0.1:2/simple/ file:///srv/wheels"
    config = pipconfig.load(environ, prefix=target.prefix)
    assert urls_to_check(target, config) == [
        "https://127.0.0.1:1/simple/",
        "https://127.0.0.1:2/simple/",
    ]
    assert urls_to_check(target, config, []) == []


def test_clean_venv_matches_its_record(venvs: Dict[str, Path], isolated_env: IsolatedEnv) -> None:
    target = inspect(str(venvs["legacy"]))
    (check,) = [c for c in target.record_checks if c.dist == "pip"]
    assert check.expected == check.actual and not check.modified
    assert target.ssl.ok is True and target.ssl.openssl.startswith("OpenSSL")
    assert target.pip_version == (23, 0, 1)


def test_python_without_pip(bare_python: Path, isolated_env: IsolatedEnv) -> None:
    target = inspect(str(bare_python))
    assert target.pip is None and target.pip_version is None


@pytest.mark.parametrize("then", ["", "import time; time.sleep(60)"], ids=["alone", "then"])
def test_unrunnable_interpreters(tmp_path: Path, isolated_env: IsolatedEnv, then: str) -> None:
    """The same errors whether the facts child is alone or goes on to another script."""

    def facts_of(python: Path) -> None:
        facts.start(str(python), timeout=30, then=then, then_limit=60).result()

    with pytest.raises(PipsslError, match="no such interpreter"):
        facts_of(tmp_path / "missing")
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho not json\nsleep 60\n")
    fake.chmod(0o755)
    with pytest.raises(PipsslError, match="did not answer"):
        facts_of(fake)
    fake.write_text("#!/bin/sh\necho 'Fatal Python error: init_fs_encoding' >&2\nexit 1\n")
    with pytest.raises(PipsslError, match=r"did not answer \(Fatal Python error: init_fs"):
        facts_of(fake)


def test_the_facts_come_first_when_the_child_goes_on(
    isolated_env: IsolatedEnv, tmp_path: Path
) -> None:
    """With a script after the facts, they are read as soon as the child has written them
    (here it then runs ten seconds more), and the child is left running for the script's
    reader; the facts' own deadline still holds for an interpreter that writes nothing."""
    start = time.monotonic()
    inspection = facts.start(timeout=30, then="import time; time.sleep(10)", then_limit=30)
    target = inspection.result()
    assert target.executable and time.monotonic() - start < 8
    running = inspection.child
    assert running is not None and not running.said_all()
    running.stop()
    assert running.wait().stopped == "cancelled"
    # twin: an interpreter that answers nothing is stopped at the facts' limit, not the whole
    silent = tmp_path / "python"
    silent.write_text("#!/bin/sh\nsleep 60\n")
    silent.chmod(0o755)
    start = time.monotonic()
    inspection = facts.start(str(silent), timeout=1, then="x", then_limit=60)
    with pytest.raises(PipsslError, match="did not answer in 1 s and was stopped"):
        inspection.result()
    assert time.monotonic() - start < 10
    assert inspection.child is not None and inspection.child.wait().stopped == "cancelled"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("24.2", (24, 2)), ("23.0.1", (23, 0, 1)), ("25.0b1", (25, 0)), ("26.3.dev0", (26, 3))],
)
def test_parse_version(text: str, expected: tuple) -> None:
    assert parse_version(text) == expected


ASK_SSL = (
    "import json, ssl; p = ssl.get_default_verify_paths(); "
    "print(json.dumps([p.openssl_cafile_env, p.openssl_capath_env, p.openssl_cafile, "
    "p.openssl_capath]))"
)


@pytest.mark.parametrize("flavour", ["legacy", "truststore"])
def test_openssl_default_paths_come_from_the_target(
    flavour: str, venvs: Dict[str, Path], isolated_env: IsolatedEnv, tmp_path: Path
) -> None:
    """The OS store a truststore pip reads is where *its* OpenSSL looks: the target's
    answer, not pipssl's; and the store follows the paths it is given."""
    from pipssl.certs.store import linux

    asked = json.loads(
        subprocess.run(
            [str(venvs[flavour]), "-c", ASK_SSL],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
    paths = inspect(str(venvs[flavour])).ssl.verify_paths
    assert paths == linux.OpenSSLPaths(*asked)
    # another OpenSSL's compiled-in file (a conda or python.org build, say) is read instead
    other = tmp_path / "cert.pem"
    import trustme

    pem = trustme.CA().cert_pem.bytes()
    other.write_bytes(pem)
    store = linux.store({}, linux.OpenSSLPaths(cafile=str(other), capath=str(tmp_path / "no")))
    assert store.pem == pem.decode("ascii")
    assert [s.location for s in store.sources] == [str(other)]
