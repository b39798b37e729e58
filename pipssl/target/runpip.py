"""Run the user's pip command (as :mod:`pipssl.target.tool` resolved it), watching for the
TLS failures pipssl knows how to fix.

pip's output passes through as it comes (the user sees pip, not pipssl), and is kept
to decide afterwards whether the failure was about TLS.
"""

from __future__ import annotations

import subprocess
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

#: Lines pip prints when TLS (or the CA material it was given) is the problem.
TLS_MARKERS = (
    "CERTIFICATE_VERIFY_FAILED",
    "SSLError",
    "SSL module is not available",
    "TLS CA certificate bundle",
    "SSLCertVerificationError",
    "WRONG_VERSION_NUMBER",
    "invalid peer certificate",  # uv (rustls): "invalid peer certificate: UnknownIssuer"
)


def index_args(args: Sequence[str]) -> List[str]:
    """The index URLs a pip (or uv) command line names (-i/--index-url,
    --extra-index-url; uv's --default-index and --index)."""
    urls: List[str] = []
    items = list(args)
    for i, arg in enumerate(items):
        flags = ("--index-url", "-i", "--extra-index-url", "--default-index", "--index")
        for flag in flags:
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
    """Run pip, passing each output line to ``echo``; return (exit code, output)."""
    lines: List[str] = []
    with subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(env),
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if echo is not None:
                echo(line)
        code = proc.wait(timeout=timeout)
    return code, "".join(lines)


def failed_on_tls(code: int, output: str) -> bool:
    """Did pip fail because of TLS (not because a package does not exist, say)?"""
    return code != 0 and any(marker in output for marker in TLS_MARKERS)


def scrubbed(env: Mapping[str, str], names: Sequence[str]) -> Dict[str, str]:
    """``env`` without the variables that override pip's config (for the retry)."""
    return {k: v for k, v in env.items() if k not in names}
