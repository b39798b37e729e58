"""pipssl the second time and after: one user's months, step by step, with real pip.

Three indexes behind three CAs, served as real servers serve them: A behind an
intercepting proxy's root (leaf + root sent), B by a private CA (leaf only), C by a root IT
puts in the OS store (leaf + intermediate).  The OS store is the distribution bundle under
/etc/ssl/certs, given to every command by a private mount namespace (``bed.osstore``), and
pip reads the user's config (no PIP_CONFIG_FILE).  After every step real pip downloads one
package per index: each index serves its own package, so pip, configured as the user left
it, reaches exactly the indexes whose package it can download.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from bed.certs import LOOPBACK_NAMES, ServerCert, make_ca
from bed.index import IndexServer, build_wheel, serve_index
from bed.isolation import IsolatedEnv
from bed.osstore import MountedOsStore, why_unavailable
from bed.pip import pip_download, url_host_for
from bed.world import World
from targets import run_pipssl

pytestmark = [
    pytest.mark.once,
    pytest.mark.slow,
    pytest.mark.skipif(why_unavailable() is not None, reason=str(why_unavailable())),
]

NAMES = ("a", "b", "c")


class Journey:
    """The user's machine: the three indexes, the OS store, pip's user config, and the
    commands they run (every one through the mount namespace)."""

    def __init__(
        self, python: Path, tmp: Path, store: MountedOsStore, isolated: IsolatedEnv
    ) -> None:
        self.python, self.tmp, self.store = python, tmp, store
        self.conf = isolated.pip_conf_path("user")
        self.files: Dict[str, Path] = {}
        self.indexes: Dict[str, IndexServer] = {}
        self.roots: Dict[str, bytes] = {}
        self.downloads = 0

    def serve(self, stack: contextlib.ExitStack) -> None:
        for name in NAMES:
            root = make_ca(f"pipssl journey root {name.upper()}", "pipssl journey")
            issuer = make_ca(f"pipssl journey issuing {name.upper()}", "x", parent=root)
            signer = issuer if name == "c" else root
            leaf = signer.issue_cert(*LOOPBACK_NAMES, common_name=f"index {name}")
            pems = [blob.bytes() for blob in leaf.cert_chain_pems]
            sent = {"a": pems[0] + root.cert_pem.bytes(), "b": pems[0], "c": b"".join(pems)}
            cert = ServerCert(
                name, sent[name], leaf.private_key_pem.bytes(), pems[0], root.cert_pem.bytes()
            )
            wheels = self.tmp / f"wheels-{name}"
            build_wheel(wheels, name=f"pkg_{name}")
            self.roots[name] = root.cert_pem.bytes()
            self.files[name] = self.tmp / f"corp-{name}.pem"
            self.files[name].write_bytes(self.roots[name])
            self.indexes[name] = stack.enter_context(
                serve_index(wheels, cert, url_host=url_host_for(self.python), lifetime=900.0)
            )

    def url(self, name: str) -> str:
        return self.indexes[name].url

    def write_conf(self, *names: str, extra: str = "") -> None:
        """The user edits pip.conf by hand: index-url and extra-index-url, keeping every
        other line (pipssl's cert among them)."""
        lines = [
            line
            for line in (self.conf.read_text().splitlines() if self.conf.exists() else [])
            if not line.startswith(("index-url", "extra-index-url", "[global]"))
        ]
        new = ["[global]", f"index-url = {self.url(names[0])}"]
        if names[1:]:
            new.append("extra-index-url = " + " ".join(self.url(n) for n in names[1:]))
        self.conf.parent.mkdir(parents=True, exist_ok=True)
        self.conf.write_text("\n".join(new + lines) + "\n" + extra)

    def pipssl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_pipssl(*args, prefix=self.store.prefix())

    def repair(self, *args: str) -> Dict[str, Any]:
        # the user's scope: the file the user edits by hand (the venvs are shared)
        proc = self.pipssl(
            "repair", "--yes", "--json", "--scope", "user", "--python", str(self.python), *args
        )
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        data: Dict[str, Any] = json.loads(proc.stdout)
        data["exit"] = proc.returncode
        return data

    def doctor_codes(self) -> List[str]:
        proc = self.pipssl("doctor", "--json", "--python", str(self.python))
        assert proc.returncode in (0, 1), proc.stderr
        return [f["code"] for f in json.loads(proc.stdout)["findings"]]

    def reaches(self) -> Dict[str, bool]:
        """Which index real pip, configured as the user left it, downloads from."""
        out = {}
        for name in NAMES:
            self.downloads += 1
            done = pip_download(
                self.python,
                None,
                dict(os.environ),
                self.tmp / f"dl-{self.downloads}",
                package=f"pkg_{name}",
                extra_args=["--timeout", "10"],
                prefix=self.store.prefix(),
            )
            out[name] = done.returncode == 0
        return out


@pytest.fixture
def journey(
    venvs: Dict[str, Path], pip_world: World, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Journey]:
    pip_world.user_scope()
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        os.environ.pop(name, None)  # the OS store is /etc/ssl/certs, as on a real machine
    store = MountedOsStore(tmp_path / "os")
    trip = Journey(venvs[request.param], tmp_path, store, pip_world.isolated)
    with contextlib.ExitStack() as stack:
        trip.serve(stack)
        yield trip


def expect(trip: Journey, a: bool, b: bool, c: bool) -> None:
    assert trip.reaches() == {"a": a, "b": b, "c": c}


@pytest.mark.parametrize("journey", ["legacy", "truststore"], indirect=True)
def test_a_user_repairs_again_and_again(journey: Journey) -> None:
    trip = journey
    trip.write_conf("a")
    expect(trip, False, False, False)

    # 1. index A's CA, from IT
    done = trip.repair("--ca", str(trip.files["a"]))
    assert done["ok"] and done["changed"], done
    expect(trip, True, False, False)

    # 2. index B, behind another CA: the first CA stays
    trip.write_conf("a", "b")
    done = trip.repair("--ca", str(trip.files["b"]))
    assert done["ok"] and done["changed"], done
    assert [c["subject"] for c in done["bundle"]["added"]] == [
        "O=pipssl journey, CN=pipssl journey root B"
    ]
    assert done["bundle"]["removed"] == []
    expect(trip, True, True, False)

    # 3. the same, naming index B alone (as `pipssl run` does): A is not dropped
    done = trip.repair("--index-url", trip.url("b"), "--ca", str(trip.files["b"]))
    assert done["ok"] and not done["changed"] and done["exit"] == 0, done
    expect(trip, True, True, False)

    # 4. again, with nothing to say: nothing to change
    done = trip.repair()
    assert (done["ok"], done["changed"], done["actions"], done["exit"]) == (True, False, [], 0)
    dry = trip.pipssl("repair", "--dry-run", "--scope", "user", "--python", str(trip.python))
    assert dry.returncode == 0 and "nothing to change" in dry.stdout, dry.stderr

    # 5. IT adds root C to the OS store; the user adds index C
    trip.store.set(trip.roots["c"])
    trip.write_conf("a", "b", "c")
    assert "bundle-stale" in trip.doctor_codes()
    done = trip.repair()
    assert done["ok"] and done["changed"], done
    assert [c["subject"] for c in done["bundle"]["added"]] == [
        "O=pipssl journey, CN=pipssl journey root C"
    ]
    expect(trip, True, True, True)
    assert "bundle-stale" not in trip.doctor_codes()

    # 6. IT withdraws root C: doctor names it; a repair drops it, A and B stay
    trip.store.set()
    codes = trip.doctor_codes()
    assert "bundle-stale" in codes
    stale = trip.pipssl("doctor", "--python", str(trip.python))
    assert "drops pipssl journey root C" in stale.stdout, stale.stderr
    done = trip.repair()
    assert done["changed"] and not done["ok"] and done["exit"] == 1, done
    assert [c["subject"] for c in done["bundle"]["removed"]] == [
        "O=pipssl journey, CN=pipssl journey root C"
    ]
    assert "no longer verifies: it relied on pipssl journey root C" in done["message"]
    assert done["still_failing"] == [trip.url("c")]
    expect(trip, True, True, False)

    # 7. the user drops index C by hand; undo walks back through the repairs of 6, 5 and
    # 2, then refuses the first one, whose pip.conf the user has edited since
    trip.write_conf("a", "b")
    for _step in (6, 5, 2):
        assert trip.pipssl("undo").returncode == 0
    expect(trip, True, False, False)  # B's consent went with the repair that recorded it
    refused = trip.pipssl("undo")
    assert refused.returncode == 2 and str(trip.conf) in refused.stderr, refused.stderr

    # 8. the user puts pip.conf back as pipssl left it: repair and undo work again
    trip.write_conf("a")
    done = trip.repair()
    assert (done["ok"], done["changed"], done["exit"]) == (True, False, 0), done
    assert trip.pipssl("undo").returncode == 0
    expect(trip, False, False, False)
    assert json.loads(trip.pipssl("forget", "--json").stdout)["consented"] == []


@pytest.mark.parametrize("journey", ["legacy"], indirect=True)
def test_a_repair_keeps_what_it_fixed_and_names_what_still_fails(journey: Journey) -> None:
    trip = journey
    trip.write_conf("a", "b")
    expect(trip, False, False, False)
    done = trip.repair("--ca", str(trip.files["a"]))
    assert done["changed"] and not done["ok"] and done["exit"] == 1, done
    assert done["still_failing"] == [trip.url("b")]
    assert f"repaired {trip.url('a')}; still failing: {trip.url('b')}" == done["message"]
    left = [(f["code"], f["target"]) for f in done["findings"]]
    assert ("untrusted-issuer-unknown", trip.url("b")) in left, left
    expect(trip, True, False, False)
    # the other CA later: the first stays
    done = trip.repair("--ca", str(trip.files["b"]))
    assert done["ok"] and done["exit"] == 0, done
    expect(trip, True, True, False)
    # both at once, from the start
    for _ in range(2):
        assert trip.pipssl("undo").returncode == 0
    expect(trip, False, False, False)
    done = trip.repair("--ca", str(trip.files["a"]), "--ca", str(trip.files["b"]))
    assert done["ok"] and done["changed"] and done["still_failing"] == [], done
    expect(trip, True, True, False)


@pytest.mark.parametrize("journey", ["legacy"], indirect=True)
def test_a_repair_that_would_break_a_working_index_is_rolled_back(journey: Journey) -> None:
    trip = journey
    # B verifies through the user's own cert line; pipssl's bundle for A would replace it
    trip.write_conf("a", "b", extra=f"cert = {trip.files['b']}\n")
    expect(trip, False, True, False)
    before = trip.conf.read_bytes()
    done = trip.repair("--ca", str(trip.files["a"]))
    assert done["rolled_back"] and not done["changed"] and done["exit"] == 1, done
    assert done["message"] == f"rolled back: it would break {trip.url('b')}, which verified before"
    assert trip.conf.read_bytes() == before
    expect(trip, False, True, False)
    # giving both CAs keeps both
    done = trip.repair("--ca", str(trip.files["a"]), "--ca", str(trip.files["b"]))
    assert done["ok"], done
    expect(trip, True, True, False)


def test_a_ca_consented_in_one_venv_serves_the_next_and_forget_says_where_it_stays(
    pip_world: World, tmp_path: Path
) -> None:
    from bed.pip import pip_download
    from targets import LEGACY_BASE, base_python, make_venv

    pip_world.user_scope().os_store()
    x, y = (make_venv(base_python(LEGACY_BASE), tmp_path / name) for name in ("x", "y"))
    index = pip_world.index("intercepted", x)

    def works(python: Path) -> bool:
        dest = tmp_path / f"dl{len(list(tmp_path.glob('dl*')))}"
        return pip_download(python, index.url, dict(os.environ), dest).returncode == 0

    def pipssl(*args: str) -> Dict[str, Any]:
        proc = run_pipssl(*args, "--json")
        assert proc.returncode in (0, 1), proc.stderr
        data: Dict[str, Any] = json.loads(proc.stdout)
        return data

    ca = str(pip_world.certs.path("intercept.pem"))
    # in venv x (auto: its own pip.conf and bundle), the CA named once
    done = pipssl("repair", "--yes", "--python", str(x), "--index-url", index.url, "--ca", ca)
    assert done["ok"] and done["actions"][0]["path"].startswith(str(tmp_path / "x")), done
    assert (works(x), works(y)) == (True, False)
    # in venv y, nothing named: the consent carries over
    done = pipssl("repair", "--yes", "--python", str(y), "--index-url", index.url)
    assert done["ok"] and done["changed"], done
    assert (works(x), works(y)) == (True, True)
    # withdrawn from y (the Python it is run for); x's bundle still holds it, and says so
    (sha,) = [c["sha256"] for c in pipssl("forget")["consented"]]
    gone = pipssl("forget", "--yes", "--python", str(y), sha)
    assert gone["changed"] and not gone["rolled_back"], gone
    assert (works(x), works(y)) == (True, False)
    stale = pipssl("doctor", "--python", str(x), "--index-url", index.url)
    assert [f["code"] for f in stale["findings"] if f["code"] == "bundle-stale"], stale
    done = pipssl("repair", "--yes", "--python", str(x), "--index-url", index.url)
    assert not done["ok"] and done["changed"], done  # rebuilt without it: x fails too
    assert (works(x), works(y)) == (False, False)
