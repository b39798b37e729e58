"""uv's CA settings, as uv 0.13 reads them (from its sources; checked against the real
client by ``tests/clients``).

``--cert``, else ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (they *replace* uv's roots, and an
unusable one leaves nothing trusted), else the OS store with ``UV_SYSTEM_CERTS``/
``UV_NATIVE_TLS`` or ``system-certs``/``native-tls`` in its config, else its bundled
Mozilla roots (the same list certifi carries).  Config: ``UV_NO_CONFIG`` reads none,
``UV_CONFIG_FILE`` only that one; else the project's ``uv.toml`` or ``pyproject.toml``
``[tool.uv]`` (the current directory or its nearest parent), then the user's, then the
first system file.  ``allow-insecure-host``/``UV_INSECURE_HOST`` switch verification off
for those hosts.

Repair: uv has no CA file setting, so ``SSL_CERT_FILE`` names pipssl's bundle (``run``
sets it).  ``pipssl run -- uv ...`` targets its ``--python``/``-p`` when that names an
executable, else ``VIRTUAL_ENV``, else ``CONDA_PREFIX``, else the nearest ``.venv`` in
the current directory or above it, the order uv 0.13 searches in (``UV_PYTHON`` and a
version request such as ``-p 3.12`` are not followed: the default interpreter is used).
"""

from __future__ import annotations

import os
from functools import partial
from typing import List, Mapping, Optional, Sequence, Tuple

from pipssl.clients.model import (
    Client,
    ClientTrust,
    Context,
    Setting,
    as_text,
    env_setting,
    mozilla_roots,
    point_with_variable,
    project_file,
    read_toml_file,
)
from pipssl.clients.profile import UV_POLICY
from pipssl.formats.toml import toml_get
from pipssl.interpreter.tool import nearest_venv, python_named, venv_python

#: uv: what decides its roots, first present wins (``--cert`` is per command line).
UV_ORDER = (
    ("env", "SSL_CERT_FILE"),
    ("env", "SSL_CERT_DIR"),
    ("env", "UV_SYSTEM_CERTS"),
    ("env", "UV_NATIVE_TLS"),
    ("config", "system-certs"),
    ("config", "native-tls"),
)
_TRUE = ("1", "true", "yes", "on", "y", "t")


def uv_config_files(ctx: Context) -> List[Tuple[str, str]]:
    """(label, path) of the uv config files read, highest precedence first."""
    env = ctx.environ
    if env.get("UV_NO_CONFIG"):
        return []
    if env.get("UV_CONFIG_FILE"):
        return [("uv config (UV_CONFIG_FILE)", env["UV_CONFIG_FILE"])]
    files: List[Tuple[str, str]] = []
    project = project_file(
        ctx.cwd,
        ("uv.toml", "pyproject.toml"),
        lambda name, data: data if name == "uv.toml" else toml_get(data, "tool", "uv"),
    )
    if project is not None:
        files.append(("uv project config", project[0]))
    if ctx.platform == "win32":
        user = os.path.join(env.get("APPDATA", ""), "uv", "uv.toml")
        system = [os.path.join(env.get("PROGRAMDATA", "C:\\ProgramData"), "uv", "uv.toml")]
    else:
        config_home = env.get("XDG_CONFIG_HOME") or os.path.join(ctx.home, ".config")
        user = os.path.join(config_home, "uv", "uv.toml")
        dirs = [d for d in (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":") if d]
        system = [os.path.join(d, "uv", "uv.toml") for d in dirs] + ["/etc/uv/uv.toml"]
    if os.path.isfile(user):
        files.append(("uv user config", user))
    for path in system:
        if os.path.isfile(path):
            files.append(("uv system config", path))
            break  # uv reads the first system file it finds
    return files


def _uv_settings(ctx: Context) -> List[Setting]:
    settings: List[Setting] = []
    for label, path in uv_config_files(ctx):
        data = read_toml_file(path) or {}
        if os.path.basename(path) == "pyproject.toml":
            data = toml_get(data, "tool", "uv") or {}
        for key in ("system-certs", "native-tls", "allow-insecure-host"):
            if key in data:
                value = data[key]
                text = " ".join(map(str, value)) if isinstance(value, list) else as_text(value)
                settings.append(Setting(key, text, f"{label} {path}", path))
    return settings


def trust(ctx: Context) -> Optional[ClientTrust]:
    """What uv verifies with here, or None when uv is neither on PATH nor configured."""
    exe = ctx.which("uv")
    files = uv_config_files(ctx)
    if exe is None and not files:
        return None
    found = f"uv on PATH ({exe})" if exe else f"uv config {files[0][1]}"
    env = ctx.environ
    config = _uv_settings(ctx)
    seen: List[Setting] = []
    for kind, name in UV_ORDER:
        if kind == "env" and env.get(name):
            seen.append(Setting(name, env[name], f"environment variable {name}"))
        elif kind == "config":
            seen += [s for s in config if s.name == name]
    insecure: List[str] = []
    for setting in [*config, *env_setting(env, "UV_INSECURE_HOST")]:
        if setting.name in ("allow-insecure-host", "UV_INSECURE_HOST"):
            insecure += setting.value.replace(",", " ").split()
            seen.append(setting)
    cert_file = env.get("SSL_CERT_FILE") or ""
    cert_dir = env.get("SSL_CERT_DIR") or ""
    uv = partial(  # what every answer below shares
        ClientTrust,
        client="uv",
        label="uv",
        found=found,
        verify=True,
        policy=UV_POLICY,
        stack="rustls/webpki (uv's own TLS)",
        program=exe,
        python=ctx.target.executable,
        settings=tuple(seen),
        insecure_hosts=tuple(insecure),
    )
    if cert_file or cert_dir:
        names = " and ".join(
            n for n, v in (("SSL_CERT_FILE", cert_file), ("SSL_CERT_DIR", cert_dir)) if v
        )
        return uv(
            cafiles=(cert_file,) if cert_file else (),
            cadirs=tuple(d for d in cert_dir.split(os.pathsep) if d),
            os_store=False,
            origin=f"environment variable {names}, which replaces uv's roots",
        )
    for setting in seen:
        if setting.name in ("UV_SYSTEM_CERTS", "UV_NATIVE_TLS", "system-certs", "native-tls"):
            if setting.value.strip().lower() in _TRUE:
                return uv(
                    cafiles=(),
                    os_store=True,
                    origin=f"{setting.name} = {setting.value}, {setting.where}",
                )
            break  # an explicit false wins over what comes below it
    return uv(
        cafiles=(mozilla_roots(ctx.target),),
        os_store=False,
        origin="uv's bundled Mozilla roots (probed with certifi, the same list)",
        builtin=True,
    )


def interpreter(args: Sequence[str], environ: Mapping[str, str], cwd: str) -> Optional[str]:
    """The interpreter ``uv ARGS`` installs into, as far as cheaply known (module doc)."""
    for i, arg in enumerate(args):
        value = None
        if arg in ("--python", "-p") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--python="):
            value = arg.split("=", 1)[1]
        found = python_named(value, environ) if value else None
        if found:
            return found
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        if environ.get(name):
            return venv_python(environ[name])
    return nearest_venv(cwd)


CLIENT = Client(
    name="uv",
    trusts=lambda ctx: [t for t in [trust(ctx)] if t is not None],
    point=lambda ctx, pointing: point_with_variable("SSL_CERT_FILE", ctx, pointing),
    bundle_variable="SSL_CERT_FILE",
    interpreter=interpreter,
    real="uv",
    insecure_keys=("allow-insecure-host", "UV_INSECURE_HOST"),
    index_flags=("--default-index", "--index"),
    tls_markers=("invalid peer certificate",),  # rustls: "invalid peer certificate: UnknownIssuer"
)
