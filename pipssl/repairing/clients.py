"""What pointing a client at pipssl's bundle takes (:func:`plan_client`): a variable to
set for the clients that read only one (uv, requests), a minimal edit of poetry's
``config.toml`` or of the user's ``.condarc`` otherwise; never a setting that turns
verification off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence, Tuple

from pipssl._text import shown
from pipssl.certs.bundle import ca_setting_problem
from pipssl.clients.check import repair_for
from pipssl.clients.conda import conda_user_rc, condarc_files, ssl_verify_settings
from pipssl.clients.model import CLIENTS, Context, Setting
from pipssl.clients.poetry import poetry_config_dir, poetry_sources, source_settings
from pipssl.findings import Finding
from pipssl.formats.condarc import read_condarc, set_condarc_key
from pipssl.formats.edit import decoded
from pipssl.formats.toml import set_toml_string
from pipssl.repairing.result import Edit, Reader
from pipssl.target.facts import Target


@dataclass(frozen=True)
class ClientPlan:
    """What pointing one client at pipssl's bundle takes.

    Attributes:
        edits: the config files to change.
        env_to_set: variables the client must see (printed per shell; ``run`` sets them).
        env_to_unset: variables that override the change.
        manual: findings the user must act on.
    """

    edits: Tuple[Edit, ...] = ()
    env_to_set: Tuple[Tuple[str, str], ...] = ()
    env_to_unset: Tuple[str, ...] = ()
    manual: Tuple[Finding, ...] = ()


#: The variable each client reads pipssl's bundle from when no file of its can name it:
#: uv and requests always (they have no such setting), poetry for indexes no source names.
BUNDLE_VARIABLE = {
    "uv": "SSL_CERT_FILE",
    "requests": "REQUESTS_CA_BUNDLE",
    "poetry": "REQUESTS_CA_BUNDLE",
}
#: The clients that read nothing but that variable.
ENV_ONLY = ("uv", "requests")


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


def user_wide_refusal(client: str, edits: Sequence[Edit],
                      bundle: str, scope: str) -> Optional[str]:  # fmt: skip
    """Why ``client``'s edit is refused: its file is read by every Python of the user's
    (``~/.condarc``, poetry's ``config.toml``) and ``bundle`` lives inside one venv (the
    site scope), which may be deleted or belong to another project."""
    if scope != "site" or not edits:
        return None
    again = repair_for(client)
    return (
        f"its config {shown(edits[0].path)} is user-wide, and pipssl's bundle for this scope "
        f"is inside a venv ({shown(bundle)}); to point it at a bundle of the user's:\n{again}"
    )


def readers_of(name: str, clients: Sequence[str]) -> List[str]:
    """Those of ``clients`` that read pipssl's bundle from the variable ``name``."""
    return [c for c in clients if BUNDLE_VARIABLE.get(c) == name]


def plan_client(
    client: str,
    bundle: str,
    target: Target,
    environ: Mapping[str, str],
    *,
    read: Reader,
    cwd: Optional[str] = None,
    allow_insecure_fix: bool = False,
) -> ClientPlan:
    """What pointing ``client`` at ``bundle`` takes; never a setting that turns
    verification off, and ``ssl_verify: false`` / ``cert = false`` are replaced only with
    ``allow_insecure_fix`` (the user's consent, as for pip's trusted-host).

    Args:
        client: one of :data:`CLIENTS`.
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
    if client in ENV_ONLY:
        name = BUNDLE_VARIABLE[client]
        if environ.get(name) == bundle:
            return ClientPlan()
        return ClientPlan(env_to_set=((name, bundle),))
    if client == "poetry":
        return _plan_poetry(ctx, bundle, read, allow_insecure_fix)
    if client == "conda":
        return _plan_conda(ctx, bundle, read, allow_insecure_fix)
    from pipssl.errors import UsageError

    raise UsageError(f"--for {client!r}: choose from {', '.join(CLIENTS)}")


def _blocked(code: str, client: str, setting: Setting, why: str, fix: str) -> Finding:
    return Finding.make(
        code,
        client,
        f"{shown(setting.name)} ({shown(setting.where)}) {why}",
        f"{shown(setting.name)} = {shown(setting.value)}",
        fix,
        client=client,
    )


def _plan_poetry(ctx: Context, bundle: str, read: Reader, insecure_ok: bool) -> ClientPlan:
    sources, project_dir = poetry_sources(ctx)
    if not sources:
        # Indexes no source names (the default one) use requests' own variable.
        if ctx.environ.get("REQUESTS_CA_BUNDLE") == bundle:
            return ClientPlan()
        return ClientPlan(env_to_set=((BUNDLE_VARIABLE["poetry"], bundle),))
    path = os.path.join(poetry_config_dir(ctx.environ, ctx.platform), "config.toml")
    text = decoded(path, read(path))
    unset: List[str] = []
    manual: List[Finding] = []
    changed: List[str] = []
    for name, _url, _where in sources:
        settings = source_settings(ctx, project_dir, name)
        winner = settings[0] if settings else None
        label = f"poetry source {shown(name)}"
        ours = f"certificates.{name}.cert"  # the key this plan writes in config.toml
        if winner is not None and winner.file is None:
            unset.append(winner.name)  # the variable hides config.toml: unset it, set ours
        elif winner is not None and (winner.file != path or winner.name != ours):
            off = winner.value.strip().lower() == "false"
            manual.append(
                _blocked(
                    "client-verify-disabled" if off else "client-cannot-verify",
                    label,
                    winner,
                    "wins over config.toml's cert" + (": verification OFF" if off else ""),
                    f"remove {shown(winner.name)} from {shown(winner.file)}, then:\n"
                    + repair_for("poetry"),
                )
            )
            continue
        elif winner is not None and winner.value == bundle:
            continue
        elif winner is not None and winner.value.strip().lower() == "false":
            if not insecure_ok:
                manual.append(
                    _blocked(
                        "client-verify-disabled",
                        label,
                        winner,
                        "switches verification OFF",
                        repair_for("poetry", "--yes", "--remove-trusted-host"),
                    )
                )
                continue
        elif winner is not None and ca_setting_problem(winner.value) is None:
            manual.append(
                _blocked(
                    "client-cannot-verify",
                    label,
                    winner,
                    "names another CA file",
                    f"remove it from {shown(path)} to let pipssl's bundle in",
                )
            )
            continue
        text = set_toml_string(text, ("certificates", name), "cert", bundle, path)
        changed.append(name)
    edits: Tuple[Edit, ...] = ()
    if changed:
        detail = "; ".join(f"certificates.{shown(n)}.cert = {shown(bundle)}" for n in changed)
        edits = (Edit(path, text.encode("utf-8"), "set-poetry-cert", f"poetry: {detail}"),)
    return ClientPlan(edits=edits, env_to_unset=tuple(unset), manual=tuple(manual))


def _plan_conda(ctx: Context, bundle: str, read: Reader, insecure_ok: bool) -> ClientPlan:
    env = ctx.environ
    path = conda_user_rc(env)
    unset = [n for n in ("CONDA_SSL_VERIFY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
             if env.get(n) and env[n] != bundle]  # fmt: skip
    manual: List[Finding] = []
    mine = os.path.normpath(path)
    later = [p for p in condarc_files(env, ctx.platform, after=path) if p != mine]
    for setting in ssl_verify_settings(env, ctx.platform):
        if setting.file is not None and setting.file in later and setting.value != bundle:
            manual.append(
                _blocked(
                    "client-cannot-verify",
                    "conda",
                    setting,
                    f"wins over {shown(path)}",
                    f"remove ssl_verify from {shown(setting.file)}, then:\n" + repair_for("conda"),
                )
            )
    text = decoded(path, read(path))
    spot = read_condarc(text, path, ("ssl_verify",)).get("ssl_verify")
    if spot is not None and spot.value is False and not insecure_ok:
        setting = Setting("ssl_verify", "false", f"conda config {path}", path)
        manual.append(
            _blocked(
                "client-verify-disabled",
                "conda",
                setting,
                "switches verification OFF",
                repair_for("conda", "--yes", "--remove-trusted-host"),
            )
        )
        return ClientPlan(env_to_unset=tuple(unset), manual=tuple(manual))
    if spot is not None and spot.value == bundle:
        return ClientPlan(env_to_unset=tuple(unset), manual=tuple(manual))
    new = set_condarc_key(text, "ssl_verify", bundle, path)
    return ClientPlan(
        edits=(
            Edit(
                path,
                new.encode("utf-8"),
                "set-conda-ssl-verify",
                f"conda: ssl_verify: {shown(bundle)}",
            ),
        ),
        env_to_unset=tuple(unset),
        manual=tuple(manual),
    )
