"""mitmproxy's ``mitmdump`` as a real TLS-intercepting proxy on loopback.

It plays the corporate proxy: pip talks to it in regular (CONNECT) proxy mode, it verifies
the real loopback index with the test root and re-signs everything with its own CA, which
nobody trusts until a repair says so.  The process is started from the e2e environment's
own ``mitmdump`` and can never outlive its test: the finaliser ends its process group, a
timer ends it after ``lifetime`` seconds, and ``timeout(1)`` ends it even if pytest dies.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Mapping

# mitmproxy writes its CA (certificate and key, several formats) into its confdir at start.
CA_CERT_NAME = "mitmproxy-ca-cert.pem"
CA_SUBJECT = "mitmproxy"
_LISTENING = re.compile(r"proxy listening at 127\.0\.0\.1:(\d+)")


class MitmError(RuntimeError):
    """mitmdump is missing, exited early or did not start listening in time."""


@dataclass(frozen=True)
class Mitm:
    """A running mitmdump: its port, CA certificate file, confdir and log file."""

    port: int
    ca_cert: Path
    confdir: Path
    log: Path

    @property
    def url(self) -> str:
        """The proxy URL for ``HTTPS_PROXY`` (plain HTTP to the proxy, CONNECT through it)."""
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        """Everything mitmdump printed so far (connections, TLS failures, flows)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def mitmdump_executable() -> Path:
    """The ``mitmdump`` installed next to the running interpreter (the e2e environment's).

    Raises:
        MitmError: when it is not there.
    """
    name = "mitmdump.exe" if sys.platform == "win32" else "mitmdump"
    path = Path(sys.executable).parent / name
    if not path.is_file():
        raise MitmError(f"no {name} next to {sys.executable}; install mitmproxy in this env")
    return path


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    # The whole group: ``timeout`` and mitmdump below it.
    with contextlib.suppress(ProcessLookupError):
        if sys.platform == "win32":
            proc.terminate()
        else:
            os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            if sys.platform == "win32":
                proc.kill()
            else:
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def run_mitmdump(
    confdir: Path,
    upstream_ca: Path,
    env: Mapping[str, str],
    *,
    lifetime: float = 300.0,
    startup: float = 30.0,
) -> Iterator[Mitm]:
    """Run mitmdump in regular proxy mode on 127.0.0.1 (a port the OS picks).

    Args:
        confdir: mitmproxy's configuration directory; its CA is generated here.
        upstream_ca: the CA file mitmproxy verifies upstream servers with (the test root),
            so the proxy itself never accepts an unverified index.
        env: the complete environment of the process (a scrubbed one).
        lifetime: seconds after which the proxy is stopped whatever happens.
        startup: seconds allowed until it listens and its CA file exists.

    Yields:
        The running :class:`Mitm`.

    Raises:
        MitmError: when mitmdump is missing, exits early or does not listen in time.
    """
    confdir.mkdir(parents=True, exist_ok=True)
    log = confdir / "mitmdump.log"
    argv: List[str] = [
        str(mitmdump_executable()),
        "--mode",
        "regular",
        "--listen-host",
        "127.0.0.1",
        "--listen-port",
        "0",
        "--set",
        f"confdir={confdir}",
        "--set",
        f"ssl_verify_upstream_trusted_ca={upstream_ca}",
    ]
    killer = shutil.which("timeout")
    if killer is not None:
        argv = [killer, "-k", "5", str(int(lifetime) + 10), *argv]
    child_env = dict(env)
    # Its log is how we learn the port: it must reach the file at once, not at exit.
    child_env["PYTHONUNBUFFERED"] = "1"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=child_env,
            cwd=str(confdir),
            start_new_session=sys.platform != "win32",
        )
    timer = threading.Timer(lifetime, _stop, args=(proc,))
    timer.daemon = True
    timer.start()
    try:
        mitm = _wait_ready(proc, confdir, log, startup)
        yield mitm
    finally:
        timer.cancel()
        _stop(proc)


def _wait_ready(proc: subprocess.Popen[bytes], confdir: Path, log: Path, startup: float) -> Mitm:
    ca_cert = confdir / CA_CERT_NAME
    deadline = time.monotonic() + startup
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MitmError(f"mitmdump exited with {proc.returncode}:\n{log.read_text()}")
        match = _LISTENING.search(log.read_text(errors="replace"))
        if match and ca_cert.is_file() and _listening(int(match.group(1))):
            return Mitm(int(match.group(1)), ca_cert, confdir, log)
        time.sleep(0.1)
    raise MitmError(f"mitmdump did not listen within {startup:.0f} s:\n{log.read_text()}")
