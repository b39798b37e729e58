"""What pointing a client at pipssl's bundle takes (:func:`plan_client`): each client's
module says it (:attr:`pipssl.clients.model.Client.point`: a variable to set for the
clients that read only one, a minimal edit of their config file otherwise); never a
setting that turns verification off.
"""

from __future__ import annotations

import os
from typing import Mapping, Optional, Sequence, Tuple

from pipssl._text import shown
from pipssl.clients.model import ClientPlan, ConfigEdit, Context, Pointing
from pipssl.clients.registry import client, readers_of, repair_for
from pipssl.formats.edit import decoded
from pipssl.interpreter.facts import Target
from pipssl.repairing.result import Reader

__all__ = ["ClientPlan", "Skipped", "not_here", "plan_client", "readers_of", "user_wide_refusal"]


#: Why a client asked for with ``--for`` was left alone: (client, reason).
Skipped = Tuple[Tuple[str, str], ...]


def not_here(clients_for: Sequence[str], found: Sequence[str], python: str) -> Skipped:
    """The clients asked for that the diagnosis did not find for ``python`` (``found``:
    those it did): pipssl configures no tool that is not installed, or it would create a
    user-wide file (``~/.condarc``) for nothing."""
    where = shown(python)
    return tuple(
        (c, f"not installed for {where} (requests: not importable by it; the others: not on "
         "PATH and not configured); nothing was changed for it")
        for c in clients_for if c not in found
    )  # fmt: skip


def user_wide_refusal(
    name: str, edits: Sequence[ConfigEdit], bundle: str, scope: str
) -> Optional[str]:
    """Why ``name``'s edit is refused: its file is read by every Python of the user's
    (``~/.condarc``, poetry's ``config.toml``) and ``bundle`` lives inside one venv (the
    site scope), which may be deleted or belong to another project."""
    if scope != "site" or not edits:
        return None
    again = repair_for(name)
    return (
        f"its config {shown(edits[0].path)} is user-wide, and pipssl's bundle for this scope "
        f"is inside a venv ({shown(bundle)}); to point it at a bundle of the user's:\n{again}"
    )


def plan_client(
    name: str,
    bundle: str,
    target: Target,
    environ: Mapping[str, str],
    *,
    read: Reader,
    cwd: Optional[str] = None,
    allow_insecure_fix: bool = False,
) -> ClientPlan:
    """What pointing client ``name`` at ``bundle`` takes; never a setting that turns
    verification off, and ``ssl_verify: false`` / ``cert = false`` are replaced only with
    ``allow_insecure_fix`` (the user's consent, as for pip's trusted-host).

    Args:
        name: one of :data:`pipssl.clients.registry.NAMES`.
        bundle: pipssl's bundle.
        target: the interpreter diagnosed (its platform).
        environ: the environment.
        read: ``read(path) -> Optional[bytes]``: a file as the plan leaves it so far.
        cwd: the project directory (default: the current one).
        allow_insecure_fix: replace a setting that switches verification off.

    Returns:
        A :class:`ClientPlan`.

    Raises:
        ConfigError: a file cannot be edited safely (it is named).
        UsageError: an unknown client.
    """
    ctx = Context(environ, target.platform, cwd or os.getcwd(), target)
    pointing = Pointing(bundle, lambda path: decoded(path, read(path)), allow_insecure_fix)
    return client(name).point(ctx, pointing)
