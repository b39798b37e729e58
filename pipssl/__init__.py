"""pipssl: make pip verify TLS again, safely.

Diagnose why ``pip`` fails with CERTIFICATE_VERIFY_FAILED (or has no ssl module at
all) and say exactly what to change; verification is never switched off.

    >>> import pipssl
    >>> report = pipssl.diagnose()
    >>> report.ok, [f.code for f in report.findings]
    >>> result = pipssl.repair(ca_files=["corp-root.pem"], scope="user")
    >>> result.ok, result.actions, result.verification, result.findings

Importing pipssl is cheap: nothing touches the network, spawns a process or parses a
certificate until you call a function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipssl.diagnosis.report import Finding, Report
from pipssl.errors import PipsslError

if TYPE_CHECKING:
    from pipssl.diagnosis.run import diagnose
    from pipssl.repairing.run import repair, undo

__version__ = "0.1.0"
__all__ = ["Finding", "PipsslError", "Report", "diagnose", "repair", "undo"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so `import pipssl` stays within its start-up budget.
    if name == "diagnose":
        from pipssl.diagnosis.run import diagnose

        return diagnose
    if name in ("repair", "undo"):
        from pipssl.repairing import run as module

        return getattr(module, name)
    raise AttributeError(f"module 'pipssl' has no attribute {name!r}")
