"""The other installers on this machine: where uv, poetry, conda and requests-based tools
read their CA settings, and whether each would verify the index (pointing them at
pipssl's bundle is a repair's job: :mod:`pipssl.repairing.clients`).

Each client has a small table of the places it reads, highest precedence first (as
:data:`pipssl.target.pipconfig.OVERRIDE_ORDER` does for pip), and every value keeps where it
came from: :mod:`~pipssl.clients.model` holds the shared dataclasses and readers, one module
per client (:mod:`~pipssl.clients.uv`, :mod:`~pipssl.clients.poetry`,
:mod:`~pipssl.clients.conda`, :mod:`~pipssl.clients.requests_`) its table,
:mod:`~pipssl.clients.check` the detection and the probes, and
:mod:`pipssl.formats` the file readers and editors.
"""

from __future__ import annotations

from pipssl.clients.check import check, detect, start_real
from pipssl.clients.model import (
    CLIENTS,
    ClientReport,
    ClientTarget,
    ClientTrust,
    Setting,
)
from pipssl.clients.poetry import poetry_source_urls

__all__ = [
    "CLIENTS",
    "ClientReport",
    "ClientTarget",
    "ClientTrust",
    "Setting",
    "check",
    "detect",
    "poetry_source_urls",
    "start_real",
]
