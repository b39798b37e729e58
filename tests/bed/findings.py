"""A report's findings as tests read them: their codes in order, one finding by code."""

from __future__ import annotations

from typing import List

from pipssl import Finding, Report


def codes(report: Report) -> List[str]:
    """The codes of ``report``'s findings, in its order."""
    return [f.code for f in report.findings]


def finding(report: Report, code: str) -> Finding:
    """``report``'s first finding of ``code``; the test fails (naming the codes there
    are) when there is none."""
    matches = [f for f in report.findings if f.code == code]
    assert matches, f"no {code} in {codes(report)}"
    return matches[0]
