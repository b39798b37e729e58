"""TLS on the wire: the handshake over memory BIOs, and the peer's chain read as it goes by.

The handshake runs on an ``SSLObject`` over memory BIOs, so the same code works on a plain
socket and inside a TLS connection to an https:// proxy, and every byte the server sends
passes a :class:`Tap` first. When verification fails, :func:`read_chain` makes a second
handshake, unverified and capped at TLS 1.2, only to read the certificates the server sent
(in TLS 1.2 they travel in clear, so every Python can see the whole chain); no request is
ever sent on that connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

from pipssl._limits import FIRST_BYTES
from pipssl.net.connect import Deadline, Failure, Stream
from pipssl.net.context import make_context, ssl_module

if TYPE_CHECKING:
    import ssl


class Tap:
    """Reads the clear-text part of a TLS 1.2 handshake as it goes by."""

    def __init__(self) -> None:
        self.first = b""
        self._records = b""
        self._handshake = b""
        self._done = False
        self.chain: List[bytes] = []
        self.certificate_request = False
        self.alert: Optional[int] = None

    def feed(self, data: bytes) -> None:
        if len(self.first) < FIRST_BYTES:
            self.first += data[: FIRST_BYTES - len(self.first)]
        if self._done:
            return
        self._records += data
        while len(self._records) >= 5:
            ctype = self._records[0]
            length = int.from_bytes(self._records[3:5], "big")
            if len(self._records) < 5 + length:
                return
            payload = self._records[5 : 5 + length]
            self._records = self._records[5 + length :]
            if ctype == 22:
                self._handshake += payload
                self._messages()
            elif ctype == 21 and len(payload) >= 2:
                self.alert = payload[1]
            else:
                # ChangeCipherSpec or anything else: what follows is encrypted.
                self._done = True
                return

    def _messages(self) -> None:
        buf = self._handshake
        while len(buf) >= 4:
            mtype = buf[0]
            length = int.from_bytes(buf[1:4], "big")
            if len(buf) < 4 + length:
                break
            body = buf[4 : 4 + length]
            buf = buf[4 + length :]
            if mtype == 11 and not self.chain:
                self.chain = _certificate_list(body)
            elif mtype == 13:
                self.certificate_request = True
        self._handshake = buf


def _certificate_list(body: bytes) -> List[bytes]:
    """Parse a TLS 1.2 Certificate message: 3-byte total, then 3-byte-length entries."""
    out: List[bytes] = []
    if len(body) < 3 or int.from_bytes(body[:3], "big") != len(body) - 3:
        return []  # lengths that disagree: not a message we can trust to read
    pos = 3
    while pos < len(body):
        n = int.from_bytes(body[pos : pos + 3], "big")
        pos += 3
        if n == 0 or pos + n > len(body):
            return []
        out.append(bytes(body[pos : pos + n]))
        pos += n
    return out


def looks_like_tls(first: bytes) -> bool:
    """A TLS server's first byte is a record type (20-23) and the version's major is 3."""
    return len(first) >= 2 and 20 <= first[0] <= 23 and first[1] == 3


def recv(sock: Stream, deadline: Deadline) -> bytes:
    """One read from ``sock``, waiting no longer than the deadline leaves."""
    sock.settimeout(deadline.left())
    data: bytes = sock.recv(65536)
    return data


def flush(sock: Stream, outgoing: ssl.MemoryBIO, deadline: Deadline) -> None:
    """Send ``sock`` what the SSLObject has written into its outgoing BIO."""
    data = outgoing.read()
    if data:
        sock.settimeout(deadline.left())
        sock.sendall(data)


class TlsTransport:
    """Socket-like wrapper of an SSLObject, for TLS inside a TLS proxy connection."""

    def __init__(self, sock: Stream, obj: ssl.SSLObject, deadline: Deadline) -> None:
        self._sock, self._obj, self._deadline = sock, obj, deadline

    def settimeout(self, value: float) -> None:
        self._sock.settimeout(value)

    def sendall(self, data: bytes) -> None:
        self._obj.write(data)
        flush(self._sock, self._obj._outgoing, self._deadline)  # type: ignore[attr-defined]

    def recv(self, size: int) -> bytes:
        return read(self._sock, self._obj, self._deadline, size)

    def close(self) -> None:
        self._sock.close()


def read(sock: Stream, obj: ssl.SSLObject, deadline: Deadline, size: int) -> bytes:
    """Up to ``size`` decrypted bytes from ``obj``, fed from ``sock``; ``b""`` at EOF."""
    ssl = ssl_module()
    while True:
        try:
            data: bytes = obj.read(size)
            return data
        except ssl.SSLWantReadError:
            chunk = recv(sock, deadline)
            if not chunk:
                return b""
            obj._incoming.write(chunk)  # type: ignore[attr-defined]


def _wrap_bio_refs(obj: ssl.SSLObject, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO) -> None:
    # SSLObject does not expose its BIOs; keep them with it for read/TlsTransport.
    obj._incoming = incoming  # type: ignore[attr-defined]
    obj._outgoing = outgoing  # type: ignore[attr-defined]


def handshake(
    sock: Stream, ctx: ssl.SSLContext, host: str, deadline: Deadline, tap: Optional[Tap]
) -> ssl.SSLObject:
    """The handshake of ``ctx`` with ``host`` over ``sock``; ``tap`` sees every byte read."""
    ssl = ssl_module()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=host)
    _wrap_bio_refs(obj, incoming, outgoing)
    while True:
        try:
            obj.do_handshake()
            flush(sock, outgoing, deadline)
            return obj
        except ssl.SSLWantReadError:
            flush(sock, outgoing, deadline)
            data = recv(sock, deadline)
            if not data:
                raise ssl.SSLEOFError(
                    "EOF: the server closed the connection during the TLS handshake"
                ) from None
            if tap is not None:
                tap.feed(data)
            incoming.write(data)


def read_chain(
    transport_factory: Callable[[], Stream], host: str, deadline: Deadline
) -> Tuple[Tuple[bytes, ...], bool]:
    """Second, unverified handshake: only to read the certificates the server sends.

    Capped at TLS 1.2 so the Certificate message is in clear text on every Python.
    No request is sent on this connection; it is closed right after the handshake.
    """
    tap = Tap()
    sock = None
    try:
        sock = transport_factory()
        handshake(sock, make_context(verify=False, maximum_version="TLSv1_2"), host, deadline, tap)
    except (OSError, ValueError, Failure):
        pass
    finally:
        if sock is not None:
            sock.close()
    if tap.chain:
        return tuple(tap.chain), tap.certificate_request
    # A TLS 1.3-only server: the chain is encrypted; ask OpenSSL for what it saw.
    sock = None
    try:
        sock = transport_factory()
        obj = handshake(sock, make_context(verify=False), host, deadline, None)
        return _unverified_chain(obj), tap.certificate_request
    except (OSError, ValueError, Failure):
        return (), tap.certificate_request
    finally:
        if sock is not None:
            sock.close()


def _unverified_chain(obj: ssl.SSLObject) -> Tuple[bytes, ...]:
    # Python 3.13 made get_unverified_chain public; 3.10-3.12 have it on the private
    # _sslobj; older ones only give the leaf.
    getter = getattr(obj, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(obj, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        import _ssl  # noqa: PLC0415 ENCODING_DER lives only there before 3.13

        chain = getter() or []
        der = getattr(_ssl, "ENCODING_DER", 1)
        return tuple(c if isinstance(c, bytes) else c.public_bytes(der) for c in chain)
    leaf = obj.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()
