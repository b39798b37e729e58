"""The first stages of reaching an index: the time budget, DNS and TCP (its URL was
checked where it entered: :mod:`pipssl.net.urls`).

Everything above (the proxy tunnel, the TLS handshake, the probe) builds on these: a
:class:`Deadline` shared by every stage, and :class:`Failure`, which a stage raises to
say where and why it stopped.
"""

from __future__ import annotations

import errno
import socket
import time
from typing import Any, Optional, Protocol


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
