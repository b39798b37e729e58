"""The verdict of a repair: what still fails, whether it is done, what is left to the user.

Each is decided here once, from the plan and the diagnosis made after it (or before it,
for a preview): the CLI and the library print and return what these say.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Set, Tuple

from pipssl import _text, commands
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.commands import set_lines, unset_lines
from pipssl.diagnosis.localsetup import CA_VARIABLES
from pipssl.diagnosis.report import Report
from pipssl.diagnosis.wording import keep_pointed
from pipssl.errors import CertificateError
from pipssl.findings import Finding
from pipssl.interpreter.trust import ENV_BUNDLES
from pipssl.repairing.clients import readers_of
from pipssl.repairing.result import Plan

if TYPE_CHECKING:
    from pipssl.diagnosis.api import Diagnosis


def tls_failures(report: Report, clients_for: Sequence[str] = ()) -> List[str]:
    """Indexes pip (and each client asked for) still cannot reach over TLS."""
    return [_shown(url, label) for url, label in _failing(report, clients_for)]


def _failing(report: Report, clients_for: Sequence[str]) -> List[Tuple[str, str]]:
    """(URL, client label; "" for pip) of every index that fails before HTTP."""
    failing = [(t.url, "") for t in report.targets if not t.ok and t.stage != "http"]
    for client in report.clients:
        if client.client in clients_for:
            failing += [
                (t.url, client.label) for t in client.targets if not t.ok and t.stage != "http"
            ]
    return failing


def _shown(url: str, label: str) -> str:
    """An index (and the client it is about) in a message: the URL as shown()."""
    return f"{_text.shown(url)} ({label})" if label else _text.shown(url)


@dataclass(frozen=True)
class Verdict:
    """Whether to keep a repair's changes, as :func:`judge` decides.

    Attributes:
        roll_back: undo every change.
        message: what to tell the user ("" when every index verifies).
        failing: the indexes that still fail (as shown to the user).
    """

    roll_back: bool
    message: str = ""
    failing: Tuple[str, ...] = ()


def judge(plan: Plan, before: Report, checked: Diagnosis, *, strict: bool = False) -> Verdict:
    """Keep a repair only when nothing that verified before breaks and something got
    better: an index that verifies now, or a finding the plan answers that is gone
    (``strict``: ``before`` no longer describes the files, so only when every index
    verifies).

    An index that stops verifying because it relied on a root the new bundle drops
    (certifi or the OS store withdrew it, or the user did with ``forget``) is what
    keeping the bundle true means: the repair is kept and the index named.
    """
    after = checked.report
    failing = _failing(after, plan.clients)
    if not failing:
        return Verdict(False)
    shown = tuple(_shown(*pair) for pair in failing)
    not_better = Verdict(True, "rolled back: still cannot verify " + ", ".join(shown), shown)
    if strict:
        return not_better
    was = set(_failing(before, plan.clients))
    removed = plan.bundle_diff.removed if plan.bundle_diff else ()
    # only a root its source withdrew, or the user forgot, may take an index with it: a
    # consented CA missing from this user's store is no reason
    dropped = [c for c in removed if c.sha256 in plan.withdrawn]
    lost: Dict[str, str] = {}
    broke = []
    for url, label in failing:
        if (url, label) in was:
            continue
        root = _relied_on(url, checked, dropped)
        if root is None:
            broke.append(_shown(url, label))
        else:
            lost[_shown(url, label)] = root
    if broke:
        return Verdict(
            True,
            "rolled back: it would break " + ", ".join(broke) + ", which verified before",
            shown,
        )
    fixed = [pair for pair in was if pair not in failing]
    # Withdrawing consent is not meant to fix anything; anything else is.
    if not plan.options.forget and not _better(plan, before, after, was, fixed):
        return not_better
    parts = ["repaired " + ", ".join(sorted(_shown(*pair) for pair in fixed))] if fixed else []
    still = sorted(_shown(*pair) for pair in was if pair in failing)
    if still:
        parts.append("still failing: " + ", ".join(still))
    parts += [
        f"{url} no longer verifies: it relied on {root}, which is no longer trusted"
        for url, root in sorted(lost.items())
    ]
    return Verdict(False, "; ".join(parts), shown)


def _better(
    plan: Plan,
    before: Report,
    after: Report,
    was: Set[Tuple[str, str]],
    fixed: Sequence[Tuple[str, str]],
) -> bool:
    """Whether the repair did what it set out to: of the indexes it aimed at (a finding
    about them is one it answers), one verifies now; aiming at none, an index verifies
    now or a finding it answers is gone (a stale bundle rebuilt while an unrelated index
    still fails for its own reasons)."""
    answered = {code for action in plan.actions for code in action.answers}
    aimed = {f.target for f in before.findings if f.code in answered}
    if any(url in aimed for url, _ in was):
        return any(url in aimed for url, _ in fixed)
    remaining = {(f.code, f.target) for f in after.findings}
    resolved = [
        f for f in before.findings if f.code in answered and (f.code, f.target) not in remaining
    ]
    return bool(fixed or resolved or not was)


def _relied_on(url: str, checked: Diagnosis, dropped: Sequence[Certificate]) -> Optional[str]:
    """The dropped root that ``url``'s chain (as its server presented it) leads to."""
    if not dropped:
        return None
    for probe in checked.probes:
        if probe.url != url:
            continue
        for der in probe.chain:
            try:
                cert = parse_certificate(der)
            except CertificateError:
                continue
            for root in dropped:
                if cert.sha256 == root.sha256 or cert.issuer == root.subject:
                    return _text.shown(root.subject.common_name or root.subject)
    return None


ALREADY = "nothing to change: pip already verifies"
NOTHING_SAFE = "nothing pipssl can change safely; see what is left to do"
SET_ENV = "set (and unset) the variables listed to finish: a program cannot change your shell"


def done(the_plan: Plan, report: Report) -> bool:
    """pip verifies every index, with nothing left for the user (an env var to unset, a
    trusted-host that still switches checks off, a problem only they can fix)."""
    return (
        _ok_for(report, the_plan.clients)
        and not tls_failures(report, the_plan.clients)
        and not the_plan.env_to_unset
        and not the_plan.env_to_set
        and not _pending(the_plan, report)
        and not any(f.code == "insecure-trusted-host" for f in report.findings)
    )


def _ok_for(report: Report, clients_for: Sequence[str]) -> bool:
    """No error, but those about installers the repair was not asked to fix."""
    return not any(
        f.severity == "error" and f.client in (None, *clients_for) for f in report.findings
    )


def _pending(the_plan: Plan, report: Report) -> List[Finding]:
    """The plan's manual findings that ``report`` still shows (a repair may answer some
    of them: a pip bug worked around by a bundle, say).  A winning ``cert`` elsewhere is
    pending whatever the report says."""
    still = {(f.code, f.target) for f in report.findings}
    return [
        f for f in the_plan.manual if (f.code, f.target) in still or f.code == "env-shadows-config"
    ]


def _pointed(the_plan: Plan, name: str, applied: bool) -> str:
    """The other remedy of a variable naming pip's CA file: keep it, pointed at the bundle
    pip's config now names (once written: after the repair, or planned with its cert)."""
    planned = not applied and any(a.kind == "set-cert" for a in the_plan.actions)
    written = planned or os.path.isfile(the_plan.bundle)
    if name not in CA_VARIABLES or not written:
        return ""
    return "\n" + keep_pointed(name, the_plan.bundle)


def left_to_do(the_plan: Plan, report: Report, *, applied: bool = False) -> Tuple[Finding, ...]:
    """What the user must still do: ``report`` is the diagnosis after the plan was applied
    (``applied``), or the one it was made from (a preview)."""
    out = _pending(the_plan, report)
    for name in the_plan.env_to_unset:
        what = "pip's config" if name.startswith("PIP_") or name in ENV_BUNDLES else "it"
        out.append(
            Finding.make(
                "env-shadows-config",
                name,
                f"{name} overrides {what}; a program cannot unset it in your shell",
                "unset it in the shell (and in any profile file that sets it)",
                unset_lines(name) + _pointed(the_plan, name, applied),
            )
        )
    for name, value in the_plan.env_to_set:
        readers = readers_of(name, the_plan.clients)
        out.append(
            Finding.make(
                "client-cannot-verify",
                " ".join(readers) or name,
                f"{' and '.join(readers) or 'the tools asked for'} "
                f"{'reads' if len(readers) == 1 else 'read'} pipssl's bundle from {name} only; "
                "a program cannot set it in your shell",
                "set it in the shell (and in your profile file), or run the tool through "
                + commands.pipssl("run", "--", readers[0] if readers else "TOOL", "..."),
                set_lines(name, value),
                client=readers[0] if readers else None,
            )
        )
    seen = {(f.code, f.target) for f in out}
    # What the planned actions answer is not left for the user, in the plan shown before
    # applying; after it, what the report still has was not answered (another index
    # behind another CA, say).
    answered = set() if applied else {c for action in the_plan.actions for c in action.answers}
    out += [
        f
        for f in report.findings
        if (f.severity == "error" or f.code == "insecure-trusted-host")
        and (f.code, f.target) not in seen
        and f.code not in answered
        # the installers asked for are answered by the plan's edits and variables
        and not (f.code == "client-cannot-verify" and f.client in the_plan.clients)
    ]
    return tuple(out)
