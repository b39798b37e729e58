"""What doctor starts, and when: the real pip and the real requests first, pipssl's own
work while they run; ``--quick`` starts neither and says so.  A confirmed verdict cannot
come sooner than the real pip's, so pip goes first; the model's verdict needs no child
but the facts one.

requests here is a stand-in on the target's ``PYTHONPATH`` (the real one is in tox env
``clients`` only) that writes to a log when it is imported and asked: the log is what
shows whether, and with which URL, the real check ran.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
from bed.certs import CertWorld
from bed.index import MakeIndex
from bed.isolation import IsolatedEnv
from bed.world import World

from pipssl.cli.main import main
from pipssl.clients import real
from pipssl.diagnosis.api import make_diagnosis
from pipssl.interpreter import child, facts
from pipssl.interpreter.childscript import SCRIPT

pytestmark = pytest.mark.once

_FAKE_REQUESTS = """
import os
from .__version__ import __version__

def _log(line):
    with open(os.environ["PIPSSL_TEST_REQUESTS_LOG"], "a") as log:
        log.write(line + "\\n")

_log("imported")

class _Answer:
    status_code = 404

def get(url, timeout=None, verify=True):
    _log("get " + url)
    return _Answer()
"""


@pytest.fixture
def fake_requests(isolated_env: IsolatedEnv, tmp_path: Path) -> Path:
    """A requests the target finds (on PYTHONPATH) that logs its import and each get;
    returns the log's path (absent until the stand-in is imported)."""
    package = tmp_path / "fake-site" / "requests"
    package.mkdir(parents=True)
    (package / "__version__.py").write_text('__version__ = "2.99.0"\n', encoding="utf-8")
    (package / "__init__.py").write_text(_FAKE_REQUESTS, encoding="utf-8")
    log = tmp_path / "requests.log"
    os.environ["PYTHONPATH"] = str(package.parent)
    os.environ["PIPSSL_TEST_REQUESTS_LOG"] = str(log)
    return log


def test_quick_asks_no_real_client_and_says_whose_verdict_it_is(
    venvs: Dict[str, Path],
    fake_requests: Path,
    make_index: MakeIndex,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = make_index("good")
    started: List[List[str]] = []
    spy_children(monkeypatch, started)
    main(["doctor", "--quick", "--python", str(venvs["legacy"]), "--index-url", index.url])
    out = capsys.readouterr().out
    # the facts child alone: no pip, no requests (whose check was most of --quick's time)
    assert [kind(argv) for argv in started] == ["facts"], started
    assert not fake_requests.exists(), fake_requests.read_text()
    # the model still checks requests, and every verdict says it is the model's
    assert "requests verifies with" in out, out
    assert f"{index.url}: FAILED at tls (pipssl's probe alone; not confirmed by pip)" in out
    assert "(pipssl's probe alone; not confirmed by requests)" in out, out
    assert out.rstrip().endswith(
        "--quick: pipssl's model alone; neither the real pip nor the other clients were "
        "asked (run doctor without --quick to confirm)"
    ), out
    # its twin, the confirmed verdict: the next test


_CHILD_INIT = child.Child.__init__


def kind(argv: List[str]) -> str:
    """Which child ``argv`` starts: pip, requests' check, the facts one (then requests'
    check in the same interpreter), or another."""
    if argv[1:3] == ["-m", "pip"]:
        return "pip"
    if argv[1:] == ["-c", real.REQUESTS]:
        return "requests"
    if argv[1:] == ["-c", SCRIPT]:
        return "facts"
    if argv[1:] == ["-c", SCRIPT + facts._THEN + real.REQUESTS]:
        return "facts, then requests"
    return argv[0]


def spy_children(monkeypatch: pytest.MonkeyPatch, started: List[Any], answered: str = "") -> None:
    """Record each child started (its argv), and ``answered`` when the facts are read."""

    def init(self: child.Child, argv: List[str], *args: Any, **kwargs: Any) -> None:
        started.append(list(argv))
        _CHILD_INIT(self, argv, *args, **kwargs)

    monkeypatch.setattr(child.Child, "__init__", init)
    if answered:
        result = facts.Inspection.result

        def read(self: facts.Inspection) -> Any:
            started.append(answered)
            return result(self)

        monkeypatch.setattr(facts.Inspection, "result", read)


def test_pip_starts_first_then_the_facts_child_which_goes_on_to_requests_check(
    venvs: Dict[str, Path],
    fake_requests: Path,
    make_index: MakeIndex,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The real pip first, then the facts child, which imports requests once it has
    answered (before pipssl knows requests is there): one interpreter for both.  The check
    is given its URL once pipssl knows it, and its verdict is the one reported."""
    index = make_index("good")
    events: List[Any] = []
    spy_children(monkeypatch, events, answered="facts answered")
    main(["doctor", "--python", str(venvs["legacy"]), "--index-url", index.url])
    order = [e if isinstance(e, str) else kind(e) for e in events]
    assert order[:3] == ["pip", "facts, then requests", "facts answered"], order
    assert "requests" not in order, order  # the facts child took the job: no second
    assert fake_requests.read_text().splitlines() == ["imported", f"get {index.url}"]
    # the twin of --quick's lines: each verdict is the real client's, and says so
    out = capsys.readouterr().out
    assert f"{index.url}: FAILED at tls, as pip says" in out, out
    assert "not confirmed" not in out and "--quick" not in out, out
    # twin: a diagnosis for a project directory runs requests there, the facts where
    # pipssl runs (what pip finds must not depend on that directory): two children
    events.clear()
    fake_requests.write_text("")
    make_diagnosis(python=str(venvs["legacy"]), index_urls=[index.url], cwd=str(tmp_path))
    order = [e if isinstance(e, str) else kind(e) for e in events]
    assert order[:4] == ["pip", "requests", "facts", "facts answered"], order
    assert fake_requests.read_text().splitlines() == ["imported", f"get {index.url}"]


def test_an_early_requests_check_no_job_takes_is_stopped(fake_requests: Path) -> None:
    """requests found nowhere pipssl checks (no URL, or not in the target after all): the
    early child waiting for a job is stopped, not left to its deadline."""
    early = real.Early(sys.executable, dict(os.environ), timeout=30, cwd=None)
    waiting = early.child
    assert waiting is not None
    running = real.start([], os.environ, timeout=30, early=early)
    assert running.results() == {} and early.child is None
    assert waiting.wait().stopped == "cancelled"
    # twin: a job that fits takes it, and its answer is read
    early = real.Early(sys.executable, dict(os.environ), timeout=30, cwd=None)
    early.program = sys.executable
    url = "https://127.0.0.1:9/simple/"
    job = real.Job("requests", "requests", sys.executable, (url,))
    answers = real.start([job], dict(os.environ), timeout=30, early=early).results()
    assert answers[("requests", url)].ok and answers[("requests", url)].detail == "HTTP 404"
    assert fake_requests.read_text().splitlines() == ["imported", f"get {url}"]


def test_a_childs_end_is_seen_when_its_output_ends_not_at_the_next_look(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The watcher looks at a running child every _POLL seconds; its end must not wait for
    the next look (it did: up to 50 ms on doctor's path, for each child waited for)."""
    monkeypatch.setattr(child, "_POLL", 5.0)
    start = time.monotonic()
    done = child.Child([sys.executable, "-c", "print('done')"], {}, limit=30).wait()
    assert done.returncode == 0 and done.stdout.strip() == b"done"
    assert time.monotonic() - start < 2.5  # the look would come at 5 s
    # a child that closes its output and lives on is still seen to end, and in time
    monkeypatch.setattr(child, "_POLL", 0.05)
    linger = "import os, time; os.close(1); time.sleep(0.3)"
    done = child.Child([sys.executable, "-c", linger], {}, limit=30).wait()
    assert done.returncode == 0 and done.stopped == ""


def test_the_clients_probes_run_beside_pips(
    venvs: Dict[str, Path],
    fake_requests: Path,
    make_index: MakeIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """requests' probe (its own CA material loaded into OpenSSL) runs while pip's indexes
    are probed, not after them: pip's probe here waits (bounded) for the clients' check to
    have begun, and says whether it had."""
    import threading

    import pipssl.clients.check
    from pipssl.diagnosis import api

    begun, seen = threading.Event(), []
    check, reach = pipssl.clients.check.check, api.reach_indexes

    def checking(*args: Any, **kwargs: Any) -> Any:
        begun.set()
        return check(*args, **kwargs)

    def reaching(*args: Any, **kwargs: Any) -> Any:
        seen.append(begun.wait(3))
        return reach(*args, **kwargs)

    monkeypatch.setattr(pipssl.clients.check, "check", checking)
    monkeypatch.setattr(api, "reach_indexes", reaching)  # the name api.py calls
    index = make_index("good")
    report = api.diagnose(python=str(venvs["legacy"]), index_urls=[index.url], confirm=False)
    assert seen == [True]
    assert [c.client for c in report.clients] == ["requests"]


def test_a_trust_set_is_built_once_when_probes_ask_side_by_side(
    cert_world: CertWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two probes needing the same CA material at the same moment (pip's default index and
    its file host) share one context: the second waits for the first's build."""
    import threading

    from pipssl.net import context

    builds: List[str] = []
    build = context._build

    def slow_build(*args: Any) -> Any:
        builds.append("build")
        time.sleep(0.2)  # both threads are inside make_context meanwhile
        return build(*args)

    monkeypatch.setattr(context, "_build", slow_build)
    cafile = tmp_path / "root.pem"  # a trust set no other test built: a file of its own
    cafile.write_bytes(cert_world.path("root.pem").read_bytes())
    made: List[Any] = []
    threads = [
        threading.Thread(target=lambda: made.append(context.make_context([str(cafile)])))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert builds == ["build"] and len(made) == 2 and made[0] is made[1]


def test_quick_imports_nothing_of_the_real_pips(venvs: Dict[str, Path], pip_world: World) -> None:
    """--quick asks no real pip, so it pays for none of its modules (the confirmation, the
    real pip's log reader and what they import)."""
    import subprocess

    from targets import pipssl_path

    index = pip_world.index("good")
    script = (
        "import sys; from pipssl.diagnosis.api import diagnose; "
        f"diagnose(python={str(venvs['legacy'])!r}, index_urls=[{index.url!r}], confirm=False); "
        "print(sorted(m for m in sys.modules if m.startswith('pipssl.')))"
    )
    env = dict(os.environ, PYTHONPATH=pipssl_path())
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout
    assert "'pipssl.diagnosis.api'" in loaded and "'pipssl.net.probe'" in loaded, loaded
    assert "pipssl.diagnosis.confirm" not in loaded and "pipssl.interpreter.askpip" not in loaded


_LOADS_AFTER = r"""
import sys
assert "dataclasses" not in sys.modules, "loaded before pipssl: nothing to watch"
from pipssl.interpreter import child

started, seen = [], {}
init = child.Child.__init__

def spy(self, argv, *args, **kwargs):
    started.append(argv)
    init(self, argv, *args, **kwargs)

class Watch:
    def find_spec(self, name, path=None, target=None):
        seen.setdefault(name, len(started))

child.Child.__init__ = spy
sys.meta_path.insert(0, Watch())
from pipssl.cli.main import main

code = main(sys.argv[1:])
for name in ("dataclasses", "pipssl.interpreter.facts", "pipssl.diagnosis.report"):
    sys.stderr.write("children before %s loaded: %s\n" % (name, seen.get(name)))
sys.exit(code)
"""


def test_doctor_starts_its_children_before_the_diagnosis_loads(
    venvs: Dict[str, Path], isolated_env: IsolatedEnv, make_index: MakeIndex
) -> None:
    """The CLI starts the real pip and the facts child (requests' check after it), and
    only then imports the diagnosis (its report, checks, probes, clients), which loads
    while they run: when the report's module is imported, both are running.  pip starts
    first, before ``dataclasses`` (and the ``inspect`` it imports) or the facts child's
    module load: its twin, the facts child, starts once they have."""
    import subprocess

    from targets import pipssl_path

    index = make_index("good")
    argv = [sys.executable, "-c", _LOADS_AFTER, "doctor", "--python", str(venvs["legacy"])]
    argv += ["--index-url", index.url]
    env = dict(os.environ, PYTHONPATH=pipssl_path())
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr  # the test root is unknown: FAILED at tls
    assert "children before pipssl.diagnosis.report loaded: 2" in proc.stderr, proc.stderr
    assert "children before dataclasses loaded: 1" in proc.stderr, proc.stderr
    assert "children before pipssl.interpreter.facts loaded: 1" in proc.stderr, proc.stderr
