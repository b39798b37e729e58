"""Reach an index the way pip would, and say exactly where and why it fails.

``make_context`` is the only place TLS defaults are set.  ``probe`` walks the stages
pip walks (DNS, TCP or proxy CONNECT, TLS handshake verified with pip's CA material,
one HTTP request) and stops at the first failure.  When verification fails it makes a
second handshake, unverified and capped at TLS 1.2, only to read the certificates the
server sent (in TLS 1.2 they travel in clear, so every Python can see the whole chain);
no request is ever sent on that connection.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit

from pipssl._redact import redact
from pipssl.errors import UsageError

if TYPE_CHECKING:
    import ssl

HTTPS_PORT = 443


def ssl_module() -> Any:
    """Import ``ssl`` late: pipssl must import (and diagnose) where it is missing."""
    import ssl

    return ssl


def make_context(
    cafiles: Sequence[str] = (),
    cadata: Optional[str] = None,
    *,
    verify: bool = True,
    maximum_version: Optional[str] = None,
) -> ssl.SSLContext:
    """Build the client TLS context every pipssl connection uses.

    Args:
        cafiles: PEM files to trust (pip's ``cert``, a bundle, certifi).
        cadata: PEM text to trust as well (e.g. the OS store's roots).
        verify: False only for the classification handshake, which reads the peer's
            chain and never carries data.
        maximum_version: ``"TLSv1_2"`` to force the chain into the clear.

    Returns:
        An ``ssl.SSLContext`` with pip's defaults: TLS >= 1.2, CERT_REQUIRED and
        host name checking (when ``verify``), no system defaults loaded implicitly.

    Raises:
        ImportError: there is no usable ssl module.
        OSError / ssl.SSLError: a CA file cannot be loaded.
    """
    mod = ssl_module()
    ctx: ssl.SSLContext = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    # pip (urllib3) refuses anything older than TLS 1.2; so do we.
    ctx.minimum_version = mod.TLSVersion.TLSv1_2
    if maximum_version:
        ctx.maximum_version = getattr(mod.TLSVersion, maximum_version)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = mod.CERT_NONE
        return ctx
    for path in cafiles:
        ctx.load_verify_locations(cafile=path)
    if cadata:
        ctx.load_verify_locations(cadata=cadata)
    return ctx


@dataclass(frozen=True)
class Proxy:
    """A proxy pip would use for a URL, and where that setting came from."""

    url: str
    origin: str

    @property
    def display(self) -> str:
        return redact(self.url)


@dataclass(frozen=True)
class ProbeResult:
    """What happened when we reached ``url``.

    Attributes:
        stage: where it stopped: ``dns``, ``proxy``, ``connect``, ``tls``, ``http``, or
            ``done`` on success.
        failure: a short kind (``dns-failure``, ``connection-refused``, ``timeout``,
            ``proxy-unreachable``, ``proxy-auth-required``, ``proxy-scheme-mismatch``,
            ``proxy-refused``, ``not-tls``, ``tls-version-unsupported``,
            ``client-cert-required``, ``verify-failed``, ``tls-error``, ``http-error``),
            empty on success.
        verify_code / verify_message: OpenSSL's verdict when verification failed.
        chain: DER certificates the server sent, leaf first (read after a failure).
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


def split_url(url: str) -> Tuple[str, str, int, str]:
    """Return (scheme, host, port, path) of an index URL.

    Raises:
        UsageError: the URL has no ``http``/``https`` scheme or no host.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"index URL {redact(url)!r} is not an http(s) URL with a host name",
            hint="give a full URL such as https://host.example/simple/",
        )
    try:
        port = parts.port or (HTTPS_PORT if parts.scheme == "https" else 80)
    except ValueError:
        raise UsageError(f"index URL {redact(url)!r} has an invalid port") from None
    return parts.scheme, parts.hostname, port, parts.path or "/"


def _bypass(host: str, no_proxy: str) -> bool:
    """requests' NO_PROXY rule: '*', host suffixes, and IP networks for IP hosts."""
    entries = [e.strip() for e in no_proxy.replace(" ", ",").split(",") if e.strip()]
    try:
        ip: Optional[Any] = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in entries:
        if entry == "*":
            return True
        name = entry.split(":")[0] if entry.count(":") == 1 else entry
        if ip is not None:
            try:
                if ip in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = name.lstrip(".").lower()
        if host.lower() == name or host.lower().endswith("." + name):
            return True
    return False


def select_proxy(
    url: str, environ: Mapping[str, str], pip_proxy: Optional[str] = None
) -> Optional[Proxy]:
    """The proxy pip would use for ``url``.

    requests (inside pip) merges the environment's proxies *over* pip's ``--proxy``
    session setting, and NO_PROXY only removes the environment's; we follow that.
    """
    scheme, host, _port, _path = split_url(url)
    lowered = {k.lower(): (k, v) for k, v in environ.items()}
    no_proxy = lowered.get("no_proxy", ("", ""))[1]
    if not _bypass(host, no_proxy):
        for name in (f"{scheme}_proxy", "all_proxy"):
            if name in lowered and lowered[name][1].strip():
                key, value = lowered[name]
                return _checked(Proxy(value.strip(), f"environment variable {key}"))
    if pip_proxy:
        return _checked(Proxy(pip_proxy, "pip option proxy"))
    return None


def _checked(proxy: Proxy) -> Proxy:
    """Refuse a proxy URL pip could not use either: no host, or a port out of range."""
    parts = urlsplit(proxy.url if "://" in proxy.url else "http://" + proxy.url)
    problem = "" if parts.hostname else "has no host name"
    try:
        _port = parts.port  # raises for a port that is not a number in 0-65535
    except ValueError:
        problem = "has an invalid port"
    if problem:
        raise UsageError(
            f"{proxy.origin}: proxy URL {proxy.display!r} {problem}",
            hint="set it to http://host:port (with user:password@ if the proxy needs it)",
        )
    return proxy


class _Tap:
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
        if len(self.first) < 16:
            self.first += data[: 16 - len(self.first)]
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


class _Deadline:
    def __init__(self, timeout: float) -> None:
        self.end = time.monotonic() + timeout

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out")
        return remaining


def _recv(sock: Any, deadline: _Deadline) -> bytes:
    sock.settimeout(deadline.left())
    data: bytes = sock.recv(65536)
    return data


def _flush(sock: Any, outgoing: Any, deadline: _Deadline) -> None:
    data = outgoing.read()
    if data:
        sock.settimeout(deadline.left())
        sock.sendall(data)


class _TlsTransport:
    """Socket-like wrapper of an SSLObject, for TLS inside a TLS proxy connection."""

    def __init__(self, sock: Any, obj: ssl.SSLObject, deadline: _Deadline) -> None:
        self._sock, self._obj, self._deadline = sock, obj, deadline

    def settimeout(self, value: float) -> None:
        self._sock.settimeout(value)

    def sendall(self, data: bytes) -> None:
        self._obj.write(data)
        _flush(self._sock, self._obj._outgoing, self._deadline)  # type: ignore[attr-defined]

    def recv(self, size: int) -> bytes:
        return _read(self._sock, self._obj, self._deadline, size)

    def close(self) -> None:
        self._sock.close()


def _read(sock: Any, obj: ssl.SSLObject, deadline: _Deadline, size: int) -> bytes:
    ssl = ssl_module()
    while True:
        try:
            data: bytes = obj.read(size)
            return data
        except ssl.SSLWantReadError:
            chunk = _recv(sock, deadline)
            if not chunk:
                return b""
            obj._incoming.write(chunk)  # type: ignore[attr-defined]


def _wrap_bio_refs(obj: ssl.SSLObject, incoming: Any, outgoing: Any) -> None:
    # SSLObject does not expose its BIOs; keep them with it for _read/_TlsTransport.
    obj._incoming = incoming  # type: ignore[attr-defined]
    obj._outgoing = outgoing  # type: ignore[attr-defined]


def _handshake(
    sock: Any, ctx: ssl.SSLContext, host: str, deadline: _Deadline, tap: Optional[_Tap]
) -> ssl.SSLObject:
    ssl = ssl_module()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=host)
    _wrap_bio_refs(obj, incoming, outgoing)
    while True:
        try:
            obj.do_handshake()
            _flush(sock, outgoing, deadline)
            return obj
        except ssl.SSLWantReadError:
            _flush(sock, outgoing, deadline)
            data = _recv(sock, deadline)
            if not data:
                raise ssl.SSLEOFError(
                    "EOF: the server closed the connection during the TLS handshake"
                ) from None
            if tap is not None:
                tap.feed(data)
            incoming.write(data)


class _Failure(Exception):
    def __init__(self, stage: str, failure: str, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.stage, self.failure, self.error, self.extra = stage, failure, error, extra


def _connect(host: str, port: int, deadline: _Deadline, stage: str) -> socket.socket:
    """DNS then TCP, like urllib3: try each address in turn."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        kind = "proxy-unreachable" if stage == "proxy" else "dns-failure"
        raise _Failure(
            "dns" if stage != "proxy" else stage, kind, f"{host}: {exc.strerror}"
        ) from None
    except UnicodeError as exc:
        raise _Failure("dns", "dns-failure", f"{host}: {exc}") from None
    last: Optional[BaseException] = None
    for family, socktype, proto, _name, addr in infos:
        sock = socket.socket(family, socktype, proto)
        try:
            sock.settimeout(deadline.left())
            sock.connect(addr)
            return sock
        except (OSError, socket.timeout) as exc:
            sock.close()
            last = exc
            if isinstance(exc, socket.timeout):
                break
    if isinstance(last, socket.timeout):
        raise _Failure(
            stage,
            "proxy-unreachable" if stage == "proxy" else "timeout",
            f"{host}:{port}: timed out",
        )
    if isinstance(last, ConnectionRefusedError):
        kind = "proxy-unreachable" if stage == "proxy" else "connection-refused"
        raise _Failure(stage, kind, f"{host}:{port}: connection refused")
    kind = "proxy-unreachable" if stage == "proxy" else "connection-refused"
    raise _Failure(stage, kind, f"{host}:{port}: {last}")


def _speaks_http(host: str, port: int, deadline: _Deadline) -> bool:
    """Does this proxy answer a plain-text request?  Confirms an https:// proxy URL
    that should say http:// before we tell the user to change it."""
    try:
        sock = _connect(host, port, deadline, "proxy")
    except _Failure:
        return False
    try:
        sock.settimeout(deadline.left())
        sock.sendall(b"OPTIONS * HTTP/1.1\r\nHost: pipssl\r\n\r\n")
        return _recv(sock, deadline).startswith(b"HTTP/")
    except OSError:
        return False
    finally:
        sock.close()


def _tunnel(
    host: str,
    port: int,
    proxy: Proxy,
    deadline: _Deadline,
    cafiles: Sequence[str],
    cadata: Optional[str],
) -> Any:
    """Open a CONNECT tunnel through ``proxy`` and return a socket-like transport."""
    parts = urlsplit(proxy.url if "://" in proxy.url else "http://" + proxy.url)
    phost = parts.hostname or ""
    pport = parts.port or (HTTPS_PORT if parts.scheme == "https" else 8080)
    sock: Any = _connect(phost, pport, deadline, "proxy")
    if parts.scheme == "https":
        tap = _Tap()
        # A plain proxy may just wait for the end of an HTTP request that never comes:
        # keep half the budget to check whether it speaks plain HTTP instead.
        tls_deadline = _Deadline(deadline.left() / 2)
        try:
            obj = _handshake(sock, make_context(cafiles, cadata), phost, tls_deadline, tap)
        except (OSError, ValueError) as exc:
            sock.close()
            if (tap.first and not looks_like_tls(tap.first)) or _speaks_http(
                phost, pport, deadline
            ):
                raise _Failure(
                    "proxy",
                    "proxy-scheme-mismatch",
                    f"TLS to the proxy {proxy.display} failed ({exc}), but it answers plain HTTP",
                ) from None
            raise _Failure(
                "proxy", "proxy-unreachable", f"TLS to the proxy failed: {exc}"
            ) from None
        sock = _TlsTransport(sock, obj, deadline)
    request = "CONNECT {h}:{p} HTTP/1.1\r\nHost: {h}:{p}\r\nUser-Agent: pipssl\r\n".format(
        h=host if ":" not in host else f"[{host}]", p=port
    )
    if parts.username is not None:
        token = "{}:{}".format(unquote(parts.username), unquote(parts.password or ""))
        request += "Proxy-Authorization: Basic {}\r\n".format(
            base64.b64encode(token.encode("utf-8")).decode("ascii")
        )
    sock.sendall((request + "\r\n").encode("latin-1"))
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        chunk = _recv(sock, deadline)
        if not chunk:
            break
        head += chunk
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    bits = status_line.split(" ", 2)
    status = int(bits[1]) if len(bits) >= 2 and bits[1].isdigit() else 0
    if status == 200:
        return sock
    sock.close()
    if status == 407:
        raise _Failure(
            "proxy",
            "proxy-auth-required",
            f"the proxy {proxy.display} answered {status_line}",
            http_status=status,
        )
    if status == 0:
        raise _Failure(
            "proxy",
            "proxy-unreachable",
            f"the proxy {proxy.display} gave no HTTP answer to CONNECT",
        )
    raise _Failure(
        "proxy",
        "proxy-refused",
        f"the proxy {proxy.display} answered {status_line}",
        http_status=status,
    )


def _tls_failure(exc: BaseException, tap: _Tap) -> _Failure:
    """Sort a failed verified handshake into the kinds :mod:`diagnose` understands."""
    ssl = ssl_module()
    text = str(exc)
    upper = text.upper()
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _Failure(
            "tls",
            "verify-failed",
            text,
            verify_code=exc.verify_code,
            verify_message=exc.verify_message or "",
        )
    if tap.first and not looks_like_tls(tap.first):
        return _Failure(
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
        return _Failure("tls", "not-tls", text, first_bytes=tap.first)
    if (
        "CERTIFICATE_REQUIRED" in upper
        or "CERTIFICATE REQUIRED" in upper
        or (tap.certificate_request and "HANDSHAKE_FAILURE" in upper)
    ):
        return _Failure("tls", "client-cert-required", text)
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
        return _Failure("tls", "tls-version-unsupported", text)
    if isinstance(exc, socket.timeout):
        return _Failure("tls", "timeout", "TLS handshake timed out")
    return _Failure("tls", "tls-error", text)


def _read_chain(
    transport_factory: Any, host: str, deadline: _Deadline
) -> Tuple[Tuple[bytes, ...], bool]:
    """Second, unverified handshake: only to read the certificates the server sends.

    Capped at TLS 1.2 so the Certificate message is in clear text on every Python.
    No request is sent on this connection; it is closed right after the handshake.
    """
    tap = _Tap()
    sock = None
    try:
        sock = transport_factory()
        _handshake(
            sock, make_context(verify=False, maximum_version="TLSv1_2"), host, deadline, tap
        )
    except (OSError, ValueError, _Failure):
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
        obj = _handshake(sock, make_context(verify=False), host, deadline, None)
        return _unverified_chain(obj), tap.certificate_request
    except (OSError, ValueError, _Failure):
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
        import _ssl  # ENCODING_DER lives only there before 3.13

        chain = getter() or []
        der = getattr(_ssl, "ENCODING_DER", 1)
        return tuple(c if isinstance(c, bytes) else c.public_bytes(der) for c in chain)
    leaf = obj.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()


def _http_status(
    transport: Any, obj: ssl.SSLObject, host: str, port: int, path: str, deadline: _Deadline
) -> int:
    """One GET of the index page, as pip's first request; returns the status code."""
    hostport = host if port == HTTPS_PORT else f"{host}:{port}"
    if ":" in host:
        hostport = f"[{host}]" if port == HTTPS_PORT else f"[{host}]:{port}"
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: pipssl\r\nAccept: text/html\r\n"
        "Connection: close\r\n\r\n"
    )
    obj.write(request.encode("latin-1"))
    _flush(transport, obj._outgoing, deadline)  # type: ignore[attr-defined]
    head = b""
    while b"\r\n" not in head and len(head) < 8192:
        chunk = _read(transport, obj, deadline, 8192)
        if not chunk:
            break
        head += chunk
    bits = head.split(b"\r\n", 1)[0].split(b" ")
    return int(bits[1]) if len(bits) >= 2 and bits[1].isdigit() else 0


def probe(
    url: str,
    *,
    proxy: Optional[Proxy] = None,
    cafiles: Sequence[str] = (),
    cadata: Optional[str] = None,
    timeout: float = 5.0,
) -> ProbeResult:
    """Reach ``url`` as pip would and report the first stage that fails.

    Args:
        url: an index URL (``https://host[:port]/simple/``); credentials are used for
            nothing and never shown.
        proxy: the proxy pip would use (see :func:`select_proxy`), or None.
        cafiles: the CA files pip would trust.
        cadata: PEM text pip would trust as well (the OS store, for pips that use it).
        timeout: overall budget in seconds for the whole probe.

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
    deadline = _Deadline(timeout)
    shown_proxy = proxy.display if proxy else None
    ctx = make_context(cafiles, cadata) if scheme == "https" else None

    def open_transport() -> Any:
        if proxy is not None:
            return _tunnel(host, port, proxy, deadline, cafiles, cadata)
        return _connect(host, port, deadline, "connect")

    def result(stage: str, ok: bool, **kw: Any) -> ProbeResult:
        return ProbeResult(
            url=redact(url),
            host=host,
            port=port,
            stage=stage,
            ok=ok,
            elapsed=time.monotonic() - start,
            proxy=shown_proxy,
            **kw,
        )

    transport = None
    try:
        transport = open_transport()
        if ctx is None:
            return result("done", True)
        tap = _Tap()
        try:
            obj = _handshake(transport, ctx, host, deadline, tap)
        except (OSError, ValueError) as exc:
            failure = _tls_failure(exc, tap)
            transport.close()
            transport = None
            if failure.failure in ("verify-failed", "tls-error", "tls-version-unsupported"):
                chain, requested = _read_chain(open_transport, host, deadline)
                failure.extra.setdefault("chain", chain)
                failure.extra["client_cert_requested"] = requested or tap.certificate_request
                if requested and failure.failure == "tls-error":
                    failure.failure = "client-cert-required"
            raise failure from None
        version = obj.version() or ""
        try:
            status = _http_status(transport, obj, host, port, path, deadline)
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
                or _read_chain(open_transport, host, deadline)[1]
            ):
                raise _Failure("tls", "client-cert-required", problem)
            return result(
                "http",
                False,
                failure="http-error",
                tls_version=version,
                http_status=status,
                error=problem,
            )
        return result("done", True, tls_version=version, http_status=status)
    except _Failure as exc:
        return result(exc.stage, False, failure=exc.failure, error=redact(exc.error), **exc.extra)
    except socket.timeout:
        return result("connect", False, failure="timeout", error=f"timed out after {timeout} s")
    finally:
        if transport is not None:
            transport.close()
