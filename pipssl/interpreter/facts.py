"""Facts about the interpreter whose pip we diagnose, read by running it.

pipssl may run in one Python and diagnose another (``--python``), and even when it
diagnoses itself the answers must come from the interpreter pip will run in: its pip
version, its vendored certifi, whether *its* ssl module loads.  One subprocess gathers
everything, so ``doctor`` pays for one interpreter start; :func:`start` launches it so the
caller can do its local work while the child runs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple, TypedDict

from pipssl._text import shown
from pipssl.certs.openssl import OpenSSLPaths
from pipssl.errors import PipsslError
from pipssl.interpreter.child import Child
from pipssl.interpreter.childscript import SCRIPT

_PROBE_KEYS = ("executable", "version", "prefix", "base_prefix", "platform", "ssl", "pip")


@dataclass(frozen=True)
class SslFacts:
    """Whether the target's ``ssl`` module loads, and with which OpenSSL.

    Attributes:
        ok: ``import ssl`` works there.
        openssl: ``ssl.OPENSSL_VERSION`` (empty when not ok).
        openssl_info: ``ssl.OPENSSL_VERSION_INFO``.
        has_tls1_2: the OpenSSL can speak TLS 1.2.
        error: why ``import ssl`` failed.
        file: the ``_ssl`` extension module's path, when one exists (a broken one vs none).
        verify_paths: its OpenSSL's default verify paths (the OS store a truststore pip
            reads on Linux); None when ``ssl`` does not load.
    """

    ok: bool
    openssl: str = ""
    openssl_info: Tuple[int, ...] = ()
    has_tls1_2: bool = True
    error: str = ""
    file: Optional[str] = None
    verify_paths: Optional[OpenSSLPaths] = None


@dataclass(frozen=True)
class PipFacts:
    """The target's pip, read from its files.

    Attributes:
        version: ``pip.__version__``.
        location: the ``pip`` package directory.
        default_index / file_host: pip's default index URL and the host its files come
            from (None when pip's model could not be read: ``default_index_error`` says why).
        certifi / certifi_version: pip's vendored ``cacert.pem`` and its certifi version.
    """

    version: str
    location: str
    default_index: Optional[str] = None
    file_host: Optional[str] = None
    default_index_error: str = ""
    certifi: Optional[str] = None
    certifi_version: Optional[str] = None


@dataclass(frozen=True)
class CertifiFacts:
    """The standalone certifi of the target (requests and poetry read it)."""

    where: str
    version: str


@dataclass(frozen=True)
class RecordCheck:
    """A ``cacert.pem`` compared with the hash its wheel's RECORD promised."""

    dist: str
    path: str
    expected: Optional[str] = None
    actual: Optional[str] = None
    error: str = ""

    @property
    def modified(self) -> bool:
        return not self.error and self.expected != self.actual


class ConfigArgs(TypedDict):
    """What pip's config model needs to know about the interpreter pip runs in (the
    keywords of :func:`pipssl.interpreter.pipconfig.load` and ``config_files``)."""

    platform: str
    prefix: str
    base_prefix: str
    pip_version: Optional[Tuple[int, ...]]


@dataclass(frozen=True)
class Target:
    """What the target interpreter told us about itself.

    Attributes:
        executable: path of the interpreter.
        version: ``X.Y.Z``.
        prefix / base_prefix: its ``sys.prefix`` and ``sys.base_prefix`` (a venv when they
            differ; where pip's site config lives).
        platform: ``sys.platform``.
        ssl: whether its ssl module loads.
        pip: None when pip is missing.
        certifi: the standalone certifi, if installed there.
        record_checks: cacert.pem files compared with their wheel's RECORD.
        modules: other HTTP clients importable there, with their versions (``requests``).
    """

    executable: str
    version: str
    prefix: str
    base_prefix: str
    platform: str
    ssl: SslFacts
    pip: Optional[PipFacts]
    certifi: Optional[CertifiFacts] = None
    record_checks: Tuple[RecordCheck, ...] = ()
    modules: Tuple[Tuple[str, str], ...] = ()

    @property
    def version_info(self) -> Tuple[int, ...]:
        return tuple(int(p) for p in self.version.split("."))

    @property
    def pip_version(self) -> Optional[Tuple[int, ...]]:
        return parse_version(self.pip.version) if self.pip else None

    def config_args(self) -> ConfigArgs:
        """What pip's config model (:func:`pipssl.interpreter.pipconfig.load`) needs to know
        about the interpreter pip runs in."""
        return {
            "platform": self.platform,
            "prefix": self.prefix,
            "base_prefix": self.base_prefix,
            "pip_version": self.pip_version,
        }

    def module_version(self, name: str) -> Optional[str]:
        """The version of ``name`` (e.g. ``requests``) installed there, or None."""
        return dict(self.modules).get(name)


def parse_version(text: str) -> Tuple[int, ...]:
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


class Inspection:
    """A target interpreter being inspected: started by :func:`start`, read by
    :meth:`result` (which may be called again and returns the same :class:`Target`).

    ``then``: a script the same interpreter runs once it has answered, its standard input
    held open for it and the whole child bounded by ``then_limit`` seconds (:attr:`child`,
    for whoever reads the rest): one interpreter start for two checks.  The facts are then
    the child's first line, still bounded by ``timeout``.
    """

    def __init__(
        self,
        exe: str,
        env: Mapping[str, str],
        timeout: float,
        then: str = "",
        then_limit: float = 0.0,
    ) -> None:
        self._exe, self._timeout = exe, timeout
        self._end = time.monotonic() + timeout
        self._then = bool(then)
        self._target: Optional[Target] = None
        argv = [exe, "-c", SCRIPT + _THEN + then if then else SCRIPT]
        try:
            self._child: Optional[Child] = Child(
                argv, env, limit=then_limit if then else timeout, hold_stdin=bool(then)
            )
            self._error: Optional[PipsslError] = None
        except FileNotFoundError:
            self._child = None
            self._error = PipsslError(
                f"--python {exe}: no such interpreter", reference="python-not-found"
            )
        except OSError as exc:
            self._child = None
            self._error = _not_runnable(exe, exc)

    def result(self) -> Target:
        """The facts, once the child answered.

        Raises:
            PipsslError: the interpreter cannot be run or gives no answer (in time:
                it is stopped, with whatever it started, at ``timeout``).
        """
        if self._target is not None:
            return self._target
        if self._child is None:
            assert self._error is not None
            raise self._error
        if self._then:
            line = self._child.first_line(max(0.0, self._end - time.monotonic()))
            if line is not None:
                self._target = _parse(self._exe, line, b"", 0)
                return self._target
            if not self._child.said_all():
                self._child.stop()
                raise self._late(self._timeout)
        done = self._child.wait()  # it ended without answering, or was stopped
        if done.stopped:
            raise self._late(done.limit)
        self._target = _parse(self._exe, done.stdout, done.stderr, done.returncode)
        return self._target

    @property
    def child(self) -> Optional[Child]:
        """The child, when it runs a script after the facts (None otherwise)."""
        return self._child if self._then else None

    def _late(self, limit: float) -> PipsslError:
        return PipsslError(
            f"--python {shown(self._exe)}: it did not answer in {limit:g} s and was stopped",
            reference="python-not-runnable",
            hint="give the path of a Python interpreter, e.g. the venv's bin/python",
        )

    def cancel(self) -> None:
        """Stop the child (nobody will read its answer)."""
        if self._child is not None:
            self._child.stop()


def start(
    python: Optional[str] = None,
    *,
    env: Optional[Mapping[str, str]] = None,
    timeout: float = 30.0,
    then: str = "",
    then_limit: float = 0.0,
) -> Inspection:
    """Start inspecting ``python`` (default: this interpreter) in the background.

    Args:
        python: path of the interpreter pip runs in.
        env: environment for the child (default: ours).
        timeout: seconds before giving up on the child's answer.
        then / then_limit: a script the child runs after its answer, and the seconds the
            whole child may take (see :class:`Inspection`).
    """
    environ = os.environ if env is None else env
    return Inspection(python or sys.executable, environ, timeout, then, then_limit)


# Between the facts and a script run after them: the facts end their line, and leave.
_THEN = "\nsys.stdout.write('\\n')\nsys.stdout.flush()\n"


def inspect(
    python: Optional[str] = None, *, env: Optional[Mapping[str, str]] = None, timeout: float = 30.0
) -> Target:
    """Run ``python`` (default: this interpreter) and read its facts (arguments as for
    :func:`start`).

    Returns:
        A :class:`Target`.

    Raises:
        PipsslError: the interpreter cannot be run or gives no answer.
    """
    return start(python, env=env, timeout=timeout).result()


def _not_runnable(exe: str, exc: BaseException) -> PipsslError:
    return PipsslError(f"--python {exe}: cannot run it ({exc})", reference="python-not-runnable")


def _verify_paths(value: Any) -> Optional[OpenSSLPaths]:
    if not isinstance(value, list) or len(value) != 4:
        return None
    cafile_env, capath_env, cafile, capath = (v if isinstance(v, str) else None for v in value)
    return OpenSSLPaths(
        cafile_env or "SSL_CERT_FILE", capath_env or "SSL_CERT_DIR", cafile or None, capath or None
    )


def _parse(exe: str, stdout: bytes, stderr: bytes, returncode: int) -> Target:
    try:
        data = json.loads(stdout.decode("utf-8", "replace"))
    except ValueError:
        data = None
    # Any program can print JSON; only our probe prints an object with these keys.
    if not isinstance(data, dict) or not all(key in data for key in _PROBE_KEYS):
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise PipsslError(
            f"--python {exe}: it did not answer ({tail[0] if tail else returncode})",
            reference="python-not-runnable",
            hint="give the path of a Python interpreter, e.g. the venv's bin/python",
        )
    ssl: Dict[str, Any] = data["ssl"]
    pip: Optional[Dict[str, Any]] = data["pip"]
    certifi: Optional[Dict[str, Any]] = data.get("certifi")
    return Target(
        executable=data["executable"] or exe,
        version=data["version"],
        prefix=data["prefix"],
        base_prefix=data["base_prefix"],
        platform=data["platform"],
        ssl=SslFacts(
            ok=bool(ssl.get("ok")),
            openssl=ssl.get("openssl") or "",
            openssl_info=tuple(ssl.get("openssl_info") or ()),
            has_tls1_2=bool(ssl.get("has_tls1_2", True)),
            error=ssl.get("error") or "",
            file=ssl.get("file"),
            verify_paths=_verify_paths(ssl.get("verify_paths")),
        ),
        pip=None
        if pip is None
        else PipFacts(
            version=pip.get("version") or "0",
            location=pip.get("location") or "",
            default_index=pip.get("default_index"),
            file_host=pip.get("file_host"),
            default_index_error=pip.get("default_index_error") or "",
            certifi=pip.get("certifi"),
            certifi_version=pip.get("certifi_version"),
        ),
        certifi=CertifiFacts(certifi["where"], certifi["version"]) if certifi else None,
        record_checks=tuple(
            RecordCheck(
                c["dist"], c["path"], c.get("expected"), c.get("actual"), c.get("error") or ""
            )
            for c in data.get("record_checks") or ()
        ),
        modules=tuple(sorted((data.get("modules") or {}).items())),
    )
