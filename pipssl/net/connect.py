"""The first stages of reaching an index: its URL, the time budget, DNS and TCP.

Everything above (the proxy tunnel, the TLS handshake, the probe) builds on these: a
:class:`Deadline` shared by every stage, and :class:`Failure`, which a stage raises to
say where and why it stopped.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from typing import Any, Optional, Protocol, Tuple, Union
from urllib.parse import urlsplit

from pipssl._redact import redact
from pipssl._text import shown
from pipssl.errors import UsageError

HTTPS_PORT = 443


@dataclass(frozen=True)
class Url:
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


class Deadline:
    """One time budget for every stage of a probe; ``left()`` raises once it is spent."""

    def __init__(self, timeout: float) -> None:
        self.end = time.monotonic() + timeout

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out")
        return remaining


class Failure(Exception):
    """A stage stopped: where, a short kind, the error, and more ``ProbeResult`` fields."""

    def __init__(self, stage: str, failure: str, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.stage, self.failure, self.error, self.extra = stage, failure, error, extra


class Stream(Protocol):
    """What a probe reads and writes: a socket, or TLS inside a proxy's TLS tunnel
    (:class:`pipssl.net.wire.TlsTransport`)."""

    def settimeout(self, value: float, /) -> None: ...

    def sendall(self, data: bytes, /) -> None: ...

    def recv(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


def connect(host: str, port: int, deadline: Deadline, stage: str) -> socket.socket:
    """DNS then TCP, like urllib3: try each address in turn."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        kind = "proxy-unreachable" if stage == "proxy" else "dns-failure"
        raise Failure(
            "dns" if stage != "proxy" else stage, kind, f"{host}: {exc.strerror}"
        ) from None
    except UnicodeError as exc:
        raise Failure("dns", "dns-failure", f"{host}: {exc}") from None
    last: Optional[BaseException] = None
    for family, socktype, proto, _name, addr in infos:
        sock = socket.socket(family, socktype, proto)
        try:
            sock.settimeout(deadline.left())
            sock.connect(addr)
            return sock
        except (OSError, socket.timeout) as exc:
            sock.close()
            # A refusal from any of the host's addresses says the most: the host is there
            # (an IPv6 address with no route beside it is no news).
            if not isinstance(last, ConnectionRefusedError):
                last = exc
            if isinstance(exc, socket.timeout):
                break
    raise _refused(last, host, port, stage)


#: errno names -> the failure kind they are, for the index (at the proxy every one is
#: ``proxy-unreachable``); any other errno is ``network-unreachable`` too, and the finding
#: names each errno with its own summary and fix (:mod:`pipssl.diagnosis.transport`).
_KINDS = {
    "ECONNREFUSED": "connection-refused",  # the host answered: nothing listens there
    "ETIMEDOUT": "timeout",  # no answer at all: a firewall that drops, a dead host
}


def _refused(last: Optional[BaseException], host: str, port: int, stage: str) -> Failure:
    """The failure for a connection that could not be made, named by its errno."""
    if isinstance(last, socket.timeout):
        name, kind = "", "timeout"
        said = "timed out"
    else:
        number = getattr(last, "errno", None)
        name = errno.errorcode.get(number, "") if isinstance(number, int) else ""
        kind = _KINDS.get(name, "network-unreachable")
        said = getattr(last, "strerror", None) or str(last)
    if stage == "proxy":
        kind = "proxy-unreachable"
    spelled = f" ({name}, errno {getattr(errno, name)})" if name else ""
    return Failure(stage, kind, f"{host}:{port}: {said}{spelled}", errno=name)
