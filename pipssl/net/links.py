"""The links of a project page, and the hosts they point to: where pip downloads files from.

A registry or mirror often serves its pages from one host and its files from another
(object storage, a CDN, a second mirror name), behind another certificate chain.  The page
comes from the network, so it is read as hostile: only its first bytes (the probe's bound),
scanned once from left to right with ``str.find`` (no pattern that could backtrack).
"""

from __future__ import annotations

import html
from typing import List, Optional
from urllib.parse import urljoin, urlsplit

from pipssl.net.urls import parse_url


def hrefs(page: bytes) -> List[str]:
    """The ``href`` of every ``<a>`` tag in ``page``, unescaped, in page order."""
    # latin-1: one character per byte, and lower() keeps every index where it was
    text = page.decode("latin-1")
    lower = text.lower()
    found: List[str] = []
    at = lower.find("<a", 0)
    while at != -1:
        end = lower.find(">", at)
        if end == -1:
            break  # a tag cut by the bound: nothing more to read
        if lower[at + 2 : at + 3] in (" ", "\t", "\n", "\r"):
            value = _attribute(text, lower, at + 2, end, "href")
            if value:
                found.append(html.unescape(value.encode("latin-1").decode("utf-8", "replace")))
        at = lower.find("<a", end)
    return found


def _attribute(text: str, lower: str, start: int, end: int, name: str) -> Optional[str]:
    """The value of attribute ``name`` in the tag between ``start`` and ``end``."""
    at = lower.find(name, start, end)
    while at != -1:
        before = lower[at - 1]
        rest = at + len(name)
        while rest < end and lower[rest] in " \t\r\n":
            rest += 1
        if before in " \t\r\n" and rest < end and lower[rest] == "=":
            rest += 1
            while rest < end and lower[rest] in " \t\r\n":
                rest += 1
            if rest < end and lower[rest] in "\"'":
                close = lower.find(lower[rest], rest + 1, end)
                return text[rest + 1 : close] if close != -1 else None
            stop = rest
            while stop < end and lower[stop] not in " \t\r\n":
                stop += 1
            return text[rest:stop]
        at = lower.find(name, rest, end)
    return None


def origin(url: str) -> str:
    """``scheme://host[:port]/``: the host a connection goes to, as one key ("" for a URL
    that names none)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return ""
    if not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    scheme = parts.scheme.lower()
    if port is None or port == {"https": 443, "http": 80}.get(scheme):
        return f"{scheme}://{host}/"
    return f"{scheme}://{host}:{port}/"


def file_urls(page: bytes, page_url: str) -> List[str]:
    """The https links of a project page, made absolute against ``page_url`` (where pip
    got the page, after any redirect), without their ``#sha256=`` fragments."""
    out: List[str] = []
    for href in hrefs(page):
        url = absolute(page_url, href)
        if url is not None:
            out.append(url)
    return out


def absolute(base: str, href: str) -> Optional[str]:
    """``href`` (a link, a redirect's Location) made absolute against ``base``, without
    its fragment; None unless it is an https URL pipssl can connect to (the one check
    every URL passes where it enters: :func:`pipssl.net.urls.parse_url`)."""
    try:
        url = urljoin(base, href.strip()).partition("#")[0]
    except ValueError:  # "https://[bad" and the like
        return None
    parsed = parse_url(url, schemes=("https",))
    return None if isinstance(parsed, str) or not origin(url) else url


def hosts_of(urls: List[str], known: List[str], most: int) -> List[str]:
    """The first link to each host not in ``known`` (origins), at most ``most`` of them."""
    seen = list(known)
    picked: List[str] = []
    for url in urls:
        key = origin(url)
        if key in seen:
            continue
        seen.append(key)
        picked.append(url)
        if len(picked) == most:
            break
    return picked
