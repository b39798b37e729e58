"""The real pip's verdict over pipssl's own probe: where the two disagree, pip is right.

:func:`pipssl.target.askpip.ask` asks the target's pip to reach every index it uses;
:func:`confirm` sets each index's result to what pip said, and says plainly where
pipssl's probe (and so its model of this pip) was wrong:

* pip reaches an index the probe could not: the probe's findings for it are dropped
  (they would send the user to a wrong fix) and ``pip-reaches`` says what the probe saw.
* pip cannot reach an index the probe reached, or one pipssl did not know pip uses:
  ``pip-cannot-reach``, with pip's own words.
* both fail: the probe's findings stay; they explain the failure far better than pip's
  one line, and the chain behind them was read from the server.
"""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Sequence, Tuple

from pipssl.diagnosis.report import TargetResult
from pipssl.findings import Finding
from pipssl.target.askpip import PipAnswer, Reach, index_key

_OUTSIDE = (
    "something outside pip's config changes what pip trusts or where it connects: look "
    "for a sitecustomize or usercustomize module, PYTHONPATH, a wrapper around pip\n"
    "python -m pip config debug   # every setting pip reads, and from where"
)


def confirm(
    results: Sequence[TargetResult],
    findings: Sequence[Finding],
    answer: PipAnswer,
    *,
    configured: bool,
) -> Tuple[List[TargetResult], List[Finding]]:
    """Each index's result as the real pip says, and the findings that agree with it.

    Args:
        results: pipssl's probe result per index.
        findings: every finding so far.
        answer: what the real pip said (``problem`` set: it said nothing usable).
        configured: the indexes are pip's configured ones (not ``--index-url`` given to
            pipssl), so an index pip uses that pipssl did not probe is reported too.

    Returns:
        (results, findings), in their order, with pip's verdicts applied.
    """
    if answer.problem:
        return list(results), list(findings)
    out: List[TargetResult] = []
    kept: List[Finding] = list(findings)
    added: List[Finding] = []
    for result in results:
        reach = answer.reach(result.url)
        if reach is None:
            out.append(result)
            continue
        out.append(
            replace(result, ok=reach.reached, confirmed=reach.reached, pip_error=reach.reason)
        )
        if reach.reached and not result.ok:
            wrong = [f for f in kept if f.target == result.url]
            kept = [f for f in kept if f.target != result.url]
            added.append(_reaches(result, wrong))
        elif not reach.reached and result.ok:
            added.append(_cannot_reach(reach, result.trust))
    if configured:
        probed = {index_key(r.url) for r in results}
        for reach in answer.reaches:
            if index_key(reach.index) in probed:
                continue
            out.append(
                TargetResult(
                    reach.index,
                    reach.reached,
                    "done" if reach.reached else "pip",
                    0.0,
                    trust="not known to pipssl",
                    error=reach.reason,
                    confirmed=reach.reached,
                    pip_error=reach.reason,
                )
            )
            if not reach.reached:
                added.append(_cannot_reach(reach, None))
    return out, kept + added


def _reaches(result: TargetResult, wrong: Sequence[Finding]) -> Finding:
    said = "; ".join(f"{f.code}: {f.summary}" for f in wrong) or result.error
    return Finding.make(
        "pip-reaches",
        result.url,
        f"pip reaches {result.url}, although pipssl's own probe could not",
        f"pipssl's probe (verifying with {result.trust}): {said}\n"
        "the real pip's verdict is the one that counts; pipssl's model of this pip is wrong "
        "here, and its findings for this index are left out",
        "",
    )


def _cannot_reach(reach: Reach, trust: Optional[str]) -> Finding:
    if trust is None:
        probe = (
            "pipssl did not know pip uses this index: pip's config, as pipssl reads it, "
            "does not name it"
        )
    else:
        probe = f"pipssl's own probe reached it, verifying with {trust}"
    return Finding.make(
        "pip-cannot-reach",
        reach.index,
        f"pip cannot reach {reach.index}"
        + (" (TLS)" if reach.tls else "")
        + ("" if trust is None else ", although pipssl's own probe could"),
        f"pip: {reach.reason}\n{probe}",
        _OUTSIDE,
    )
