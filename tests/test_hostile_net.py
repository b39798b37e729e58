"""A hostile network cannot stall or swell pipssl: ``doctor --timeout 3`` against an index
that drips, one that never ends its answer, one silent after the handshake, and proxies
that break the tunnel, returns within the documented bound (:func:`pipssl._limits.run_limit`)
with the whole process tree under 200 MB, names the right hop, and never advises a weaker
setting."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from bed import hostile
from targets import run_pipssl

from pipssl._limits import run_limit

pytestmark = pytest.mark.slow

TIMEOUT = 3.0
#: pipssl's own start and its work after the children are done (a loaded machine).
OWN = 5.0
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


def _trust(isolated_env: Any, cert_world: Any) -> None:
    isolated_env.write_pip_conf("[global]\ncert = {}\n".format(cert_world.path("root.pem")))


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


@pytest.mark.parametrize("kind", ["drip", "silent"])
def test_stalling_index_is_a_timeout_at_the_http_stage(
    kind: str, venvs: Dict[str, Path], isolated_env: Any, cert_world: Any
) -> None:
    _trust(isolated_env, cert_world)
    serve = hostile.drip_index if kind == "drip" else hostile.silent_index
    with serve(cert_world.server_cert("good")) as index:
        data, elapsed, peak, _ = _doctor(venvs["legacy"], index.url)
    _bounded(elapsed, peak)
    [timeout] = _found(data, "timeout")
    assert "stage: http" in timeout["detail"] and f"localhost:{index.port}" in timeout["summary"]
    assert not data["targets"][0]["ok"]
    _no_weaker_advice(data)


def test_endless_body_stops_pip_in_time_and_small(
    venvs: Dict[str, Path], isolated_env: Any, cert_world: Any
) -> None:
    _trust(isolated_env, cert_world)
    with hostile.endless_index(cert_world.server_cert("good")) as index:
        data, elapsed, peak, _ = _doctor(venvs["truststore"], index.url)
    _bounded(elapsed, peak)
    [timeout] = _found(data, "timeout")
    assert index.url in timeout["summary"] and "the real pip" in timeout["detail"]
    # no false ok, and no words pip never said
    assert not data["targets"][0]["ok"] and not _found(data, "pip-cannot-reach")
    _no_weaker_advice(data)


@pytest.mark.parametrize(
    ("kind", "code", "said"),
    [
        ("plain", "not-tls", "Blocked by web filter"),
        ("garbage", "not-tls", "\\x00\\x01"),
        ("silent", "timeout", "did not answer CONNECT"),
        ("not-http", "proxy-unreachable", "SSH-2.0-OpenSSH"),
    ],
)
def test_a_proxy_that_breaks_the_tunnel_is_named(
    kind: str,
    code: str,
    said: str,
    venvs: Dict[str, Path],
    isolated_env: Any,
    cert_world: Any,
    make_index: Any,
) -> None:
    _trust(isolated_env, cert_world)
    index = make_index("good", url_host="localhost")
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
