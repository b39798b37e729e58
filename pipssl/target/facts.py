"""Facts about the interpreter whose pip we diagnose, read by running it.

pipssl may run in one Python and diagnose another (``--python``), and even when it
diagnoses itself the answers must come from the interpreter pip will run in: its pip
version, its vendored certifi, whether *its* ssl module loads.  One subprocess gathers
everything, so ``doctor`` pays for one interpreter start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from pipssl.errors import PipsslError

# Runs inside the target interpreter: stdlib only, and valid on every Python >= 3.8.
_PROBE_SCRIPT = r"""
import base64, hashlib, json, os, sys
out = {
    "executable": sys.executable,
    "version": "%d.%d.%d" % sys.version_info[:3],
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "platform": sys.platform,
}
try:
    import importlib.util
    spec = importlib.util.find_spec("_ssl")
    ssl_file = spec.origin if spec is not None else None
except Exception as exc:
    ssl_file = None
ssl_info = {"file": ssl_file}
try:
    import ssl
    ssl_info.update(ok=True, openssl=ssl.OPENSSL_VERSION,
                    openssl_info=list(ssl.OPENSSL_VERSION_INFO),
                    has_tls1_2=bool(getattr(ssl, "HAS_TLSv1_2", True)))
except ImportError as exc:
    ssl_info.update(ok=False, error=str(exc))
out["ssl"] = ssl_info

def record_check(dist_name, rel_suffix):
    # Compare a file with the hash its wheel's RECORD promised.
    try:
        from importlib import metadata
        dist = metadata.distribution(dist_name)
    except Exception:
        return None
    for f in dist.files or ():
        if str(f).replace("\\", "/").endswith(rel_suffix) and f.hash is not None:
            path = str(f.locate())
            try:
                with open(path, "rb") as fh:
                    digest = hashlib.new(f.hash.mode, fh.read()).digest()
            except OSError as exc:
                return {"dist": dist_name, "path": path, "error": str(exc)}
            actual = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            return {"dist": dist_name, "path": path, "expected": f.hash.value, "actual": actual}
    return None

pip_info = None
try:
    import pip
    pip_info = {"version": pip.__version__, "location": os.path.dirname(pip.__file__)}
    try:
        # pip offers no public way to ask for its default index; this private model is
        # where every pip since 10 keeps it (tested in tests/test_target.py).
        from pip._internal.models.index import PyPI
        pip_info["default_index"] = PyPI.simple_url
        pip_info["file_host"] = PyPI.file_storage_domain
    except Exception as exc:
        pip_info["default_index_error"] = str(exc)
    try:
        from pip._vendor import certifi as pip_certifi
        pip_info["certifi"] = pip_certifi.where()
        pip_info["certifi_version"] = getattr(pip_certifi, "__version__", None)
    except Exception as exc:
        pip_info["certifi_error"] = str(exc)
except Exception as exc:
    pip_info = None
    if not isinstance(exc, ImportError):
        pip_info = {"error": "%s: %s" % (type(exc).__name__, exc)}
out["pip"] = pip_info
try:
    import certifi
    out["certifi"] = {"where": certifi.where(), "version": certifi.__version__}
except Exception:
    out["certifi"] = None
modules = {}
for name in ("requests",):
    try:
        from importlib import metadata as _md
        if importlib.util.find_spec(name) is not None:
            modules[name] = _md.version(name)
    except Exception:
        pass
out["modules"] = modules
out["record_checks"] = [c for c in (record_check("pip", "_vendor/certifi/cacert.pem"),
                                    record_check("certifi", "certifi/cacert.pem")) if c]
sys.stdout.write(json.dumps(out))
"""


_PROBE_KEYS = ("executable", "version", "prefix", "base_prefix", "platform", "ssl", "pip")


@dataclass(frozen=True)
class Target:
    """What the target interpreter told us about itself.

    Attributes:
        executable: path of the interpreter.
        version: ``X.Y.Z``.
        prefix: its ``sys.prefix`` (where pip's site config lives).
        ssl: ``{"ok": bool, "openssl": str, "error": str, "file": str, ...}``.
        pip: ``None`` when pip is missing, else version, default index, certifi path.
        certifi: the standalone certifi, if installed there.
        record_checks: cacert.pem files compared with their wheel's RECORD.
        modules: other HTTP clients importable there, with their versions (``requests``).
    """

    executable: str
    version: str
    prefix: str
    base_prefix: str
    platform: str
    ssl: Dict[str, Any]
    pip: Optional[Dict[str, Any]]
    certifi: Optional[Dict[str, Any]] = None
    record_checks: List[Dict[str, Any]] = field(default_factory=list)
    modules: Dict[str, str] = field(default_factory=dict)

    @property
    def version_info(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.version.split("."))

    @property
    def pip_version(self) -> Optional[tuple[int, ...]]:
        if not self.pip or "version" not in self.pip:
            return None
        return parse_version(self.pip["version"])


def parse_version(text: str) -> tuple[int, ...]:
    """``"24.2"`` -> ``(24, 2)``; pre-release tails are dropped (``"25.0b1"`` -> (25, 0))."""
    parts: List[int] = []
    for piece in text.split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts)


def inspect(
    python: Optional[str] = None, *, env: Optional[Dict[str, str]] = None, timeout: float = 30.0
) -> Target:
    """Run ``python`` (default: this interpreter) and read its facts.

    Args:
        python: path of the interpreter pip runs in.
        env: environment for the child (default: ours).
        timeout: seconds before giving up on the child.

    Returns:
        A :class:`Target`.

    Raises:
        PipsslError: the interpreter cannot be run or gives no answer.
    """
    exe = python or sys.executable
    try:
        proc = subprocess.run(
            [exe, "-c", _PROBE_SCRIPT],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ if env is None else env),
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise PipsslError(
            f"--python {exe}: no such interpreter", reference="python-not-found"
        ) from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PipsslError(
            f"--python {exe}: cannot run it ({exc})", reference="python-not-runnable"
        ) from None
    try:
        data = json.loads(proc.stdout.decode("utf-8", "replace"))
    except ValueError:
        data = None
    # Any program can print JSON; only our probe prints an object with these keys.
    if not isinstance(data, dict) or not all(key in data for key in _PROBE_KEYS):
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise PipsslError(
            f"--python {exe}: it did not answer ({tail[0] if tail else proc.returncode})",
            reference="python-not-runnable",
            hint="give the path of a Python interpreter, e.g. the venv's bin/python",
        )
    return Target(
        executable=data["executable"] or exe,
        version=data["version"],
        prefix=data["prefix"],
        base_prefix=data["base_prefix"],
        platform=data["platform"],
        ssl=data["ssl"],
        pip=data["pip"],
        certifi=data.get("certifi"),
        record_checks=list(data.get("record_checks") or []),
        modules=dict(data.get("modules") or {}),
    )
