"""pdm's CA settings, as pdm 2.29 reads them (from its sources; checked against the real
client by ``tests/clients``).

pdm fetches with httpx in its own environment.  Per index: ``verify_ssl`` false turns
verification off; else ``ca_certs`` names the one CA file it verifies with (Python's
``ssl.create_default_context(cafile=...)``: OpenSSL's strict profile from Python 3.13 on);
else ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE`` (a CA file, the same way); else truststore:
the OS store (``SSL_CERT_FILE``/``SSL_CERT_DIR`` as OpenSSL reads them, on Linux) and
certifi's roots together, with Python's defaults.

Where each is read, highest first: the default index (``pypi.*``) from
``PDM_PYPI_VERIFY_SSL`` (``verify_ssl`` only), the project's ``pdm.toml``, the user's
``config.toml`` (``PDM_CONFIG_FILE``, else the platform's user config directory ``pdm``);
a source of the project's ``[[tool.pdm.source]]`` from its own table there, then
``[pypi.NAME]`` of ``pdm.toml``, then of ``config.toml``.  The project is the nearest
directory with a ``pyproject.toml``.

Repair: ``ca_certs`` set to pipssl's bundle in the user's ``config.toml`` (user-wide:
``[pypi]`` for the default index, ``[pypi.NAME]`` for a source), never over a setting
that wins over it or turns verification off (those are named).  ``run -- pdm ...``
targets ``PDM_PYTHON``, else the project's ``.pdm-python``, else the active
``VIRTUAL_ENV``/``CONDA_PREFIX``, else the project's ``.venv`` (pdm's own order; its check
of the project's ``requires-python`` is not made) and diagnoses its configured indexes.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

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
    project_file,
    read_text,
    read_toml_file,
    repair_command,
)
from pipssl.commands import unset_lines
from pipssl.findings import Finding
from pipssl.formats.toml import read_toml, set_toml_string, toml_get
from pipssl.interpreter.facts import SslFacts, Target, parse_version
from pipssl.interpreter.tool import shebang_interpreter, venv_python
from pipssl.net.context import VerifyPolicy

#: pdm's ``config.toml`` is the user's: read by every Python of theirs.
USER_WIDE = True
_OFF = ("false", "no", "0")


@dataclass(frozen=True)
class Source:
    """One index pdm is configured with: the default one (``name`` None) or a source of
    the project's ``[[tool.pdm.source]]``."""

    name: Optional[str]
    url: str
    table: Mapping[str, Any]  # the source's own table in pyproject.toml ({} for the default)
    where: str
    file: Optional[str] = None  # the pyproject.toml that defines it


def config_file(environ: Mapping[str, str], platform: str) -> str:
    """The user's ``config.toml``: ``PDM_CONFIG_FILE``, else platformdirs' user config
    directory for ``pdm``."""
    if environ.get("PDM_CONFIG_FILE"):
        return environ["PDM_CONFIG_FILE"]
    home = environ.get("HOME") or environ.get("USERPROFILE") or ""
    if platform == "win32":
        local = environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        base = os.path.join(local, "pdm", "pdm")
    elif platform == "darwin":
        base = os.path.join(home, "Library", "Application Support", "pdm")
    else:
        config_home = environ.get("XDG_CONFIG_HOME", "").strip()
        base = os.path.join(config_home or os.path.join(home, ".config"), "pdm")
    return os.path.join(base, "config.toml")


def _project(cwd: str) -> Tuple[Optional[str], Dict[str, Any]]:
    """(project directory, its ``[tool.pdm]``): the nearest ``pyproject.toml``."""
    found = project_file(cwd, ("pyproject.toml",), lambda _name, data: data)
    if found is None:
        return None, {}
    return os.path.dirname(found[0]), toml_get(found[1], "tool", "pdm") or {}


def _files(ctx: Context, project_dir: Optional[str]) -> List[Tuple[str, str]]:
    """(label, path) of pdm's config files, highest precedence first."""
    files = [("pdm project config", os.path.join(project_dir, "pdm.toml"))] if project_dir else []
    return [*files, ("pdm user config", config_file(ctx.environ, ctx.platform))]


def sources(ctx: Context) -> List[Source]:
    """The project's sources, then the default index (its URL when configured, else "")."""
    project_dir, tool = _project(ctx.cwd)
    out: List[Source] = []
    for item in tool.get("source") or []:
        if isinstance(item, dict) and item.get("name") and item.get("url"):
            file = os.path.join(project_dir or "", "pyproject.toml")
            if item["name"] != "pypi":  # "pypi" is the default index's own name
                name, url = str(item["name"]), str(item["url"])
                out.append(Source(name, url, item, f"source {name} in {file}", file))
    default = next(iter(_settings(ctx, project_dir, None, "url")), None)
    where = default.where if default else "pdm's default"
    out.append(Source(None, default.value if default else "", {}, where))
    return out


def _settings(
    ctx: Context, project_dir: Optional[str], source: Optional[Source], key: str
) -> List[Setting]:
    """Every definition of ``key`` for one index, highest precedence first."""
    out: List[Setting] = []
    if source is None or source.name is None:
        env = {"verify_ssl": "PDM_PYPI_VERIFY_SSL", "url": "PDM_PYPI_URL"}.get(key)
        out += env_setting(ctx.environ, env) if env else []
        path_in: Tuple[str, ...] = ("pypi", key)
    else:
        if key in source.table:
            out.append(Setting(key, as_text(source.table[key]), source.where, source.file))
        path_in = ("pypi", source.name, key)
    for label, path in _files(ctx, project_dir):
        value = toml_get(read_toml_file(path) or {}, *path_in)
        if value is not None:
            out.append(Setting(".".join(path_in), as_text(value), f"{label} {path}", path))
    return out


@dataclass(frozen=True)
class Seen:
    """One index's ``verify_ssl`` and ``ca_certs`` settings, each highest first."""

    verify: List[Setting]
    ca: List[Setting]


def _seen(ctx: Context, project_dir: Optional[str], source: Source) -> Seen:
    return Seen(
        _settings(ctx, project_dir, source, "verify_ssl"),
        _settings(ctx, project_dir, source, "ca_certs"),
    )


def _python_of(
    exe: Optional[str], ctx: Context
) -> Tuple[Optional[str], Optional[Tuple[int, ...]]]:
    """(pdm's interpreter, its X.Y), read from its files alone."""
    python = shebang_interpreter(exe, ctx.environ) if exe else None
    if python is None:
        return None, None
    prefix = os.path.dirname(os.path.dirname(python))
    for lib in sorted(glob.glob(os.path.join(prefix, "lib", "python3.*"))):
        if os.path.isdir(os.path.join(lib, "site-packages", "pdm")):
            return python, parse_version(os.path.basename(lib)[len("python") :])
    return python, None


def _policy(cafile: bool, version: Optional[Tuple[int, ...]]) -> Tuple[VerifyPolicy, str]:
    """(policy, why) of pdm's context: ``create_default_context`` for a CA file, which
    turns on OpenSSL's strict profile from Python 3.13 on; truststore's plain context else."""
    where = f"Python {'.'.join(map(str, version))}" if version else "Python (not found)"
    if not cafile:
        return VerifyPolicy(), f"httpx with truststore on {where}: Python's defaults"
    if version is not None and version[:2] >= (3, 13):
        policy = VerifyPolicy(strict=True, partial_chain=True)
        return policy, f"httpx on {where}: VERIFY_X509_STRICT and VERIFY_X509_PARTIAL_CHAIN"
    return VerifyPolicy(), f"httpx on {where}: Python's defaults"


def trusts(ctx: Context) -> List[ClientTrust]:
    """What pdm verifies with: one per project source, and one for its default index;
    none when pdm is neither on PATH nor configured."""
    exe = ctx.which("pdm")
    user = config_file(ctx.environ, ctx.platform)
    if exe is None and not os.path.isfile(user):
        return []
    found = f"pdm on PATH ({exe})" if exe else f"pdm config {user}"
    python, version = _python_of(exe, ctx)
    project_dir, _tool = _project(ctx.cwd)
    out: List[ClientTrust] = []
    for source in sources(ctx):
        seen = _seen(ctx, project_dir, source)
        label = f"pdm source {shown(source.name)}" if source.name else "pdm"
        netloc = urlsplit(source.url).netloc if source.name else None
        out.append(_trust(ctx, label, found, netloc, source.name, seen, version, python))
    return out


def _trust(
    ctx: Context,
    label: str,
    found: str,
    netloc: Optional[str],
    name: Optional[str],
    seen: Seen,
    version: Optional[Tuple[int, ...]],
    python: Optional[str],
) -> ClientTrust:
    """One index's trust from its settings."""
    common: Dict[str, Any] = {"client": "pdm", "label": label, "found": found}
    common.update(netloc=netloc, source=name, python=python)
    settings = [*seen.verify, *seen.ca]
    verify = seen.verify[0] if seen.verify else None
    if verify is not None and verify.value.strip().lower() in _OFF:
        origin = f"{verify.name} = {verify.value}, {verify.where}"
        return ClientTrust(**common, verify=False, cafiles=(), os_store=False, origin=origin,
                           settings=tuple(settings))  # fmt: skip
    ca = seen.ca[0] if seen.ca else None
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if ca is None and ctx.environ.get(var):
            ca = env_setting(ctx.environ, var)[0]
            settings.append(ca)
    if ca is not None:
        policy, stack = _policy(True, version)
        origin = f"{ca.name} = {ca.value}, {ca.where}"
        return ClientTrust(**common, verify=True, cafiles=(ca.value,), os_store=False,
                           origin=origin, settings=tuple(settings), policy=policy,
                           stack=stack)  # fmt: skip
    policy, stack = _policy(False, version)
    return ClientTrust(
        **common,
        verify=True,
        cafiles=(mozilla_roots(ctx.target),),
        os_store=True,
        origin="pdm's default: truststore (the OS store) and certifi",
        settings=tuple(settings),
        policy=policy,
        stack=stack,
    )


def point(ctx: Context, pointing: Pointing) -> ClientPlan:
    """``ca_certs`` = the bundle in the user's config.toml for every index pdm uses,
    unless something there or above it is in the way (then named, not changed)."""
    path = config_file(ctx.environ, ctx.platform)
    project_dir, _tool = _project(ctx.cwd)
    text = pointing.text(path)
    before = read_toml(text, path) if text else {}  # as the plan leaves it, read once
    manual: List[Finding] = []
    changed: List[str] = []
    # the default index first: its [pypi] table goes above any [pypi.NAME] this adds
    for source in sorted(sources(ctx), key=lambda s: s.name is not None):
        problem = _in_the_way(source, _seen(ctx, project_dir, source), path, pointing.bundle)
        if problem is not None:
            manual.append(problem)
            continue
        table = ("pypi",) if source.name is None else ("pypi", source.name)
        if toml_get(before, *table, "ca_certs") == pointing.bundle:
            continue
        text = set_toml_string(text, table, "ca_certs", pointing.bundle, path)
        changed.append(".".join((*table, "ca_certs")))
    if not changed:
        return ClientPlan(manual=tuple(manual))
    detail = "; ".join(f"{shown(k)} = {shown(pointing.bundle)}" for k in changed)
    edit = ConfigEdit(path, text.encode("utf-8"), "set-pdm-ca-certs", f"pdm: {detail}")
    return ClientPlan(edits=(edit,), manual=tuple(manual))


def _in_the_way(source: Source, seen: Seen, path: str, bundle: str) -> Optional[Finding]:
    """Why config.toml's ``ca_certs`` cannot name the bundle for ``source``: verification
    is off, or another place's ``ca_certs`` wins, or config.toml's names another CA file."""
    label = f"pdm source {shown(source.name)}" if source.name else "pdm"
    again = repair_command("pdm", USER_WIDE)
    verify = seen.verify[0] if seen.verify else None
    if verify is not None and verify.value.strip().lower() in _OFF:
        undo = f"remove {shown(verify.name)} from {shown(verify.file)}" if verify.file else None
        fix = (undo or unset_lines(verify.name)) + "\n# then: " + again
        return blocked("client-verify-disabled", label, verify, "switches verification OFF", fix)
    ca = seen.ca[0] if seen.ca else None
    if ca is None or ca.value == bundle:
        return None
    if ca.file != path:
        fix = f"remove {shown(ca.name)} ({shown(ca.where)}), then:\n{again}"
        return blocked("client-cannot-verify", label, ca, "wins over config.toml's ca_certs", fix)
    if ca_setting_problem(ca.value) is None:
        fix = f"remove it from {shown(path)} to let pipssl's bundle in"
        return blocked("client-cannot-verify", label, ca, "names another CA file", fix)
    return None  # an unusable file: pipssl's bundle takes its place


def interpreter(args: Sequence[str], environ: Mapping[str, str], cwd: str) -> Optional[str]:
    """The interpreter ``pdm ARGS`` installs into, in pdm's order (module doc)."""
    if environ.get("PDM_PYTHON"):
        return environ["PDM_PYTHON"]
    project_dir, _tool = _project(cwd)
    saved = os.path.join(project_dir, ".pdm-python") if project_dir else ""
    text = read_text(saved) if saved and not environ.get("PDM_IGNORE_SAVED_PYTHON") else None
    if text and text.strip():
        return text.strip()
    active = environ.get("VIRTUAL_ENV") or environ.get("CONDA_PREFIX")
    if active and not environ.get("PDM_IGNORE_ACTIVE_VENV"):
        return venv_python(active)
    return venv_python(os.path.join(project_dir, ".venv")) if project_dir else None


def index_urls(environ: Mapping[str, str], platform: str, cwd: str) -> List[str]:
    """The indexes pdm is configured with here: the project's sources, and its default
    index when one is configured (pdm's own default is not named: pip's is diagnosed)."""
    ctx = Context(
        environ, platform, cwd, Target("", "0", "", "", platform, SslFacts(ok=False), None)
    )
    return [s.url for s in sources(ctx) if s.url]


CLIENT = Client(
    name="pdm",
    trusts=trusts,
    point=point,
    user_wide=USER_WIDE,
    interpreter=interpreter,
    index_urls=index_urls,
    writes=lambda environ, platform: [config_file(environ, platform)],
)
