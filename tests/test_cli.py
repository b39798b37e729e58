"""The CLI contract: exit codes, one JSON object on stdout, one-line errors, redaction."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest
from bed.isolation import IsolatedEnv
from targets import run_pipssl

import pipssl
import pipssl.cli.main
from pipssl import codes


@pytest.fixture
def legacy(venvs: Dict[str, Path]) -> str:
    return str(venvs["legacy"])


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    first = proc.stderr.strip().splitlines()[0]
    for needle in needles:
        assert needle in first, first
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"[global\ncert = x\n", "pip-env.conf"),  # malformed section header
        (b"cert = x\n", "pip-env.conf"),  # key before any section
        (b"[global]\ncert = a\n[global]\ncert = b\n", "pip-env.conf"),  # duplicate section
        (b"[global]\nindex-url = \xff\xfe\xfa\n", "pip-env.conf"),  # not UTF-8
    ],
)
def test_bad_pip_config_is_a_finding_for_doctor_and_a_one_line_error_for_repair(
    content: bytes, needle: str, isolated_env: IsolatedEnv, legacy: str
) -> None:
    isolated_env.pip_config_file.write_bytes(content)
    proc = run_pipssl("doctor", "--python", legacy, "--index-url", "https://127.0.0.1:9/s/")
    shown = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "Traceback" not in shown
    assert "pip refuses to run with" in shown and needle in shown
    proc = run_pipssl("repair", "--dry-run", "--python", legacy)
    one_line_error(proc, needle)


def test_cert_that_is_a_directory_without_hashed_names(
    isolated_env: IsolatedEnv, legacy: str, tmp_path: Path
) -> None:
    """A directory is a CA directory to pip (requests hands it to OpenSSL as capath): one
    with no <subject hash>.<n> name gives OpenSSL nothing, which doctor says."""
    empty = tmp_path / "certs.d"
    empty.mkdir()
    isolated_env.write_pip_conf(f"[global]\ncert = {empty}\n")
    proc = run_pipssl("doctor", "--python", legacy, "--index-url", "https://127.0.0.1:9/s/")
    shown = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "Traceback" not in shown
    assert "CA directory" in shown and str(empty) in shown


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:8443/simple/",
        "ftp://127.0.0.1/simple/",
        "https://",
        "https://127.0.0.1:99999/simple/",
    ],
)
def test_bad_index_url(url: str, isolated_env: IsolatedEnv, legacy: str) -> None:
    one_line_error(run_pipssl("doctor", "--python", legacy, "--index-url", url), "index URL")


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_bad_timeout(value: str, isolated_env: IsolatedEnv) -> None:
    proc = run_pipssl("doctor", "--timeout", value)
    assert proc.returncode == 2 and "--timeout" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_python(isolated_env: IsolatedEnv, tmp_path: Path) -> None:
    one_line_error(run_pipssl("doctor", "--python", str(tmp_path / "nope")), "--python")


def test_credentials_in_index_url_never_shown(isolated_env: IsolatedEnv, legacy: str) -> None:
    url = "https://bob:hunter2-token@127.0.0.1:9/simple/"
    for args in (["doctor", "--json"], ["doctor"]):
        proc = run_pipssl(*args, "--python", legacy, "--index-url", url, "--timeout", "2")
        assert proc.returncode == 1
        assert "hunter2" not in proc.stdout + proc.stderr
        assert "bob:****@127.0.0.1" in proc.stdout + proc.stderr
    isolated_env.write_pip_conf("[global]\nindex-url = https://tok-abc123@127.0.0.1:9/simple/\n")
    proc = run_pipssl("doctor", "--json", "--python", legacy, "--timeout", "2")
    assert "tok-abc123" not in proc.stdout + proc.stderr


def test_json_contract(isolated_env: IsolatedEnv, legacy: str) -> None:
    proc = run_pipssl(
        "--json",
        "doctor",
        "--python",
        legacy,
        "--index-url",
        "https://127.0.0.1:9/simple/",
        "--timeout",
        "2",
    )
    data: Dict[str, Any] = json.loads(proc.stdout)  # the whole of stdout is one object
    assert data["schema"] == 1 and data["ok"] is False and proc.returncode == 1
    assert set(data) >= {"schema", "ok", "python", "pip", "findings", "actions"}
    assert data["python"]["executable"].startswith(str(Path(legacy).parent.parent))
    assert data["pip"]["version"] == "23.0.1"
    for f in data["findings"]:
        assert set(f) == {"code", "severity", "target", "summary", "detail", "fix"}
        assert f["code"] in codes.CODES and f["severity"] in ("error", "warning", "info")
    assert [f["code"] for f in data["findings"]] == ["connection-refused"]


def test_text_output_is_pip_like_and_exit_codes(isolated_env: IsolatedEnv, legacy: str) -> None:
    proc = run_pipssl(
        "doctor",
        "--python",
        legacy,
        "--index-url",
        "https://127.0.0.1:9/simple/",
        "--timeout",
        "2",
    )
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr  # the report alone, on stdout
    assert "ERROR: nothing listens on 127.0.0.1:9 [connection-refused]" in proc.stdout
    assert "fix:" in proc.stdout
    # no argument at all = doctor, on the configured index (a dead loopback port here)
    isolated_env.write_pip_conf("[global]\nindex-url = https://127.0.0.1:9/simple/\n")
    proc = run_pipssl("--json")
    assert json.loads(proc.stdout)["schema"] == 1


def test_help_lists_only_what_exists() -> None:
    proc = run_pipssl("--help")
    assert proc.returncode == 0 and "doctor" in proc.stdout
    proc = run_pipssl("doctor", "--help")
    for option in ("--json", "--index-url", "--timeout", "--python"):
        assert option in proc.stdout
    proc = run_pipssl("--version")
    assert proc.stdout.strip() == "pipssl " + pipssl.__version__


def test_library_never_prints(
    isolated_env: IsolatedEnv, legacy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    report = pipssl.diagnose(python=legacy, index_urls=["https://127.0.0.1:9/simple/"], timeout=2)
    assert report.codes() == ["connection-refused"]
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_hints_are_spelt_as_pipssl_was_run(
    isolated_env: IsolatedEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipssl import commands
    from pipssl.certs.consent import consent_path, read_consent
    from pipssl.errors import PipsslError

    script = tmp_path / "get-pipssl.py"
    script.write_text("")
    ran, before = commands.bootstrap(str(script)), commands.current()
    head = ran.line([])
    try:
        assert pipssl.cli.main.main(["forget"], invocation=ran) == 0
        assert f"({head} repair --ca FILE adds one)" in capsys.readouterr().out
        store = Path(consent_path(os.environ))
        store.parent.mkdir(parents=True, mode=0o700)
        store.write_text("{not json")
        with pytest.raises(PipsslError) as caught:
            read_consent(os.environ)
        assert f"`{head} repair --ca FILE`" in str(caught.value.hint)
    finally:
        commands.use(before)
