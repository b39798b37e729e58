"""An expired root of this machine's store at the end of the path (root-expired).

The world of a CA's root expiry (tests/bed/rootexpiry.py): the old root R1 expired and is
what pip trusts; the new root R2 is not; the server sends its leaf, an intermediate of R2
and R2 cross-signed by R1.  Every certificate the server sends is valid, so the server's
owner has nothing to renew: doctor names the expired root, the root the server chains to,
and a fix that works (``repair --ca R2``, or ``repair`` alone when the OS store holds R2),
each proven with the real pips (23.0.1 on Python 3.8, 24.2 on Python 3.13).  The twins: an
expired leaf or intermediate is still the server's ``cert-expired``, and an expired root
with no other path offered is ``root-expired`` asking for a renewed root.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict

import pytest
from bed.certs import CertWorld
from bed.findings import codes
from bed.rootexpiry import NEW_ROOT, OLD_ROOT, RootExpiry, root_expiry
from bed.world import World
from targets import run_pipssl

from pipssl import diagnose

FLAVOURS = ["legacy", "truststore"]
EXPIRED = "certificate has expired"


@pytest.fixture(scope="module")
def expiry(cert_world: CertWorld) -> RootExpiry:
    """One world of roots and chains for the module (the session's root issues the
    expired intermediate)."""
    return root_expiry(cert_world)


def pip_install(python: Path, url: str, dest: Path) -> subprocess.CompletedProcess[str]:
    """The real ``pip install`` of the bed's package from ``url`` into ``dest``."""
    argv = [str(python), "-m", "pip", "install", "--no-deps", "--no-cache-dir"]
    argv += ["--disable-pip-version-check", "--retries", "0", "--index-url", url]
    argv += ["--target", str(dest), "pipssl_probe_pkg"]
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=90, env=dict(os.environ), check=False
    )


def old_root_trusted(pip_world: World, expiry: RootExpiry, tmp_path: Path) -> Dict[str, Path]:
    """pip's cert (the user's config) holds R1 alone; the OS store certifi's roots."""
    roots = expiry.write(tmp_path / "roots")
    pip_world.user_scope().os_store()
    pip_world.pip_conf("user", f"[global]\ncert = {roots['old']}\n")
    return roots


@pytest.mark.once  # the per-Python part, doctor's words, is the test below every Python runs
@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_cross_signed_chain_to_an_expired_root_names_the_root_and_repair_ca_fixes_it(
    flavour: str, venvs: Dict[str, Path], pip_world: World, expiry: RootExpiry, tmp_path: Path
) -> None:
    python = venvs[flavour]
    roots = old_root_trusted(pip_world, expiry, tmp_path)
    index = pip_world.index(expiry.chains["cross-signed"], url_host="localhost")
    done = pip_install(python, index.url, tmp_path / "before")
    assert done.returncode != 0 and EXPIRED in done.stdout + done.stderr

    report = diagnose(python=str(python), index_urls=[index.url], timeout=5)
    assert codes(report) == ["root-expired"], report.findings
    found = report.findings[0]
    assert OLD_ROOT in found.summary and "server (test)" not in found.summary
    assert f"expired root: O=pipssl tests, CN={OLD_ROOT}" in found.detail
    assert f"localhost also chains to the root O=pipssl tests, CN={NEW_ROOT}" in found.detail
    assert f"needs the root localhost chains to, O=pipssl tests, CN={NEW_ROOT}" in found.fix
    assert "--ca pipssl-new-root-ca-test.pem" in found.fix
    assert "server's owner must renew" not in found.fix

    args = ["repair", "--yes", "--json", "--scope", "user", "--python", str(python)]
    proc = run_pipssl(*args, "--index-url", index.url, "--ca", str(roots["new"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["ok"]
    done = pip_install(python, index.url, tmp_path / "after")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.once
@pytest.mark.parametrize("flavour", [pytest.param("legacy", marks=pytest.mark.slow), "truststore"])
def test_new_root_in_the_os_store_repair_alone_rebuilds(
    flavour: str, venvs: Dict[str, Path], pip_world: World, expiry: RootExpiry, tmp_path: Path
) -> None:
    # pip's cert is an old bundle holding R1 alone; the OS store holds R1 and R2.
    python = venvs[flavour]
    roots = old_root_trusted(pip_world, expiry, tmp_path)
    pip_world.store.write_bytes(pip_world.store.read_bytes() + expiry.old_root + expiry.new_root)
    index = pip_world.index(expiry.chains["cross-signed"], url_host="localhost")
    report = diagnose(python=str(python), index_urls=[index.url], timeout=5)
    if flavour == "truststore":
        # pip 24.2 reads the OS store too, and OpenSSL takes the trusted R2 first.
        assert codes(report) == [] and report.ok, report.findings
        assert pip_install(python, index.url, tmp_path / "ts").returncode == 0
        return
    assert codes(report) == ["root-expired"], report.findings
    fix = report.findings[0].fix
    assert f"already holds the current root O=pipssl tests, CN={NEW_ROOT} (the OS store)" in fix
    assert "--ca" not in fix and roots["new"].name not in fix

    args = ["repair", "--yes", "--json", "--scope", "user", "--python", str(python)]
    proc = run_pipssl(*args, "--index-url", index.url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["ok"]
    done = pip_install(python, index.url, tmp_path / "after")
    assert done.returncode == 0, done.stdout + done.stderr


def by_target(report: Any) -> Dict[str, Any]:
    """The one finding of each index (each must have exactly one)."""
    found: Dict[str, Any] = {}
    for finding in report.findings:
        assert finding.target not in found, report.findings
        found[finding.target] = finding
    return found


def test_doctor_names_the_expired_root_and_its_twins_the_expired_certificate_sent(
    venvs: Dict[str, Path], pip_world: World, expiry: RootExpiry, tmp_path: Path
) -> None:
    """doctor in this Python, with the real pip 23.0.1 asked too (each finding stands
    because that pip fails as well), several indexes per diagnosis: the expired root named,
    with and without another path offered; an expired leaf or intermediate the server sends
    is still its own; and with neither root trusted, the cross-signed new root is named
    beside the unknown one."""
    python = str(venvs["legacy"])
    old_root_trusted(pip_world, expiry, tmp_path)
    served = {
        kind: pip_world.index(chain, url_host="localhost").url
        for kind, chain in [
            *expiry.chains.items(),
            ("expired-leaf", pip_world.certs.server_cert("expired")),
        ]
    }
    cross, alone = served["cross-signed"], served["old-root-only"]
    found = by_target(diagnose(python=python, index_urls=[cross, alone], timeout=5))
    assert {f.code for f in found.values()} == {"root-expired"}, found
    for finding in found.values():
        assert OLD_ROOT in finding.summary and "server (test)" not in finding.summary
    assert (
        f"localhost also chains to the root O=pipssl tests, CN={NEW_ROOT}" in found[cross].detail
    )
    assert "--ca pipssl-new-root-ca-test.pem" in found[cross].fix
    assert "localhost sends no certificate that leads to another root" in found[alone].detail
    assert f"CN={OLD_ROOT} renewed (same name and key)" in found[alone].fix
    assert "the server's owner must move to a certificate under a current root" in found[alone].fix
    assert "--ca pipssl-old-root-ca-expired-test.pem" in found[alone].fix

    pip_world.pip_conf("user", f"[global]\ncert = {pip_world.certs.path('root.pem')}\n")
    found = by_target(diagnose(python=python, index_urls=list(served.values()), timeout=5))
    for kind, named, other in [
        ("expired-leaf", "CN=pipssl good server (test)", "Intermediate"),
        ("expired-intermediate", "CN=pipssl Expired Intermediate CA", "server"),
    ]:
        finding = found[served[kind]]
        assert finding.code == "cert-expired", finding
        assert "presents an expired certificate (" in finding.summary
        assert named in finding.summary and other not in finding.summary
        assert "the server's owner must renew it" in finding.fix
    # Neither root trusted: the issuer is unknown; the new root the server sends
    # cross-signed is named as the other way in, and only where the server sends one.
    for url, offered in [(cross, True), (alone, False)]:
        assert found[url].code == "untrusted-issuer-unknown", found[url]
        fix = found[url].fix
        assert "--ca pipssl-old-root-ca-expired-test.pem" in fix
        assert ("--ca pipssl-new-root-ca-test.pem" in fix) is offered, fix
        assert (f"also sends 'O=pipssl tests, CN={NEW_ROOT}' issued by" in fix) is offered


@pytest.mark.once
def test_path_is_built_as_openssl_builds_it(expiry: RootExpiry, cert_world: CertWorld) -> None:
    from pipssl.certs.bundle import read_pem
    from pipssl.diagnosis.rootexpiry import build_path, current_root, expired_root

    now = datetime.now(timezone.utc)
    old, new = read_pem(expiry.old_root)[0], read_pem(expiry.new_root)[0]
    cross = read_pem(expiry.chains["cross-signed"].chain_pem)
    leaf, inter, signed = cross
    # R2 trusted beside R1: the trusted issuer comes first, the cross-sign is not used.
    assert build_path(cross, [old, new], now).anchor == new
    assert expired_root(cross, [old, new], now) is None
    found = expired_root(cross, [old], now)
    assert found is not None and found.root == old and found.offered == signed
    assert found.path.sent == (leaf, inter, signed)
    assert current_root(found, [(old, "a"), (new, "b")], now) == (new, "b")
    assert current_root(found, [(signed, "c")], now) is None  # not a root of its own
    # The leaf's issuer is no cross-sign; R1 renewed (same name and key) would do.
    alone = read_pem(expiry.chains["old-root-only"].chain_pem)
    found = expired_root(alone, [old], now)
    assert found is not None and found.offered is None and found.wanted == old
    assert current_root(found, [(new, "b")], now) is None
    # Nothing trusted, or an expired certificate the server sends: not this finding.
    assert expired_root(cross, [], now) is None
    gone = read_pem(expiry.chains["expired-intermediate"].chain_pem)
    root = read_pem(cert_world.path("root.pem").read_bytes())[0]
    assert build_path(gone, [root], now).anchor == root
    assert expired_root(gone, [root], now) is None


@pytest.mark.once
def test_expired_with_nothing_out_of_date_in_sight_is_told_as_openssl_tells_it(
    cert_world: CertWorld,
) -> None:
    """OpenSSL says "expired" but neither the chain sent nor the root pipssl builds it to
    is (a trust pipssl did not see): no guess at the leaf, whose dates are valid."""
    from dataclasses import replace

    from pipssl.certs.bundle import read_pem
    from pipssl.diagnosis.classify import Stores, classify
    from pipssl.interpreter.facts import SslFacts, Target
    from pipssl.net.probe import ProbeResult

    def chain(kind: str) -> Any:
        return tuple(c.der for c in read_pem(cert_world.server_cert(kind).chain_pem))

    root = read_pem(cert_world.path("root.pem").read_bytes())[0]
    ssl = SslFacts(True, "OpenSSL 3.0.19", (3, 0, 0, 19, 0), has_tls1_2=True)
    target = Target("/x/python", "3.8.18", "/x", "/x", "linux", ssl, None)
    result = ProbeResult(
        "https://localhost:9/simple/", "localhost", 9, "tls", False, 0.1,
        failure="verify-failed", verify_code=10, verify_message=EXPIRED, chain=chain("good"),
    )  # fmt: skip
    stores = Stores((root,), (), False)
    now = datetime.now(timezone.utc)
    (found,) = classify(result, stores, target, now, 1.0)
    assert found.code == "tls-error" and found.summary == f"TLS with localhost failed: {EXPIRED}"
    assert "no certificate localhost sends, nor a root pipssl finds for them" in found.detail
    (found,) = classify(replace(result, chain=chain("expired")), stores, target, now, 1.0)
    assert found.code == "cert-expired" and "good server (test)" in found.summary
