"""The other installers on this machine: where uv, poetry, conda and requests-based tools
read their CA settings, whether each would verify the index, and how to point each at
pipssl's bundle.

Each client has a small table of the places it reads, highest precedence first (as
:data:`pipssl.target.pipconfig.OVERRIDE_ORDER` does for pip), and every value keeps where it came
from.  The models follow these releases, read from their sources and checked against the
real clients by ``tests/clients``:

* uv (0.13): ``--cert``, else ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (they *replace* uv's
  roots, and an unusable one leaves nothing trusted), else the OS store with
  ``UV_SYSTEM_CERTS``/``UV_NATIVE_TLS`` or ``system-certs``/``native-tls`` in its config,
  else its bundled Mozilla roots (the same list certifi carries).  Config: ``UV_NO_CONFIG``
  reads none, ``UV_CONFIG_FILE`` only that one; else the project's ``uv.toml`` or
  ``pyproject.toml`` ``[tool.uv]`` (the current directory or its nearest parent), then the
  user's, then the first system file.  ``allow-insecure-host``/``UV_INSECURE_HOST`` switch
  verification off for those hosts.
* poetry (2.x): per source, ``certificates.<source>.verify`` then ``.cert`` (a path, or
  ``false`` for no verification), from ``POETRY_CERTIFICATES_<SOURCE>_*`` over the
  project's ``poetry.toml`` over ``config.toml``; without one, requests' own default
  (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, certifi).  Sources: the project's
  ``[[tool.poetry.source]]`` and ``repositories.<name>.url``.
* conda: ``ssl_verify`` from ``CONDA_SSL_VERIFY``, else the last ``.condarc`` of conda's
  search path that sets it (``#!final`` stops later ones); ``false`` is no verification,
  ``truststore`` the OS store, a path that file.  requests, inside conda, lets
  ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` win over the session's setting.
* requests: ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, else certifi of the target Python.

Whether a client would verify is decided for real: :func:`check` probes the same index
URLs ``doctor`` checks for pip with that client's CA material, through :mod:`pipssl.net.tls`.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pipssl._files import read_optional
from pipssl.certs import bundle as cabundle
from pipssl.clients import conf as clientconf
from pipssl.diagnosis.checks import cafile_problem
from pipssl.diagnosis.report import Finding, TargetResult
from pipssl.errors import ConfigError, PipsslError
from pipssl.net import tls
from pipssl.repairing import confedit
from pipssl.target.facts import Target

CLIENTS = ("uv", "poetry", "conda", "requests")

#: uv: what decides its roots, first present wins (``--cert`` is per command line).
UV_ORDER = (
    ("env", "SSL_CERT_FILE"),
    ("env", "SSL_CERT_DIR"),
    ("env", "UV_SYSTEM_CERTS"),
    ("env", "UV_NATIVE_TLS"),
    ("config", "system-certs"),
    ("config", "native-tls"),
)
#: poetry, for one source: ``verify`` is read before ``cert``; each from the environment,
#: then the project's poetry.toml, then config.toml; then requests' own variables.
POETRY_ORDER = (
    ("env", "POETRY_CERTIFICATES_{NAME}_VERIFY"),
    ("local", "certificates.{name}.verify"),
    ("config", "certificates.{name}.verify"),
    ("env", "POETRY_CERTIFICATES_{NAME}_CERT"),
    ("local", "certificates.{name}.cert"),
    ("config", "certificates.{name}.cert"),
    ("env", "REQUESTS_CA_BUNDLE"),
    ("env", "CURL_CA_BUNDLE"),
)
#: conda: requests' variables win over the session's ``ssl_verify``.
CONDA_ORDER = (
    ("env", "REQUESTS_CA_BUNDLE"),
    ("env", "CURL_CA_BUNDLE"),
    ("env", "CONDA_SSL_VERIFY"),
    ("condarc", "ssl_verify"),
)
REQUESTS_ORDER = (("env", "REQUESTS_CA_BUNDLE"), ("env", "CURL_CA_BUNDLE"))
#: The environment variable each env-only client reads its bundle from.
ENV_FOR = {"uv": "SSL_CERT_FILE", "requests": "REQUESTS_CA_BUNDLE"}
#: OpenSSL's verify codes for "the issuer is not among the roots": a bundle fixes these.
ISSUER_CODES = frozenset({2, 19, 20, 21})
_TRUE = ("1", "true", "yes", "on", "y", "t")


@dataclass(frozen=True)
class Setting:
    """One CA-related setting of a client, and where it is made.

    Attributes:
        name: the setting (``SSL_CERT_FILE``, ``system-certs``,
            ``certificates.corp.cert``, ``ssl_verify``).
        value: its value, as text (``true``/``false`` for booleans).
        where: provenance for humans (``environment variable X``, ``uv config FILE``).
        file: the file that sets it, if any.
    """

    name: str
    value: str
    where: str
    file: Optional[str] = None


@dataclass(frozen=True)
class ClientTrust:
    """What one client verifies an index with, and why.

    Attributes:
        client: ``uv``, ``poetry``, ``conda`` or ``requests``.
        label: the client, with the poetry source it is about (``poetry source corp``).
        found: why pipssl thinks the client is here.
        verify: False when the client does not verify certificates at all.
        cafiles: CA files it loads (none: only the OS store or its defaults).
        cadirs: CA directories it loads every file of (uv's ``SSL_CERT_DIR``).
        os_store: it verifies with the OS trust store.
        origin: the setting that decided, or the default, for humans.
        settings: every CA setting seen, highest precedence first.
        insecure_hosts: hosts it does not verify (uv's ``allow-insecure-host``).
        netloc: the source's host[:port], for a poetry source (None: any index).
        source: a poetry source's name.
    """

    client: str
    label: str
    found: str
    verify: bool
    cafiles: Tuple[str, ...]
    os_store: bool
    origin: str
    settings: Tuple[Setting, ...] = ()
    cadirs: Tuple[str, ...] = ()
    insecure_hosts: Tuple[str, ...] = ()
    netloc: Optional[str] = None
    source: Optional[str] = None
    builtin: bool = False  # cafiles stand for the client's own default roots

    def describe(self) -> str:
        """One line: what it verifies with, and where that comes from."""
        if not self.verify:
            return f"nothing: verification is OFF ({self.origin})"
        if self.builtin:
            return self.origin
        parts = [f"the OS trust store ({self.origin})"] if self.os_store else []
        if self.cafiles or self.cadirs:
            parts.append(" ".join([*self.cafiles, *self.cadirs]) + f" ({self.origin})")
        if not parts:
            parts.append(self.origin)
        return " + ".join(parts)


@dataclass(frozen=True)
class ClientPlan:
    """What pointing one client at pipssl's bundle takes.

    Attributes:
        edits: (path, new bytes, kind, detail) for config files to change.
        env_to_set: variables the client must see (printed per shell; ``run`` sets them).
        env_to_unset: variables that override the change.
        manual: findings the user must act on.
    """

    edits: Tuple[Tuple[str, bytes, str, str], ...] = ()
    env_to_set: Tuple[Tuple[str, str], ...] = ()
    env_to_unset: Tuple[str, ...] = ()
    manual: Tuple[Finding, ...] = ()


@dataclass
class _Context:
    environ: Mapping[str, str]
    platform: str
    cwd: str
    target: Target
    home: str = field(init=False)

    def __post_init__(self) -> None:
        self.home = self.environ.get("HOME") or self.environ.get("USERPROFILE") or ""

    def which(self, name: str) -> Optional[str]:
        return shutil.which(name, path=self.environ.get("PATH", os.defpath))


# --- reading files ---------------------------------------------------------------------


def _read_text(path: str) -> Optional[str]:
    data = read_optional(path, directory_is_missing=True)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8; pipssl will not read it") from None


def _toml(path: str) -> Optional[Dict[str, Any]]:
    text = _read_text(path)
    return None if text is None else clientconf.read_toml(text, path).data


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _project_file(cwd: str, names: Sequence[str], want: Any) -> Optional[Tuple[str, Any]]:
    """The nearest ``names`` file from ``cwd`` up for which ``want(data)`` is not None."""
    here = os.path.abspath(cwd)
    while True:
        for name in names:
            path = os.path.join(here, name)
            if os.path.isfile(path):
                found = want(name, _toml(path) or {})
                if found is not None:
                    return path, found
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


# --- uv --------------------------------------------------------------------------------


def uv_config_files(ctx: _Context) -> List[Tuple[str, str]]:
    """(label, path) of the uv config files read, highest precedence first."""
    env = ctx.environ
    if env.get("UV_NO_CONFIG"):
        return []
    if env.get("UV_CONFIG_FILE"):
        return [("uv config (UV_CONFIG_FILE)", env["UV_CONFIG_FILE"])]
    files: List[Tuple[str, str]] = []
    project = _project_file(
        ctx.cwd,
        ("uv.toml", "pyproject.toml"),
        lambda name, data: data if name == "uv.toml" else clientconf.toml_get(data, "tool", "uv"),
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


def _uv_settings(ctx: _Context) -> List[Setting]:
    settings: List[Setting] = []
    for label, path in uv_config_files(ctx):
        data = _toml(path) or {}
        if os.path.basename(path) == "pyproject.toml":
            data = clientconf.toml_get(data, "tool", "uv") or {}
        for key in ("system-certs", "native-tls", "allow-insecure-host"):
            if key in data:
                value = data[key]
                text = " ".join(map(str, value)) if isinstance(value, list) else _text(value)
                settings.append(Setting(key, text, f"{label} {path}", path))
    return settings


def _uv(ctx: _Context) -> Optional[ClientTrust]:
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
    for setting in [*config, *_env_setting(env, "UV_INSECURE_HOST")]:
        if setting.name in ("allow-insecure-host", "UV_INSECURE_HOST"):
            insecure += setting.value.replace(",", " ").split()
            seen.append(setting)
    cert_file = env.get("SSL_CERT_FILE") or ""
    cert_dir = env.get("SSL_CERT_DIR") or ""
    base: Dict[str, Any] = {"client": "uv", "label": "uv", "found": found, "verify": True}
    extra: Dict[str, Any] = {"settings": tuple(seen), "insecure_hosts": tuple(insecure)}
    if cert_file or cert_dir:
        names = " and ".join(
            n for n, v in (("SSL_CERT_FILE", cert_file), ("SSL_CERT_DIR", cert_dir)) if v
        )
        return ClientTrust(
            **base,
            cafiles=(cert_file,) if cert_file else (),
            cadirs=tuple(d for d in cert_dir.split(os.pathsep) if d),
            os_store=False,
            origin=f"environment variable {names}, which replaces uv's roots",
            **extra,
        )
    for setting in seen:
        if setting.name in ("UV_SYSTEM_CERTS", "UV_NATIVE_TLS", "system-certs", "native-tls"):
            if setting.value.strip().lower() in _TRUE:
                return ClientTrust(
                    **base,
                    cafiles=(),
                    os_store=True,
                    origin=f"{setting.name} = {setting.value}, {setting.where}",
                    **extra,
                )
            break  # an explicit false wins over what comes below it
    return ClientTrust(
        **base,
        cafiles=(_mozilla_roots(ctx.target),),
        os_store=False,
        origin="uv's bundled Mozilla roots (probed with certifi, the same list)",
        builtin=True,
        **extra,
    )


def _env_setting(env: Mapping[str, str], name: str) -> List[Setting]:
    return [Setting(name, env[name], f"environment variable {name}")] if env.get(name) else []


def _mozilla_roots(target: Target) -> str:
    """A certifi bundle: pipssl's own, else the target's, else its pip's vendored one."""
    try:
        import certifi

        return str(certifi.where())
    except ImportError:
        pass
    for info in (target.certifi or {}, target.pip or {}):
        path = info.get("where") or info.get("certifi")
        if path:
            return str(path)
    return ""


def _requests_default(
    env: Mapping[str, str], certifi: str, seen: List[Setting]
) -> Tuple[Tuple[str, ...], str]:
    """requests' own choice when nothing else is set: its variables, else certifi."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if env.get(name):
            seen.append(Setting(name, env[name], f"environment variable {name}"))
            return (env[name],), f"environment variable {name}"
    return (certifi,), f"certifi, requests' default ({certifi})"


# --- poetry ----------------------------------------------------------------------------


def poetry_config_dir(environ: Mapping[str, str], platform: str) -> str:
    """poetry's ``CONFIG_DIR``: ``POETRY_CONFIG_DIR``, else platformdirs' user config dir
    (roaming) for ``pypoetry``."""
    if environ.get("POETRY_CONFIG_DIR"):
        return environ["POETRY_CONFIG_DIR"]
    home = environ.get("HOME") or environ.get("USERPROFILE") or ""
    if platform == "win32":
        base = environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
    elif platform == "darwin":
        base = os.path.join(home, "Library", "Application Support")
    else:
        base = environ.get("XDG_CONFIG_HOME", "").strip() or os.path.join(home, ".config")
    return os.path.join(base, "pypoetry")


def _env_name(name: str) -> str:
    return name.upper().replace("-", "_").replace(".", "_")


def poetry_sources(ctx: _Context) -> Tuple[List[Tuple[str, str, str]], Optional[str]]:
    """([(name, url, where)], project dir): the project's sources and configured
    repositories, in poetry's order."""
    sources: List[Tuple[str, str, str]] = []
    project = _project_file(
        ctx.cwd,
        ("pyproject.toml",),
        lambda _name, data: clientconf.toml_get(data, "tool", "poetry"),
    )
    project_dir = os.path.dirname(project[0]) if project else None
    if project is not None:
        for item in project[1].get("source") or []:
            if isinstance(item, dict) and item.get("name") and item.get("url"):
                sources.append((str(item["name"]), str(item["url"]), f"source in {project[0]}"))
    config_dir = poetry_config_dir(ctx.environ, ctx.platform)
    for path in (
        os.path.join(config_dir, "config.toml"),
        *([os.path.join(project_dir, "poetry.toml")] if project_dir else []),
    ):
        repos = clientconf.toml_get(_toml(path) or {}, "repositories") or {}
        for name, table in repos.items() if isinstance(repos, dict) else ():
            if isinstance(table, dict) and table.get("url"):
                sources.append((name, str(table["url"]), f"repositories.{name} in {path}"))
    for key, value in ctx.environ.items():
        if key.startswith("POETRY_REPOSITORIES_") and key.endswith("_URL") and value:
            name = key[len("POETRY_REPOSITORIES_") : -len("_URL")].lower()
            sources.append((name, value, f"environment variable {key}"))
    unique: Dict[str, Tuple[str, str, str]] = {}
    for source in sources:
        unique.setdefault(source[0], source)
    return list(unique.values()), project_dir


def poetry_source_urls(environ: Mapping[str, str], platform: str, cwd: str) -> List[str]:
    """The URLs of the poetry sources a project in ``cwd`` uses (for ``pipssl run``)."""
    ctx = _Context(environ, platform, cwd, Target("", "0", "", "", platform, {}, None))
    return [url for _name, url, _where in poetry_sources(ctx)[0]]


def _poetry_setting(ctx: _Context, project_dir: Optional[str], name: str) -> List[Setting]:
    """Every definition of ``certificates.<name>.verify/cert``, in POETRY_ORDER."""
    config_dir = poetry_config_dir(ctx.environ, ctx.platform)
    files = {
        "config": os.path.join(config_dir, "config.toml"),
        "local": os.path.join(project_dir, "poetry.toml") if project_dir else "",
    }
    out: List[Setting] = []
    for kind, pattern in POETRY_ORDER[:6]:
        if kind == "env":
            var = pattern.format(NAME=_env_name(name))
            out += _env_setting(ctx.environ, var)
            continue
        path = files[kind]
        if not path:
            continue
        key = pattern.format(name=name)
        value = clientconf.toml_get(_toml(path) or {}, "certificates", name, key.rsplit(".")[-1])
        if value is not None:
            label = "project" if kind == "local" else "user"
            out.append(Setting(key, _text(value), f"poetry {label} config {path}", path))
    return out


def _poetry(ctx: _Context) -> List[ClientTrust]:
    exe = ctx.which("poetry")
    config = os.path.join(poetry_config_dir(ctx.environ, ctx.platform), "config.toml")
    if exe is None and not os.path.isfile(config):
        return []
    found = f"poetry on PATH ({exe})" if exe else f"poetry config {config}"
    sources, project_dir = poetry_sources(ctx)
    certifi = _mozilla_roots(ctx.target)
    out: List[ClientTrust] = []
    for name, url, _where in [*sources, ("", "", "")]:
        seen = _poetry_setting(ctx, project_dir, name) if name else []
        label = f"poetry source {name}" if name else "poetry"
        common: Dict[str, Any] = {
            "client": "poetry",
            "label": label,
            "found": found,
            "os_store": False,
            "netloc": urlsplit(url).netloc if url else None,
            "source": name or None,
        }
        win = seen[0] if seen else None
        flag = win.value.strip().lower() if win is not None and win.file else ""
        if win is not None and flag != "true":
            off = flag == "false"
            out.append(
                ClientTrust(
                    **common,
                    verify=not off,
                    cafiles=() if off else (win.value,),
                    origin=f"{win.name} = {win.value}, {win.where}",
                    settings=tuple(seen),
                )
            )
            continue
        files, origin = _requests_default(ctx.environ, certifi, seen)
        out.append(
            ClientTrust(**common, verify=True, cafiles=files, origin=origin, settings=tuple(seen))
        )
    return out


# --- conda ------------------------------------------------------------------------------


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


def _conda_ssl_verify(environ: Mapping[str, str], platform: str) -> List[Setting]:
    """Every ``ssl_verify``, winner first: the variable, then files last to first."""
    out = _env_setting(environ, "CONDA_SSL_VERIFY")
    files: List[Setting] = []
    for path in condarc_files(environ, platform):
        text = _read_text(path)
        if text is None:
            continue
        spot = clientconf.read_condarc(text, path, ("ssl_verify",)).get("ssl_verify")
        if spot is None or spot.value is None:
            continue
        setting = Setting("ssl_verify", _text(spot.value), f"conda config {path}", path)
        files.append(setting)
        if spot.final:
            break  # '#!final': files later in the search path cannot change it
    return out + files[::-1]


def _conda(ctx: _Context) -> Optional[ClientTrust]:
    env = ctx.environ
    exe = ctx.which("conda") or env.get("CONDA_EXE")
    files = condarc_files(env, ctx.platform)
    if not exe and not files:
        return None
    found = f"conda on PATH ({exe})" if exe else f"conda config {files[0]}"
    settings = _conda_ssl_verify(env, ctx.platform)
    value = settings[0].value.strip() if settings else "true"
    low = value.lower()
    common: Dict[str, Any] = {"client": "conda", "label": "conda", "found": found}
    bundle = [n for n in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") if env.get(n)]
    seen = [*_env_setting(env, bundle[0])] if bundle else []
    seen += settings
    origin = f"ssl_verify: {value}, {settings[0].where}" if settings else "default"
    if bundle:
        return ClientTrust(
            **common,
            verify=True,
            cafiles=(env[bundle[0]],),
            os_store=low == "truststore",
            origin=f"environment variable {bundle[0]}, which requests lets win over ssl_verify",
            settings=tuple(seen),
        )
    if low in ("false", "no", "off", "0"):
        return ClientTrust(
            **common, verify=False, cafiles=(), os_store=False, origin=origin, settings=tuple(seen)
        )
    if low == "truststore":
        return ClientTrust(
            **common, verify=True, cafiles=(), os_store=True, origin=origin, settings=tuple(seen)
        )
    if low in ("true", "yes", "on", "1"):
        return ClientTrust(
            **common,
            verify=True,
            cafiles=(_mozilla_roots(ctx.target),),
            os_store=False,
            origin="certifi (conda's default: requests' roots)" if not settings else origin,
            builtin=not settings,
            settings=tuple(seen),
        )
    return ClientTrust(
        **common,
        verify=True,
        cafiles=(value,),
        os_store=False,
        origin=origin,
        settings=tuple(seen),
    )


# --- requests --------------------------------------------------------------------------


def _requests(ctx: _Context) -> Optional[ClientTrust]:
    version = (ctx.target.modules or {}).get("requests")
    if version is None:
        return None
    seen: List[Setting] = []
    certifi = (ctx.target.certifi or {}).get("where") or _mozilla_roots(ctx.target)
    files, origin = _requests_default(ctx.environ, str(certifi), seen)
    return ClientTrust(
        client="requests",
        label="requests",
        found=f"requests {version} importable by {ctx.target.executable}",
        verify=True,
        cafiles=files,
        os_store=False,
        origin=origin,
        settings=tuple(seen),
    )


# --- the model ------------------------------------------------------------------------


def detect(
    target: Target,
    environ: Mapping[str, str],
    *,
    cwd: Optional[str] = None,
    only: Optional[Sequence[str]] = None,
) -> List[ClientTrust]:
    """The clients found on this machine and what each verifies with.

    Args:
        target: the interpreter diagnosed (its platform; requests must be importable by it).
        environ: the environment the clients run with.
        cwd: the project directory (default: the current one).
        only: restrict to these clients.

    Returns:
        One :class:`ClientTrust` per client found (poetry: one per source, and one for
        indexes no source names).

    Raises:
        ConfigError: a client's config file cannot be read safely.
    """
    ctx = _Context(environ, target.platform, cwd or os.getcwd(), target)
    wanted = set(only or CLIENTS)
    out: List[ClientTrust] = []
    if "uv" in wanted:
        out += [t for t in [_uv(ctx)] if t is not None]
    if "poetry" in wanted:
        out += _poetry(ctx)
    if "conda" in wanted:
        out += [t for t in [_conda(ctx)] if t is not None]
    if "requests" in wanted:
        out += [t for t in [_requests(ctx)] if t is not None]
    return out


def _cadata(trust: ClientTrust, os_store_pem: str) -> Tuple[List[str], Optional[str], str]:
    """(usable CA files, PEM text, what was unusable) for a probe with ``trust``."""
    files: List[str] = []
    problems: List[str] = []
    for path in trust.cafiles:
        problem = cafile_problem(path) if path else None
        if path and problem is None:
            files.append(path)
        else:
            problems.append(str(problem) if problem else "no CA file")
    texts: List[str] = [os_store_pem] if trust.os_store and os_store_pem else []
    for directory in trust.cadirs:
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            problems.append(f"{directory}: {exc.strerror}")
            continue
        for name in names:
            try:
                texts += [
                    cabundle.to_pem(c) for c in cabundle.load_cafile(os.path.join(directory, name))
                ]
            except PipsslError:
                continue
    return files, "\n".join(texts) or None, "; ".join(problems)


def check(
    trusts: Sequence[ClientTrust],
    urls: Sequence[str],
    environ: Mapping[str, str],
    *,
    os_store_pem: str,
    timeout: float,
) -> Tuple[List[Dict[str, Any]], List[Finding]]:
    """Probe each index with each client's CA material.

    Args:
        trusts: from :func:`detect`.
        urls: the index URLs doctor checks for pip.
        environ: for the proxy each client would use (all read ``HTTPS_PROXY``).
        os_store_pem: the OS store's roots, for clients that use it.
        timeout: seconds per probe.

    Returns:
        (one JSON-ready dict per client, findings): ``client-cannot-verify`` for a client
        whose roots lack the index's issuer, ``client-verify-disabled`` for a client that
        does not verify at all.
    """
    reports: List[Dict[str, Any]] = []
    findings: List[Finding] = []
    done: Dict[Tuple[Any, ...], tls.ProbeResult] = {}
    # A poetry source covers its own host; its "default" entry covers the others.
    covered = {(t.client, t.netloc) for t in trusts if t.netloc is not None}
    for trust in trusts:
        results: List[TargetResult] = []
        files, cadata, problem = _cadata(trust, os_store_pem)
        for url in urls:
            host, netloc = urlsplit(url).hostname or "", urlsplit(url).netloc
            if trust.netloc is not None and netloc != trust.netloc:
                continue
            if trust.netloc is None and (trust.client, netloc) in covered:
                continue
            if not trust.verify or host in trust.insecure_hosts:
                continue
            key = (url, tuple(files), cadata)
            if key not in done:
                proxy = tls.select_proxy(url, environ)
                done[key] = tls.probe(
                    url, proxy=proxy, cafiles=files, cadata=cadata, timeout=timeout
                )
            result = done[key]
            results.append(
                TargetResult(
                    result.url, result.ok, result.stage, result.elapsed, error=result.error
                )
            )
            if result.failure == "verify-failed" and result.verify_code in ISSUER_CODES:
                findings.append(_cannot_verify(trust, result, problem))
        if not trust.verify or trust.insecure_hosts:
            findings.append(_verify_off(trust))
        reports.append(
            {
                "client": trust.client,
                "label": trust.label,
                "found": trust.found,
                "verify": trust.verify,
                "trust": trust.describe(),
                "settings": [
                    {"name": s.name, "value": s.value, "where": s.where} for s in trust.settings
                ],
                "insecure_hosts": list(trust.insecure_hosts),
                "targets": [
                    {"url": t.url, "ok": t.ok, "stage": t.stage, "error": t.error} for t in results
                ],
            }
        )
    return reports, findings


def _cannot_verify(trust: ClientTrust, result: tls.ProbeResult, problem: str) -> Finding:
    detail = f"{trust.label} verifies with {trust.describe()}\n{result.verify_message}"
    if problem:
        detail += f"\nunusable: {problem} (so it trusts none of it)"
    return Finding.make(
        "client-cannot-verify",
        trust.label,
        f"{trust.label} would not verify {result.url}",
        detail,
        f"pipssl repair --for {trust.client}",
    )


def _verify_off(trust: ClientTrust) -> Finding:
    if trust.verify:
        what = f"{trust.label} does not check certificates for {', '.join(trust.insecure_hosts)}"
        setting = next(
            s for s in trust.settings if s.name in ("allow-insecure-host", "UV_INSECURE_HOST")
        )
    else:
        what = f"{trust.label} does not check certificates at all"
        setting = next(
            s for s in trust.settings if s.value.strip().lower() in ("false", "no", "off", "0")
        )
    fix = (
        f"remove {setting.name} from {setting.file}"
        if setting.file
        else f"unset {setting.name}            # sh, bash, zsh\n"
        f"Remove-Item Env:{setting.name}   # PowerShell"
    )
    return Finding.make(
        "client-verify-disabled",
        trust.label,
        what,
        f"{setting.name} = {setting.value} ({setting.where})",
        fix + f"\n# then, if it still fails: pipssl repair --for {trust.client}",
    )


# --- pointing a client at pipssl's bundle -------------------------------------------------


def shell_lines(name: str, value: str) -> str:
    """The lines that set ``name`` in sh and in PowerShell."""
    quoted = "'" + value.replace("'", "'\\''") + "'"
    ps = "'" + value.replace("'", "''") + "'"
    return f"export {name}={quoted}   # sh, bash, zsh\n$env:{name} = {ps}   # PowerShell"


def plan_client(
    client: str,
    bundle: str,
    target: Target,
    environ: Mapping[str, str],
    *,
    read: Any,
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
    ctx = _Context(environ, target.platform, cwd or os.getcwd(), target)
    if client in ENV_FOR:
        name = ENV_FOR[client]
        if environ.get(name) == bundle:
            return ClientPlan()
        return ClientPlan(env_to_set=((name, bundle),))
    if client == "poetry":
        return _plan_poetry(ctx, bundle, read, allow_insecure_fix)
    if client == "conda":
        return _plan_conda(ctx, bundle, read, allow_insecure_fix)
    from pipssl.errors import UsageError

    raise UsageError(f"--for {client!r}: choose from {', '.join(CLIENTS)}")


def _blocked(client: str, setting: Setting, why: str, fix: str) -> Finding:
    return Finding.make(
        "client-verify-disabled" if "OFF" in why else "client-cannot-verify",
        client,
        f"{setting.name} ({setting.where}) {why}",
        f"{setting.name} = {setting.value}",
        fix,
    )


def _plan_poetry(ctx: _Context, bundle: str, read: Any, insecure_ok: bool) -> ClientPlan:
    sources, project_dir = poetry_sources(ctx)
    if not sources:
        # Indexes no source names (the default one) use requests' own variable.
        if ctx.environ.get("REQUESTS_CA_BUNDLE") == bundle:
            return ClientPlan()
        return ClientPlan(env_to_set=(("REQUESTS_CA_BUNDLE", bundle),))
    path = os.path.join(poetry_config_dir(ctx.environ, ctx.platform), "config.toml")
    text = confedit.decoded(path, read(path))
    unset: List[str] = []
    manual: List[Finding] = []
    changed: List[str] = []
    for name, _url, _where in sources:
        settings = _poetry_setting(ctx, project_dir, name)
        winner = settings[0] if settings else None
        label = f"poetry source {name}"
        if winner is not None and winner.file is None:
            unset.append(winner.name)  # the variable hides config.toml: unset it, set ours
        elif winner is not None and (winner.file != path or winner.name.endswith(".verify")):
            off = winner.value.strip().lower() == "false"
            manual.append(
                _blocked(
                    label,
                    winner,
                    "wins over config.toml's cert" + (": verification OFF" if off else ""),
                    f"remove {winner.name} from {winner.file}, then: pipssl repair --for poetry",
                )
            )
            continue
        elif winner is not None and winner.value == bundle:
            continue
        elif winner is not None and winner.value.strip().lower() == "false":
            if not insecure_ok:
                manual.append(
                    _blocked(
                        label,
                        winner,
                        "switches verification OFF",
                        "pipssl repair --for poetry --yes --remove-trusted-host",
                    )
                )
                continue
        elif winner is not None and cafile_problem(winner.value) is None:
            manual.append(
                _blocked(
                    label,
                    winner,
                    "names another CA file",
                    f"remove it from {path} to let pipssl's bundle in",
                )
            )
            continue
        text = clientconf.set_toml_string(text, ("certificates", name), "cert", bundle, path)
        changed.append(name)
    edits: Tuple[Tuple[str, bytes, str, str], ...] = ()
    if changed:
        detail = "; ".join(f"certificates.{n}.cert = {bundle}" for n in changed)
        edits = ((path, text.encode("utf-8"), "set-poetry-cert", f"poetry: {detail}"),)
    return ClientPlan(edits=edits, env_to_unset=tuple(unset), manual=tuple(manual))


def _plan_conda(ctx: _Context, bundle: str, read: Any, insecure_ok: bool) -> ClientPlan:
    env = ctx.environ
    path = conda_user_rc(env)
    unset = [n for n in ("CONDA_SSL_VERIFY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
             if env.get(n) and env[n] != bundle]  # fmt: skip
    manual: List[Finding] = []
    mine = os.path.normpath(path)
    later = [p for p in condarc_files(env, ctx.platform, after=path) if p != mine]
    for setting in _conda_ssl_verify(env, ctx.platform):
        if setting.file is not None and setting.file in later and setting.value != bundle:
            manual.append(
                _blocked(
                    "conda",
                    setting,
                    f"wins over {path}",
                    f"remove ssl_verify from {setting.file}, then run pipssl repair --for conda",
                )
            )
    text = confedit.decoded(path, read(path))
    spot = clientconf.read_condarc(text, path, ("ssl_verify",)).get("ssl_verify")
    if spot is not None and spot.value is False and not insecure_ok:
        setting = Setting("ssl_verify", "false", f"conda config {path}", path)
        manual.append(
            _blocked(
                "conda",
                setting,
                "switches verification OFF",
                "pipssl repair --for conda --yes --remove-trusted-host",
            )
        )
        return ClientPlan(env_to_unset=tuple(unset), manual=tuple(manual))
    if spot is not None and spot.value == bundle:
        return ClientPlan(env_to_unset=tuple(unset), manual=tuple(manual))
    new = clientconf.set_condarc_key(text, "ssl_verify", bundle, path)
    return ClientPlan(
        edits=(
            (path, new.encode("utf-8"), "set-conda-ssl-verify", f"conda: ssl_verify: {bundle}"),
        ),
        env_to_unset=tuple(unset),
        manual=tuple(manual),
    )
