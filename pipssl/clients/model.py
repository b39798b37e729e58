"""What the client modules share: the value/provenance dataclasses, the context a
client's settings are read in, and the file readers every precedence table starts from.

Each client module (:mod:`~pipssl.clients.uv`, :mod:`~pipssl.clients.poetry`,
:mod:`~pipssl.clients.conda`, :mod:`~pipssl.clients.requests_`) turns a :class:`Context`
into a :class:`ClientTrust`: what that client verifies with, every :class:`Setting` it
saw (highest precedence first) and where each comes from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import (
    Any,
    Callable,
    Dict,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

from pipssl import _files, commands
from pipssl._redact import redact
from pipssl._text import shown
from pipssl.errors import ConfigError
from pipssl.findings import Finding
from pipssl.formats.toml import read_toml
from pipssl.interpreter.facts import Target
from pipssl.interpreter.tool import InterpreterOf
from pipssl.net.context import PIP_POLICY, VerifyPolicy

#: How the real client is asked (:mod:`pipssl.clients.real`): requests in the client's
#: interpreter, or the uv binary resolving a name against the index.
RealKind = Literal["requests", "uv"]


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
        builtin: ``cafiles`` stand for the client's own default roots.
        policy: what it checks beyond its CA material (:mod:`pipssl.clients.profile`).
        stack: what that policy comes from, for humans (``urllib3 2.8.0 on Python 3.13.0``).
        program: what the real client check runs (:mod:`pipssl.clients.real`): the Python
            whose requests the client uses, or uv; None when there is nothing to run.
        python: the interpreter uv resolves for.
        verify_arg: the CA file the client hands requests as ``verify=`` (a poetry
            source's ``cert``); None: requests' own choice.
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
    builtin: bool = False
    policy: VerifyPolicy = PIP_POLICY
    stack: str = ""
    program: Optional[str] = None
    python: Optional[str] = None
    verify_arg: Optional[str] = None

    def describe(self) -> str:
        """One line: what it verifies with, and where that comes from."""
        if not self.verify:
            return f"nothing: verification is OFF ({shown(self.origin)})"
        origin = shown(self.origin)  # names a config file, a value: as shown()
        if self.builtin:
            return origin
        parts = [f"the OS trust store ({origin})"] if self.os_store else []
        if self.cafiles or self.cadirs:
            paths = " ".join(shown(p) for p in [*self.cafiles, *self.cadirs])
            parts.append(f"{paths} ({origin})")
        if not parts:
            parts.append(origin)
        return " + ".join(parts)


@dataclass(frozen=True)
class ClientTarget:
    """The outcome of one index URL for a client: pipssl's probe with the client's CA
    material and rules, or, where it ran, the real client's own verdict (``checked_by``
    names it; it wins over the probe)."""

    url: str
    ok: bool
    stage: str
    error: str = ""
    checked_by: str = ""

    def __post_init__(self) -> None:
        # As TargetResult does: no path out of pipssl carries a URL's password.
        for name in ("url", "error"):
            object.__setattr__(self, name, redact(getattr(self, name)))

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready data (schema 1: one of a report's ``clients[].targets``)."""
        return {
            "url": self.url,
            "ok": self.ok,
            "stage": self.stage,
            "error": self.error,
            "checked_by": self.checked_by,
        }


@dataclass(frozen=True)
class ClientReport:
    """What :func:`pipssl.clients.check` found for one client: what it verifies with, and
    its result per index (a report's ``clients``).

    Attributes:
        client: ``uv``, ``poetry``, ``conda`` or ``requests``.
        label: the client, with the poetry source it is about (``poetry source corp``).
        found: why pipssl thinks the client is here.
        verify: False when the client does not verify certificates at all.
        trust: :meth:`ClientTrust.describe`: what it verifies with, for humans.
        settings: every CA setting seen, highest precedence first.
        insecure_hosts: hosts it does not verify.
        targets: one result per index probed.
    """

    client: str
    label: str
    found: str
    verify: bool
    trust: str
    settings: Tuple[Setting, ...] = ()
    insecure_hosts: Tuple[str, ...] = ()
    targets: Tuple[ClientTarget, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready data (schema 1: one of a report's ``clients``)."""
        return {
            "client": self.client,
            "label": self.label,
            "found": self.found,
            "verify": self.verify,
            "trust": self.trust,
            "settings": [
                {"name": s.name, "value": s.value, "where": s.where} for s in self.settings
            ],
            "insecure_hosts": list(self.insecure_hosts),
            "targets": [t.to_dict() for t in self.targets],
        }


@dataclass
class Context:
    """What a client's settings are read in: its environment, platform, project
    directory and the interpreter diagnosed."""

    environ: Mapping[str, str]
    platform: str
    cwd: str
    target: Target
    home: str = field(init=False)

    def __post_init__(self) -> None:
        self.home = self.environ.get("HOME") or self.environ.get("USERPROFILE") or ""

    def which(self, name: str) -> Optional[str]:
        import shutil  # noqa: PLC0415 late: with bz2 and lzma it is a tenth of doctor's start-up

        return shutil.which(name, path=self.environ.get("PATH", os.defpath))


@dataclass(frozen=True)
class ConfigEdit:
    """One config file a client's repair changes.

    Attributes:
        path: the file.
        data: its new bytes.
        kind: the action's kind (``set-poetry-cert``).
        detail: what changes, for humans.
    """

    path: str
    data: bytes
    kind: str
    detail: str


@dataclass(frozen=True)
class ClientPlan:
    """What pointing one client at pipssl's bundle takes.

    Attributes:
        edits: config files to change.
        env_to_set: variables the client must see (printed per shell; ``run`` sets them).
        env_to_unset: variables that override the change.
        manual: findings the user must act on.
    """

    edits: Tuple[ConfigEdit, ...] = ()
    env_to_set: Tuple[Tuple[str, str], ...] = ()
    env_to_unset: Tuple[str, ...] = ()
    manual: Tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Pointing:
    """What a client's repair is given: the bundle, the text of a file as the plan leaves
    it so far, and the user's consent to replace a setting that turns verification off.

    Attributes:
        bundle: pipssl's bundle.
        text: ``text(path)``: the file's text ("" when it does not exist yet).
        insecure_ok: replace ``ssl_verify: false`` and the like (``--remove-trusted-host``).
    """

    bundle: str
    text: Callable[[str], str]
    insecure_ok: bool = False


def _no_urls(environ: Mapping[str, str], platform: str, cwd: str) -> List[str]:
    return []


@dataclass(frozen=True)
class Client:
    """One installer other than pip, all of it in its own module (each module's
    ``CLIENT``), listed once in :data:`pipssl.clients.registry.CLIENTS`.

    Attributes:
        name: as ``--for`` and messages name it.
        trusts: its precedence table read: what it verifies with, one per source.
        point: what pointing it at pipssl's bundle takes.
        bundle_variable: the variable it reads the bundle from when no file of its names
            it (None: it has none).
        user_wide: its config file is the user's, read by every Python of theirs: only the
            user's bundle is written there (``--scope user``).
        interpreter: for ``pipssl run -- NAME``; None: ``run`` does not drive it.
        index_urls: the indexes its project configures, from (environ, platform, cwd):
            what ``run`` diagnoses when its command line names none.
        real: how the real client is asked (None: it is not).
        insecure_keys: its settings that list hosts it does not verify.
        writes: the config files its repair may write, from (environ, platform): the
            only ones repair, undo and recovery let it write (:mod:`pipssl.repairing.places`).
        index_flags: the options of its command line that name an index, beyond pip's
            (``run`` diagnoses those indexes).
        tls_markers: what it prints when TLS fails, beyond pip's words (``run`` then
            diagnoses and repairs).
    """

    name: str
    trusts: Callable[[Context], List[ClientTrust]]
    point: Callable[[Context, Pointing], ClientPlan]
    bundle_variable: Optional[str] = None
    user_wide: bool = False
    interpreter: Optional[InterpreterOf] = None
    index_urls: Callable[[Mapping[str, str], str, str], List[str]] = _no_urls
    real: Optional[RealKind] = None
    insecure_keys: Tuple[str, ...] = ()
    writes: Callable[[Mapping[str, str], str], List[str]] = lambda _environ, _platform: []
    index_flags: Tuple[str, ...] = ()
    tls_markers: Tuple[str, ...] = ()


def repair_command(client: str, user_wide: bool, *more: str) -> str:
    """The repair that points ``client`` at pipssl's bundle: for a client whose file is
    user-wide, the user's bundle (``--scope user``; one inside a venv is refused)."""
    scope = ("--scope", "user") if user_wide else ()
    return commands.pipssl("repair", *scope, "--for", client, *more)


def point_with_variable(name: str, ctx: Context, pointing: Pointing) -> ClientPlan:
    """The plan of a client that reads the bundle from variable ``name`` only."""
    if ctx.environ.get(name) == pointing.bundle:
        return ClientPlan()
    return ClientPlan(env_to_set=((name, pointing.bundle),))


def blocked(code: str, client: str, setting: Setting, why: str, fix: str) -> Finding:
    """A finding for a setting of ``client`` the user must change first."""
    return Finding.make(
        code,
        client,
        f"{shown(setting.name)} ({shown(setting.where)}) {why}",
        f"{shown(setting.name)} = {shown(setting.value)}",
        fix,
        client=client,
    )


# --- reading files ---------------------------------------------------------------------


def read_text(path: str) -> Optional[str]:
    try:
        data = _files.read_optional(path, _files.CLIENT_CONFIG, directory_is_missing=True)
    except _files.FileRefused as exc:  # a FIFO, a device, a huge file: named, never read
        raise ConfigError(exc.message, hint="Make it a regular file, or remove it.") from None
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8; pipssl will not read it") from None


def read_toml_file(path: str) -> Optional[Dict[str, Any]]:
    text = read_text(path)
    return None if text is None else read_toml(text, path)


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def project_file(cwd: str, names: Sequence[str], want: Any) -> Optional[Tuple[str, Any]]:
    """The nearest ``names`` file from ``cwd`` up for which ``want(data)`` is not None."""
    here = os.path.abspath(cwd)
    while True:
        for name in names:
            path = os.path.join(here, name)
            if os.path.isfile(path):
                found = want(name, read_toml_file(path) or {})
                if found is not None:
                    return path, found
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def env_setting(env: Mapping[str, str], name: str) -> List[Setting]:
    return [Setting(name, env[name], f"environment variable {name}")] if env.get(name) else []


def mozilla_roots(target: Target) -> str:
    """A certifi bundle: pipssl's own, else the target's, else its pip's vendored one."""
    try:
        import certifi  # noqa: PLC0415 certifi may be missing

        return str(certifi.where())
    except ImportError:
        pass
    if target.certifi is not None:
        return target.certifi.where
    return (target.pip.certifi if target.pip else None) or ""
