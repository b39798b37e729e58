"""Consent as state: the CAs a user names stay trusted until they withdraw them, and
doctor watches them age.  Real pipssl processes, real pip, loopback indexes."""

from __future__ import annotations

import datetime
import json
import os
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
from bed.certs import LOOPBACK_NAMES, CertWorld, ServerCert, make_ca
from bed.index import serve_index
from bed.pip import pip_download, url_host_for
from bed.world import World
from targets import run_pipssl

from pipssl.certs.consent import consent_path

# Journeys through the CLI against fixed venvs: the Python running pytest does not matter.
pytestmark = pytest.mark.once


def works(python: Path, url: str, tmp: Path) -> bool:
    dest = tmp / f"dl{len(list(tmp.glob('dl*')))}"
    return pip_download(python, url, dict(os.environ), dest).returncode == 0


def repair(python: Path, url: str, *extra: str) -> Dict[str, Any]:
    proc = run_pipssl(
        "repair", "--yes", "--json", "--scope", "user", "--python", str(python),
        "--index-url", url, *extra,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def doctor(python: Path, url: str) -> List[Dict[str, str]]:
    """doctor's findings, but for information only (this pip reads no OS store, say)."""
    proc = run_pipssl("doctor", "--json", "--python", str(python), "--index-url", url)
    assert proc.returncode in (0, 1), proc.stderr
    findings: List[Dict[str, str]] = json.loads(proc.stdout)["findings"]
    return [f for f in findings if f["severity"] != "info"]


def short_lived_cert(tmp: Path, seconds: float) -> Any:
    """A server certificate whose CA ends ``seconds`` from now (the CA in short-ca.pem)."""
    ends = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    ca = make_ca("pipssl short-lived CA", "pipssl tests", not_after=ends)
    leaf = ca.issue_cert(*LOOPBACK_NAMES, common_name="pipssl short-lived server")
    leaf_pem = leaf.cert_chain_pems[0].bytes()
    (tmp / "short-ca.pem").write_bytes(ca.cert_pem.bytes())
    cert = ServerCert(
        "short", leaf_pem, leaf.private_key_pem.bytes(), leaf_pem, ca.cert_pem.bytes()
    )
    return cert, ends


@pytest.mark.slow
def test_a_consented_ca_ending_soon_is_a_warning_then_an_error_as_pip_starts_failing(
    venvs: Dict[str, Path], user_world: World, wheel_dir: Path, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    cert, ends = short_lived_cert(tmp_path, 12)
    with serve_index(wheel_dir, cert, url_host=url_host_for(python)) as index:
        check_ageing(python, index, str(tmp_path / "short-ca.pem"), ends, tmp_path)


def check_ageing(python: Path, index: Any, ca: str, ends: Any, tmp_path: Path) -> None:
    done = repair(python, index.url, "--ca", ca)
    assert done["ok"] and done["changed"], done
    assert works(python, index.url, tmp_path)
    found = doctor(python, index.url)
    assert [f["code"] for f in found] == ["consented-ca-expiring"], found
    assert found[0]["severity"] == "warning" and "pipssl short-lived CA" in found[0]["summary"]
    time.sleep(max(0.0, (ends - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 1)
    assert not works(python, index.url, tmp_path)  # what the finding warned of
    found = doctor(python, index.url)
    codes = [f["code"] for f in found]
    assert "consented-ca-expired" in codes and "consented-ca-expiring" not in codes, found
    expired = next(f for f in found if f["code"] == "consented-ca-expired")
    assert expired["severity"] == "error" and "pipssl forget" in expired["fix"]


def test_a_consented_ca_far_from_its_end_gives_no_finding(
    venvs: Dict[str, Path], user_world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = user_world.index("intercepted", python)
    done = repair(python, index.url, "--ca", str(user_world.certs.path("intercept.pem")))
    assert done["ok"], done
    assert doctor(python, index.url) == []


@pytest.mark.slow
def test_forget_withdraws_a_consented_ca_and_undo_gives_it_back(
    venvs: Dict[str, Path], user_world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = user_world.index("intercepted", python)
    assert repair(python, index.url, "--ca", str(user_world.certs.path("intercept.pem")))["ok"]
    listed = json.loads(run_pipssl("forget", "--json").stdout)["consented"]
    assert [c["subject"] for c in listed] == [
        "O=Zscaler Inc. (pipssl test double), CN=Zscaler Root CA (test)"
    ]
    sha = listed[0]["sha256"]
    text = run_pipssl("forget")
    assert text.returncode == 0 and sha in text.stdout + text.stderr
    # not on a terminal and no --yes: the plan and the command, nothing changed
    store = Path(consent_path(os.environ))
    before = store.read_bytes()
    asked = run_pipssl("forget", "--python", str(python), sha)
    assert asked.returncode == 1 and "--yes" in asked.stdout, asked.stderr
    assert store.read_bytes() == before
    gone = run_pipssl("forget", "--yes", "--json", "--python", str(python), sha)
    data = json.loads(gone.stdout)
    assert data["changed"] and not data["rolled_back"], data
    # indexes fail after it (no network here beyond loopback): exit 1, as forget's help says
    assert gone.returncode == 1 and not data["ok"] and data["still_failing"], data
    assert [c["sha256"] for c in data["bundle"]["removed"]] == [sha]
    assert not store.exists()
    assert not works(python, index.url, tmp_path)
    # the consent went with a journaled change: undo gives it back
    assert run_pipssl("undo").returncode == 0
    assert store.read_bytes() == before
    assert works(python, index.url, tmp_path)
    # a SHA-256 nobody consented to is bad input
    wrong = run_pipssl("forget", "--yes", "--python", str(python), "AB" * 32)
    assert wrong.returncode == 2 and "no CA you consented to" in wrong.stderr


def test_a_damaged_consent_store_is_one_line_and_nothing_is_written(
    venvs: Dict[str, Path], user_world: World, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = user_world.index("intercepted", python)
    store = Path(consent_path(os.environ))
    store.parent.mkdir(parents=True, mode=0o700)
    store.write_text('{"schema": 1, "cas": [{"sha256": "nope"}]}')
    proc = run_pipssl(
        "repair", "--yes", "--python", str(python), "--index-url", index.url,
        "--ca", str(user_world.certs.path("intercept.pem")),
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("pipssl: error: cannot read pipssl's consent store")
    assert "Traceback" not in proc.stderr
    assert not works(python, index.url, tmp_path)


def test_the_cas_in_a_bundle_from_before_the_consent_store_are_carried_over(
    venvs: Dict[str, Path], user_world: World, tmp_path: Path
) -> None:
    from pipssl.certs import bundle as cabundle
    from pipssl.certs.compose import BUNDLE_HEADER

    python = venvs["legacy"]
    index = user_world.index("intercepted", python)
    corp = cabundle.load_cafile(user_world.certs.path("intercept.pem"))[0]
    # as pipssl 0.1.0 wrote it: the user's CA only in the bundle's comments
    bundle = Path(os.environ["XDG_DATA_HOME"]) / "pipssl" / "ca-bundle.pem"
    bundle.parent.mkdir(parents=True)
    entries = [cabundle.BundleEntry(corp, "named by the user: /old/corp.pem")]
    bundle.write_text(BUNDLE_HEADER + cabundle.render_bundle(entries))
    user_world.pip_conf("user", f"[global]\ncert = {bundle}\n")
    assert works(python, index.url, tmp_path)
    done = repair(python, index.url)
    assert done["ok"], done
    assert [a["kind"] for a in done["actions"]] == ["write-bundle", "record-consent"]
    assert done["bundle"]["removed"] == []  # certifi's roots added, the user's CA kept
    assert works(python, index.url, tmp_path)
    listed = json.loads(run_pipssl("forget", "--json").stdout)["consented"]
    assert [(c["sha256"], c["source"]) for c in listed] == [
        (corp.sha256, "named by the user: /old/corp.pem")
    ]


def test_only_the_labels_of_a_bundle_without_a_store_are_carried(cert_world: CertWorld) -> None:
    from pipssl.certs import bundle as cabundle
    from pipssl.certs.compose import BUNDLE_HEADER, consents_in_bundle

    corp = cabundle.load_cafile(cert_world.path("intercept.pem"))[0]
    root = cabundle.load_cafile(cert_world.path("root.pem"))[0]

    def bundle(*entries: Any) -> bytes:
        return (BUNDLE_HEADER + cabundle.render_bundle(entries)).encode()

    old = bundle(
        cabundle.BundleEntry(root, "certifi 2026.5.20"),
        cabundle.BundleEntry(corp, "confirmed by SHA-256 " + corp.sha256),
    )
    assert consents_in_bundle(old, "b") == [(corp, "confirmed by SHA-256 " + corp.sha256)]
    # pipssl's own labels now: the consent store is the record, never the bundle's comments
    new = bundle(cabundle.BundleEntry(corp, "consented 2026-12-01, named by the user: /x"))
    assert consents_in_bundle(new, "b") == []
    # and a file pipssl did not write is not read at all
    assert consents_in_bundle(old[len(BUNDLE_HEADER) :], "b") == []
