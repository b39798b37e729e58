"""A hostile network cannot stall or swell pipssl: ``doctor --timeout 3`` against an index
that drips, one that never ends its answer, one silent after the handshake, and proxies
that break the tunnel, returns within the documented bound (:func:`pipssl._limits.run_limit`)
with the whole process tree under 200 MB, names the right hop, and never advises a weaker
setting."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from bed import hostile
from bed.certs import CertWorld
from bed.isolation import IsolatedEnv
from bed.world import World
from targets import run_pipssl

from pipssl._limits import run_limit

# The servers misbehave the same whatever Python runs pytest; the targets are fixed venvs.
pytestmark = pytest.mark.once

TIMEOUT = 3.0
#: pipssl's own start and its work after the children are done (a loaded machine).
OWN = 6.0
PEAK_MB = 200


class TreePeak:
    """The peak resident memory (MB) of every process below this one, polled from /proc."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(0.02):
            total = sum(rss for _pid, rss in _descendants(os.getpid()))
            self.peak = max(self.peak, total * page / 2**20)


def _descendants(root: int) -> Iterator[Tuple[int, int]]:
    parents: Dict[int, int] = {}
    rss: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)], rss[int(entry)] = int(fields[1]), int(fields[21])
    wanted = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                grew = True
    for pid in wanted - {root}:
        yield pid, rss[pid]


def _doctor(python: Path, url: str) -> Tuple[Dict[str, Any], float, float, str]:
    """``doctor --json --timeout 3``: its answer, how long it took, its tree's peak."""
    start = time.monotonic()
    with TreePeak() as tree:
        proc = run_pipssl(
            "doctor", "--json", "--timeout", f"{TIMEOUT:g}", "--python", str(python),
            "--index-url", url, timeout=120,
        )  # fmt: skip
    elapsed = time.monotonic() - start
    assert proc.stdout.startswith("{"), proc.stderr
    return json.loads(proc.stdout), elapsed, tree.peak, proc.stderr


def _bounded(elapsed: float, peak: float) -> None:
    assert elapsed < run_limit(TIMEOUT) + OWN, f"doctor took {elapsed:.1f} s"
    assert peak < PEAK_MB, f"the process tree reached {peak:.0f} MB"


def _no_weaker_advice(data: Dict[str, Any], proxy_url: str = "") -> None:
    """No summary or fix advises plain HTTP or trusted-host (the proxy's own URL aside)."""
    for found in data["findings"]:
        text = found["summary"] + found["fix"]
        text = text.replace(proxy_url, "") if proxy_url else text
        assert "http://" not in text and "trusted-host" not in text, found


def _found(data: Dict[str, Any], code: str) -> List[Dict[str, Any]]:
    return [f for f in data["findings"] if f["code"] == code]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["drip", "silent"])
@pytest.mark.slow
def test_stalling_index_is_a_timeout_at_the_http_stage(
    kind: str, venvs: Dict[str, Path], pip_world: World
) -> None:
    pip_world.trust()
    serve = hostile.drip_index if kind == "drip" else hostile.silent_index
    with serve(pip_world.certs.server_cert("good")) as index:
        data, elapsed, peak, _ = _doctor(venvs["legacy"], index.url)
    _bounded(elapsed, peak)
    [timeout] = _found(data, "timeout")
    assert "stage: http" in timeout["detail"] and f"localhost:{index.port}" in timeout["summary"]
    assert not data["targets"][0]["ok"]
    _no_weaker_advice(data)


@pytest.mark.slow
def test_endless_body_stops_pip_in_time_and_small(
    venvs: Dict[str, Path], pip_world: World
) -> None:
    pip_world.trust()
    with hostile.endless_index(pip_world.certs.server_cert("good")) as index:
        data, elapsed, peak, _ = _doctor(venvs["truststore"], index.url)
    _bounded(elapsed, peak)
    [timeout] = _found(data, "timeout")
    assert index.url in timeout["summary"] and "the real pip" in timeout["detail"]
    # no false ok, and no words pip never said
    assert not data["targets"][0]["ok"] and not _found(data, "pip-cannot-reach")
    _no_weaker_advice(data)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "code", "said"),
    [
        ("plain", "not-tls", "Blocked by web filter"),
        ("garbage", "not-tls", "\\x00\\x01"),
        ("silent", "timeout", "did not answer CONNECT"),
        ("not-http", "proxy-unreachable", "SSH-2.0-OpenSSH"),
    ],
)
@pytest.mark.slow
def test_a_proxy_that_breaks_the_tunnel_is_named(
    kind: str, code: str, said: str, venvs: Dict[str, Path], pip_world: World
) -> None:
    pip_world.trust()
    index = pip_world.index("good", url_host="localhost")
    with hostile.proxy(kind) as proxy:
        os.environ["HTTPS_PROXY"] = proxy.url
        data, elapsed, peak, text = _doctor(venvs["legacy"], index.url)
    _bounded(elapsed, peak)
    [found] = [f for f in data["findings"] if f["code"] == code]
    hop = f"127.0.0.1:{proxy.port}"
    assert hop in found["summary"] and said in found["detail"], found
    assert "stage: proxy" in found["detail"]
    _no_weaker_advice(data, proxy.url)
    assert "http://" not in text.replace(proxy.url, "")


def _in_netns(lo_up: bool) -> List[str]:
    """A prefix running the command in a network namespace of its own: only a loopback,
    down (connecting anywhere is ENETUNREACH) or up (a closed port is refused)."""
    script = ("ip link set lo up && " if lo_up else "") + 'exec "$0" "$@"'
    return ["unshare", "-n", "sh", "-c", script]


@pytest.fixture
def netns() -> None:
    import shutil
    import subprocess

    if not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("unshare and ip are needed for a private network namespace")
    if subprocess.run(["unshare", "-n", "true"], timeout=10).returncode != 0:
        pytest.skip("no private network namespace here")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lo_up", "code"), [(False, "network-unreachable"), (True, "connection-refused")]
)
@pytest.mark.slow
def test_errno_101_is_no_route_and_a_closed_port_is_refused(
    lo_up: bool, code: str, netns: None, venvs: Dict[str, Path], isolated_env: IsolatedEnv
) -> None:
    url = "https://127.0.0.1:9/simple/"
    proc = run_pipssl(
        "doctor", "--json", "--timeout", "3", "--python", str(venvs["legacy"]), "--index-url",
        url, prefix=_in_netns(lo_up), timeout=120,
    )  # fmt: skip
    data = json.loads(proc.stdout)
    assert [f["code"] for f in data["findings"]] == [code], proc.stderr
    found = data["findings"][0]
    if lo_up:
        assert found["summary"] == "nothing listens on 127.0.0.1:9"
        assert "ECONNREFUSED" in found["detail"]
    else:
        assert found["summary"] == "no route to the network of 127.0.0.1 (ENETUNREACH)"
        assert "errno 101" in found["detail"] and "VPN" in found["fix"]
        assert "listens" not in found["summary"] + found["fix"]


@pytest.mark.slow
@pytest.mark.parametrize("quick", [["--quick"], []], ids=["quick", "confirmed"])
def test_an_interpreter_that_never_answers_is_stopped_in_time(
    isolated_env: IsolatedEnv, tmp_path: Path, quick: List[str]
) -> None:
    """A --python that never answers (a wrapper whose child holds the pipe open too): a
    clean error, exit 2, within the facts child's limit, and nothing of it left running;
    confirmed too, where the same child was to go on to requests' check (and the real pip,
    started first in that interpreter, never answers either)."""
    marker = tmp_path / "left-running"
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\nsh -c 'sleep 600; touch {marker}' &\nsleep 600\n")
    script.chmod(0o755)
    start = time.monotonic()
    with TreePeak():
        proc = run_pipssl("doctor", *quick, "--timeout", "1", "--python", str(script))
    elapsed = time.monotonic() - start
    assert proc.returncode == 2, proc.stderr
    assert "did not answer in 11 s and was stopped" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 2
    assert elapsed < 11 + OWN
    assert _running_with(str(marker)) == []  # what it started went with it


def _running_with(word: str) -> List[int]:
    """Every process whose command line holds ``word`` (orphans included)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if word.encode() in handle.read():
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def test_a_child_past_its_memory_cap_or_deadline_is_stopped_and_its_output_capped() -> None:
    """The bounds of every child pipssl starts, each on its own."""
    import sys

    from pipssl._limits import MEMORY_BYTES, OUTPUT_BYTES
    from pipssl.interpreter.child import Child

    grow = f"b = bytearray({2 * MEMORY_BYTES}); b[::4096] = b'x' * len(b[::4096])"
    start = time.monotonic()
    done = Child(
        [sys.executable, "-c", grow + "; import time; time.sleep(60)"], {}, limit=60
    ).wait()
    assert done.stopped == "memory" and done.returncode < 0
    assert time.monotonic() - start < 10
    done = Child([sys.executable, "-c", "import time; time.sleep(60)"], {}, limit=0.5).wait()
    assert done.stopped == "deadline"
    talk = f"import sys; sys.stdout.write('x' * {2 * OUTPUT_BYTES})"
    done = Child([sys.executable, "-c", talk], {}, limit=60).wait()
    assert done.stopped == "" and done.returncode == 0 and len(done.stdout) == OUTPUT_BYTES


def test_run_pip_timeout_stops_pip_and_what_it_started() -> None:
    """run_pip's timeout (the wheelhouse's pip runs) holds however pip's output goes: a
    child that keeps the output pipe open does not keep pipssl waiting."""
    import subprocess
    import sys

    from pipssl.interpreter.runpip import run_pip

    code = "import subprocess, time; subprocess.Popen(['sleep', '60']); print('started'); "
    code += "time.sleep(60)"
    start = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as info:
        run_pip([sys.executable, "-u", "-c", code], dict(os.environ), timeout=1)
    assert time.monotonic() - start < 5
    assert "started" in str(info.value.output)


@pytest.mark.slow
def test_a_dripping_aia_server_cannot_hold_the_diagnosis(
    venvs: Dict[str, Path], pip_world: World
) -> None:
    """The issuer a leaf's AIA URL names (a URL the server chose) is fetched within the
    timeout in all, not per read."""
    from pipssl import diagnose

    pip_world.trust()
    with hostile.drip_http() as aia:
        index = pip_world.index(pip_world.certs.incomplete_with_aia(aia.url))
        start = time.monotonic()
        report = diagnose(
            python=str(venvs["legacy"]), index_urls=[index.url], timeout=2, confirm=False
        )
        elapsed = time.monotonic() - start
        assert aia.connections >= 1
    assert elapsed < 2 * 2 + OWN, f"diagnose took {elapsed:.1f} s"
    assert not report.ok


def test_a_pip_stopped_at_its_deadline_leaves_no_index_ok() -> None:
    """pip's log read as far as it got: the index it finished with keeps pip's verdict, the
    one it had not finished is not reached (stopped); before pip named any index, every
    index the probe reached is failing, with a timeout saying pip did not finish."""
    from pipssl.diagnosis.confirm import confirm
    from pipssl.diagnosis.report import TargetResult
    from pipssl.interpreter import askpip, piplog

    first, second = "https://127.0.0.1:1/simple/", "https://127.0.0.1:2/simple/"
    log = (
        f"Looking in indexes: {first}, {second}\n"
        f"Fetched page {first}{askpip.PAGE_NAME}/ as text/html\n"
    )
    why = "pip did not finish in 16 s and was stopped"
    answer = piplog.parse(log, why)
    assert answer.reach(first) == piplog.Reach(first, True)
    assert answer.reach(second) == piplog.Reach(second, False, why, stopped=True)
    probed = [TargetResult(first, True, "done", 0.1), TargetResult(second, True, "done", 0.1)]
    results, findings = confirm(probed, [], answer, configured=False)
    assert [r.ok for r in results] == [True, False]
    assert [(f.code, f.target) for f in findings] == [("timeout", second)]
    assert "pip-cannot-reach" not in [f.code for f in findings]
    early = piplog.parse("Using pip 24.2\n", why)
    assert early.problem == why and early.stopped == why
    results, findings = confirm(probed, [], early, configured=False)
    assert [r.ok for r in results] == [False, False]
    assert [f.code for f in findings] == ["timeout", "timeout"]
    assert why in findings[0].detail and findings[0].fix


def test_a_connection_cut_during_the_handshake_is_named_as_cut(cert_world: CertWorld) -> None:
    """A reset (a firewall blocking the name) is no TLS verdict: ECONNRESET, named as a
    connection cut on the path, not as OpenSSL's words for an unknown TLS failure."""
    from pipssl.diagnosis.transport import transport_finding
    from pipssl.net.probe import probe

    with hostile.resetting() as server:
        result = probe(server.url, cafiles=[str(cert_world.path("root.pem"))], timeout=3)
    assert (result.stage, result.failure, result.errno) == (
        "tls",
        "network-unreachable",
        "ECONNRESET",
    )
    found = transport_finding(result, "python3")
    assert found.summary == f"the connection to localhost:{server.port} was cut (ECONNRESET)"
    assert "firewall or proxy" in found.fix


@pytest.mark.slow
def test_several_silent_indexes_share_one_bound(venvs: Dict[str, Path], pip_world: World) -> None:
    """Eight indexes silent after the handshake: their waits run side by side, so doctor
    keeps the one bound (one after another they would need eight times the timeout)."""
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(hostile.silent_index(pip_world.certs.server_cert("good")))
            for _ in range(8)
        ]
        pip_world.isolated.write_pip_conf(
            "[global]\ncert = {}\nindex-url = {}\nextra-index-url = {}\n".format(
                pip_world.certs.path("root.pem"),
                servers[0].url,
                " ".join(s.url for s in servers[1:]),
            )
        )
        start = time.monotonic()
        with TreePeak() as tree:
            proc = run_pipssl(
                "doctor", "--json", "--timeout", f"{TIMEOUT:g}", "--python",
                str(venvs["legacy"]), timeout=120,
            )  # fmt: skip
        elapsed = time.monotonic() - start
    _bounded(elapsed, tree.peak)
    data = json.loads(proc.stdout)
    timed_out = {f["target"] for f in _found(data, "timeout")}
    assert {s.url for s in servers} <= timed_out, (data["findings"], data["targets"])
