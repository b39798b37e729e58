"""The other installers on this machine: where uv, poetry, conda and requests-based tools
read their CA settings, whether each would verify the index, and how to point each at
pipssl's bundle.

Each client has a small table of the places it reads, highest precedence first (as
:data:`pipssl.target.pipconfig.OVERRIDE_ORDER` does for pip), and every value keeps where it
came from: :mod:`~pipssl.clients.model` holds the shared dataclasses and readers, one module
per client (:mod:`~pipssl.clients.uv`, :mod:`~pipssl.clients.poetry`,
:mod:`~pipssl.clients.conda`, :mod:`~pipssl.clients.requests_`) its table,
:mod:`~pipssl.clients.check` the detection and the probes, :mod:`~pipssl.clients.plan` the
changes, and :mod:`~pipssl.clients.toml` / :mod:`~pipssl.clients.condarc` the file editors.
"""

from __future__ import annotations

from pipssl.clients.check import check, detect
from pipssl.clients.model import (
    CLIENTS,
    ClientPlan,
    ClientReport,
    ClientTarget,
    ClientTrust,
    Setting,
)
from pipssl.clients.plan import plan_client, shell_lines
from pipssl.clients.poetry import poetry_source_urls

__all__ = [
    "CLIENTS",
    "ClientPlan",
    "ClientReport",
    "ClientTarget",
    "ClientTrust",
    "Setting",
    "check",
    "detect",
    "plan_client",
    "poetry_source_urls",
    "shell_lines",
]
