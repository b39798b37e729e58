"""Air-gapped installs: one zip carries a verified set of wheels to a machine with no network.

``create`` runs on a connected machine and drives the real ``pip download`` (``pip wheel``
for sdist-only requirements when building for this interpreter); ``verify`` and ``install``
run on the target with no network at all, and on a Python without ``ssl``.  Only the
standard library is imported at module level: ``packaging`` is imported inside functions,
from the copy embedded in ``get-pipssl.py`` when the target has none.

A bundle is a deterministic zip::

    manifest.json        schema 1: targets, pip version, requirements, every file's
                         sha256 and size, each wheel's tags and dependencies
    requirements.txt     every wheel pinned with --hash=sha256:
    get-pipssl.py        the bootstrap, when it could be found or built
    wheels/*.whl         the requirements' wheels, plus pip, certifi, packaging, tomli, pipssl

The format and the dependency graph that lets ``install`` take a subset are described in
:mod:`pipssl.wheelhouse.manifest`; each step lives in its own module (``creating``,
``verifying``, ``installing``).
"""

from __future__ import annotations

from pipssl.wheelhouse.creating import CreateResult, create
from pipssl.wheelhouse.installing import InstallResult, install
from pipssl.wheelhouse.verifying import (
    Incompatible,
    VerifyResult,
    incompatible_message,
    verify,
)

__all__ = [
    "CreateResult",
    "Incompatible",
    "InstallResult",
    "VerifyResult",
    "create",
    "incompatible_message",
    "install",
    "verify",
]
