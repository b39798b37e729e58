"""pipssl: make pip verify TLS again, safely.

Diagnose why ``pip`` fails with CERTIFICATE_VERIFY_FAILED (or has no ssl module at
all) and say exactly what to change; verification is never switched off.

    >>> import pipssl
    >>> report = pipssl.diagnose()
    >>> report.ok, [f.code for f in report.findings]
    >>> result = pipssl.repair(ca_files=["corp-root.pem"], scope="user")
    >>> result.ok, result.actions, result.verification, result.findings
    >>> plan = pipssl.plan(pipssl.RepairOptions(ca_files=("corp-root.pem",)))
    >>> plan.actions, plan.manual   # look before you leap, then
    >>> result = pipssl.apply(plan)
    >>> pipssl.bundle_path("user")  # the CA bundle that repair wrote and points pip at
    >>> pipssl.consented()        # the CAs you told it to trust; pipssl.forget([sha256])

The names in ``__all__`` (and :mod:`pipssl.wheelhouse`) are the API; every other module
is internal and may change.  Importing pipssl is cheap: nothing is imported, run, read or
parsed until you use a name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pipssl.errors import PipsslError

if TYPE_CHECKING:
    from pipssl.certs.consent import Consent
    from pipssl.diagnosis.api import diagnose
    from pipssl.diagnosis.report import Report
    from pipssl.findings import Finding
    from pipssl.repairing.api import bundle_path, consented, forget, plan, repair
    from pipssl.repairing.apply import apply
    from pipssl.repairing.result import Action, Plan, RepairOptions, RepairResult
    from pipssl.repairing.undo import UndoResult, undo

__version__ = "0.1.0"
__all__ = [
    "Action",
    "Consent",
    "Finding",
    "PipsslError",
    "Plan",
    "RepairOptions",
    "RepairResult",
    "Report",
    "UndoResult",
    "apply",
    "bundle_path",
    "consented",
    "diagnose",
    "forget",
    "plan",
    "repair",
    "undo",
]

#: The module each lazily loaded name lives in.
_HOMES = {
    "Finding": "pipssl.findings",
    "Report": "pipssl.diagnosis.report",
    "diagnose": "pipssl.diagnosis.api",
    "repair": "pipssl.repairing.api",
    "plan": "pipssl.repairing.api",
    "apply": "pipssl.repairing.apply",
    "undo": "pipssl.repairing.undo",
    "bundle_path": "pipssl.repairing.api",
    "consented": "pipssl.repairing.api",
    "forget": "pipssl.repairing.api",
    "Consent": "pipssl.certs.consent",
    "RepairResult": "pipssl.repairing.result",
    "RepairOptions": "pipssl.repairing.result",
    "Plan": "pipssl.repairing.result",
    "Action": "pipssl.repairing.result",
    "UndoResult": "pipssl.repairing.undo",
}


def __getattr__(name: str) -> Any:
    # Loaded on first use, so `import pipssl` stays within its start-up budget.
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pipssl' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
