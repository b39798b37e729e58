"""Misbehaving servers on loopback: indexes that stall or never end, proxies that break
the tunnel.  What a hostile (or merely broken) network does to a client, one behaviour per
server, so that a test can show pipssl stays bounded in time and memory and blames the
right hop.

Each server listens on 127.0.0.1, serves every connection in a daemon thread, and stops by
itself after ``lifetime`` seconds (its connections are closed then too).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import tempfile
import threading
from pathlib import Path
from typing import Callable, ContextManager, Iterator, List, Optional

from bed.certs import ServerCert

#: What a connection handler gets: the client's socket (TLS already, for an index) and
#: an event set once the server stops.
Handler = Callable[[socket.socket, threading.Event], None]

_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n"


class Hostile:
    """A running hostile server: ``port``, ``url`` (an index URL or a proxy URL) and
    ``connections`` (how many clients connected)."""

    def __init__(self, port: int, url: str, connections: List[int]) -> None:
        self.port, self.url, self._connections = port, url, connections

    @property
    def connections(self) -> int:
        return len(self._connections)


def _context(cert: ServerCert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="pipssl-hostile-") as tmp:
        chain, key = Path(tmp) / "chain.pem", Path(tmp) / "key.pem"
        chain.write_bytes(cert.chain_pem)
        key.write_bytes(cert.key_pem)
        context.load_cert_chain(str(chain), str(key))
    return context


@contextlib.contextmanager
def _serve(
    handler: Handler, url: Callable[[int], str], cert: Optional[ServerCert], lifetime: float
) -> Iterator[Hostile]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(32)
    listener.settimeout(0.1)
    stop = threading.Event()
    held: List[socket.socket] = []
    seen: List[int] = []
    context = _context(cert) if cert is not None else None

    def serve(conn: socket.socket) -> None:
        try:
            conn.settimeout(lifetime)
            if context is not None:
                conn = context.wrap_socket(conn, server_side=True)
                held.append(conn)
            handler(conn, stop)
        except (OSError, ValueError):
            pass  # the client left: normal here
        finally:
            conn.close()

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            held.append(conn)
            seen.append(1)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
        listener.close()
        for conn in held:
            with contextlib.suppress(OSError):
                conn.close()

    accepting = threading.Thread(target=accept_loop, daemon=True)
    accepting.start()
    timer = threading.Timer(lifetime, stop.set)
    timer.daemon = True
    timer.start()
    port: int = listener.getsockname()[1]
    try:
        yield Hostile(port, url(port), seen)
    finally:
        timer.cancel()
        stop.set()
        # gone once the block ends: the listener is closed before the caller goes on
        accepting.join(5)


def _read_head(conn: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


def _index_url(port: int) -> str:
    return f"https://localhost:{port}/simple/"


def _proxy_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _drip(conn: socket.socket, stop: threading.Event) -> None:
    """After the request: one byte of a 200 answer a second."""
    _read_head(conn)
    for byte in _RESPONSE + b"x" * 100:
        if stop.wait(1.0):
            return
        conn.sendall(bytes([byte]))


def _endless(conn: socket.socket, stop: threading.Event) -> None:
    """After the request: a 200 page whose body never ends, as fast as the client reads."""
    _read_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
    chunk = b'<a href="/x/">x</a><br>\n' * 2730  # ~64 KiB
    while not stop.is_set():
        conn.sendall(chunk)


def _silent(conn: socket.socket, stop: threading.Event) -> None:
    """Read what comes, never answer."""
    while not stop.wait(0.2):
        pass


def _tunnel_then(payload: bytes) -> Handler:
    """A proxy that answers CONNECT with 200, then sends ``payload`` and nothing else."""

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        _read_head(conn)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        # What the client sends next (its ClientHello) is read before the payload goes.
        conn.recv(65536)
        conn.sendall(payload)
        stop.wait(30)

    return handle


def _status(line: bytes) -> Handler:
    """A proxy that answers CONNECT with ``line`` (no HTTP status line at all)."""

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        _read_head(conn)
        conn.sendall(line)
        stop.wait(30)

    return handle


#: The proxy's own page after its 200: what a filtering proxy sends instead of the index.
BLOCK_PAGE = (
    b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 31\r\n\r\n"
    b"<h1>Blocked by web filter</h1>\n"
)
#: Bytes that are neither TLS nor HTTP.
GARBAGE = bytes(range(0, 64)) * 4
#: A status line that is no HTTP at all (an SSH server on the proxy's port).
NOT_HTTP = b"SSH-2.0-OpenSSH_9.6\r\n\r\n"


def drip_index(cert: ServerCert, lifetime: float = 60.0) -> ContextManager[Hostile]:
    """A TLS index that answers one byte a second after the handshake."""
    return _serve(_drip, _index_url, cert, lifetime)


def endless_index(cert: ServerCert, lifetime: float = 60.0) -> ContextManager[Hostile]:
    """A TLS index whose answer's body never ends."""
    return _serve(_endless, _index_url, cert, lifetime)


def silent_index(cert: ServerCert, lifetime: float = 60.0) -> ContextManager[Hostile]:
    """A TLS index that completes the handshake, then never answers."""
    return _serve(_silent, _index_url, cert, lifetime)


def silent_tcp(lifetime: float = 60.0) -> ContextManager[Hostile]:
    """A port that accepts TCP connections and never sends a byte (no TLS either)."""
    return _serve(_silent, _proxy_url, None, lifetime)


def _reset(conn: socket.socket, stop: threading.Event) -> None:
    """Read the client's first bytes (its ClientHello), then cut the connection (RST), as a
    firewall that blocks the name it asks for does."""
    conn.recv(65536)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def resetting(lifetime: float = 60.0) -> ContextManager[Hostile]:
    """A port that accepts, reads the ClientHello and resets the connection."""
    return _serve(_reset, _index_url, None, lifetime)


def drip_http(lifetime: float = 60.0) -> ContextManager[Hostile]:
    """A plain-HTTP server (an AIA URL's, say) that answers one byte a second."""
    return _serve(_drip, lambda port: f"http://127.0.0.1:{port}/issuer.der", None, lifetime)


def proxy(kind: str, lifetime: float = 60.0) -> ContextManager[Hostile]:
    """A hostile CONNECT proxy: ``plain`` (200, then its own plain-text page), ``garbage``
    (200, then bytes that are neither TLS nor HTTP), ``silent`` (no answer to CONNECT),
    ``not-http`` (a status line that is no HTTP)."""
    handlers = {
        "plain": _tunnel_then(BLOCK_PAGE),
        "garbage": _tunnel_then(GARBAGE),
        "silent": _silent,
        "not-http": _status(NOT_HTTP),
    }
    return _serve(handlers[kind], _proxy_url, None, lifetime)
