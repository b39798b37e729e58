"""requests' CA settings: ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, else certifi of the
target Python.  poetry and conda fall back to this choice (both fetch through requests).
Repair: ``REQUESTS_CA_BUNDLE`` names pipssl's bundle (a library has no config file); the
real requests is asked in the target interpreter.

(Named ``requests_`` so that it never stands in for the real package.)
"""

from __future__ import annotations

from typing import List, Mapping, Optional, Tuple

from pipssl.clients.model import (
    Client,
    ClientTrust,
    Context,
    Setting,
    mozilla_roots,
    point_with_variable,
)
from pipssl.clients.profile import requests_policy


def requests_default(
    env: Mapping[str, str], certifi: str, seen: List[Setting]
) -> Tuple[Tuple[str, ...], str]:
    """requests' own choice when nothing else is set: its variables, else certifi."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if env.get(name):
            seen.append(Setting(name, env[name], f"environment variable {name}"))
            return (env[name],), f"environment variable {name}"
    return (certifi,), f"certifi, requests' default ({certifi})"


def trust(ctx: Context) -> Optional[ClientTrust]:
    """What requests verifies with, or None when the target Python cannot import it."""
    version = ctx.target.module_version("requests")
    if version is None:
        return None
    seen: List[Setting] = []
    certifi = ctx.target.certifi.where if ctx.target.certifi else mozilla_roots(ctx.target)
    files, origin = requests_default(ctx.environ, str(certifi), seen)
    policy, stack = requests_policy(ctx.target.module_version("urllib3"), ctx.target.version_info)
    return ClientTrust(
        client="requests",
        label="requests",
        found=f"requests {version} importable by {ctx.target.executable}",
        verify=True,
        cafiles=files,
        os_store=False,
        origin=origin,
        settings=tuple(seen),
        policy=policy,
        stack=stack,
        program=ctx.target.executable,
    )


CLIENT = Client(
    name="requests",
    trusts=lambda ctx: [t for t in [trust(ctx)] if t is not None],
    point=lambda ctx, pointing: point_with_variable("REQUESTS_CA_BUNDLE", ctx, pointing),
    bundle_variable="REQUESTS_CA_BUNDLE",
    real="requests",
)
