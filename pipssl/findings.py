"""A finding: one thing found wrong (or worth knowing) about a machine's TLS setup, and
how findings read for people.

Every layer makes findings (the local checks, the classifier, the clients' checks, the
planner), so they live down here with the codes they carry.  Text imitates pip's own:
short, one block per finding, the fix as a command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from pipssl import codes
from pipssl._redact import redact
from pipssl._text import shown


@dataclass(frozen=True)
class Finding:
    """One thing found wrong (or worth knowing) about this machine's TLS setup.

    Attributes:
        code: stable kebab-case code from :mod:`pipssl.codes`.
        severity: ``error``, ``warning`` or ``info``.
        target: what it is about: a URL, a file, an environment variable, an interpreter
            (by its path).
        summary: one line for a human.
        detail: what was observed, with where it came from.
        fix: what to do, as a command to copy where there is one.
        client: the installer a ``client-*`` finding is about (``uv``, ``poetry``, ...),
            for repair to tell whose it is; not part of the JSON.
    """

    code: str
    severity: codes.Severity
    target: str
    summary: str
    detail: str = ""
    fix: str = ""
    client: Optional[str] = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.code not in codes.CODES:
            raise ValueError(f"unknown finding code: {self.code}")
        # Redact at construction, so no path out of pipssl can carry a password.
        for name in ("target", "summary", "detail", "fix"):
            object.__setattr__(self, name, redact(getattr(self, name)))

    @classmethod
    def make(
        cls,
        code: str,
        target: str,
        summary: str,
        detail: str = "",
        fix: str = "",
        *,
        client: Optional[str] = None,
    ) -> Finding:
        """Build a finding with the code's default severity."""
        return cls(code, codes.severity(code), target, summary, detail, fix, client)

    def to_dict(self) -> Dict[str, str]:
        """JSON-ready data: the contract's six fields."""
        return {
            "code": self.code,
            "severity": self.severity,
            "target": self.target,
            "summary": self.summary,
            "detail": self.detail,
            "fix": self.fix,
        }


def render_findings(findings: Sequence[Finding]) -> str:
    """One block per finding, pip-style, the fix as commands to copy."""
    lines: List[str] = []
    for f in findings:
        lines.append("")
        # The summary is one line, whatever a value in it held; the target is a value.
        summary = shown(f.summary, limit=len(f.summary))
        lines.append(f"{f.severity.upper()}: {summary} [{f.code}]")
        lines.append(f"  target: {shown(f.target)}")
        for row in f.detail.splitlines():
            lines.append(f"  {row}")
        if f.fix:
            lines.append("  fix:")
            for row in f.fix.splitlines():
                lines.append(f"    {row}")
    return "\n".join(lines)
