"""Keep credentials out of every line pipssl shows or stores.

pip writes ``user:****@host`` for URLs with a password; we do the same, and also
hide a token given as the user part alone (``https://TOKEN@host``), which is how
many private indexes are configured.

The text is often a server's or a proxy's (a status line, an error, a URL): the scan is
by hand and reads each character a bounded number of times, where a regular expression
with a repeated scheme and userinfo backtracked in time growing with the square of the
line (a long run of letters with no ``://`` in it).
"""

from __future__ import annotations

from typing import List

_SCHEME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SCHEME = _SCHEME_START | frozenset("0123456789+.-")


def _scheme_start(text: str, floor: int, colon: int) -> int:
    """Where the scheme that ends at ``colon`` begins (never before ``floor``), or -1:
    the leftmost letter of the run of scheme characters just before the colon."""
    start = colon
    while start > floor and text[start - 1] in _SCHEME:
        start -= 1
    while start < colon and text[start] not in _SCHEME_START:
        start += 1
    return start if start < colon else -1


def _userinfo_end(text: str, begin: int) -> int:
    """The index of the ``@`` that ends a userinfo starting at ``begin``, or -1: the
    userinfo is one or more characters, none of them ``/``, ``@`` or whitespace."""
    at = begin
    end = len(text)
    while at < end:
        char = text[at]
        if char == "@":
            return at if at > begin else -1
        if char == "/" or char.isspace():
            return -1
        at += 1
    return -1


def _masked(scheme: str, userinfo: str) -> str:
    user, sep, _password = userinfo.partition(":")
    return f"{scheme}{user}:****@" if sep else f"{scheme}****@"


def redact(text: str) -> str:
    """Return ``text`` with the credentials of every URL in it masked.

    Args:
        text: a URL, or any text that may contain URLs.

    Returns:
        The same text, with ``user:password@`` shown as ``user:****@`` and a lone
        ``token@`` shown as ``****@``.
    """
    parts: List[str] = []
    done = 0  # text[:done] is in parts already
    colon = text.find("://")
    while colon != -1:
        start = _scheme_start(text, done, colon)
        at = _userinfo_end(text, colon + 3) if start != -1 else -1
        if at == -1:
            colon = text.find("://", colon + 1)
            continue
        parts.append(text[done:start])
        parts.append(_masked(text[start : colon + 3], text[colon + 3 : at]))
        done = at + 1
        colon = text.find("://", done)
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)
