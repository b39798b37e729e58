"""The verdict of a repair: what still fails, whether it is done, what is left to the user.

Each is decided here once, from the plan and the diagnosis made after it (or before it,
for a preview): the CLI and the library print and return what these say.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

from pipssl.diagnosis.report import Report
from pipssl.findings import Finding
from pipssl.repairing.clients import readers_of
from pipssl.repairing.result import Plan
from pipssl.shell import set_lines, unset_lines
from pipssl.target.trust import ENV_BUNDLES


def tls_failures(report: Report, clients_for: Sequence[str] = ()) -> List[str]:
    """Indexes pip (and each client asked for) still cannot reach over TLS."""
    failing = [t.url for t in report.targets if not t.ok and t.stage != "http"]
    for client in report.clients:
        if client.client in clients_for:
            failing += [
                f"{t.url} ({client.label})"
                for t in client.targets
                if not t.ok and t.stage != "http"
            ]
    return failing


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


def left_to_do(the_plan: Plan, report: Report) -> Tuple[Finding, ...]:
    out = _pending(the_plan, report)
    for name in the_plan.env_to_unset:
        what = "pip's config" if name.startswith("PIP_") or name in ENV_BUNDLES else "it"
        out.append(
            Finding.make(
                "env-shadows-config",
                name,
                f"{name} overrides {what}; a program cannot unset it in your shell",
                "unset it in the shell (and in any profile file that sets it)",
                unset_lines(name),
            )
        )
    for name, value in the_plan.env_to_set:
        readers = readers_of(name, the_plan.clients)
        out.append(
            Finding.make(
                "client-cannot-verify",
                " ".join(readers) or name,
                f"{' and '.join(readers)} read(s) pipssl's bundle from {name} only; a program "
                "cannot set it in your shell",
                "set it in the shell (and in your profile file), or run the tool through "
                f"pipssl run -- {readers[0] if readers else 'TOOL'} ...",
                set_lines(name, value),
                client=readers[0] if readers else None,
            )
        )
    seen = {(f.code, f.target) for f in out}
    # What the planned actions answer is not left for the user (this matters for the
    # plan shown before applying; after it, the report no longer has those findings).
    answered = {code for action in the_plan.actions for code in action.answers}
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
