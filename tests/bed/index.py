"""Real servers on loopback: a PEP 503 index over TLS, a CONNECT proxy, a silent port.

Every server runs in daemon threads and also stops by itself after ``lifetime`` seconds, so
a test that forgets to close one cannot leave it running.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import http
import http.server
import ipaddress
import re
import select
import socket
import socketserver
import ssl
import tempfile
import threading
import time
import urllib.parse
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Protocol, Tuple, Union

from bed import hostile
from bed.certs import ServerCert

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_IO_TIMEOUT = 10.0


def normalize(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def build_wheel(dest: Path, name: str = "pipssl_probe_pkg", version: str = "1.0") -> Path:
    """Write a minimal, valid, pure-Python wheel (byte-for-byte reproducible).

    Args:
        dest: the directory to write into (created if missing).
        name: the distribution name; the wheel holds one module of the same name.
        version: the version.

    Returns:
        The path of ``<name>-<version>-py3-none-any.whl``.
    """
    dist = re.sub(r"[^\w\d.]+", "_", name)
    module = dist.replace(".", "_").lower()
    dist_info = f"{dist}-{version}.dist-info"
    files = [
        (f"{module}.py", f'"""pipssl probe module."""\n__version__ = "{version}"\n'),
        (
            f"{dist_info}/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            "Summary: probe package served by the pipssl test index\n",
        ),
        (
            f"{dist_info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: pipssl-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n",
        ),
    ]
    record = "".join(
        f"{path},{_record_hash(text.encode())},{len(text.encode())}\n" for path, text in files
    )
    files.append((f"{dist_info}/RECORD", record + f"{dist_info}/RECORD,,\n"))
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files:
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return wheel


def _project_of(filename: str) -> Optional[str]:
    if filename.endswith(".whl"):
        return normalize(filename.split("-")[0])
    for suffix in (".tar.gz", ".zip"):
        if filename.endswith(suffix):
            return normalize(filename[: -len(suffix)].rsplit("-", 1)[0])
    return None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class _IndexHandler(http.server.BaseHTTPRequestHandler):
    server: _IndexHTTPServer
    timeout = _IO_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean; requests are recorded in _serve

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        self.server.requests.append(self.path)
        if self.server.redirect_to:
            self._redirect(self.server.redirect_to + self.path, 302)
            return
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        wheel_dir = self.server.wheel_dir
        files = sorted(p.name for p in wheel_dir.iterdir() if _project_of(p.name))
        project = re.fullmatch(r"/simple/([^/]+)(/?)", path)
        served = re.fullmatch(r"/files/([^/]+)", path)
        if path in ("/", "/simple"):
            self._redirect("/simple/")
        elif path == "/simple/":
            projects = sorted({_project_of(f) or "" for f in files})
            links = "".join(f'<a href="/simple/{p}/">{p}</a><br>\n' for p in projects)
            self._send(200, "text/html", _page("Simple index", links), head)
        elif project and (not project.group(2) or normalize(project[1]) != project[1]):
            self._redirect(f"/simple/{normalize(project[1])}/")
        elif project:
            mine = [f for f in files if _project_of(f) == project[1]]
            links = "".join(
                f'<a href="{self.server.files_at}/files/{html.escape(f)}#sha256='
                f'{hashlib.sha256((wheel_dir / f).read_bytes()).hexdigest()}">'
                f"{html.escape(f)}</a><br>\n"
                for f in mine
            )
            if mine:
                self._send(200, "text/html", _page(f"Links for {project[1]}", links), head)
            else:
                self._send(404, "text/plain", b"no such project\n", head)
        elif served and served[1] in files:
            data = (wheel_dir / served[1]).read_bytes()
            self._send(200, "application/octet-stream", data, head)
        else:
            self._send(404, "text/plain", b"not found\n", head)

    def _redirect(self, location: str, status: int = 301) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, content_type: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


def _page(title: str, body: str) -> bytes:
    return (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1>\n{body}</body></html>\n"
    ).encode()


class _IndexHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: Tuple[str, int], wheel_dir: Path, context: Optional[ssl.SSLContext]
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.wheel_dir = wheel_dir
        self.context = context
        self.files_at = ""  # where a project page's links point: "" this server
        self.redirect_to = ""  # a base URL every request is redirected to (302)
        self.requests: List[str] = []
        self.handshake_errors: List[str] = []
        self.connections: List[Tuple[str, int]] = []  # every client that connected
        super().__init__(address, _IndexHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that drops mid-response is normal in failure tests; keep output clean

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs here, in the per-connection thread, so a client that fails or
        # stalls it costs one thread and a log line, never the accept loop.
        request.settimeout(_IO_TIMEOUT)
        self.connections.append(client_address[:2])
        if self.context is None:
            super().finish_request(request, client_address)
            return
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ValueError) as exc:
            self.handshake_errors.append(f"{type(exc).__name__}: {exc}")
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()


class IndexServer:
    """A running index: ``url`` (ends in /simple/), ``host``, ``port``, ``requests``,
    ``connections`` (one entry per client connection, before any handshake)."""

    def __init__(self, server: _IndexHTTPServer, url_host: str) -> None:
        self._server = server
        self.host = url_host
        self.port: int = server.server_address[1]
        self.base_url = f"https://{_url_host(url_host)}:{self.port}"
        self.url = self.base_url + "/simple/"
        self.requests = server.requests
        self.handshake_errors = server.handshake_errors
        self.connections = server.connections

    def wait_handshake_errors(self, count: int = 1, timeout: float = 5.0) -> List[str]:
        """Wait until the server logged ``count`` failed handshakes (the client may see its
        side of a failure before the server thread records it); return the log."""
        deadline = time.monotonic() + timeout
        while len(self.handshake_errors) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.handshake_errors


def _server_context(
    cert: ServerCert,
    client_ca: Optional[Path],
    minimum_version: Optional[ssl.TLSVersion],
    maximum_version: Optional[ssl.TLSVersion],
    ciphers: Optional[str] = None,
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if ciphers is not None:
        # Before the chain is loaded: "@SECLEVEL=0" is what lets OpenSSL load a weak one.
        context.set_ciphers(ciphers)
    with tempfile.TemporaryDirectory(prefix="pipssl-cert-") as tmp:
        chain, key = Path(tmp) / "chain.pem", Path(tmp) / "key.pem"
        chain.write_bytes(cert.chain_pem)
        key.write_bytes(cert.key_pem)
        context.load_cert_chain(str(chain), str(key))
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(client_ca))
    if minimum_version is not None:
        context.minimum_version = minimum_version
    if maximum_version is not None:
        context.maximum_version = maximum_version
    return context


@contextlib.contextmanager
def _running(server: socketserver.BaseServer, lifetime: float) -> Iterator[None]:
    """Serve in a daemon thread; stop at exit or after ``lifetime`` seconds, whichever first."""
    lock = threading.Lock()
    stopped: List[bool] = []

    def stop() -> None:
        with lock:
            if stopped:
                return
            stopped.append(True)
            server.shutdown()
            server.server_close()

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    timer = threading.Timer(lifetime, stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        stop()
        thread.join(5)


@contextlib.contextmanager
def serve_index(
    wheel_dir: Path,
    cert: Optional[ServerCert],
    *,
    mode: str = "tls",
    client_ca: Optional[Path] = None,
    minimum_version: Optional[ssl.TLSVersion] = None,
    maximum_version: Optional[ssl.TLSVersion] = None,
    bind: str = "127.0.0.1",
    url_host: Optional[str] = None,
    ciphers: Optional[str] = None,
    lifetime: float = 120.0,
    files_at: str = "",
    redirect_to: str = "",
) -> Iterator[IndexServer]:
    """Run a threaded PEP 503 simple index over the files in ``wheel_dir``.

    Args:
        wheel_dir: directory of .whl (and sdist) files; read on every request.
        cert: the server certificate (required for mode "tls").
        mode: "tls", or "plain" for plain HTTP on a port the URL still calls https.
        client_ca: require client certificates issued by this CA file.
        minimum_version: lowest TLS version the server accepts.
        maximum_version: highest TLS version the server accepts.
        bind: loopback address to listen on ("127.0.0.1" or "::1").
        url_host: host name for the URL (e.g. "localhost" while binding 127.0.0.1).
        ciphers: the server's OpenSSL cipher string (TLS 1.2 and below), e.g. one the
            client shares none of, or "DEFAULT:@SECLEVEL=0" to serve a weak certificate.
        lifetime: seconds after which the server stops by itself.
        files_at: a base URL (``https://host:port``) the project pages' links point to,
            absolute: the files are on another host (which serves them from /files/).
        redirect_to: a base URL every request is redirected to (302, same path).

    Yields:
        The running :class:`IndexServer`.

    Raises:
        ValueError: for an unknown mode, a non-loopback bind, or "tls" without a cert.
    """
    if not ipaddress.ip_address(bind).is_loopback:
        raise ValueError(f"test servers bind loopback only, not {bind!r}")
    if mode not in ("tls", "plain"):
        raise ValueError(f"unknown index mode {mode!r}; use 'tls' or 'plain'")
    context = None
    if mode == "tls":
        if cert is None:
            raise ValueError("mode 'tls' needs a ServerCert")
        context = _server_context(cert, client_ca, minimum_version, maximum_version, ciphers)
    server = _IndexHTTPServer((bind, 0), wheel_dir, context)
    server.files_at, server.redirect_to = files_at, redirect_to
    with _running(server, lifetime):
        yield IndexServer(server, url_host or bind)


def is_loopback_host(host: str) -> bool:
    """True for "localhost" and loopback IP literals; never resolves a name."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split_target(target: str) -> Tuple[str, int]:
    host, _, port = target.rpartition(":")
    return host.strip("[]"), int(port)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, auth: Optional[Tuple[str, str]]) -> None:
        self.expected_auth: Optional[str] = None
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            self.expected_auth = f"Basic {token}"
        self.log: List[str] = []
        self.results: List[Tuple[str, int]] = []
        self.refuse: Dict[str, int] = {}  # CONNECT target -> the status refusing it
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a tunnel torn down by either side is normal; keep output clean

    def server_close(self) -> None:
        self.stopping.set()
        super().server_close()


class _ProxyHandler(socketserver.BaseRequestHandler):
    server: _ProxyServer
    request: socket.socket

    def handle(self) -> None:
        client = self.request
        client.settimeout(_IO_TIMEOUT)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
            if not head[:1].isalpha():
                # A TLS ClientHello (an https:// proxy URL) or other non-HTTP bytes: answer
                # in plain HTTP like real proxies do, so the client fails at once.
                self._reply(client, 400, "Bad Request", "this proxy speaks plain HTTP")
                return
        head, _, early = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split()
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        forward = len(parts) == 3 and parts[0].upper() == "GET" and parts[1][:7] == "http://"
        if len(parts) != 3 or not (forward or parts[0].upper() == "CONNECT"):
            self._reply(client, 502, "Bad Gateway", "only CONNECT and GET http:// are supported")
            return
        target = parts[1]
        self.server.log.append(("GET " if forward else "") + target)
        try:
            if forward:
                url = urllib.parse.urlsplit(target)
                host, port = url.hostname or "", url.port or 80
            else:
                host, port = _split_target(target)
        except ValueError:
            self._answer(client, target, 400, "Bad Request")
            return
        if not is_loopback_host(host):
            self._answer(client, target, 403, "Forbidden")
            return
        refused = self.server.refuse.get(target)
        if refused is not None:
            # A filtering proxy's answer: the target is reachable, the proxy says no.
            self._answer(client, target, refused, http.HTTPStatus(refused).phrase)
            return
        given = headers.get("proxy-authorization", "")
        expected = self.server.expected_auth
        if expected is not None and given.split(" ", 1) != expected.split(" ", 1):
            self._answer(
                client,
                target,
                407,
                "Proxy Authentication Required",
                'Proxy-Authenticate: Basic realm="pipssl-test"\r\n',
            )
            return
        try:
            upstream = socket.create_connection((host, port), timeout=_IO_TIMEOUT)
        except OSError:
            self._answer(client, target, 502, "Bad Gateway")
            return
        with upstream:
            if forward:
                # A plain-HTTP request is passed on in origin form, marked with Via (a server
                # of the bed can so tell a request that came through the proxy).
                path = urllib.parse.urlsplit(target)._replace(scheme="", netloc="").geturl()
                upstream.sendall(
                    f"GET {path or '/'} HTTP/1.0\r\nHost: {host}:{port}\r\n"
                    "Via: 1.1 pipssl-test-proxy\r\nConnection: close\r\n\r\n".encode()
                )
            else:
                self._answer(client, target, 200, "Connection established")
                if early:
                    upstream.sendall(early)
            self._pump(client, upstream)

    def _answer(
        self, client: socket.socket, target: str, status: int, reason: str, extra: str = ""
    ) -> None:
        self.server.results.append((target, status))
        self._reply(client, status, reason, "", extra)

    @staticmethod
    def _reply(
        client: socket.socket, status: int, reason: str, body: str = "", extra: str = ""
    ) -> None:
        data = body.encode()
        client.sendall(
            f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        idle = 0.0
        while not self.server.stopping.is_set() and idle < 30:
            readable, _, _ = select.select(list(peers), [], [], 0.2)
            idle = idle + 0.2 if not readable else 0.0
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                peers[sock].sendall(data)


class Proxy:
    """A running CONNECT proxy: ``url``, ``port``, ``log`` (CONNECT targets), ``results``,
    and ``refuse``: CONNECT targets ("host:port", as the client sends them) mapped to the
    HTTP status the proxy refuses them with (e.g. 403), changeable while it runs."""

    def __init__(self, server: _ProxyServer) -> None:
        self.port: int = server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = server.log
        self.results = server.results
        self.refuse = server.refuse


@contextlib.contextmanager
def connect_proxy(
    *, auth: Optional[Tuple[str, str]] = None, lifetime: float = 120.0
) -> Iterator[Proxy]:
    """Run an HTTP proxy on 127.0.0.1 that only reaches loopback targets: CONNECT tunnels,
    and plain ``GET http://...`` requests passed on with a ``Via`` header.

    Args:
        auth: (user, password) to require with Basic proxy authentication (else 407).
        lifetime: seconds after which the proxy stops by itself.

    Yields:
        The running :class:`Proxy`. Non-loopback targets get 403 without any connection or
        name lookup; other requests get 502.  ``log`` holds each CONNECT target, and each
        forwarded URL as ``"GET <url>"``.
    """
    server = _ProxyServer(auth)
    with _running(server, lifetime):
        yield Proxy(server)


def closed_port() -> int:
    """Return a loopback TCP port with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def silent_server(lifetime: float = 60.0) -> Iterator[int]:
    """Accept TCP connections on 127.0.0.1 and never send a byte (for timeout tests).

    Args:
        lifetime: seconds after which it stops by itself.

    Yields:
        The port.
    """
    with hostile.silent_tcp(lifetime) as server:
        yield server.port


class MakeIndex(Protocol):
    """The ``make_index`` fixture: ``make_index(kind="good", **serve_index_kwargs)``."""

    def __call__(self, kind: Union[str, ServerCert, None] = "good", **kwargs: Any) -> IndexServer:
        """An index serving ``kind`` (a ``CertWorld`` server certificate's name, a
        ``ServerCert``, or None for mode="plain"), closed at the test's end."""


class MakeProxy(Protocol):
    """The ``make_proxy`` fixture: ``make_proxy(auth=None, lifetime=120.0)``."""

    def __call__(self, auth: Optional[Tuple[str, str]] = None, lifetime: float = 120.0) -> Proxy:
        """A CONNECT proxy (``connect_proxy``), closed at the test's end."""
