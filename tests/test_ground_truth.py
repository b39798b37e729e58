"""The real pip's verdict is the one that counts (interpreter.askpip, piplog; diagnosis.confirm).

Every diagnosis asks the target's pip to reach each index.  Here the answer is checked
against real downloads by the same pip (good index reached, untrusted and closed ones not),
and the two ways pipssl's model can be wrong are produced for real with a ``sitecustomize``
module - a change to pip's trust that no config file shows, as corporate images do:

* it sets ``REQUESTS_CA_BUNDLE`` to the interception root: pip reaches the intercepted index
  that pipssl's probe cannot verify (``pip-reaches``, and the index counts as reached);
* it sets ``REQUESTS_CA_BUNDLE`` to a file without the index's root: pip fails where the
  probe verified (``pip-cannot-reach``);
* it adds an extra index pipssl cannot see: pip's verdict for it is reported too.
Each has its twin without the module, where model and pip agree.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
from bed.findings import codes
from bed.index import closed_port
from bed.pip import pip_download
from bed.world import World
from targets import run_pipssl

from pipssl import diagnose
from pipssl.interpreter import askpip, piplog

FLAVOURS = ["legacy", "truststore"]


def sitecustomize(tmp_path: Path, body: str) -> None:
    """Put a sitecustomize module on PYTHONPATH for every Python the test starts."""
    directory = tmp_path / "site"
    directory.mkdir()
    (directory / "sitecustomize.py").write_text("import os\n" + body)
    os.environ["PYTHONPATH"] = str(directory)


@pytest.mark.once  # askpip runs the venvs' pips, whichever Python runs pytest
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_answer_is_what_pip_does(
    flavour: str, venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    good = pip_world.index("good", url_host="localhost")
    untrusted = pip_world.index("intercepted", url_host="localhost")
    closed = f"https://localhost:{closed_port()}/simple/"
    pip_world.trust()
    python = str(venvs[flavour])
    urls = [good.url, untrusted.url, closed]
    asking = askpip.ask(python, dict(os.environ), urls, 3)
    answer = piplog.answer(asking)
    assert not os.path.exists(asking.dest), "pip's download directory is removed"
    assert answer.problem == ""
    assert [piplog.index_key(u) for u in answer.indexes] == [piplog.index_key(u) for u in urls]
    reached = {piplog.index_key(u): answer.reach(u) for u in urls}
    assert reached[piplog.index_key(good.url)] == piplog.Reach(good.url, True)
    bad = answer.reach(untrusted.url)
    assert bad is not None and not bad.reached and bad.tls
    assert "CERTIFICATE_VERIFY_FAILED" in bad.reason
    refused = answer.reach(closed)
    assert refused is not None and not refused.reached and not refused.tls
    assert "connection" in refused.reason.lower()
    # the same pip, really downloading: from the good index only
    env = dict(os.environ)
    assert pip_download(Path(python), good.url, env, tmp_path / "a").returncode == 0
    assert pip_download(Path(python), untrusted.url, env, tmp_path / "b").returncode != 0
    assert pip_download(Path(python), closed, env, tmp_path / "c").returncode != 0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pip_reaches_what_the_probe_cannot(
    flavour: str, venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    index = pip_world.index("intercepted", url_host="localhost")
    python = venvs[flavour]
    # the twin first: nothing outside the config; pipssl and pip agree that it fails
    report = diagnose(python=str(python), index_urls=[index.url], timeout=3)
    assert "untrusted-issuer-unknown" in codes(report) and "pip-reaches" not in codes(report)
    assert report.targets[0].confirmed is False and not report.ok
    sitecustomize(
        tmp_path,
        f"os.environ['REQUESTS_CA_BUNDLE'] = {str(pip_world.certs.path('intercept.pem'))!r}\n",
    )
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode == 0, done.stderr  # the truth: pip installs
    report = diagnose(python=str(python), index_urls=[index.url], timeout=3)
    assert codes(report) == ["pip-reaches"] and report.ok
    (target,) = report.targets
    assert target.ok and target.confirmed is True and target.stage == "tls"
    found = report.findings[0]
    assert found.severity == "info" and "untrusted-issuer-unknown" in found.detail
    assert "ok: pip reaches it" in report.to_text()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pip_cannot_reach_what_the_probe_verified(
    flavour: str, venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    index = pip_world.index("good", url_host="localhost")
    pip_world.trust()
    python = venvs[flavour]
    report = diagnose(python=str(python), index_urls=[index.url], timeout=3)
    assert codes(report) == [] and report.targets[0].confirmed is True  # the twin
    wrong = pip_world.certs.path("intercept.pem")
    sitecustomize(tmp_path, f"os.environ['REQUESTS_CA_BUNDLE'] = {str(wrong)!r}\n")
    done = pip_download(python, index.url, dict(os.environ), tmp_path / "dl")
    assert done.returncode != 0  # the truth: pip fails
    report = diagnose(python=str(python), index_urls=[index.url], timeout=3)
    assert codes(report) == ["pip-cannot-reach"] and not report.ok
    (target,) = report.targets
    assert not target.ok and target.confirmed is False and target.stage == "done"
    assert "CERTIFICATE_VERIFY_FAILED" in target.pip_error
    found = report.findings[0]
    assert "pipssl's own probe reached it" in found.detail and "sitecustomize" in found.fix
    assert "FAILED: pip cannot reach it" in report.to_text()


def test_an_index_pipssl_does_not_know_is_judged_by_pip(
    venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    good = pip_world.index("good", url_host="localhost")
    hidden = pip_world.index("intercepted", url_host="localhost")
    pip_world.isolated.write_pip_conf(
        "[global]\ncert = {}\nindex-url = {}\n".format(pip_world.certs.path("root.pem"), good.url)
    )
    python = str(venvs["legacy"])
    report = diagnose(python=python, timeout=3)
    assert codes(report) == [] and [t.url for t in report.targets] == [good.url]
    sitecustomize(tmp_path, f"os.environ['PIP_EXTRA_INDEX_URL'] = {hidden.url!r}\n")
    report = diagnose(python=python, timeout=3)
    assert codes(report) == ["pip-cannot-reach"]
    assert [(t.url, t.ok, t.confirmed) for t in report.targets] == [
        (good.url, True, True),
        (hidden.url, False, False),
    ]
    assert "pipssl did not know pip uses this index" in report.findings[0].detail


@pytest.mark.once
@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("variable", ["PIP_CERT", "REQUESTS_CA_BUNDLE"])
def test_a_variable_that_breaks_a_working_config_is_the_cause(
    flavour: str, variable: str, venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    python = venvs[flavour]
    index = pip_world.index("good", url_host="localhost")
    pip_world.trust()
    # the twin: the variable overrides the config with a file that works as well
    same = tmp_path / "same-root.pem"
    same.write_bytes(pip_world.certs.path("root.pem").read_bytes())
    os.environ[variable] = str(same)
    data = doctor_json(python, index.url)
    assert data["ok"] and [f["code"] for f in data["findings"]] == ["env-shadows-config"]
    assert data["findings"][0]["severity"] == "warning"
    # now it names a CA file without the index's root: pip fails, the config alone works
    os.environ[variable] = str(pip_world.certs.path("intercept.pem"))
    assert not pip_works(python, index.url, tmp_path / "dl0")
    data = doctor_json(python, index.url)
    assert not data["ok"]
    assert [(f["code"], f["severity"]) for f in data["findings"]] == [
        ("env-shadows-config", "error")
    ], data["findings"]
    (found,) = data["findings"]
    assert (
        found["target"] == variable and f"without it pip reaches {index.url}" in found["summary"]
    )
    # repair changes no file and says to unset it; run retries without it and pip works
    proc = run_pipssl(*repair_for(python, index.url))
    result = json.loads(proc.stdout)
    assert result["env_to_unset"] == [variable] and not result["actions"], proc.stdout
    dest = tmp_path / "run"
    pip = ["pip", "download", "--no-deps", "--no-cache-dir", "--retries", "0", "-d", str(dest)]
    pip += ["--index-url", index.url, "pipssl_probe_pkg"]
    proc = run_pipssl("run", "--yes", "--python", str(python), "--", *pip)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"retrying once without {variable}" in proc.stderr
    assert list(dest.glob("pipssl_probe_pkg-*.whl"))
    # the fix doctor printed, pasted into the shell: pip works
    line = found["fix"].splitlines()[0]
    shell = subprocess.run(
        ["bash", "-c", f"{line}\nprintenv {variable} || echo unset"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert shell.stdout == "unset\n", line
    del os.environ[variable]
    assert pip_works(python, index.url, tmp_path / "dl1")


def doctor_json(python: Path, url: str) -> Dict[str, Any]:
    proc = run_pipssl("doctor", "--json", "--python", str(python), "--index-url", url)
    assert proc.returncode in (0, 1), proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def repair_for(python: Path, url: str) -> List[str]:
    return ["repair", "--yes", "--json", "--python", str(python), "--index-url", url]


def pip_works(python: Path, url: str, dest: Path) -> bool:
    return pip_download(python, url, dict(os.environ), dest).returncode == 0


def test_credentials_in_an_index_url_stay_out_of_pips_answer(
    venvs: Dict[str, Path], pip_world: World, tmp_path: Path
) -> None:
    index = pip_world.index("intercepted", url_host="localhost")
    secret = index.url.replace("https://", "https://alice:s3cret-token@")
    report = diagnose(python=str(venvs["legacy"]), index_urls=[secret], timeout=3)
    assert report.targets[0].confirmed is False
    assert "CERTIFICATE_VERIFY_FAILED" in report.targets[0].pip_error
    assert "s3cret-token" not in report.to_json() + report.to_text()
