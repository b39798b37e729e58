"""poetry's CA settings, as poetry 2.x reads them (from its sources; checked against the
real client by ``tests/clients``).

Per source, ``certificates.<source>.verify`` then ``.cert`` (a path, or ``false`` for no
verification), from ``POETRY_CERTIFICATES_<SOURCE>_*`` over the project's ``poetry.toml``
over ``config.toml``; without one, requests' own default (``REQUESTS_CA_BUNDLE``,
``CURL_CA_BUNDLE``, certifi).  Sources: the project's ``[[tool.poetry.source]]`` and
``repositories.<name>.url``.

Repair: ``certificates.<source>.cert`` set to pipssl's bundle in ``config.toml``
(user-wide), or ``REQUESTS_CA_BUNDLE`` when no source is named.  ``run -- poetry ...``
targets ``VIRTUAL_ENV`` when set, else the default (poetry's own environment is not asked
for: that would run poetry before the command does), and diagnoses the project's sources.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pipssl._redact import redact
from pipssl._text import shown
from pipssl.certs.bundle import ca_setting_problem
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
    point_with_variable,
    project_file,
    read_toml_file,
    repair_command,
)
from pipssl.clients.profile import environment_urllib3, requests_policy
from pipssl.clients.requests_ import requests_default
from pipssl.errors import ConfigError
from pipssl.findings import Finding
from pipssl.formats.toml import set_toml_string, toml_get
from pipssl.interpreter.facts import SslFacts, Target
from pipssl.interpreter.tool import shebang_interpreter, venv_python
from pipssl.net.urls import parse_url

#: poetry's ``config.toml`` is the user's: read by every Python of theirs.
USER_WIDE = True

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


def poetry_sources(ctx: Context) -> Tuple[List[Tuple[str, str, str]], Optional[str]]:
    """([(name, url, where)], project dir): the project's sources and configured
    repositories, in poetry's order.

    Raises:
        ConfigError: a source's URL is malformed (named with where it is set).
    """
    sources: List[Tuple[str, str, str]] = []
    project = project_file(
        ctx.cwd,
        ("pyproject.toml",),
        lambda _name, data: toml_get(data, "tool", "poetry"),
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
        repos = toml_get(read_toml_file(path) or {}, "repositories") or {}
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
    for _name, url, where in unique.values():
        problem = parse_url(url, schemes=None)
        if isinstance(problem, str):  # checked where it enters, as pip's own URLs are
            raise ConfigError(
                f"{where}: poetry source URL '{shown(redact(url))}' {problem}",
                hint="Give a full URL such as https://host.example/simple/.",
            )
    return list(unique.values()), project_dir


def poetry_source_urls(environ: Mapping[str, str], platform: str, cwd: str) -> List[str]:
    """The URLs of the poetry sources a project in ``cwd`` uses (for ``pipssl run``)."""
    ctx = Context(
        environ, platform, cwd, Target("", "0", "", "", platform, SslFacts(ok=False), None)
    )
    return [url for _name, url, _where in poetry_sources(ctx)[0]]


def source_settings(ctx: Context, project_dir: Optional[str], name: str) -> List[Setting]:
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
            out += env_setting(ctx.environ, var)
            continue
        path = files[kind]
        if not path:
            continue
        key = pattern.format(name=name)
        field = pattern.rsplit(".", 1)[1]  # the table's own word: verify or cert
        value = toml_get(read_toml_file(path) or {}, "certificates", name, field)
        if value is not None:
            label = "project" if kind == "local" else "user"
            out.append(Setting(key, as_text(value), f"poetry {label} config {path}", path))
    return out


def trusts(ctx: Context) -> List[ClientTrust]:
    """What poetry verifies with: one per source, and one for the indexes no source
    names; none when poetry is neither on PATH nor configured."""
    exe = ctx.which("poetry")
    config = os.path.join(poetry_config_dir(ctx.environ, ctx.platform), "config.toml")
    if exe is None and not os.path.isfile(config):
        return []
    found = f"poetry on PATH ({exe})" if exe else f"poetry config {config}"
    sources, project_dir = poetry_sources(ctx)
    certifi = mozilla_roots(ctx.target)
    # poetry fetches with the requests of its own environment, not the target's
    python = shebang_interpreter(exe, ctx.environ) if exe else None
    version, urllib3 = environment_urllib3(python) if python else (None, None)
    if python and version:
        policy, stack = requests_policy(urllib3, version)
        stack += f" (poetry's environment, {python})"
    else:
        policy, stack = requests_policy(None, (0,))
        stack = "requests of poetry's environment (not found: taken as urllib3 2)"
    out: List[ClientTrust] = []
    for name, url, _where in [*sources, ("", "", "")]:
        seen = source_settings(ctx, project_dir, name) if name else []
        label = f"poetry source {shown(name)}" if name else "poetry"  # a project's words
        common = partial(
            ClientTrust,
            client="poetry",
            label=label,
            found=found,
            os_store=False,
            netloc=urlsplit(url).netloc if url else None,
            source=name or None,
            policy=policy,
            stack=stack,
            program=python if version else None,
        )
        win = seen[0] if seen else None
        flag = win.value.strip().lower() if win is not None and win.file else ""
        if win is not None and flag != "true":
            off = flag == "false"
            out.append(
                common(
                    verify=not off,
                    cafiles=() if off else (win.value,),
                    origin=f"{win.name} = {win.value}, {win.where}",
                    settings=tuple(seen),
                    verify_arg=None if off else win.value,
                )
            )
            continue
        files, origin = requests_default(ctx.environ, certifi, seen)
        out.append(common(verify=True, cafiles=files, origin=origin, settings=tuple(seen)))
    return out


def point(ctx: Context, pointing: Pointing) -> ClientPlan:
    """``certificates.<source>.cert`` in config.toml for each source (what wins over it
    named, or unset); ``REQUESTS_CA_BUNDLE`` when the project names no source."""
    sources, project_dir = poetry_sources(ctx)
    if not sources:
        # Indexes no source names (the default one) use requests' own variable.
        return point_with_variable("REQUESTS_CA_BUNDLE", ctx, pointing)
    path = os.path.join(poetry_config_dir(ctx.environ, ctx.platform), "config.toml")
    text = pointing.text(path)
    unset: List[str] = []
    manual: List[Finding] = []
    changed: List[str] = []
    for name, _url, _where in sources:
        settings = source_settings(ctx, project_dir, name)
        winner = settings[0] if settings else None
        if winner is not None and winner.file is None:
            unset.append(winner.name)  # the variable hides config.toml: unset it, set ours
        else:
            problem = _in_the_way(winner, name, path, pointing)
            if problem is not None:
                manual.append(problem)
            if problem is not None or (winner is not None and winner.value == pointing.bundle):
                continue
        text = set_toml_string(text, ("certificates", name), "cert", pointing.bundle, path)
        changed.append(name)
    edits: Tuple[ConfigEdit, ...] = ()
    if changed:
        detail = "; ".join(
            f"certificates.{shown(n)}.cert = {shown(pointing.bundle)}" for n in changed
        )
        edits = (ConfigEdit(path, text.encode("utf-8"), "set-poetry-cert", f"poetry: {detail}"),)
    return ClientPlan(edits=edits, env_to_unset=tuple(unset), manual=tuple(manual))


def _in_the_way(
    winner: Optional[Setting], name: str, path: str, pointing: Pointing
) -> Optional[Finding]:
    """Why config.toml's ``certificates.<name>.cert`` cannot name the bundle: a setting of
    another file wins over it, or one there turns verification off or names another CA
    file (None: nothing in the way, or ours already)."""
    label = f"poetry source {shown(name)}"
    ours = f"certificates.{name}.cert"  # the key this plan writes in config.toml
    if winner is None:
        return None
    off = winner.value.strip().lower() == "false"
    if winner.file != path or winner.name != ours:
        why = "wins over config.toml's cert" + (": verification OFF" if off else "")
        fix = f"remove {shown(winner.name)} from {shown(winner.file)}, then:\n"
        code = "client-verify-disabled" if off else "client-cannot-verify"
        return blocked(code, label, winner, why, fix + repair_command("poetry", USER_WIDE))
    if winner.value == pointing.bundle:
        return None  # ours already
    if off:
        if pointing.insecure_ok:
            return None
        again = repair_command("poetry", USER_WIDE, "--yes", "--remove-trusted-host")
        return blocked("client-verify-disabled", label, winner, "switches verification OFF", again)
    if ca_setting_problem(winner.value) is None:
        fix = f"remove it from {shown(path)} to let pipssl's bundle in"
        return blocked("client-cannot-verify", label, winner, "names another CA file", fix)
    return None


def interpreter(args: Sequence[str], environ: Mapping[str, str], cwd: str) -> Optional[str]:
    """``VIRTUAL_ENV`` when set, else the default (module doc)."""
    return venv_python(environ["VIRTUAL_ENV"]) if environ.get("VIRTUAL_ENV") else None


CLIENT = Client(
    name="poetry",
    trusts=trusts,
    point=point,
    bundle_variable="REQUESTS_CA_BUNDLE",
    user_wide=USER_WIDE,
    interpreter=interpreter,
    index_urls=poetry_source_urls,
    real="requests",
    writes=lambda environ, platform: [
        os.path.join(poetry_config_dir(environ, platform), "config.toml")
    ],
)
