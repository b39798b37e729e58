"""Follow pip's path from an index to the files it downloads: every host on it is checked.

An index page that verifies says nothing of where pip then goes: the index may redirect
(301/302) to another host, and a project page's links may point to files on another host
(object storage, a CDN, a second mirror name) behind another chain.  pip verifies each of
those connections, and ``pip install`` fails at the first one it cannot.  So, for each
index that answered: its redirects hop by hop, one project page (``INDEX/PROJECT/``), and
the hosts of that page's links, a few of them, probed side by side.  Each new host is a
:class:`Step`: the diagnosis probes and classifies it like an index.
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, replace
from typing import Callable, List, Optional, Sequence, Tuple

from pipssl._names import normalize
from pipssl._redact import redact
from pipssl._threads import each_at_once
from pipssl.net.connect import Deadline
from pipssl.net.links import absolute, file_urls, hosts_of, origin
from pipssl.net.probe import ProbeResult

#: The kinds of host on pip's path (``TargetResult.kind``).
INDEX, FILES, REDIRECT = "index", "files", "redirect"
#: A project every mirror of the default index serves (the package of pip itself).
DEFAULT_PROJECT = "pip"
#: The file hosts checked per index: registries use one or two; more adds time, not news.
MOST_FILE_HOSTS = 3
#: Redirects followed from one URL (requests allows 30; a real path has one or two).
MOST_REDIRECTS = 3


def path_project(name: Optional[str]) -> str:
    """The project to follow: ``name`` when it is a project name (it goes into a URL
    path), else :data:`DEFAULT_PROJECT`; PEP 503 normalised, as pip asks for it."""
    if not name or not _NAME.fullmatch(name):
        return DEFAULT_PROJECT
    return normalize(name)


_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?")

#: Probe one URL: (url, seconds, keep the body?) -> the result, as pip would reach it.
Prober = Callable[[str, float, bool], ProbeResult]


@dataclass(frozen=True)
class Step:
    """One host on pip's path that is not the index's own.

    Attributes:
        kind: :data:`FILES` (a project page links there) or :data:`REDIRECT`.
        via: the index whose path it is on (redacted).
        result: the probe of the URL pip would fetch there, its ``url`` the host's origin.
    """

    kind: str
    via: str
    result: ProbeResult


def walk(
    index: str,
    first: ProbeResult,
    project: str,
    reach: Prober,
    timeout: float,
    known: Sequence[str] = (),
) -> List[Step]:
    """The hosts pip meets after ``index``'s own (``first``: its probe), in one budget
    of ``timeout`` seconds; a host that fails ends the walk (pip stops there too).
    ``known``: URLs checked already (the other indexes): their hosts are no new step."""
    if not (first.ok or first.failure == "http-error"):
        return []  # no answer from the index: pip goes no further either
    walker = _Walker(index, reach, Deadline(timeout))
    walker.seen += [origin(url) for url in known]
    if walker.follow(index, first) is None:
        return walker.steps
    page_url = index.rstrip("/") + "/" + project + "/"
    page = walker.fetch(page_url, keep_body=True)
    if page is None:
        return walker.steps
    final_url, result = page
    if not result.ok:
        return walker.steps  # no page for this project here: no links to follow
    picked = hosts_of(file_urls(result.body, final_url), walker.seen, MOST_FILE_HOSTS)
    walker.seen += [origin(url) for url in picked]
    found = each_at_once(walker.file_host, picked, MOST_FILE_HOSTS)
    return walker.steps + [step for steps in found for step in steps]  # in page order


class _Walker:
    """The hosts seen (origins) and the steps found, along one index's path."""

    def __init__(self, index: str, reach: Prober, deadline: Deadline) -> None:
        self.via = redact(index)
        self.reach = reach
        self.deadline = deadline
        self.seen = [origin(index)]
        self.steps: List[Step] = []
        self._lock = threading.Lock()  # the file hosts are followed side by side

    def _probe(self, url: str, keep_body: bool) -> Optional[ProbeResult]:
        try:
            left = self.deadline.left()
        except socket.timeout:
            return None  # the walk's budget is spent: what is left is not checked
        return self.reach(url, left, keep_body)

    def file_host(self, url: str) -> List[Step]:
        """The first link to a new host: probed (a step of kind files), then followed;
        the steps found, in their order."""
        result = self._probe(url, False)
        if result is None:
            return []
        steps = [Step(FILES, self.via, replace(result, url=origin(url)))]
        if result.ok:
            self.follow(url, result, steps=steps)
        return steps

    def fetch(self, url: str, keep_body: bool = False) -> Optional[Tuple[str, ProbeResult]]:
        """``url`` on a host already checked, and where its redirects end."""
        result = self._probe(url, keep_body)
        if result is None:
            return None
        return self.follow(url, result, keep_body)

    def follow(
        self,
        url: str,
        result: ProbeResult,
        keep_body: bool = False,
        steps: Optional[List[Step]] = None,
    ) -> Optional[Tuple[str, ProbeResult]]:
        """Where ``url``'s redirects end: (its URL, its probe); None when a new host on
        the way fails (that step says why) or the budget ran out.  A new host is a step
        in ``steps`` (default: the walk's own)."""
        found = self.steps if steps is None else steps
        for _ in range(MOST_REDIRECTS):
            if not (result.ok and result.location):
                return url, result
            moved_to = absolute(url, result.location)
            if moved_to is None:
                return url, result  # plain HTTP (pip's insecure checks say more) or no URL
            url, key = moved_to, origin(moved_to)
            with self._lock:
                fresh = key not in self.seen
                if fresh:
                    self.seen.append(key)
            moved = self._probe(url, keep_body)
            if moved is None:
                return None
            result = moved
            if fresh:
                found.append(Step(REDIRECT, self.via, replace(result, url=key, body=b"")))
                if not result.ok:
                    return None
        return url, result
