"""One plain-HTTP GET under one deadline: the issuer certificate a leaf's AIA URL names.

The URL comes from the certificate the server sent, so the server chose it: the fetch is
bounded in time as a whole (a server that drips a byte a second cannot hold the
diagnosis; urllib's timeout is per read) and in bytes.
"""

from __future__ import annotations

import base64
import socket
from typing import Optional
from urllib.parse import unquote, urlsplit

from pipssl._limits import ISSUER_BYTES
from pipssl.net import wire
from pipssl.net.connect import Deadline, Failure, connect


def http_get(url: str, timeout: float, proxy_url: Optional[str] = None) -> Optional[bytes]:
    """The body of a 200 answer to ``GET url`` (an ``http://`` URL), through the HTTP
    proxy ``proxy_url`` if given, or None: no such answer within ``timeout`` seconds in
    all, or a body past :data:`~pipssl._limits.ISSUER_BYTES`."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return None
    deadline = Deadline(timeout)
    request = _request(url, proxy_url)
    hop = urlsplit(proxy_url if proxy_url and "://" in proxy_url else f"http://{proxy_url}")
    try:
        host, port = (
            (hop.hostname or "", hop.port or 8080)
            if proxy_url
            else (parts.hostname, parts.port or 80)
        )
        sock = connect(host, port, deadline, "connect")
    except (Failure, ValueError):
        return None
    try:
        sock.settimeout(deadline.left())
        sock.sendall(request)
        answer = b""
        while len(answer) <= ISSUER_BYTES + 4096:
            chunk = wire.recv(sock, deadline)
            if not chunk:
                break
            answer += chunk
    except (OSError, socket.timeout):
        return None
    finally:
        sock.close()
    return _body(answer)


def _request(url: str, proxy_url: Optional[str]) -> bytes:
    parts = urlsplit(url)
    target = url if proxy_url else (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.0", f"Host: {parts.netloc}", "User-Agent: pipssl"]
    if proxy_url:
        hop = urlsplit(proxy_url if "://" in proxy_url else "http://" + proxy_url)
        if hop.username is not None:
            token = f"{unquote(hop.username)}:{unquote(hop.password or '')}".encode()
            lines.append("Proxy-Authorization: Basic " + base64.b64encode(token).decode("ascii"))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _body(answer: bytes) -> Optional[bytes]:
    """The body of a complete 200 answer (HTTP/1.0: it ends with the connection)."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split(b" ")
    if not sep or len(status) < 2 or status[1] != b"200" or len(body) > ISSUER_BYTES:
        return None
    return body
