"""conda's CA settings: ``ssl_verify`` from ``CONDA_SSL_VERIFY``, else the last
``.condarc`` of conda's search path that sets it (``#!final`` stops later ones).

``false`` is no verification, ``truststore`` the OS store, a path that file.  requests,
inside conda, lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` win over the session's
setting.

Repair: ``ssl_verify`` set to pipssl's bundle in the user's ``.condarc`` (user-wide), the
variables that win over it unset; ``run -- conda ...`` diagnoses the default interpreter.
"""

from __future__ import annotations

import os
from functools import partial
from typing import List, Mapping, Optional

from pipssl._text import shown
from pipssl.clients.model import (
    Client,
    ClientPlan,
    ClientTrust,
    ConfigEdit,
    Context,
    Pointing,
    Setting,
    as_text,
    blocked,
    env_setting,
    mozilla_roots,
    read_text,
    repair_command,
)
from pipssl.findings import Finding
from pipssl.formats.condarc import read_condarc, set_condarc_key

#: conda's ``.condarc`` is the user's: read by every Python of theirs.
USER_WIDE = True


def _conda_search(environ: Mapping[str, str], platform: str) -> List[str]:
    """conda's SEARCH_PATH, expanded (entries whose variable is unset are left out)."""
    if platform == "win32":
        search = [
            "C:/ProgramData/conda/.condarc",
            "C:/ProgramData/conda/condarc",
            "C:/ProgramData/conda/condarc.d",
        ]
    else:
        search = [
            "/etc/conda/.condarc",
            "/etc/conda/condarc",
            "/etc/conda/condarc.d/",
            "/var/lib/conda/.condarc",
            "/var/lib/conda/condarc",
            "/var/lib/conda/condarc.d/",
        ]
    search += [
        "$CONDA_ROOT/.condarc", "$CONDA_ROOT/condarc", "$CONDA_ROOT/condarc.d/",
        "$XDG_CONFIG_HOME/conda/.condarc", "$XDG_CONFIG_HOME/conda/condarc",
        "$XDG_CONFIG_HOME/conda/condarc.d/",
        "~/.config/conda/.condarc", "~/.config/conda/condarc", "~/.config/conda/condarc.d/",
        "~/.conda/.condarc", "~/.conda/condarc", "~/.conda/condarc.d/",
        "~/.condarc",
        "$CONDA_PREFIX/.condarc", "$CONDA_PREFIX/condarc", "$CONDA_PREFIX/condarc.d/",
        "$CONDARC",
    ]  # fmt: skip
    home = environ.get("HOME") or environ.get("USERPROFILE") or ""
    values = dict(environ)
    if not values.get("CONDA_ROOT") and values.get("CONDA_EXE"):
        values["CONDA_ROOT"] = os.path.dirname(os.path.dirname(values["CONDA_EXE"]))
    if home:
        values["~"] = home
    out: List[str] = []
    for entry in search:
        var, _, rest = entry.lstrip("$").partition("/")
        if entry[0] in "~$":
            if not values.get(var):
                continue
            out.append(os.path.normpath(values[var] + ("/" + rest if rest else "")))
        else:
            out.append(os.path.normpath(entry))
    return out


def condarc_files(
    environ: Mapping[str, str], platform: str, *, after: Optional[str] = None
) -> List[str]:
    """The .condarc files conda reads, in its search order (a later one wins).

    Args:
        environ: the environment (``HOME``, ``CONDARC``, ``CONDA_PREFIX`` ...).
        platform: a ``sys.platform`` value.
        after: only the files that come after this search-path entry.

    Returns:
        Existing files; a ``condarc.d`` directory gives its ``*.yml``/``*.yaml``, sorted.
    """
    search = _conda_search(environ, platform)
    if after is not None:
        mine = os.path.normpath(after)
        search = search[len(search) - search[::-1].index(mine) :] if mine in search else []
    out: List[str] = []
    for path in search:
        if os.path.isdir(path):
            out += sorted(
                os.path.join(path, n) for n in os.listdir(path) if n.endswith((".yml", ".yaml"))
            )
        elif os.path.isfile(path) and path not in out:
            out.append(path)
    return out


def conda_user_rc(environ: Mapping[str, str]) -> str:
    """The file ``conda config --set`` writes: ``$CONDARC``, else ``~/.condarc``."""
    if environ.get("CONDARC"):
        return environ["CONDARC"]
    home = environ.get("HOME") or environ.get("USERPROFILE") or ""
    return os.path.join(home, ".condarc")


def ssl_verify_settings(environ: Mapping[str, str], platform: str) -> List[Setting]:
    """Every ``ssl_verify``, winner first: the variable, then files last to first."""
    out = env_setting(environ, "CONDA_SSL_VERIFY")
    files: List[Setting] = []
    for path in condarc_files(environ, platform):
        text = read_text(path)
        if text is None:
            continue
        spot = read_condarc(text, path, ("ssl_verify",)).get("ssl_verify")
        if spot is None or spot.value is None:
            continue
        setting = Setting("ssl_verify", as_text(spot.value), f"conda config {path}", path)
        files.append(setting)
        if spot.final:
            break  # '#!final': files later in the search path cannot change it
    return out + files[::-1]


def trust(ctx: Context) -> Optional[ClientTrust]:
    """What conda verifies with here, or None when conda is neither found nor configured."""
    env = ctx.environ
    exe = ctx.which("conda") or env.get("CONDA_EXE")
    files = condarc_files(env, ctx.platform)
    if not exe and not files:
        return None
    found = f"conda on PATH ({exe})" if exe else f"conda config {files[0]}"
    settings = ssl_verify_settings(env, ctx.platform)
    value = settings[0].value.strip() if settings else "true"
    low = value.lower()
    common = partial(ClientTrust, client="conda", label="conda", found=found)
    bundle = [n for n in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") if env.get(n)]
    seen = [*env_setting(env, bundle[0])] if bundle else []
    seen += settings
    origin = f"ssl_verify: {value}, {settings[0].where}" if settings else "default"
    if bundle:
        return common(
            verify=True,
            cafiles=(env[bundle[0]],),
            os_store=low == "truststore",
            origin=f"environment variable {bundle[0]}, which requests lets win over ssl_verify",
            settings=tuple(seen),
        )
    if low in ("false", "no", "off", "0"):
        return common(
            verify=False, cafiles=(), os_store=False, origin=origin, settings=tuple(seen)
        )
    if low == "truststore":
        return common(verify=True, cafiles=(), os_store=True, origin=origin, settings=tuple(seen))
    if low in ("true", "yes", "on", "1"):
        return common(
            verify=True,
            cafiles=(mozilla_roots(ctx.target),),
            os_store=False,
            origin="certifi (conda's default: requests' roots)" if not settings else origin,
            builtin=not settings,
            settings=tuple(seen),
        )
    return common(
        verify=True,
        cafiles=(value,),
        os_store=False,
        origin=origin,
        settings=tuple(seen),
    )


def point(ctx: Context, pointing: Pointing) -> ClientPlan:
    """``ssl_verify: BUNDLE`` in the user's .condarc; what wins over it, named or unset."""
    env, bundle = ctx.environ, pointing.bundle
    path = conda_user_rc(env)
    unset = [n for n in ("CONDA_SSL_VERIFY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
             if env.get(n) and env[n] != bundle]  # fmt: skip
    manual: List[Finding] = []
    mine = os.path.normpath(path)
    later = [p for p in condarc_files(env, ctx.platform, after=path) if p != mine]
    for setting in ssl_verify_settings(env, ctx.platform):
        if setting.file is not None and setting.file in later and setting.value != bundle:
            manual.append(
                blocked(
                    "client-cannot-verify",
                    "conda",
                    setting,
                    f"wins over {shown(path)}",
                    f"remove ssl_verify from {shown(setting.file)}, then:\n"
                    + repair_command("conda", USER_WIDE),
                )
            )
    text = pointing.text(path)
    spot = read_condarc(text, path, ("ssl_verify",)).get("ssl_verify")
    if spot is not None and spot.value is False and not pointing.insecure_ok:
        setting = Setting("ssl_verify", "false", f"conda config {path}", path)
        manual.append(
            blocked(
                "client-verify-disabled",
                "conda",
                setting,
                "switches verification OFF",
                repair_command("conda", USER_WIDE, "--yes", "--remove-trusted-host"),
            )
        )
        return ClientPlan(env_to_unset=tuple(unset), manual=tuple(manual))
    if spot is not None and spot.value == bundle:
        return ClientPlan(env_to_unset=tuple(unset), manual=tuple(manual))
    new = set_condarc_key(text, "ssl_verify", bundle, path)
    edit = ConfigEdit(
        path, new.encode("utf-8"), "set-conda-ssl-verify", f"conda: ssl_verify: {shown(bundle)}"
    )
    return ClientPlan(edits=(edit,), env_to_unset=tuple(unset), manual=tuple(manual))


CLIENT = Client(
    name="conda",
    trusts=lambda ctx: [t for t in [trust(ctx)] if t is not None],
    point=point,
    user_wide=USER_WIDE,
    interpreter=lambda _args, _environ, _cwd: None,  # the default interpreter
    writes=lambda environ, _platform: [conda_user_rc(environ)],
)
