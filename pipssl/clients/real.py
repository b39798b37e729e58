"""Ask the real client: does it reach each index?  pipssl's probe is a model of the
client; the client itself is the truth, and its verdict wins (:func:`pipssl.clients.check`).

* requests (and poetry, which is requests in poetry's own environment): a child
  ``python -c`` in the client's interpreter doing ``requests.get(url, timeout=T)`` with the
  environment given (poetry's source ``cert``, when it has one, as ``verify=``).
* uv: the real ``uv pip compile`` of a name that need not exist, against the index alone,
  with no cache: an index that answers "not found" was reached and verified.

Each check is a subprocess started at once (:func:`start`; requests' in the target
interpreter even before that, :class:`Early`, beside the real pip) and read later
(:meth:`Running.results`), so they run beside pipssl's own probes; each is bounded
(:class:`pipssl.interpreter.child.Child`: its time, its memory, its output) and stopped,
with whatever it started, past :func:`~pipssl._limits.run_limit` of the timeout.  URLs
(they may carry credentials) go on standard input or in the client's own variable, never
on a command line other users can read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from pipssl._limits import run_limit
from pipssl._redact import redact
from pipssl.interpreter.child import Child

# An annotation's name only: doctor starts requests' check (Early) before the installers load.
if TYPE_CHECKING:
    from pipssl.clients.model import RealKind

#: A project name no index holds: uv resolving it must ask the index, and stop there.
PROBE_NAME = "pipssl-reach-check-0"

#: requests' check.  requests is imported before the job is read: the child can be started
#: (and import it) before pipssl knows which URLs to ask about, even after the facts in the
#: same interpreter; no job (an empty input): nothing to do.
REQUESTS = r"""
import json, sys
try:
    import requests
except Exception as exc:
    print(json.dumps({"error": "cannot import requests: %s" % exc}))
    sys.exit(0)
text = sys.stdin.read()
if not text.strip():
    sys.exit(0)
job = json.loads(text)
out = {"requests": requests.__version__, "results": []}
for url in job["urls"]:
    try:
        r = requests.get(url, timeout=job["timeout"], verify=job["verify"] or True)
        out["results"].append({"url": url, "ok": True, "status": r.status_code})
    except Exception as exc:
        error = "%s: %s" % (type(exc).__name__, exc)
        out["results"].append({"url": url, "ok": False, "error": error})
print(json.dumps(out))
"""


@dataclass(frozen=True)
class RealResult:
    """What the real client did with one index.

    Attributes:
        ok: it got an HTTP answer (so it verified the server); False when it failed first.
        detail: its HTTP status, or its own error.
        by: which client, for the finding (``requests 2.34.2 in /usr/bin/python3``).
    """

    url: str
    ok: bool
    detail: str
    by: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", redact(self.detail))


@dataclass(frozen=True)
class Job:
    """One real client to ask.

    Attributes:
        label: the client, as its report names it (``poetry source corp``).
        kind: how it is asked.
        program: for ``requests``, the Python whose requests the client uses; for ``uv``,
            uv itself.
        urls: the indexes to ask about.
        verify: the CA file the client hands requests as ``verify=`` (None: requests' own
            choice).
        python: the interpreter uv resolves for.
    """

    label: str
    kind: RealKind
    program: str
    urls: Tuple[str, ...]
    verify: Optional[str] = None
    python: Optional[str] = None


@dataclass
class _Job:
    label: str
    urls: Tuple[str, ...]
    kind: RealKind
    by: str
    child: Optional[Child] = None
    error: str = ""


class Running:
    """Real-client checks under way; :meth:`results` waits for them (bounded)."""

    def __init__(self, jobs: List[_Job]) -> None:
        self._jobs = jobs
        self._done: Optional[Dict[Tuple[str, str], RealResult]] = None

    def results(self) -> Dict[Tuple[str, str], RealResult]:
        """{(client label, url): result} of every check that answered in time."""
        if self._done is None:
            self._done = {}
            for job in self._jobs:
                for result in _finish(job):
                    self._done[(job.label, result.url)] = result
        return self._done


class Early:
    """requests' check started in the target interpreter before its facts are known (its
    start and its import of requests are most of its time): :func:`start` gives it its
    job when requests is found there, and stops it otherwise.

    Attributes:
        python: the interpreter it runs in, as given.
        program: that interpreter as it names itself (``Target.executable``), once known:
            the requests job for this program is the one this child takes.
    """

    def __init__(
        self,
        python: str,
        environ: Mapping[str, str],
        *,
        timeout: float,
        cwd: Optional[str],
        child: Optional[Child] = None,
    ) -> None:
        """``child``: ``python`` already running :data:`REQUESTS` (after the facts, see
        :func:`pipssl.interpreter.facts.start`) in ``cwd``; else one is started here."""
        self.python, self.program = python, ""
        self._environ, self._cwd, self.timeout = dict(environ), cwd, timeout
        if child is not None:
            self.child: Optional[Child] = child
            return
        try:
            self.child = Child(
                [python, "-c", REQUESTS], self._environ, limit=run_limit(timeout),
                cwd=cwd, hold_stdin=True,
            )  # fmt: skip
        except OSError:
            self.child = None  # the facts child will say why this interpreter does not run

    def fits(self, program: str, environ: Mapping[str, str], cwd: Optional[str]) -> bool:
        """Whether a requests job for ``program`` would run exactly as this child does."""
        return (
            self.child is not None
            and program == self.program
            and dict(environ) == self._environ
            and cwd == self._cwd
        )

    def take(self) -> Optional[Child]:
        """The child, for one job only (None once taken)."""
        child, self.child = self.child, None
        return child

    def cancel(self) -> None:
        """Stop it, unless a job took it (nothing will read its answer)."""
        child = self.take()
        if child is not None:
            child.stop(wait=False)


def start(
    jobs: Sequence[Job],
    environ: Mapping[str, str],
    *,
    timeout: float,
    cwd: Optional[str] = None,
    early: Optional[Early] = None,
) -> Running:
    """Start one check per job: ``requests`` runs the job's Python with its ``verify``;
    ``uv`` runs uv once per URL, resolving for the job's ``python``.  ``early``: a requests
    check already started, given the job that fits it (and stopped when none does)."""
    started: List[_Job] = []
    env = dict(environ)
    limit = run_limit(timeout)
    for each in jobs:
        label, kind, program, urls = each.label, each.kind, each.program, each.urls
        verify, python = each.verify, each.python
        if kind == "requests":
            job = _Job(label, tuple(urls), kind, f"requests in {program}")
            payload = json.dumps({"urls": list(urls), "timeout": timeout, "verify": verify})
            if early is not None and early.timeout == timeout and early.fits(program, env, cwd):
                job.child = early.take()
                assert job.child is not None
                job.child.feed(payload.encode("utf-8"))
            else:
                job.child = _spawn([program, "-c", REQUESTS], env, cwd, payload, job, limit)
            started.append(job)
        else:
            uv_env = dict(env, UV_HTTP_TIMEOUT=str(max(1, int(timeout))), UV_HTTP_RETRIES="0")
            for url in urls:
                argv = [program, "pip", "compile", "-", "--quiet", "--no-header", "--no-cache"]
                argv += ["--no-python-downloads"]
                argv += ["--python", python] if python else []
                # the index in uv's variable, not on the command line others can read
                job = _Job(label, (url,), kind, f"uv ({program})")
                job.child = _spawn(
                    argv, dict(uv_env, UV_DEFAULT_INDEX=url), cwd, PROBE_NAME + "\n", job, limit
                )
                started.append(job)
    if early is not None:
        early.cancel()
    return Running(started)


def _spawn(
    argv: List[str],
    env: Dict[str, str],
    cwd: Optional[str],
    stdin: str,
    job: _Job,
    limit: float,
) -> Optional[Child]:
    try:
        # stdin written now, so that the child runs at once
        return Child(argv, env, limit=limit, stdin=stdin.encode("utf-8"), cwd=cwd)
    except OSError as exc:
        job.error = f"cannot run {argv[0]}: {exc.strerror or exc}"
        return None


def _finish(job: _Job) -> List[RealResult]:
    if job.child is None:
        return [RealResult(u, False, job.error, job.by) for u in job.urls] if job.error else []
    done = job.child.wait()
    if done.stopped:
        return []  # no answer in time: the probe's verdict stands, unconfirmed
    out = done.stdout.decode("utf-8", "replace")
    err = done.stderr.decode("utf-8", "replace")
    if job.kind == "uv":
        return [_uv_result(job, done.returncode, err)]
    return _requests_results(job, out, err)


def _requests_results(job: _Job, out: str, err: str) -> List[RealResult]:
    try:
        data: Dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (err.strip().splitlines() or ["no output"])[-1]
        return [RealResult(u, False, f"the check did not run: {tail}", job.by) for u in job.urls]
    if "error" in data:
        return []  # requests is not importable there: nothing to ask
    by = f"requests {data.get('requests', '?')} in {job.by.split(' in ', 1)[1]}"
    results = []
    for row in data.get("results", []):
        detail = f"HTTP {row['status']}" if row.get("ok") else str(row.get("error", ""))
        results.append(RealResult(str(row["url"]), bool(row.get("ok")), detail, by))
    return results


def _uv_result(job: _Job, code: int, err: str) -> RealResult:
    url = job.urls[0]
    # uv resolved (an index that has the name) or said the index has no such project:
    # both are answers from the index, so uv verified it.
    if code == 0 or "not found in the package registry" in err:
        return RealResult(url, True, "uv reached the index", job.by)
    causes = [ln.strip() for ln in err.splitlines() if ln.strip().startswith(("error:", "cause:"))]
    return RealResult(url, False, " / ".join(causes[-2:]) or err.strip()[-300:], job.by)
