"""What a diagnosis returns: findings and a report, as frozen data, and their renderings.

Text output imitates pip's own: short, one block per finding, the fix as a command.
JSON output follows the contract the README documents (``schema`` 1).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from pipssl import codes
from pipssl._redact import redact
from pipssl._text import shown
from pipssl.diagnosis.localsetup import python_kind
from pipssl.findings import Finding, render_findings

if TYPE_CHECKING:  # not at run time: `import pipssl` stays cheap (and clients imports this)
    from pipssl.clients.model import ClientReport
    from pipssl.interpreter.facts import Target
    from pipssl.interpreter.pipconfig import ConfigFile
    from pipssl.interpreter.trust import CaSource

SCHEMA = 1


@dataclass(frozen=True)
class TargetResult:
    """The outcome of reaching one index URL: pipssl's probe, confirmed by the real pip.

    Attributes:
        ok: the verdict: the real pip's when it said (``confirmed``), else the probe's.
        stage: where the probe stopped (``done`` on success; ``pip``: only pip tried).
        confirmed: what the real pip said: True, it reached the index; False, it could
            not; None, it was not asked or did not say.
        pip_error: pip's own words when it could not.
        kind: what the host is on pip's path: ``index`` (an index's pages), ``files``
            (a project page there links to its files) or ``redirect`` (an index or a
            file redirects there); a ``files`` or ``redirect`` URL is the host's origin.
        via: for ``files`` and ``redirect``, the index whose path it is on.
    """

    url: str
    ok: bool
    stage: str
    elapsed: float
    cafile: Optional[str] = None
    trust: str = ""
    error: str = ""
    confirmed: Optional[bool] = None
    pip_error: str = ""
    kind: str = "index"
    via: str = ""

    def state(self) -> str:
        """The verdict for humans, saying whose it is."""
        if self.confirmed is None:  # --quick, or pip said nothing of it
            verdict = "ok" if self.ok else f"FAILED at {self.stage}"
            return f"{verdict} (pipssl's probe alone; not confirmed by pip)"
        probe = "ok" if self.stage in ("done", "http") else f"FAILED at {self.stage}"
        if self.stage == "pip":
            return "ok (pip)" if self.ok else "FAILED (pip)"
        if self.ok == (probe == "ok"):
            return f"{probe}, as pip says"
        if self.ok:
            return f"ok: pip reaches it (pipssl's probe: {probe})"
        return "FAILED: pip cannot reach it (pipssl's probe: ok)"

    def __post_init__(self) -> None:
        for name in ("url", "error", "trust", "pip_error", "via"):
            object.__setattr__(self, name, redact(getattr(self, name)))


@dataclass(frozen=True)
class PythonInfo:
    """The interpreter diagnosed: path, ``X.Y.Z``, where it came from (``pyenv``, ``venv``,
    ``conda``, ``python.org``, ``distro``, ``windows``, ``source``) and its OpenSSL (None
    when its ssl module does not load)."""

    executable: str
    version: str
    kind: str
    ssl: Optional[str]

    @classmethod
    def of(cls, target: Target) -> PythonInfo:
        openssl = target.ssl.openssl if target.ssl.ok else None
        return cls(target.executable, target.version, python_kind(target), openssl)


@dataclass(frozen=True)
class PipInfo:
    """Its pip: version (None: no pip), whether it uses the OS store (truststore), what it
    verifies with (in words, then each source with its origin), and its config files."""

    version: Optional[str]
    truststore: bool
    trust: str
    sources: Tuple[CaSource, ...] = ()
    config_files: Tuple[ConfigFile, ...] = ()


@dataclass(frozen=True)
class Report:
    """The result of :func:`pipssl.diagnose`.

    Attributes:
        ok: True when no finding has severity ``error``.
        python: facts about the target interpreter (executable, version, ssl).
        pip: facts about its pip (version, which CA material it uses and why).
        findings: what was found, most important first.
        targets: one result per probed index URL.
        clients: the other installers found here, each with what it verifies with and
            its result per index (see :mod:`pipssl.clients`).
    """

    python: PythonInfo
    pip: PipInfo
    findings: Tuple[Finding, ...] = ()
    targets: Tuple[TargetResult, ...] = ()
    clients: Tuple[ClientReport, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(f.severity == codes.ERROR for f in self.findings)

    def codes(self) -> List[str]:
        """The finding codes, in report order."""
        return [f.code for f in self.findings]

    def to_dict(self) -> Dict[str, Any]:
        """The report as JSON-ready data (schema 1)."""
        return {
            "schema": SCHEMA,
            "ok": self.ok,
            "python": asdict(self.python),
            "pip": asdict(self.pip),
            "findings": [f.to_dict() for f in self.findings],
            "targets": [asdict(t) for t in self.targets],
            "actions": [],  # the contract's field: a diagnosis changes nothing
            "clients": [c.to_dict() for c in self.clients],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def to_text(self) -> str:
        """Human text in the style of pip's own messages."""
        lines: List[str] = []
        py = self.python
        # shown(): paths and URLs; self.pip.trust and client.trust show their values already
        lines.append(
            f"python {shown(py.version)} ({shown(py.executable)}), "
            f"pip {shown(self.pip.version or '-')}"
        )
        if self.pip.trust:
            lines.append(f"pip verifies with: {self.pip.trust}")
        for t in self.targets:
            role = f" ({t.kind} of {shown(t.via)})" if t.via else ""
            lines.append(f"  {shown(t.url)}{role}: {t.state()} ({t.elapsed * 1000:.0f} ms)")
        for client in self.clients:
            lines.append(f"{client.label} verifies with: {client.trust}")
            for c in client.targets:
                state = "ok" if c.ok else f"FAILED at {c.stage}"
                if not c.checked_by:  # --quick, or the client cannot be run or did not answer
                    state += f" (pipssl's probe alone; not confirmed by {client.client})"
                lines.append(f"  {shown(c.url)}: {state}")
        if not self.findings:
            lines.append("No problems found: pip should verify and reach its index.")
            return "\n".join(lines)
        lines.append(render_findings(self.findings))
        return "\n".join(lines)
