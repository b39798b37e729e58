"""pip's path to the files, piece by piece: a project page's links read from hostile bytes,
the walk over redirects and file hosts (with a stand-in prober), pip's log read for the
hosts it reached, and the verdicts they give.  No network, no subprocess."""

from __future__ import annotations

import time
from typing import Dict, List, Tuple

import pytest

from pipssl.diagnosis import downloadpath
from pipssl.diagnosis.confirm import confirm
from pipssl.diagnosis.report import TargetResult
from pipssl.findings import Finding
from pipssl.interpreter.piplog import parse
from pipssl.net.links import file_urls, hosts_of, hrefs, origin
from pipssl.net.probe import ProbeResult

pytestmark = pytest.mark.once

PAGE = b"""<!DOCTYPE html><html><body><h1>Links for pip</h1>
<a href="/files/pip-1.whl#sha256=ab">pip-1.whl</a><br>
<a data-href="https://no.test/x.whl" href='https://cdn.test/p/pip-2.whl?x=1&amp;y=2#h'>2</a>
<A HREF=https://CDN.test:443/p/pip-3.whl>3</A><abbr href="https://abbr.test/">no</abbr>
<a href="http://plain.test/pip-4.whl">4</a><a href="https://mirror2.test:8443/pip-5.whl">5</a>
<a href="https://third.test/6.whl">6</a><a href="https://fourth.test/7.whl">7</a>
<a href="https://cut.test/"""


def test_a_pages_links_and_their_hosts() -> None:
    assert hrefs(PAGE)[:3] == [
        "/files/pip-1.whl#sha256=ab",
        "https://cdn.test/p/pip-2.whl?x=1&y=2#h",
        "https://CDN.test:443/p/pip-3.whl",
    ]
    urls = file_urls(PAGE, "https://idx.test/simple/pip/")
    assert urls == [
        "https://idx.test/files/pip-1.whl",
        "https://cdn.test/p/pip-2.whl?x=1&y=2",
        "https://CDN.test:443/p/pip-3.whl",
        "https://mirror2.test:8443/pip-5.whl",
        "https://third.test/6.whl",
        "https://fourth.test/7.whl",
    ]  # no plain http, no other tag's href, nothing from a tag the bound cut
    assert origin(urls[2]) == "https://cdn.test/" and origin("https://[::1]:9/x") == (
        "https://[::1]:9/"
    )
    picked = hosts_of(urls, [origin("https://idx.test/simple/")], 3)
    assert picked == [urls[1], urls[3], urls[4]]  # one link per new host, at most 3


@pytest.mark.parametrize(
    "page",
    [
        b"<a " * 300_000,
        b"<a href=" * 200_000,
        b"<a " + b"href href " * 200_000 + b">",
        b"<a href='" + b"x" * 2_000_000,
    ],
)
def test_reading_a_hostile_page_is_linear(page: bytes) -> None:
    start = time.perf_counter()
    file_urls(page, "https://idx.test/simple/pip/")
    assert time.perf_counter() - start < 1.0


def test_pips_log_says_which_hosts_it_reached() -> None:
    log = (
        "Looking in indexes: https://idx.test/simple/\n"
        'https://idx.test:443 "GET /simple/pip/ HTTP/1.1" 302 0\n'
        'https://::1:8443 "GET /simple/pip/ HTTP/1.1" 200 281\n'
        "ERROR: Could not install packages due to an OSError.\n"
        "pip._vendor.requests.exceptions.SSLError: HTTPSConnectionPool(host='cdn.test', "
        "port=443): Max retries exceeded with url: /p.whl (Caused by SSLError(...))\n"
        "Could not fetch URL https://idx.test/simple/x/: HTTPSConnectionPool(host='::1', "
        "port=8443): Read timed out. - skipping\n"
    )
    hosts = {h.origin: (h.reached, bool(h.reason)) for h in parse(log).hosts}
    assert hosts == {
        "https://idx.test/": (True, False),
        "https://[::1]:8443/": (True, False),  # answered once: TLS worked there
        "https://cdn.test/": (False, True),
    }
    # pip 26 names no pool when a redirect's TLS fails: urllib3's connection line names the
    # host (taken from pip 26.3's -vvv log of a 302 to a host behind an unknown CA)
    log = (
        "Looking in indexes: https://localhost:40777/simple/\n"
        "Starting new HTTPS connection (1): localhost:40777\n"
        'https://localhost:40777 "GET /simple/pip/ HTTP/1.1" 302 0\n'
        "Starting new HTTPS connection (1): localhost:35107\n"
        "Could not fetch URL https://localhost:40777/simple/pip/: There was a problem "
        "confirming the ssl certificate: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
        "failed - skipping\n"
        "Starting new HTTPS connection (1): ::1:9443\n"
    )
    hosts = {h.origin: (h.reached, h.reason) for h in parse(log).hosts}
    assert hosts["https://localhost:40777/"] == (True, "")
    reached, reason = hosts["https://localhost:35107/"]
    assert not reached and "CERTIFICATE_VERIFY_FAILED" in reason
    assert hosts["https://[::1]:9443/"] == (False, "pip connected to it and got no answer")
    start = time.perf_counter()
    parse("HTTPSConnectionPool(host='" * 100_000 + "\n" + "https://" + "a:" * 200_000)
    parse("Starting new HTTPS connection (" * 100_000 + "\n" + "Could not fetch URL " * 9_000)
    assert time.perf_counter() - start < 1.0


def _probe(url: str, ok: bool = True, location: str = "", body: bytes = b"") -> ProbeResult:
    stage = "done" if ok else "tls"
    failure = "" if ok else "verify-failed"
    return ProbeResult(url, "h", 443, stage, ok, 0.01, failure, location=location, body=body)


def _walk(answers: Dict[str, ProbeResult], index: str) -> Tuple[List[str], List[str]]:
    asked: List[str] = []

    def reach(url: str, seconds: float, keep_body: bool) -> ProbeResult:
        asked.append(url)
        return answers.get(url, _probe(url, False))

    steps = downloadpath.walk(index, answers[index], "pip", reach, 5.0)
    return asked, [f"{s.kind} {s.result.url} {s.result.ok}" for s in steps]


def test_the_walk_follows_redirects_and_the_pages_file_hosts() -> None:
    index = "https://idx.test/simple/"
    page = b'<a href="https://cdn.test/a.whl">a</a><a href="/own.whl">b</a>'
    answers = {
        index: _probe(index),
        index + "pip/": _probe(index + "pip/", location="https://m.test/simple/pip/"),
        "https://m.test/simple/pip/": _probe("https://m.test/simple/pip/", body=page),
        "https://cdn.test/a.whl": _probe("https://cdn.test/a.whl", location="/b.whl"),
        "https://cdn.test/b.whl": _probe("https://cdn.test/b.whl"),
    }
    asked, steps = _walk(answers, index)
    # the redirect's host is new, the file's host too; a redirect on the same host is
    # followed but no new step, and a link to the page's own host is not probed
    assert steps == ["redirect https://m.test/ True", "files https://cdn.test/ True"]
    assert "https://m.test/own.whl" not in asked and "https://cdn.test/b.whl" in asked


def test_the_walk_stops_at_a_failing_host_and_after_a_few_redirects() -> None:
    index = "https://idx.test/simple/"
    answers = {index: _probe(index, location="https://bad.test/simple/")}
    assert _walk(answers, index)[1] == ["redirect https://bad.test/ False"]
    loop = {index: _probe(index, location=index)}
    asked, steps = _walk(loop, index)  # a redirect loop on one host: bounded, no step
    assert steps == [] and asked.count(index) == downloadpath.MOST_REDIRECTS


def test_pip_failing_at_a_host_on_the_path_explains_its_index() -> None:
    index = "https://idx.test/simple/"
    results = [
        TargetResult(index, True, "done", 0.1),
        TargetResult("https://m.test/", False, "tls", 0.1, kind="redirect", via=index),
    ]
    found = [Finding.make("untrusted-issuer-unknown", "https://m.test/", "an unknown CA", "", "")]
    log = (
        f"Looking in indexes: {index}\n"
        f"Could not fetch URL {index}pipssl-reachability-check/: There was a problem "
        "confirming the ssl certificate: HTTPSConnectionPool(host='m.test', port=443): "
        "Max retries exceeded - skipping\n"
    )
    out, findings = confirm(results, found, parse(log), configured=False)
    assert [(r.ok, r.confirmed) for r in out] == [(False, False), (False, False)]
    # the cause, and no pip-cannot-reach
    assert [f.code for f in findings] == ["untrusted-issuer-unknown"]
    # twin: pip fetched its file from that host, which pipssl's probe could not verify
    log = f'Looking in indexes: {index}\nhttps://m.test:443 "GET /a.whl HTTP/1.1" 200 9\n'
    reached = parse(f"Looking in indexes: {index}\nFetched page {index}pipssl-reachability-check/")
    out, findings = confirm(results, found, reached, configured=False, files=parse(log))
    assert [(r.ok, r.confirmed) for r in out] == [(True, True), (True, True)]
    assert [f.code for f in findings] == ["pip-reaches"]


def test_the_project_followed_is_the_first_a_command_collected() -> None:
    from pipssl.diagnosis.downloadpath import path_project
    from pipssl.interpreter.runpip import collected_project

    out = (
        "Looking in indexes: https://idx.test/simple/\nCollecting Foo_Bar.baz>=1 (from -r r.txt)\n"
    )
    assert collected_project(out + "Collecting other\n") == "foo-bar-baz"
    assert collected_project("Collecting https://x.test/a.whl\n") is None
    assert path_project(None) == path_project("../x") == path_project("a/b") == "pip"
    assert path_project("Foo_Bar") == "foo-bar"


def test_the_walk_starts_only_where_the_index_answered() -> None:
    index = "https://idx.test/simple/"
    page = b'<a href="https://cdn.test/a.whl">a</a>'
    answers = {
        index + "pip/": _probe(index + "pip/", body=page),
        "https://cdn.test/a.whl": _probe("https://cdn.test/a.whl"),
    }
    missing = ProbeResult(index, "h", 443, "http", False, 0.1, "http-error", http_status=404)
    silent = ProbeResult(index, "h", 443, "http", False, 5.0, "timeout")
    for first, walked in ((missing, True), (silent, False), (_probe(index, False), False)):
        steps = downloadpath.walk(index, first, "pip", lambda u, s, k: answers[u], 5.0)
        assert bool(steps) == walked, first


def test_a_files_host_pip_reaches_only_as_a_trusted_host_keeps_the_probes_verdict() -> None:
    index = "https://idx.test/simple/"
    results = [
        TargetResult(index, True, "done", 0.1),
        TargetResult("https://m.test/", False, "tls", 0.1, kind="files", via=index),
    ]
    found = [Finding.make("untrusted-issuer-unknown", "https://m.test/", "unknown CA", "", "")]
    answer = parse(f"Looking in indexes: {index}\nFetched page {index}pipssl-reachability-check/")
    files = parse(f'Looking in indexes: {index}\nhttps://m.test:443 "GET /a.whl HTTP/1.1" 200 9\n')
    for trusted, verdict, codes in (([], True, ["pip-reaches"]), (["m.test"], False, [])):
        out, findings = confirm(
            results, found, answer, configured=False, files=files, trusted=trusted
        )
        assert out[1].ok is verdict
        assert [f.code for f in findings if f.code != "untrusted-issuer-unknown"] == codes


def test_a_link_or_location_that_is_no_url_is_left_out() -> None:
    page = b'<a href="https://[bad/x.whl">1</a><a href="https://h.test:99999/y">2</a>'
    page += b'<a href="https://ok.test/z.whl">3</a>'
    assert file_urls(page, "https://idx.test/simple/pip/") == ["https://ok.test/z.whl"]
    index = "https://idx.test/simple/"
    for where in ("https://[bad/", "http://plain.test/simple/", "https://h.test:0/"):
        answers = {index: _probe(index, location=where)}
        asked, steps = _walk(answers, index)
        assert steps == [] and where not in asked, where
