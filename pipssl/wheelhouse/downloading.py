"""``pip download`` for ``create``, and what its failures are named.

pip ends an index it cannot verify with "No matching distribution found" (the SSL errors
are retry warnings above that line), so a failed download that may hide such a cause is
diagnosed (:func:`pipssl.diagnosis.api.diagnose`, the real pip confirming) and doctor's
error findings name it; a reachable index that lacks the project keeps pip's own message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Mapping, Optional

from pipssl._text import shown
from pipssl.errors import PipsslError
from pipssl.interpreter.runpip import collected_project, failed_on_tls
from pipssl.wheelhouse.manifest import Progress, error, invoke

#: Seconds per index probe when a failed download is diagnosed.
_DIAGNOSE_TIMEOUT = 10.0
_NO_MATCH = re.compile(r"No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)")


def download(
    base: List[str],
    what: List[str],
    targets: List[List[str]],
    dest: Path,
    env: Mapping[str, str],
    progress: Optional[Progress],
    index_url: Optional[str],
) -> None:
    """``pip download`` once per target option set into ``dest``; a failure raises the
    error that names its cause."""
    for target in targets:
        code, out = invoke([*base, "download", "--dest", str(dest), *target, *what], env, progress)
        if code == 0:
            continue
        last = [ln for ln in out.splitlines() if ln.strip()][-1:] or ["(no output)"]
        blocked = _blocked(base[0], index_url, env, code, out, last[0].strip())
        if blocked is not None:
            raise blocked
        missing = _NO_MATCH.search(out)
        if missing and target:
            raise error(
                f"no wheel of {missing.group(1)} for the target ({' '.join(target[2:])})",
                "wheel-missing",
                hint="only wheels can be carried for another platform or Python: pin a "
                "version that has one, or create the bundle on a machine like the target",
            )
        raise error(f"pip download failed: {last[0].strip()}", "pip-failed")


def _blocked(
    python: str,
    index_url: Optional[str],
    env: Mapping[str, str],
    code: int,
    out: str,
    last: str,
) -> Optional[PipsslError]:
    """``index-unusable`` naming doctor's error findings, when pip's failure may hide one
    (a TLS marker, no matching distribution, could not fetch); else None."""
    if not (failed_on_tls(code, out) or _NO_MATCH.search(out) or "Could not fetch" in out):
        return None
    # the diagnosis loads only here: verify and install load the wheelhouse without it
    # (measured: verify's whole process took twice as long with it)
    from pipssl.diagnosis.api import make_diagnosis  # noqa: PLC0415 see above

    try:
        report = make_diagnosis(
            python=python,
            index_urls=[index_url] if index_url else None,
            timeout=_DIAGNOSE_TIMEOUT,
            environ=env,
            project=collected_project(out),  # the path to its files is followed
        ).report
    except PipsslError:
        return None  # pip's own message stands
    errors = [f for f in report.findings if f.severity == "error"]
    if not errors:
        return None
    causes = "; ".join(f"{f.summary} ({f.code})" for f in errors)
    fixes = [f.fix for f in errors if f.fix]
    return error(
        f"pip download failed: {shown(last)} - {causes}",
        "index-unusable",
        hint=fixes[0] if fixes else "run doctor for the details",
    )
