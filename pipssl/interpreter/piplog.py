"""Read the real pip's log: which indexes it looks in, how each project page fetch went,
and which hosts it connected to (:mod:`pipssl.interpreter.askpip` starts that pip; this
module, the larger of the two, loads while it runs).

Glossary:
    index: a URL pip's "Looking in indexes" line names.
    page: the project page pip fetches from an index (``INDEX/NAME/``).
    reached: pip got an HTTP answer for the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pipssl._limits import MEMORY_BYTES
from pipssl._redact import redact
from pipssl.interpreter.askpip import PAGE_NAME, REQUIREMENT, Asking
from pipssl.interpreter.child import Finished
from pipssl.net import links

#: pip's own words, stable from pip 18 to 26 (pip/_internal/index: collector, finder).
_LOOKING = re.compile(r"Looking in indexes: (.+)$")
_COULD_NOT = re.compile(r"Could not fetch URL (\S+?): (.*) - skipping$")
_COULD_NOT_AT = "Could not fetch URL "
_FETCHED = re.compile(r"(?:Fetched page|Analyzing links from page) (\S+)")
_IGNORED = re.compile(r"The repository located at (\S+) is not a trusted or secure host")
#: "404 Client Error: Not Found for url" and the like: an HTTP answer, so TLS worked.
_HTTP_ANSWER = re.compile(r"^\d{3} (?:Client|Server) Error")
_SSL_REASON = "There was a problem confirming the ssl certificate"
#: pip's words once it has looked in every index for the requirement (DistributionNotFound,
#: pip 10 to 26): without them, pip ended before it finished looking.
_NOT_FOUND = (
    "Could not find a version that satisfies the requirement",
    "No matching distribution",
)
#: pip's words before the traceback of an exception it did not expect (its exit status 2).
_CRASHED = "ERROR: Exception:"
#: A traceback's last line: the exception's type (dotted) and its message.
_RAISED = re.compile(r"^[A-Za-z_][\w.]*: \S")


def _could_not(line: str) -> Optional[re.Match[str]]:
    """pip's "Could not fetch URL" line, matched where those words first appear only: the
    reason quotes a server or proxy, and a search from every copy of them in a long line
    took time growing with its square."""
    at = line.find(_COULD_NOT_AT)
    return _COULD_NOT.match(line, at) if at != -1 else None


@dataclass(frozen=True)
class Reach:
    """What the real pip said of one index.

    Attributes:
        index: the index URL, as pip named it (credentials redacted).
        reached: True: pip got an HTTP answer from it; False: it could not.
        reason: pip's own words when it could not (redacted), e.g. "There was a problem
            confirming the ssl certificate: ... certificate verify failed ...", or, when
            ``stopped``, why pipssl stopped pip.
        stopped: pip was stopped (its deadline, its memory) before it finished with this
            index: not reached, and pip said nothing of it.
        aborted: pip ended by itself (an exception, an error) before it reached this
            index: not reached; ``reason`` says why pip ended.
    """

    index: str
    reached: bool
    reason: str = ""
    stopped: bool = False
    aborted: bool = False

    @property
    def tls(self) -> bool:
        """pip itself says the failure is TLS's (its SSLError branch: verification, the
        handshake or a missing ssl module)."""
        return self.reason.startswith(_SSL_REASON)


@dataclass(frozen=True)
class HostReach:
    """What the real pip's log says of one host it connected to (any URL there: a page,
    a redirect's target, a file).

    Attributes:
        origin: ``https://host[:port]/`` (see :func:`pipssl.net.links.origin`).
        reached: pip got an HTTP answer from it (TLS and all).
        reason: pip's words when it could not (redacted).
    """

    origin: str
    reached: bool
    reason: str = ""


@dataclass(frozen=True)
class PipAnswer:
    """The real pip's answer for every index it uses.

    Attributes:
        indexes: the indexes pip says it looks in (redacted), in its order.
        reaches: one :class:`Reach` per index pip reported on.
        ignored: plain-HTTP locations pip said it ignores (not a trusted host).
        problem: why there is no answer (pip did not start, did not finish in time, or
            never said which indexes it uses); empty when pip answered.
        errors: pip's own ``ERROR:`` lines (redacted); when it stopped before naming any
            index, its first lines: why it would not run at all.
        stopped: why pipssl stopped pip before it finished (empty: it finished).
        aborted: why pip ended by itself before it finished looking in its indexes (its
            exception's last line, or its first error); empty: it looked in every one, or
            pipssl stopped it (``stopped``).
        hosts: every host pip connected to, and whether it got an answer there.
    """

    indexes: Tuple[str, ...] = ()
    reaches: Tuple[Reach, ...] = ()
    ignored: Tuple[str, ...] = ()
    problem: str = ""
    errors: Tuple[str, ...] = ()
    stopped: str = ""
    aborted: str = ""
    hosts: Tuple[HostReach, ...] = ()

    def host(self, origin: str) -> Optional[HostReach]:
        """What pip's log says of the host ``origin`` (None: it did not connect there)."""
        for one in self.hosts:
            if one.origin == origin:
                return one
        return None

    def reach(self, url: str) -> Optional[Reach]:
        """What pip said of the index ``url`` (None: pip did not report on it)."""
        key = index_key(url)
        for reach in self.reaches:
            if index_key(reach.index) == key:
                return reach
        return None


def answer(asking: Asking) -> PipAnswer:
    """pip's answer, once it has finished or was stopped at its deadline (read once: the
    same object when asked again)."""
    if asking.answered is None:
        done, failed = asking.finish()
        if done is None:
            asking.answered = PipAnswer(problem=failed)
        else:
            asking.answered = parse(done.stdout.decode("utf-8", "replace"), _stopped(done))
    return asking.answered


def _stopped(done: Finished) -> str:
    """Why pipssl stopped pip, in words (empty: pip ended by itself)."""
    if done.stopped == "memory":
        return (
            f"pip did not finish: it grew past {MEMORY_BYTES // 2**20} MB reading an answer"
            " and was stopped"
        )
    if done.stopped:
        return f"pip did not finish in {done.limit:g} s and was stopped"
    return ""


def parse(output: str, stopped: str = "") -> PipAnswer:
    """Read pip's log: which indexes it looks in, and how each page fetch went.

    ``stopped``: why pipssl stopped pip (empty: it finished); every index pip named but
    had not finished with is then a :class:`Reach` not reached, ``stopped``.
    """
    indexes: List[str] = []
    reaches: List[Reach] = []
    ignored: List[str] = []
    errors: List[str] = []
    hosts = _Hosts()
    for raw in output.splitlines():
        line = raw.strip()
        hosts.read(line)
        if line.startswith("ERROR: ") and REQUIREMENT not in line:
            errors.append(redact(line[len("ERROR: ") :]))
        looking = _LOOKING.search(line)
        if looking and not indexes:
            indexes = [u.strip() for u in looking.group(1).split(",") if u.strip()]
            continue
        failed = _could_not(line)
        fetched = _FETCHED.search(line)
        found = _IGNORED.search(line)
        if found:
            ignored.append(redact(found.group(1)))
        page = failed.group(1) if failed else fetched.group(1) if fetched else None
        if page is None:
            continue
        index = _index_of(page, indexes)
        if index is None or any(index_key(r.index) == index_key(index) for r in reaches):
            continue
        if failed and not _HTTP_ANSWER.match(failed.group(2)):
            reaches.append(Reach(redact(index), False, redact(failed.group(2))))
        else:
            reaches.append(Reach(redact(index), True))
    aborted = "" if stopped else _aborted(output)
    if not indexes:
        # pip stopped before looking anywhere (a config file it cannot load prints no
        # "ERROR:"): its first words are why.
        said = errors or [redact(x.strip()) for x in output.splitlines() if x.strip()][:4]
        return PipAnswer(
            ignored=tuple(ignored),
            problem=stopped or "pip did not say which indexes it uses",
            errors=tuple(said),
            stopped=stopped,
            aborted=aborted,
            hosts=hosts.found(),
        )
    told = {index_key(r.index) for r in reaches}
    if stopped or aborted:
        reaches += [
            Reach(redact(i), False, stopped or aborted, stopped=bool(stopped), aborted=not stopped)
            for i in indexes
            if index_key(i) not in told
        ]
    return PipAnswer(
        tuple(redact(i) for i in indexes),
        tuple(reaches),
        tuple(ignored),
        errors=tuple(errors),
        stopped=stopped,
        aborted=aborted,
        hosts=hosts.found(),
    )


def _aborted(output: str) -> str:
    """Why pip, which ended by itself, did so before it finished looking in its indexes
    (empty: it finished: it said no index has the requirement): its first error, with the
    last line of the traceback -vvv logs after it ("due to an OSError." says no more), or
    that line alone after pip's words for an exception it did not expect."""
    if any(words in output for words in _NOT_FOUND):
        return ""
    raw = output.splitlines()
    lines = [x.strip() for x in raw]
    at = next(
        (i for i, x in enumerate(lines) if x.startswith("ERROR: ") and REQUIREMENT not in x),
        None,
    )
    if at is None:
        return "pip ended before it said how its indexes went"
    # a traceback's own lines are indented; its last, the exception, is not
    raised = [x.strip() for x in raw[at + 1 :] if _RAISED.match(x)][-1:]
    if lines[at] == _CRASHED:
        return redact(raised[0]) if raised else "pip stopped with an exception"
    return redact(" ".join([lines[at][len("ERROR: ") :], *raised]))


class _Hosts:
    """The hosts of pip's log: urllib3's line for each answer (``https://HOST:PORT "GET
    /path HTTP/1.1" 200 123``, logged at -vvv by every pip) and the connection pool each
    failure names (``HTTPSConnectionPool(host='HOST', port=PORT): Max retries exceeded``
    in pip's "Could not fetch URL" line, or in the exception a download ends with: only
    a failure's message names a pool).  pip 26 names no pool in "Could not fetch URL":
    urllib3's ``Starting new HTTPS connection (1): HOST:PORT`` before it says where it
    went, so a host pip connected to and never got an answer from counts as failed, with
    the failure that followed.  A host that answered once counts as reached.
    Read with ``find`` and ``partition`` only: the lines quote servers and proxies."""

    _POOL = "HTTPSConnectionPool(host='"
    _STARTING = "Starting new HTTPS connection ("
    _NO_ANSWER = "pip connected to it and got no answer"

    def __init__(self) -> None:
        self._reached: List[str] = []
        self._failed: List[Tuple[str, str]] = []
        self._started: List[str] = []

    def read(self, line: str) -> None:
        if line.startswith("https://"):
            hostport, _, rest = line[len("https://") :].partition(" ")
            host, _, port = hostport.rpartition(":")
            if rest.startswith('"') and host and port.isdigit():
                self._reached.append(_origin(host, port))
            return
        if line.startswith(self._STARTING):
            host, _, port = line.partition("): ")[2].strip().rpartition(":")
            if host and port.isdigit():
                self._started.append(_origin(host, port))
            return
        at = line.find(self._POOL)
        if at == -1:
            last = self._started[-1] if self._started else ""
            if line.startswith("Could not fetch URL") and last and last not in self._reached:
                self._failed.append((last, redact(line)))
            return
        host, _, rest = line[at + len(self._POOL) :].partition("'")
        port = rest[len(", port=") :].partition(")")[0] if rest.startswith(", port=") else ""
        if host and port.isdigit():
            self._failed.append((_origin(host, port), redact(line)))

    def found(self) -> Tuple[HostReach, ...]:
        out = [HostReach(origin, True) for origin in dict.fromkeys(self._reached)]
        failed = self._failed + [(o, self._NO_ANSWER) for o in self._started]
        for origin, reason in failed:
            if origin not in self._reached and origin not in [h.origin for h in out]:
                out.append(HostReach(origin, False, reason))
        return tuple(out)


def _origin(host: str, port: str) -> str:
    bare = host.strip("[]")
    return links.origin(f"https://[{bare}]:{port}/" if ":" in bare else f"https://{bare}:{port}/")


def _index_of(page: str, indexes: Sequence[str]) -> Optional[str]:
    """The index whose project page ``page`` is."""
    bare = index_key(page)
    for index in indexes:
        if bare == index_key(index).rstrip("/") + "/" + PAGE_NAME + "/":
            return index
    return None


def index_key(url: str) -> str:
    """``url`` without credentials (pip shows ``user:****@``), host lowercased, the
    index's path with one trailing slash: the key two spellings of an index share."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:  # no URL pipssl checked (those passed parse_url): its own key
        return url.strip()
    if ":" in host:
        host = f"[{host}]"
    if port == {"https": 443, "http": 80}.get(parts.scheme.lower()):
        port = None
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme.lower()}://{netloc}{path}"
