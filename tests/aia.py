"""A server that forgets its intermediate, whose leaf names where to fetch it (AIA)."""

from __future__ import annotations

import contextlib
import datetime
import http.server
import threading
from pathlib import Path
from typing import Any, Iterator, Tuple

from bed.certs import ServerCert
from bed.index import serve_index
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import AuthorityInformationAccessOID


def _leaf_with_aia(good: ServerCert, issuer: Any, url: str) -> bytes:
    leaf = x509.load_pem_x509_certificate(good.leaf_pem)
    key = serialization.load_pem_private_key(issuer.private_key_pem.bytes(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(leaf.subject)
        .issuer_name(leaf.issuer)
        .public_key(leaf.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    for ext in leaf.extensions:
        if ext.oid != x509.AuthorityInformationAccess.oid:
            builder = builder.add_extension(ext.value, ext.critical)
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(url)
            )
        ]
    )
    cert = builder.add_extension(aia, critical=False).sign(key, hashes.SHA256())  # type: ignore[arg-type]
    return cert.public_bytes(serialization.Encoding.PEM)


@contextlib.contextmanager
def aia_world(world: Any, wheel_dir: Path, tmp: Path) -> Iterator[Tuple[str, str]]:
    """Yield (index URL whose leaf's AIA is fetchable, index URL whose AIA is dead)."""
    der = world.path("intermediate.der").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-cert")
            self.send_header("Content-Length", str(len(der)))
            self.end_headers()
            self.wfile.write(der)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    timer = threading.Timer(120, httpd.shutdown)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    timer.start()
    try:
        good = world.server_cert("good")
        url = f"http://127.0.0.1:{httpd.server_address[1]}/inter.der"
        leaf = _leaf_with_aia(good, world.intermediate, url)
        fetchable = ServerCert("aia", leaf, good.key_pem, leaf, good.ca_pem)
        with serve_index(wheel_dir, fetchable, lifetime=120) as a, serve_index(
            wheel_dir, world.server_cert("incomplete"), lifetime=120
        ) as b:
            yield a.url, b.url
    finally:
        timer.cancel()
        httpd.shutdown()
        httpd.server_close()
