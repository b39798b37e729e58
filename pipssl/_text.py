"""The one way out to the terminal for text that pipssl did not write itself.

Certificate fields, host names, URLs, a proxy's or server's answer, another program's
output, file paths and values read from config files may come from a hostile network or
file, and what pipssl prints is what users copy and paste.  Such a value enters pipssl's
text only through :func:`shown`: every character that does not print as itself (C0 and C1
controls such as ESC, BEL, CR and LF, DEL, line and paragraph separators, bidi controls such
as U+202E, zero-width and other format characters, spaces other than the ASCII one) is
written as a visible escape (``\\x1b``, ``\\n``, ``\\u202e``), and a value past a length cap
is cut, saying how much was left out.  So a value can neither start a line of its own (a
forged ``fix:``), nor move the cursor, recolour, retitle or reorder what the user reads.

:func:`screen` is the last pass over every text pipssl writes to a terminal or a file: the
same escapes for every character but the line feeds pipssl's own layout is made of, so a
value that reached a message without :func:`shown` still cannot steer the terminal.

JSON output keeps exact values: ``json.dumps`` escapes what needs escaping itself.
Both functions run in time linear in their input.
"""

from __future__ import annotations

from typing import Dict

from pipssl._redact import redact

#: The longest value shown whole: a path of PATH_MAX (Linux: 4096) fits, and a certificate
#: subject or a URL is far shorter; a proxy's status line of 60,000 characters is cut.
LIMIT = 4096

_NAMED: Dict[str, str] = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(char: str) -> str:
    """``char`` as a visible escape: ``\\n``, ``\\x1b``, ``\\u202e``, ``\\U0001f600``."""
    named = _NAMED.get(char)
    if named is not None:
        return named
    point = ord(char)
    if point <= 0xFF:
        return f"\\x{point:02x}"
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def _escaped(text: str, keep: str) -> str:
    if text.isprintable():  # the common case, one pass in C
        return text
    return "".join(c if c.isprintable() or c in keep else escape(c) for c in text)


def shown(value: object, limit: int = LIMIT) -> str:
    """Return ``value`` as it may appear inside pipssl's text: one line, visible, capped.

    Args:
        value: anything from outside pipssl (it is turned into a string first).
        limit: the most characters of ``value`` shown; the rest is replaced by a note of
            how many were left out.

    Returns:
        The value with credentials masked (:func:`pipssl._redact.redact`) and every
        non-printing character (line feeds included) as an escape.
    """
    text = redact(str(value))  # before the cap, which could cut a password from its '@'
    if len(text) > limit:
        more = len(text) - limit
        return _escaped(text[:limit], "") + f"...[{more} more characters]"
    return _escaped(text, "")


def screen(text: str) -> str:
    """Return pipssl's own ``text`` safe for a terminal: line feeds kept, every other
    non-printing character shown as an escape (a value that missed :func:`shown`)."""
    return _escaped(text, "\n")
