"""doctor says what the real pip does: per index, and of settings pip ignores.

Worlds run with the real pips of the matrix, pip 23.0.1 (Python 3.8, one bundle) and
pip 24.2 (Python 3.13, truststore); each world's pip run is what doctor is checked against.
``once``: the verdicts are those of the fixed venvs' pips, and what pipssl does with them
(reading their log, their config) is string work that no Python release changes.

* a plain-HTTP index given on doctor's command line: pip ignores it there as it does in
  its config (``http-index-ignored``, fixed with the https:// URL alone);
* pip ending before it reaches an index (a ``cert`` file it cannot open; pip 24.2's
  traceback on an IP-address index): that index is not ok, and a finding says why;
* settings pip does not read: a missing ``PIP_CERT`` that ``REQUESTS_CA_BUNDLE`` overrides
  (information), ``PIP_CERT=""`` (nothing), ``PIP_CONFIG_FILE`` the null device (named;
  the cause when pip, asked without it, reaches the index).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List

import pytest
from bed.findings import codes
from bed.osstore import MountedOsStore
from bed.pip import pip_download
from bed.world import World
from targets import run_pipssl

from pipssl import diagnose

FLAVOURS = ["legacy", "truststore"]
HTTP_HOST = "pipssl-http.test"  # 127.0.0.1 inside the test's own /etc/hosts
IGNORED = "is not a trusted or secure host and is being ignored"
NO_BUNDLE = "Could not find a suitable TLS CA certificate bundle"


def doctor(prefix: List[str], python: Path, *urls: str) -> Dict[str, Any]:
    args = [a for url in urls for a in ("--index-url", url)]
    proc = run_pipssl("doctor", "--json", "--python", str(python), *args, prefix=prefix)
    assert proc.returncode in (0, 1), proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    assert data["ok"] == (proc.returncode == 0)
    return data


# --- item 4: a plain-HTTP index on the command line -----------------------------------------


@pytest.mark.once
@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_plain_http_index_given_on_the_command_line_is_ignored_by_pip_and_said_so(
    flavour: str,
    venvs: Dict[str, Path],
    pip_world: World,
    mounted_os_store: MountedOsStore,
    tmp_path: Path,
) -> None:
    python = venvs[flavour]
    plain = pip_world.index(None, mode="plain")
    prefix = mounted_os_store.prefix(hosts=[HTTP_HOST])
    url = f"http://alice:s3cret@{HTTP_HOST}:{plain.port}/simple/"
    # the real pip, given the index on its command line, ignores it (it reads nothing)
    done = pip_download(python, url, dict(os.environ), tmp_path / "dl", prefix=prefix)
    assert done.returncode != 0 and IGNORED in done.stdout + done.stderr
    assert plain.requests == []
    data = doctor(prefix, python, url)
    assert [f["code"] for f in data["findings"]] == ["http-index-ignored"], data["findings"]
    found = data["findings"][0]
    assert found["severity"] == "warning" and data["ok"]  # as for the same URL in pip.conf
    assert found["target"] == url.replace("s3cret", "****")
    assert (
        "given with --index-url" in found["detail"] and f"{HTTP_HOST} {IGNORED}" in found["detail"]
    )
    assert "https://" in found["fix"] and "trusted-host" not in found["fix"]
    assert "http://" not in found["fix"] and "s3cret" not in json.dumps(data)
    # the twin: on a loopback IP pip reads a plain-HTTP index (test_classify_real proves it
    # with the real pips), and doctor says nothing
    loopback = f"http://127.0.0.1:{plain.port}/simple/"
    report = diagnose(python=str(python), index_urls=[loopback], timeout=2, confirm=False)
    assert "http-index-ignored" not in codes(report)


# --- item 5: pip ends before an index ---------------------------------------------------------


@pytest.mark.once
@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pip_ending_on_a_cert_file_it_cannot_open_reaches_no_index(
    flavour: str,
    venvs: Dict[str, Path],
    pip_world: World,
    mounted_os_store: MountedOsStore,
    tmp_path: Path,
) -> None:
    # The index's root is in the OS store: pip 24.2 (truststore) would verify it, and
    # pipssl's probe, leaving the broken file out, does; but pip stops at the file first.
    python = venvs[flavour]
    mounted_os_store.set(pip_world.certs.path("root.pem").read_bytes())
    prefix = mounted_os_store.prefix()
    index = pip_world.index("good", url_host="localhost")
    missing = tmp_path / "gone.pem"
    pip_world.isolated.write_pip_conf(f"[global]\ncert = {missing}\n")
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "dl", prefix=prefix)
    assert done.returncode != 0 and NO_BUNDLE in done.stdout + done.stderr
    data = doctor(prefix, python, index.url)
    (target,) = data["targets"]
    assert (target["ok"], target["confirmed"]) == (False, False), target
    assert NO_BUNDLE in target["pip_error"] and not data["ok"]
    by_code = {f["code"]: f for f in data["findings"]}
    assert by_code["cafile-missing"]["severity"] == "error"
    if flavour == "truststore":  # the probe reached it: pip's words say why pip did not
        stops = by_code["pip-cannot-reach"]
        assert stops["target"] == index.url and NO_BUNDLE in stops["detail"]
    # the twin: the file is there, pip reaches the index, and doctor agrees
    pip_world.trust()
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "ok")
    assert done.returncode == 0, done.stdout + done.stderr
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5)
    assert report.ok and report.findings == () and report.targets[0].confirmed is True


@pytest.mark.once
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pip_stopping_at_an_ip_address_index_fails_that_index_alone(
    flavour: str, venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    # pip 24.2 (truststore) reaches the named index, then stops with a traceback at the
    # IP-address one (pypa/pip#12906); pip 23.0.1, the twin, reaches both.
    python = venvs[flavour]
    pip_world.trust()
    named = pip_world.index("good", url_host="localhost")
    by_ip = named.url.replace("localhost", "127.0.0.1")
    done = pip_download(
        python,
        named.url,
        dict(os.environ),
        tmp_path / "dl",
        extra_args=["--extra-index-url", by_ip],
    )
    crashes = flavour == "truststore"
    said = done.stdout + done.stderr
    assert (done.returncode == 0) != crashes and ("check_hostname requires" in said) == crashes
    report = diagnose(python=str(python), index_urls=[named.url, by_ip], timeout=5)
    first, second = report.targets
    assert (first.ok, first.confirmed) == (True, True)
    assert (second.ok, second.confirmed) == (not crashes, not crashes)
    assert report.ok != crashes
    if crashes:
        assert "ValueError: check_hostname requires server_hostname" in second.pip_error
        # the known bug says why pip stops there: no second finding for it
        assert [(f.code, f.target) for f in report.findings] == [("pip-known-bug", by_ip)]


@pytest.mark.once
def test_pip_ending_before_it_names_an_index_leaves_none_ok() -> None:
    """pip's own log, ended with an error before "Looking in indexes" (its default index
    is never named): every index the probe reached fails, and says why pip ended; a log
    that ends in pip's "no matching distribution" is a pip that finished."""
    from pipssl.diagnosis.confirm import confirm
    from pipssl.diagnosis.report import TargetResult
    from pipssl.interpreter import piplog

    url = "https://127.0.0.1:1/simple/"
    why = "Could not install packages due to an OSError: Could not find a suitable TLS CA"
    answer = piplog.parse(f"Using pip 24.2\nERROR: {why}\n")
    assert answer.problem and answer.aborted == why and not answer.stopped
    results, findings = confirm(
        [TargetResult(url, True, "done", 0.1)], [], answer, configured=True
    )
    assert [(r.ok, r.confirmed, r.pip_error) for r in results] == [(False, False, why)]
    assert [(f.code, f.target) for f in findings] == [("pip-cannot-reach", url)]
    assert why in findings[0].detail
    crash = 'ERROR: Exception:\nTraceback (most recent call last):\n  File "x"\nValueError: boom\n'
    assert piplog.parse(f"Looking in indexes: {url}\n{crash}").reach(url) == piplog.Reach(
        url, False, "ValueError: boom", aborted=True
    )
    finished = f"Looking in indexes: {url}\n{crash}ERROR: No matching distribution found for x\n"
    assert piplog.parse(finished).aborted == "" and piplog.parse(finished).reach(url) is None


# --- item 6: settings pip does not read -----------------------------------------------------


@pytest.mark.once
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_missing_pip_cert_overridden_by_requests_ca_bundle_is_information(
    flavour: str,
    venvs: Dict[str, Path],
    pip_world: World,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    python = venvs[flavour]
    index = pip_world.index("good", url_host="localhost")
    missing = str(tmp_path / "gone.pem")
    monkeypatch.setenv("PIP_CERT", missing)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pip_world.certs.path("root.pem")))
    # requests lets the variable win: both pips verify with it and never open PIP_CERT
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode == 0, done.stdout + done.stderr
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5, confirm=False)
    assert report.ok and report.targets[0].ok, report.findings
    (found,) = [f for f in report.findings if f.code == "cafile-missing"]
    assert found.severity == "info" and found.target == missing
    assert "REQUESTS_CA_BUNDLE overrides it" in found.summary
    assert [f.code for f in report.findings if f.severity == "error"] == []
    assert "REQUESTS_CA_BUNDLE" in [f.target for f in report.findings]
    # the twin: without the variable pip opens the missing file and stops
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "no")
    assert done.returncode != 0 and NO_BUNDLE in done.stdout + done.stderr
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5, confirm=False)
    assert not report.ok and [
        f.severity for f in report.findings if f.code == "cafile-missing"
    ] == ["error"]


@pytest.mark.once
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_empty_pip_cert_is_skipped_by_pip_and_by_doctor(
    flavour: str,
    venvs: Dict[str, Path],
    pip_world: World,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    python = venvs[flavour]
    index = pip_world.index("good", url_host="localhost")
    root = str(pip_world.certs.path("root.pem"))
    pip_world.isolated.write_pip_conf(f"[global]\ncert = {root}\n")
    monkeypatch.setenv("PIP_CERT", "")
    # pip skips a variable set empty: the config's cert stays, and pip verifies with it
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode == 0, done.stdout + done.stderr
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5, confirm=False)
    assert report.findings == () and report.targets[0].ok
    assert root in report.pip.trust


@pytest.mark.once
@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pip_config_file_the_null_device_is_named_and_blamed_when_it_hides_the_ca(
    flavour: str,
    venvs: Dict[str, Path],
    pip_world: World,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    python = venvs[flavour]
    index = pip_world.index("good", url_host="localhost")
    root = str(pip_world.certs.path("root.pem"))
    user = pip_world.isolated.write_pip_conf(f"[global]\ncert = {root}\n", where="user")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    # pip reads no config file at all, so not the CA in the user's pip.conf
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in done.stdout + done.stderr
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5)
    assert not report.ok and report.targets[0].confirmed is False
    # pip, asked again without it, reaches the index: the variable is the cause
    assert [(f.code, f.target, f.severity) for f in report.findings] == [
        ("env-shadows-config", "PIP_CONFIG_FILE", "error")
    ]
    found = report.findings[0]
    assert "pip reads no config file" in found.summary and str(user) in found.detail
    # the twin: the variable names no file, while the CA comes from a variable; pip
    # reaches the index, and the null device is named, as information
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", root)
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "ok")
    assert done.returncode == 0, done.stdout + done.stderr
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5, confirm=False)
    assert report.ok and report.targets[0].ok
    assert [(f.code, f.target, f.severity) for f in report.findings] == [
        ("env-shadows-config", "PIP_CONFIG_FILE", "info")
    ]
