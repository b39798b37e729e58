"""conda's CA settings: ``ssl_verify`` from ``CONDA_SSL_VERIFY``, else the last
``.condarc`` of conda's search path that sets it (``#!final`` stops later ones).

``false`` is no verification, ``truststore`` the OS store, a path that file.  requests,
inside conda, lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` win over the session's
setting.
"""

from __future__ import annotations

import os
from functools import partial
from typing import List, Mapping, Optional

from pipssl.clients.model import (
    ClientTrust,
    Context,
    Setting,
    as_text,
    env_setting,
    mozilla_roots,
    read_text,
)
from pipssl.formats.condarc import read_condarc


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
