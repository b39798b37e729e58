"""What a diagnosis returns: findings and a report, as frozen data, and their renderings.

Text output imitates pip's own: short, one block per finding, the fix as a command.
JSON output follows the contract in DESIGN.md §3 (``schema`` 1).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from pipssl import codes
from pipssl._redact import redact

if TYPE_CHECKING:  # pipssl.clients imports this module: a runtime import would be a cycle
    from pipssl.clients.model import ClientReport

SCHEMA = 1


@dataclass(frozen=True)
class Finding:
    """One thing found wrong (or worth knowing) about this machine's TLS setup.

    Attributes:
        code: stable kebab-case code from :mod:`pipssl.codes`.
        severity: ``error``, ``warning`` or ``info``.
        target: what it is about: a URL, a file, an environment variable, ``python``.
        summary: one line for a human.
        detail: what was observed, with where it came from.
        fix: what to do, as a command to copy where there is one.
    """

    code: str
    severity: str
    target: str
    summary: str
    detail: str = ""
    fix: str = ""

    def __post_init__(self) -> None:
        if self.code not in codes.CODES:
            raise ValueError(f"unknown finding code: {self.code}")
        # Redact at construction, so no path out of pipssl can carry a password.
        for name in ("target", "summary", "detail", "fix"):
            object.__setattr__(self, name, redact(getattr(self, name)))

    @classmethod
    def make(
        cls, code: str, target: str, summary: str, detail: str = "", fix: str = ""
    ) -> Finding:
        """Build a finding with the code's default severity."""
        return cls(code, codes.severity(code), target, summary, detail, fix)


@dataclass(frozen=True)
class TargetResult:
    """The outcome of probing one index URL, as pip would reach it."""

    url: str
    ok: bool
    stage: str
    elapsed: float
    cafile: Optional[str] = None
    trust: str = ""
    error: str = ""

    def __post_init__(self) -> None:
        for name in ("url", "error", "trust"):
            object.__setattr__(self, name, redact(getattr(self, name)))


@dataclass(frozen=True)
class Report:
    """The result of :func:`pipssl.diagnose`.

    Attributes:
        ok: True when no finding has severity ``error``.
        python: facts about the target interpreter (executable, version, ssl).
        pip: facts about its pip (version, which CA material it uses and why).
        findings: what was found, most important first.
        targets: one result per probed index URL.
        actions: what was changed (empty for a diagnosis).
        clients: the other installers found here, each with what it verifies with and
            its result per index (see :mod:`pipssl.clients`).
    """

    python: Dict[str, Any]
    pip: Dict[str, Any]
    findings: Tuple[Finding, ...] = ()
    targets: Tuple[TargetResult, ...] = ()
    actions: Tuple[Dict[str, Any], ...] = field(default_factory=tuple)
    clients: Tuple[ClientReport, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(f.severity == codes.ERROR for f in self.findings)

    def codes(self) -> List[str]:
        """The finding codes, in report order."""
        return [f.code for f in self.findings]

    def to_dict(self) -> Dict[str, Any]:
        """The report as JSON-ready data (DESIGN.md §3, schema 1)."""
        return {
            "schema": SCHEMA,
            "ok": self.ok,
            "python": self.python,
            "pip": self.pip,
            "findings": [asdict(f) for f in self.findings],
            "targets": [asdict(t) for t in self.targets],
            "actions": list(self.actions),
            "clients": [c.to_dict() for c in self.clients],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def to_text(self) -> str:
        """Human text in the style of pip's own messages."""
        lines: List[str] = []
        py = self.python
        lines.append(
            "python {} ({}), pip {}".format(
                py.get("version", "?"), py.get("executable", "?"), self.pip.get("version") or "-"
            )
        )
        if self.pip.get("trust"):
            lines.append("pip verifies with: {}".format(self.pip["trust"]))
        for t in self.targets:
            state = "ok" if t.ok else f"FAILED at {t.stage}"
            lines.append(f"  {t.url}: {state} ({t.elapsed * 1000:.0f} ms)")
        for client in self.clients:
            lines.append(f"{client.label} verifies with: {client.trust}")
            for c in client.targets:
                state = "ok" if c.ok else f"FAILED at {c.stage}"
                lines.append(f"  {c.url}: {state}")
        if not self.findings:
            lines.append("No problems found: pip should verify and reach its index.")
            return "\n".join(lines)
        lines.append(render_findings(self.findings))
        return "\n".join(lines)


def render_findings(findings: Sequence[Finding]) -> str:
    """One block per finding, pip-style, the fix as commands to copy."""
    lines: List[str] = []
    for f in findings:
        lines.append("")
        lines.append(f"{f.severity.upper()}: {f.summary} [{f.code}]")
        lines.append(f"  target: {f.target}")
        for row in f.detail.splitlines():
            lines.append(f"  {row}")
        if f.fix:
            lines.append("  fix:")
            for row in f.fix.splitlines():
                lines.append(f"    {row}")
    return "\n".join(lines)
