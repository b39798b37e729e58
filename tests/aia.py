"""A server that forgets its intermediate, whose leaf names where to fetch it (AIA)."""

from __future__ import annotations

import contextlib
import http.server
import threading
from pathlib import Path
from typing import Any, Iterator, Tuple

from bed.certs import CertWorld
from bed.index import serve_index


@contextlib.contextmanager
def aia_world(
    world: CertWorld, wheel_dir: Path, *, proxied_only: bool = False
) -> Iterator[Tuple[str, str]]:
    """Yield (index URL whose leaf's AIA is fetchable, index URL whose AIA is dead).

    With ``proxied_only`` the AIA server answers only requests that came through the bed's
    proxy (they carry its ``Via`` header); a direct fetch gets 403.
    """
    der = world.path("intermediate.der").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if proxied_only and "pipssl-test-proxy" not in self.headers.get("Via", ""):
                self.send_error(403, "only through the proxy")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-cert")
            self.send_header("Content-Length", str(len(der)))
            self.end_headers()
            self.wfile.write(der)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    timer = threading.Timer(120, httpd.shutdown)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    timer.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/inter.der"
        fetchable = world.incomplete_with_aia(url)
        with serve_index(wheel_dir, fetchable, lifetime=120) as a, serve_index(
            wheel_dir, world.server_cert("incomplete"), lifetime=120
        ) as b:
            yield a.url, b.url
    finally:
        timer.cancel()
        httpd.shutdown()
        httpd.server_close()
