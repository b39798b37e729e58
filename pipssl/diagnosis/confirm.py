"""The real pip's verdict over pipssl's own probe: where the two disagree, pip is right.

:func:`pipssl.interpreter.askpip.ask` asks the target's pip to reach every index it uses;
:func:`confirm` sets each index's result to what pip said, and says plainly where
pipssl's probe (and so its model of this pip) was wrong:

* pip reaches an index the probe could not: the probe's findings for it are dropped
  (they would send the user to a wrong fix) and ``pip-reaches`` says what the probe saw.
* pip cannot reach an index the probe reached, or one pipssl did not know pip uses:
  ``pip-cannot-reach``, with pip's own words.
* both fail: the probe's findings stay; they explain the failure far better than pip's
  one line, and the chain behind them was read from the server.
* pip ends by itself before it reaches an index (an exception, an error: a CA file it
  cannot open, pip 24.2 on an IP-address index): it never reached it, whatever the probe
  saw; ``pip-cannot-reach`` says why pip ended, unless another error names that index.
* pip reaches an index only because ``trusted-host`` switches its checks off there: that
  is no verdict on verification; the probe's (verified) verdict and findings stay.
* a variable overrides pip's config (``env-shadows-config``) and pip, asked once more
  without it, reaches an index it failed: the variable is the cause; its finding becomes
  an error that says so, and the index's other findings (a CA to add, say) are left out.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

from pipssl import commands
from pipssl._text import shown
from pipssl.diagnosis.insecure import verification_off
from pipssl.diagnosis.report import TargetResult
from pipssl.findings import Finding
from pipssl.interpreter import askpip
from pipssl.interpreter.askpip import Asking
from pipssl.interpreter.facts import Target
from pipssl.interpreter.piplog import HostReach, PipAnswer, Reach, index_key
from pipssl.net.links import origin

_OUTSIDE = (
    "something outside pip's config changes what pip trusts or where it connects: look "
    "for a sitecustomize or usercustomize module, PYTHONPATH, a wrapper around pip\n"
)


def ask_without(
    target: Target,
    env: Mapping[str, str],
    shadowing: Sequence[Finding],
    index_urls: Optional[Sequence[str]],
    timeout: float,
    asking: Optional[Asking],
) -> Optional[Tuple[Tuple[str, ...], Asking]]:
    """Ask pip once more, without the variables that override its config (the other
    core is free while the probes wait on the network): whether they are the cause."""
    names = tuple(f.target for f in shadowing)
    if asking is None or not names:
        return None
    rest = {k: v for k, v in env.items() if k not in names}
    return names, askpip.ask(target.executable, rest, index_urls, timeout)


def ask_files(
    target: Target,
    env: Mapping[str, str],
    index_urls: Optional[Sequence[str]],
    timeout: float,
    project: str,
    limit: float,
) -> Asking:
    """Ask pip to fetch a file of ``project``, whose path pipssl follows
    (:func:`askpip.ask_files`), stopping it after ``limit`` seconds."""
    version = target.pip_version or (0,)
    # --dry-run (pip 22.2): only the metadata where the index serves it (PEP 658)
    dry_run = version >= (22, 2)
    return askpip.ask_files(target.executable, env, index_urls, timeout, project, dry_run, limit)


def confirm(
    results: Sequence[TargetResult],
    findings: Sequence[Finding],
    answer: PipAnswer,
    *,
    configured: bool,
    without: Optional[Tuple[Sequence[str], PipAnswer]] = None,
    executable: str = "python3",
    trusted: Sequence[str] = (),
    files: Optional[PipAnswer] = None,
) -> Tuple[List[TargetResult], List[Finding]]:
    """Each index's result as the real pip says, and the findings that agree with it.

    Args:
        results: pipssl's probe result per index.
        findings: every finding so far.
        answer: what the real pip said (``problem`` set: it said nothing usable).
        configured: the indexes are pip's configured ones (not ``--index-url`` given to
            pipssl), so an index pip uses that pipssl did not probe is reported too.
        without: the variables that override pip's config, and pip's answer without them.
        executable: the target interpreter (the fixes run its pip).
        trusted: pip's trusted-host entries (pip checks no certificate for those hosts).
        files: pip's answer on its way to a project's files (:func:`ask_files`): the
            hosts past the indexes (``files``, ``redirect``) are judged by it and by
            ``answer``'s log.

    Returns:
        (results, findings), in their order, with pip's verdicts applied.
    """
    if answer.problem:
        if answer.stopped:
            return _unfinished(results, findings, answer.stopped, lambda i, w: [_stalled(i, w)])
        if answer.aborted:
            ended = partial(_ended, executable=executable, named=findings)
            return _unfinished(results, findings, answer.aborted, ended)
        return list(results), list(findings)
    out: List[TargetResult] = []
    kept: List[Finding] = list(findings)
    added: List[Finding] = []
    for result in results:
        if result.kind != "index":
            out.append(result)  # judged below, once every index is
            continue
        reach = answer.reach(result.url)
        if reach is None or (reach.reached and verification_off(result.url, trusted)):
            out.append(result)  # reached unverified says nothing about verifying
            continue
        out.append(
            replace(result, ok=reach.reached, confirmed=reach.reached, pip_error=reach.reason)
        )
        if reach.reached and not result.ok:
            wrong = [f for f in kept if f.target == result.url]
            kept = [f for f in kept if f.target != result.url]
            added.append(_reaches(result, wrong))
        elif reach.stopped and result.ok:
            added.append(_stalled(result.url, reach.reason))
        elif reach.aborted and result.ok:
            added += _ended(result.url, reach.reason, executable=executable, named=kept)
        elif not reach.reached and result.ok:
            added.append(_cannot_reach(reach, result.trust, executable))
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
            if reach.stopped:
                added.append(_stalled(reach.index, reach.reason))
            elif reach.aborted:
                added += _ended(
                    reach.index, reach.reason, executable=executable, named=kept, probed=False
                )
            elif not reach.reached:
                added.append(_cannot_reach(reach, None, executable))
    out, kept, added = _confirm_path(out, kept, added, [answer, files], executable, trusted)
    found = kept + added
    if without is not None and not without[1].problem:
        found = _blame_variables(out, found, *without)
    return out, found


def _confirm_path(
    results: List[TargetResult],
    kept: List[Finding],
    added: List[Finding],
    answers: Sequence[Optional[PipAnswer]],
    executable: str,
    trusted: Sequence[str],
) -> Tuple[List[TargetResult], List[Finding], List[Finding]]:
    """The hosts past the indexes, by what pip's logs say of them; and an index pip could
    not reach because a host on its path failed: that host's findings say why (pip
    names that host, not the index, in its words), so no ``pip-cannot-reach`` for it."""
    out: List[TargetResult] = []
    for result in results:
        said = _host_said(result.url, answers) if result.kind != "index" else None
        if said is None or (said.reached and verification_off(result.url, trusted)):
            out.append(result)
            continue
        out.append(replace(result, ok=said.reached, confirmed=said.reached, pip_error=said.reason))
        if said.reached and not result.ok:
            wrong = [f for f in kept if f.target == result.url]
            kept = [f for f in kept if f.target != result.url]
            added.append(_reaches(result, wrong))
        elif not said.reached and result.ok:
            added.append(
                _cannot_reach(Reach(result.url, False, said.reason), result.trust, executable)
            )
    blocked = {r.via for r in out if r.kind != "index" and not r.ok}
    added = [f for f in added if not (f.code == "pip-cannot-reach" and f.target in blocked)]
    return out, kept, added


def _host_said(url: str, answers: Sequence[Optional[PipAnswer]]) -> Optional[HostReach]:
    """What pip's logs say of the host ``url`` (an origin): reached in one is reached."""
    said = [a.host(origin(url)) for a in answers if a is not None]
    heard = [h for h in said if h is not None]
    return next((h for h in heard if h.reached), heard[0] if heard else None)


def _blame_variables(
    results: Sequence[TargetResult],
    findings: Sequence[Finding],
    names: Sequence[str],
    answer: PipAnswer,
) -> List[Finding]:
    """The findings once pip, without ``names``, reached indexes it failed with them."""
    cured = []
    for result in results:
        reach = answer.reach(result.url)
        if not result.ok and reach is not None and reach.reached:
            cured.append(result.url)
    if not cured:
        return list(findings)
    out: List[Finding] = []
    for found in findings:
        if found.target in cured:
            continue
        if found.code == "env-shadows-config" and found.target in names:
            reached = ", ".join(shown(url) for url in cured)
            blamed = replace(
                found,
                severity="error",
                summary=f"{found.summary}: without it pip reaches {reached}",
                detail=f"{found.detail}\nthe real pip, asked once more without "
                f"{shown(found.target)}, reaches {reached}; with it, it does not",
            )
            out.append(blamed)
            continue
        out.append(found)
    return out


def _unfinished(
    results: Sequence[TargetResult],
    findings: Sequence[Finding],
    stopped: str,
    explain: Callable[[str, str], List[Finding]],
) -> Tuple[List[TargetResult], List[Finding]]:
    """pip was stopped, or ended, before it named any index: no index it uses counts as
    reached; ``explain(index, stopped)`` says so of each one pipssl's probe reached."""
    out: List[TargetResult] = []
    added: List[Finding] = []
    for result in results:
        out.append(replace(result, ok=False, confirmed=False, pip_error=stopped))
        if result.ok:
            added += explain(result.url, stopped)
    return out, list(findings) + added


def _ended(
    index: str, why: str, *, executable: str, named: Sequence[Finding], probed: bool = True
) -> List[Finding]:
    """pip ended by itself (``why``: its exception or its first error) before it reached
    ``index`` (``probed``: which pipssl's own probe reached; else pipssl did not know pip
    uses it): no finding when another error names the index already (a known pip bug says
    why pip stops there)."""
    if any(f.target == index and f.severity == "error" for f in named):
        return []
    return [
        Finding.make(
            "pip-cannot-reach",
            index,
            f"pip stops before it reaches {shown(index)}",
            f"pip: {shown(why)}\npip ended there, before it fetched anything from this "
            "index; "
            + (
                "pipssl's own probe reached it, but only the real pip's verdict counts"
                if probed
                else "pipssl did not know pip uses it: pip's config, as pipssl reads it, "
                "does not name it"
            ),
            "fix what pip's error names (another finding here may name it too), then "
            "diagnose again:\n"
            + commands.pipssl("doctor")
            + "\n"
            + commands.pip(executable, "config", "debug")
            + "   # every setting pip reads, and from where",
        )
    ]


def _stalled(index: str, stopped: str) -> Finding:
    """pip was stopped before it finished with ``index``, which pipssl's probe reached."""
    return Finding.make(
        "timeout",
        index,
        f"pip did not finish reaching {shown(index)} in time",
        f"{stopped} (stage: http, the real pip)\npipssl's own probe reached the index, but "
        "pip, reading its project page, did not get a whole answer: the index, or a proxy "
        "between, sends it too slowly or without end",
        "ask the index's owners (or whoever runs the proxy between) why its answers do not "
        "end; if the network is only slow, give it more time: pipssl's --timeout, and pip's "
        "own timeout setting",
    )


def _reaches(result: TargetResult, wrong: Sequence[Finding]) -> Finding:
    said = "; ".join(f"{f.code}: {f.summary}" for f in wrong) or shown(result.error)
    return Finding.make(
        "pip-reaches",
        result.url,
        f"pip reaches {shown(result.url)}, although pipssl's own probe could not",
        f"pipssl's probe (verifying with {shown(result.trust)}): {said}\n"
        "the real pip's verdict is the one that counts; pipssl's model of this pip is wrong "
        "here, and its findings for this index are left out",
        "",
    )


def _cannot_reach(reach: Reach, trust: Optional[str], executable: str) -> Finding:
    if trust is None:
        probe = (
            "pipssl did not know pip uses this index: pip's config, as pipssl reads it, "
            "does not name it"
        )
    else:
        probe = f"pipssl's own probe reached it, verifying with {shown(trust)}"
    return Finding.make(
        "pip-cannot-reach",
        reach.index,
        f"pip cannot reach {shown(reach.index)}"
        + (" (TLS)" if reach.tls else "")
        + ("" if trust is None else ", although pipssl's own probe could"),
        f"pip: {shown(reach.reason)}\n{probe}",
        _OUTSIDE
        + commands.pip(executable, "config", "debug")
        + "   # every setting pip reads, and from where",
    )
