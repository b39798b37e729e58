"""A URL where it enters pipssl (an option, a config file, a variable): the one check
every URL, host and port passes, and the parts pipssl connects to.

Light on purpose (no socket, no dataclasses): the command line checks ``--index-url``
with it before the real pip starts.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple, Optional, Tuple, Union
from urllib.parse import urlsplit

from pipssl._redact import redact
from pipssl._text import shown
from pipssl.errors import UsageError

HTTPS_PORT = 443


class Url(NamedTuple):
    """A URL pipssl will use, parsed once where it entered (see :func:`parse_url`).

    Attributes:
        port: the port to connect to (the scheme's default when the URL names none).
        named_port: the port the URL itself names, or None.
    """

    scheme: str
    host: str
    port: int
    path: str
    named_port: Optional[int]


_DEFAULT_PORTS = {"https": HTTPS_PORT, "http": 80}


def parse_url(
    text: str, *, schemes: Optional[Tuple[str, ...]] = ("http", "https"), bare: str = ""
) -> Union[Url, str]:
    """Parse a URL from any source (an option, a config file, a variable): the one check
    every URL, host and port passes where it enters pipssl.

    Args:
        text: the URL as given (surrounding white space is ignored, as pip ignores it).
        schemes: the schemes allowed (None: any, as for a proxy).
        bare: the scheme assumed for ``host:port`` without one (``http`` for a proxy, as
            requests assumes); empty: such a text has no scheme.

    Returns:
        The :class:`Url`, or why it is none: the words to follow the URL in a message
        ("has an invalid port").  Never raises for any text.
    """
    raw = text.strip()
    if bare and "://" not in raw:
        raw = f"{bare}://{raw}"
    # Checked before urlsplit, whose own checks differ between Python releases.
    netloc = re.split(r"[/?#]", raw.partition("://")[2], maxsplit=1)[0] if "://" in raw else ""
    problem = _bracket_problem(netloc.rpartition("@")[2])
    if problem:
        return problem
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if (schemes is not None and parts.scheme not in schemes) or not host:
        wanted = "an http(s) URL" if schemes is not None else "a URL"
        return f"is not {wanted} with a host name"
    try:
        named = parts.port  # raises for a port that is no number in 0-65535
    except ValueError:
        return "has an invalid port"
    if named == 0:
        return "has an invalid port"
    port = named or _DEFAULT_PORTS.get(parts.scheme, 0)
    return Url(parts.scheme, host, port, parts.path or "/", named)


def _bracket_problem(hostport: str) -> str:
    """Brackets hold an IPv6 address and nothing else; every Python's urlsplit does not
    check it (``[zz]`` passes before 3.11.4, ``[::1`` before 3.9)."""
    if "[" not in hostport and "]" not in hostport:
        return ""
    inner, closed, rest = hostport[1:].partition("]")
    if not hostport.startswith("[") or "[" in inner or "]" in rest:
        return "is not a valid URL ('[' or ']' inside its host name)"
    if not closed:
        return "is not a valid URL (the '[' before its host is never closed)"
    if rest and not rest.startswith(":"):
        return "is not a valid URL (text after the bracketed host)"
    try:
        ipaddress.IPv6Address(inner.split("%", 1)[0])
    except ValueError:
        return "has a host in brackets that is not an IPv6 address"
    return ""


def split_url(url: str) -> Tuple[str, str, int, str]:
    """Return (scheme, host, port, path) of an index URL.

    Raises:
        UsageError: the URL has no ``http``/``https`` scheme or no host, or is malformed
            (see :func:`parse_url`).
    """
    parsed = parse_url(url)
    if isinstance(parsed, str):
        raise UsageError(
            f"index URL '{shown(redact(url))}' {parsed}",
            hint="give a full URL such as https://host.example/simple/",
        )
    return parsed.scheme, parsed.host, parsed.port, parsed.path
