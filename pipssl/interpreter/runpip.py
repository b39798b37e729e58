"""Run the user's pip command (as :mod:`pipssl.interpreter.tool` resolved it), watching for the
TLS failures pipssl knows how to fix.

pip's output passes through as it comes (the user sees pip, not pipssl), and is kept
to decide afterwards whether the failure was about TLS.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from pipssl._names import normalize

#: Lines pip prints when TLS (or the CA material it was given) is the problem (another
#: installer's own words: its module's ``Client.tls_markers``).
TLS_MARKERS = (
    "CERTIFICATE_VERIFY_FAILED",
    "SSLError",
    "SSL module is not available",
    "TLS CA certificate bundle",
    "SSLCertVerificationError",
    "WRONG_VERSION_NUMBER",
)
#: The options of a pip command line that name an index (another installer's own:
#: its module's ``Client.index_flags``).
INDEX_FLAGS = ("--index-url", "-i", "--extra-index-url")


def index_args(args: Sequence[str], more: Sequence[str] = ()) -> List[str]:
    """The index URLs a pip command line names (-i/--index-url, --extra-index-url), and
    those ``more`` options name (an installer's own, such as uv's ``--default-index``)."""
    urls: List[str] = []
    items = list(args)
    for i, arg in enumerate(items):
        for flag in (*INDEX_FLAGS, *more):
            if arg == flag and i + 1 < len(items):
                urls.append(items[i + 1])
            elif arg.startswith(flag + "=") and flag.startswith("--"):
                urls.append(arg.split("=", 1)[1])
    return urls


def run_pip(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    echo: Optional[Callable[[str], None]] = None,
    timeout: Optional[float] = None,
) -> Tuple[int, str]:
    """Run pip, passing each output line to ``echo``; return (exit code, output).

    ``timeout``: seconds pip may run; pip then runs in a process group of its own, and
    the group is killed at the deadline, however pip's output goes (without it, pip stays
    in the terminal's group, so that Ctrl-C reaches it).

    Raises:
        subprocess.TimeoutExpired: pip did not finish within ``timeout``.
    """
    lines: List[str] = []
    with subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(env),
        text=True,
        errors="replace",
        start_new_session=timeout is not None and os.name == "posix",
    ) as proc:
        assert proc.stdout is not None
        expired: List[bool] = []
        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, _stop_group, (proc, expired))
            timer.daemon = True
            timer.start()
        try:
            for line in proc.stdout:
                lines.append(line)
                if echo is not None:
                    echo(line)
            code = proc.wait()
        finally:
            if timer is not None:
                timer.cancel()
    if expired:
        raise subprocess.TimeoutExpired(list(argv), timeout or 0.0, "".join(lines))
    return code, "".join(lines)


def _stop_group(proc: subprocess.Popen[str], expired: List[bool]) -> None:
    """Kill pip and whatever it started (its group), once, while it is not reaped."""
    if proc.returncode is not None or proc.poll() is not None:
        return
    expired.append(True)
    if os.name == "posix":
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    else:
        proc.kill()


#: pip's "Collecting NAME..." line: the first project a pip command asked an index for.
_COLLECTING = re.compile(r"^\s*Collecting ([A-Za-z0-9][A-Za-z0-9._-]*)(?:$|[\s<>=!~;\[(])")


def collected_project(output: str) -> Optional[str]:
    """The first project pip collected in ``output`` (its PEP 503 name), or None: the
    project whose path to its files a diagnosis of that failure follows."""
    for line in output.splitlines():
        found = _COLLECTING.match(line)
        if found:
            return normalize(found.group(1))
    return None


def failed_on_tls(code: int, output: str, more: Sequence[str] = ()) -> bool:
    """Did pip fail because of TLS (not because a package does not exist, say)?  ``more``:
    what another installer prints when TLS fails, beyond pip's words."""
    return code != 0 and any(marker in output for marker in (*TLS_MARKERS, *more))


def scrubbed(env: Mapping[str, str], names: Sequence[str]) -> Dict[str, str]:
    """``env`` without the variables that override pip's config (for the retry)."""
    return {k: v for k, v in env.items() if k not in names}
