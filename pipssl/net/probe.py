"""Reach an index the way pip would, and say exactly where and why it fails.

``probe`` walks the stages pip walks (DNS, TCP or proxy CONNECT, TLS handshake verified
with pip's CA material, one HTTP request) and stops at the first failure. When
verification fails it reads the chain the server sent (:func:`pipssl.net.wire.read_chain`)
for the classifier.
"""

from __future__ import annotations

import base64
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit

from pipssl._limits import BODY_BYTES, HEAD_BYTES
from pipssl._redact import redact
from pipssl._text import shown
from pipssl.errors import UsageError
from pipssl.net import wire
from pipssl.net.connect import Deadline, Failure, Stream, connect
from pipssl.net.context import PIP_POLICY, VerifyPolicy, make_context, ssl_module
from pipssl.net.proxy import Proxy
from pipssl.net.urls import HTTPS_PORT, split_url

if TYPE_CHECKING:
    import ssl


@dataclass(frozen=True)
class ProbeResult:
    """What happened when we reached ``url``.

    Attributes:
        stage: where it stopped: ``dns``, ``proxy``, ``connect``, ``tls``, ``http``, or
            ``done`` on success.
        failure: a short kind (``dns-failure``, ``connection-refused``, ``timeout``,
            ``network-unreachable``, ``proxy-unreachable``, ``proxy-auth-required``,
            ``proxy-scheme-mismatch``,
            ``proxy-denied``, ``not-tls``, ``tls-version-unsupported``,
            ``client-cert-required``, ``verify-failed``, ``tls-error``, ``http-error``),
            empty on success.
        verify_code / verify_message: OpenSSL's verdict when verification failed.
        chain: DER certificates the server sent, leaf first (read after a failure).
        client_cert: the client certificate file presented (pip's ``client-cert``).
        errno: the OS's name for a connection's failure (``ENETUNREACH``, ``ECONNRESET``
            ...), when the OS gave one.
        location: where a redirect (3xx) sends pip next, exactly as the server said.
        body: the first :data:`~pipssl._limits.BODY_BYTES` of the answer's body, when
            asked for (``keep_body``): the links of a project page.
    """

    url: str
    host: str
    port: int
    stage: str
    ok: bool
    elapsed: float
    failure: str = ""
    error: str = ""
    proxy: Optional[str] = None
    verify_code: Optional[int] = None
    verify_message: str = ""
    chain: Tuple[bytes, ...] = ()
    client_cert_requested: bool = False
    tls_version: str = ""
    http_status: Optional[int] = None
    first_bytes: bytes = field(default=b"", repr=False)
    client_cert: Optional[str] = None
    errno: str = ""
    location: str = ""
    body: bytes = field(default=b"", repr=False)


def _speaks_http(host: str, port: int, deadline: Deadline) -> bool:
    """Does this proxy answer a plain-text request?  Confirms an https:// proxy URL
    that should say http:// before we tell the user to change it."""
    try:
        sock = connect(host, port, deadline, "proxy")
    except Failure:
        return False
    try:
        sock.settimeout(deadline.left())
        sock.sendall(b"OPTIONS * HTTP/1.1\r\nHost: pipssl\r\n\r\n")
        return wire.recv(sock, deadline).startswith(b"HTTP/")
    except OSError:
        return False
    finally:
        sock.close()


def _tunnel(
    host: str,
    port: int,
    proxy: Proxy,
    deadline: Deadline,
    cafiles: Sequence[str],
    cadata: Optional[str],
) -> Stream:
    """Open a CONNECT tunnel through ``proxy`` and return a socket-like transport."""
    parts = urlsplit(proxy.url if "://" in proxy.url else "http://" + proxy.url)
    phost = parts.hostname or ""
    pport = parts.port or (HTTPS_PORT if parts.scheme == "https" else 8080)
    sock: Stream = connect(phost, pport, deadline, "proxy")
    if parts.scheme == "https":
        tap = wire.Tap()
        # A plain proxy may just wait for the end of an HTTP request that never comes:
        # keep half the budget to check whether it speaks plain HTTP instead.
        tls_deadline = Deadline(deadline.left() / 2)
        try:
            obj = wire.handshake(sock, make_context(cafiles, cadata), phost, tls_deadline, tap)
        except (OSError, ValueError) as exc:
            sock.close()
            if (tap.first and not wire.looks_like_tls(tap.first)) or _speaks_http(
                phost, pport, deadline
            ):
                raise Failure(
                    "proxy",
                    "proxy-scheme-mismatch",
                    f"TLS to the proxy {proxy.display} failed ({exc}), but it answers plain HTTP",
                ) from None
            raise Failure(
                "proxy", "proxy-unreachable", f"TLS to the proxy failed: {exc}"
            ) from None
        sock = wire.TlsTransport(sock, obj, deadline)
    request = "CONNECT {h}:{p} HTTP/1.1\r\nHost: {h}:{p}\r\nUser-Agent: pipssl\r\n".format(
        h=host if ":" not in host else f"[{host}]", p=port
    )
    if parts.username is not None:
        token = "{}:{}".format(unquote(parts.username), unquote(parts.password or ""))
        request += "Proxy-Authorization: Basic {}\r\n".format(
            base64.b64encode(token.encode("utf-8")).decode("ascii")
        )
    head = b""
    try:
        sock.sendall((request + "\r\n").encode("latin-1"))
        while b"\r\n\r\n" not in head and len(head) < HEAD_BYTES:
            chunk = wire.recv(sock, deadline)
            if not chunk:
                break
            head += chunk
    except socket.timeout:
        sock.close()
        sent = f" (it sent {shown(head.decode('latin-1'))})" if head else ""
        raise Failure(
            "proxy",
            "timeout",
            f"the proxy {proxy.display} did not answer CONNECT {host}:{port} in time{sent}",
        ) from None
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    bits = status_line.split(" ", 2)
    status = int(bits[1]) if len(bits) >= 2 and bits[1].isdigit() else 0
    if status == 200:
        return sock
    sock.close()
    if status == 407:
        raise Failure(
            "proxy",
            "proxy-auth-required",
            f"the proxy {proxy.display} answered {status_line}",
            http_status=status,
        )
    if status == 0:
        answered = f": it sent {shown(status_line)}" if head else ""
        raise Failure(
            "proxy",
            "proxy-unreachable",
            f"the proxy {proxy.display} gave no HTTP answer to CONNECT{answered}",
            first_bytes=head[:16],
        )
    # Any other answer is the proxy's refusal (403 from a filter, 502 ...), by its status.
    raise Failure(
        "proxy",
        "proxy-denied",
        f"the proxy {proxy.display} answered CONNECT {host}:{port} with {status_line}",
        http_status=status,
    )


#: The handshake failures after which the chain is read (the classifier needs it, and a
#: server that asks for a client certificate shows it there).
_READ_CHAIN = ("verify-failed", "tls-error", "tls-version-unsupported", "network-unreachable")


def _broken_tunnel(failure: Failure, proxy: Proxy, host: str, port: int, tap: wire.Tap) -> Failure:
    """A tunnel the proxy opened (200) through which no TLS came: the proxy is the first
    suspect (a filter's own page, no CONNECT proxy at all), so it is named, with what came."""
    if failure.failure == "timeout":
        came = "then nothing came through the tunnel in time"
    else:
        came = f"then sent {shown(tap.first.decode('latin-1'))} instead of the index's TLS"
    return Failure(
        "proxy",
        failure.failure,
        f"the proxy {proxy.display} answered CONNECT {host}:{port} with 200, {came}",
        first_bytes=tap.first,
    )


def _tls_failure(exc: BaseException, tap: wire.Tap) -> Failure:
    """Sort a failed verified handshake into the kinds :mod:`diagnose` understands."""
    ssl = ssl_module()
    text = str(exc)
    upper = text.upper()
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Failure(
            "tls",
            "verify-failed",
            text,
            verify_code=exc.verify_code,
            verify_message=exc.verify_message or "",
        )
    if tap.first and not wire.looks_like_tls(tap.first):
        return Failure(
            "tls",
            "not-tls",
            f"the server answered with plain text ({tap.first[:12]!r})",
            first_bytes=tap.first,
        )
    if any(
        s in upper
        for s in (
            "WRONG_VERSION_NUMBER",
            "RECORD_LAYER_FAILURE",
            "HTTP_REQUEST",
            "PACKET_LENGTH_TOO_LONG",
            "UNKNOWN_PROTOCOL",
        )
    ):
        return Failure("tls", "not-tls", text, first_bytes=tap.first)
    if (
        "CERTIFICATE_REQUIRED" in upper
        or "CERTIFICATE REQUIRED" in upper
        or (tap.certificate_request and "HANDSHAKE_FAILURE" in upper)
    ):
        return Failure("tls", "client-cert-required", text)
    if any(
        s in upper
        for s in (
            "UNSUPPORTED_PROTOCOL",
            "PROTOCOL_VERSION",
            "NO_PROTOCOLS",
            "VERSION_TOO_LOW",
            "VERSION_TOO_HIGH",
        )
    ):
        return Failure("tls", "tls-version-unsupported", text)
    if isinstance(exc, socket.timeout):
        return Failure("tls", "timeout", "TLS handshake timed out")
    if (
        isinstance(exc, (ConnectionResetError, ConnectionAbortedError))
        and not tap.certificate_request
    ):
        # Not TLS's verdict: something on the path (often a firewall or proxy) cut it.
        name = "ECONNRESET" if isinstance(exc, ConnectionResetError) else "ECONNABORTED"
        return Failure(
            "tls", "network-unreachable", f"during the TLS handshake: {text}", errno=name
        )
    return Failure("tls", "tls-error", text)


def _http_answer(
    transport: Stream,
    obj: ssl.SSLObject,
    host: str,
    port: int,
    path: str,
    deadline: Deadline,
    keep_body: bool = False,
) -> _Answer:
    """One GET of the index page, as pip's first request; returns the answer once its
    head and the start of its body (:data:`~pipssl._limits.BODY_BYTES`) came.

    Raises:
        Failure: ``timeout`` at the ``http`` stage, when the answer did not come in time
            (a server that drips, or goes silent after the handshake).
    """
    hostport = host if port == HTTPS_PORT else f"{host}:{port}"
    if ":" in host:
        hostport = f"[{host}]" if port == HTTPS_PORT else f"[{host}]:{port}"
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: pipssl\r\nAccept: text/html\r\n"
        "Connection: close\r\n\r\n"
    )
    obj.write(request.encode("latin-1"))
    wire.flush(transport, obj._outgoing, deadline)  # type: ignore[attr-defined]
    answer = _Answer(keep_body)
    try:
        while not answer.complete():
            chunk = wire.read(transport, obj, deadline, 65536)
            if not chunk:
                break
            answer.feed(chunk)
    except socket.timeout:
        raise Failure(
            "http",
            "timeout",
            f"{host}:{port} sent {answer.received} bytes of its answer and did not finish "
            "it in time",
        ) from None
    return answer


class _Answer:
    """An HTTP answer as it comes: its head (capped) and how much of its body came.

    Complete once the head and the body's end (its Content-Length, the last chunk) or its
    first :data:`~pipssl._limits.BODY_BYTES` came; a head past
    :data:`~pipssl._limits.HEAD_BYTES` ends it too (no real index sends one)."""

    def __init__(self, keep_body: bool = False) -> None:
        self.keep_body = keep_body
        self.body = b""
        self.location = ""
        self.head = b""
        self.received = 0
        self._body = 0
        self._length: Optional[int] = None
        self._tail = b""
        self._chunked = False

    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if b"\r\n\r\n" in self.head:
            self._more_body(chunk)
            return
        self.head = (self.head + chunk)[: HEAD_BYTES + 4]
        if b"\r\n\r\n" in self.head:
            self.head, _, body = self.head.partition(b"\r\n\r\n")
            self.head += b"\r\n\r\n"
            self._read_head()
            self._more_body(body)

    def _read_head(self) -> None:
        for line in self.head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            key = name.strip().lower()
            if key == b"content-length" and value.strip().isdigit():
                self._length = int(value.strip())
            elif key == b"transfer-encoding" and b"chunked" in value.lower():
                self._chunked = True
            elif key == b"location":
                self.location = value.strip().decode("latin-1")

    def status(self) -> int:
        bits = self.head.split(b"\r\n", 1)[0].split(b" ")
        return int(bits[1]) if len(bits) >= 2 and bits[1].isdigit() else 0

    def _more_body(self, data: bytes) -> None:
        if self.keep_body and len(self.body) < BODY_BYTES:
            self.body += data[: BODY_BYTES - len(self.body)]
        self._body += len(data)
        self._tail = (self._tail + data)[-7:]

    def complete(self) -> bool:
        if len(self.head) > HEAD_BYTES:
            return True
        if not self.head.endswith(b"\r\n\r\n"):
            return False
        if self._body >= BODY_BYTES or (self._length is not None and self._body >= self._length):
            return True
        return self._chunked and self._tail.endswith(b"0\r\n\r\n")


def probe(
    url: str,
    *,
    proxy: Optional[Proxy] = None,
    cafiles: Sequence[str] = (),
    cadata: Optional[str] = None,
    capaths: Sequence[str] = (),
    client_cert: Optional[str] = None,
    timeout: float = 5.0,
    policy: VerifyPolicy = PIP_POLICY,
    keep_body: bool = False,
) -> ProbeResult:
    """Reach ``url`` as pip would and report the first stage that fails.

    Args:
        url: an index URL (``https://host[:port]/simple/``); credentials are used for
            nothing and never shown.
        proxy: the proxy pip would use (see :func:`select_proxy`), or None.
        cafiles: the CA files pip would trust.
        cadata: PEM text pip would trust as well (the OS store, for pips that use it).
        capaths: CA directories pip would trust (a ``cert`` that is a directory).
        client_cert: pip's ``client-cert`` file, presented when the server asks, as pip
            does; a file that cannot be loaded fails the probe at the TLS stage.
        timeout: overall budget in seconds for the whole probe.
        policy: the verify flags and host name rule of the client probed for (pip's by
            default; another client's when :mod:`pipssl.clients` probes for it).
        keep_body: keep the start of the answer's body (a project page's links).

    Returns:
        A :class:`ProbeResult`; never raises for network or TLS failures.

    Raises:
        UsageError: ``url`` is not an http(s) URL, or ``timeout`` is not positive.
        ImportError: no usable ssl module (the caller reports that instead).
        OSError / ssl.SSLError: a CA file cannot be loaded.
    """
    if not timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout}")
    scheme, host, port, path = split_url(url)
    start = time.monotonic()
    deadline = Deadline(timeout)
    shown_proxy = proxy.display if proxy else None

    def open_transport() -> Stream:
        if proxy is not None:
            return _tunnel(host, port, proxy, deadline, cafiles, cadata)
        return connect(host, port, deadline, "connect")

    def result(stage: str, ok: bool, **kw: Any) -> ProbeResult:
        return ProbeResult(
            url=redact(url),
            host=host,
            port=port,
            stage=stage,
            ok=ok,
            elapsed=time.monotonic() - start,
            proxy=shown_proxy,
            client_cert=client_cert,
            **kw,
        )

    transport = None
    try:
        transport = open_transport()
        if scheme != "https":
            return result("done", True)
        # Built once there is a server to talk to: loading pip's CA material is most of a
        # probe's time, and a closed port, a dead host or a refusing proxy need none of it.
        try:
            ctx = make_context(
                cafiles, cadata, capaths=capaths, client_cert=client_cert, policy=policy
            )
        except (OSError, ValueError) as exc:
            if not client_cert:
                raise
            make_context(cafiles, cadata, capaths=capaths)  # a CA file's error is raised
            # pip stops too: its client-cert must hold the certificate and its key.
            raise Failure(
                "tls", "tls-error", f"the client certificate {client_cert} cannot be loaded: {exc}"
            ) from None
        tap = wire.Tap()
        try:
            obj = wire.handshake(transport, ctx, host, deadline, tap)
        except (OSError, ValueError) as exc:
            failure = _tls_failure(exc, tap)
            transport.close()
            transport = None
            if proxy is not None and failure.failure in ("not-tls", "timeout"):
                raise _broken_tunnel(failure, proxy, host, port, tap) from None
            if failure.failure in _READ_CHAIN:
                chain, requested = wire.read_chain(open_transport, host, deadline)
                failure.extra.setdefault("chain", chain)
                failure.extra["client_cert_requested"] = requested or tap.certificate_request
                if requested and failure.failure in ("tls-error", "network-unreachable"):
                    failure.failure = "client-cert-required"
            raise failure from None
        version = obj.version() or ""
        answer = _Answer()
        try:
            answer = _http_answer(transport, obj, host, port, path, deadline, keep_body)
            status = answer.status()
            problem = "" if 0 < status < 400 else f"HTTP status {status}"
        except (OSError, ValueError) as exc:
            status, problem = 0, f"after the handshake: {exc}"
        if problem:
            upper = problem.upper()
            transport.close()
            transport = None
            # In TLS 1.3 a server that wants a client certificate fails us only after our
            # handshake is done, and its alert may be lost to a reset; a TLS 1.2 handshake
            # shows its CertificateRequest in clear.
            if status == 0 and (
                "CERTIFICATE_REQUIRED" in upper
                or "CERTIFICATE REQUIRED" in upper
                or wire.read_chain(open_transport, host, deadline)[1]
            ):
                raise Failure("tls", "client-cert-required", problem)
            return result(
                "http",
                False,
                failure="http-error",
                tls_version=version,
                http_status=status,
                error=problem,
            )
        moved = answer.location if 300 <= status < 400 else ""
        return result(
            "done", True, tls_version=version, http_status=status, location=moved, body=answer.body
        )
    except Failure as exc:
        return result(exc.stage, False, failure=exc.failure, error=redact(exc.error), **exc.extra)
    except socket.timeout:
        return result("connect", False, failure="timeout", error=f"timed out after {timeout} s")
    finally:
        if transport is not None:
            transport.close()
