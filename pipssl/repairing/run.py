"""Make pip verify again without weakening anything: plan, apply, verify, undo.

pipssl writes a CA bundle of its own (certifi's roots + the OS store's roots + CAs the
user named or confirmed by fingerprint) and points pip's ``cert`` at it, in the one config
file the user's pip reads for the scope asked.  certifi's and pip's bundles, and the OS
store, are never touched; ``trusted-host`` is never written.  Every write goes through a
:class:`~pipssl.journal.Transaction` (atomic, backed up, journaled, locked); a repair that
does not verify is rolled back.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from pipssl import clients, journal
from pipssl._files import read_optional
from pipssl.certs import bundle as cabundle
from pipssl.certs import store as _platform
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.diagnosis.checks import cafile_problem
from pipssl.diagnosis.report import Finding, Report
from pipssl.diagnosis.run import (
    DEFAULT_TIMEOUT,
    config_args,
    diagnose_target,
    load_config,
    urls_to_check,
)
from pipssl.errors import BundleError, CertificateError, PipsslError, UsageError
from pipssl.net import tls
from pipssl.repairing import confedit
from pipssl.target import pipconfig
from pipssl.target.facts import Target, inspect
from pipssl.target.runpip import scrubbed
from pipssl.target.trust import ENV_BUNDLES

SCOPES = ("auto", "user", "site", "global")
BUNDLE_NAME = "ca-bundle.pem"
#: Findings a new bundle + ``cert`` can answer.
FIXABLE = frozenset(
    {
        "untrusted-issuer-in-system-store",
        "untrusted-issuer-unknown",
        "cafile-missing",
        "cafile-unreadable",
        "cafile-empty",
        "ca-not-a-certificate",
    }
)
#: What the user must do instead, for findings no safe client-side change can fix.
MANUAL = frozenset(
    {
        "cert-expired",
        "cert-not-yet-valid",
        "clock-skew",
        "hostname-mismatch",
        "self-signed",
        "client-cert-required",
        "proxy-auth-required",
        "proxy-unreachable",
        "proxy-scheme-mismatch",
        "dns-failure",
        "connection-refused",
        "timeout",
        "not-tls",
        "tls-version-unsupported",
        "incomplete-chain",
        "ssl-module-missing",
        "ssl-module-broken",
        "openssl-too-old",
        "pip-missing",
        "pip-known-bug",
    }
)


@dataclass(frozen=True)
class Action:
    """One change a repair makes.

    Attributes:
        kind: ``write-bundle``, ``set-cert``, ``remove-cert`` or ``remove-trusted-host``.
        path: the file changed.
        scope: ``user``, ``site``, ``global`` or ``env`` (the PIP_CONFIG_FILE file).
        answers: the finding codes it answers.
        before / after: SHA-256 of the file's bytes (None: no such file).
        detail: one line for humans.
    """

    kind: str
    path: str
    scope: str
    answers: Tuple[str, ...]
    before: Optional[str]
    after: Optional[str]
    detail: str

    def to_dict(self) -> Dict[str, object]:
        return {
            "kind": self.kind,
            "path": self.path,
            "scope": self.scope,
            "answers": list(self.answers),
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Plan:
    """What a repair would change, and what it leaves to the user."""

    scope: str
    bundle: str
    config_file: str
    actions: Tuple[Action, ...]
    manual: Tuple[Finding, ...]
    env_to_unset: Tuple[str, ...]
    contents: Dict[str, Optional[bytes]] = field(default_factory=dict, repr=False)
    env_to_set: Tuple[Tuple[str, str], ...] = ()  # for clients that read only a variable
    clients: Tuple[str, ...] = ()  # the other installers asked for (--for)


@dataclass(frozen=True)
class RepairResult:
    """The outcome of :func:`repair`.

    Attributes:
        ok: pip verifies every index now (or would, once ``env_to_unset`` are unset),
            and nothing was left for the user to do.
        changed: files were written (False for a dry run or a no-op).
        actions: the planned (dry run) or applied changes.
        verification: the diagnosis made after applying (None for a dry run).
        findings: what remains to be done by hand, with the exact commands.
        rolled_back: the changes did not verify and were undone.
        message: one line summing it up.
    """

    ok: bool
    changed: bool
    actions: Tuple[Action, ...]
    verification: Optional[Report]
    findings: Tuple[Finding, ...]
    env_to_unset: Tuple[str, ...]
    rolled_back: bool
    message: str
    record: Optional[str] = None
    env_to_set: Tuple[Tuple[str, str], ...] = ()

    def to_dict(self) -> Dict[str, object]:
        from dataclasses import asdict

        return {
            "schema": 1,
            "ok": self.ok,
            "changed": self.changed,
            "rolled_back": self.rolled_back,
            "message": self.message,
            "record": self.record,
            "actions": [a.to_dict() for a in self.actions],
            "findings": [asdict(f) for f in self.findings],
            "env_to_unset": list(self.env_to_unset),
            "env_to_set": dict(self.env_to_set),
            "verification": self.verification.to_dict() if self.verification else None,
        }


# --- where things go ------------------------------------------------------------------


def bundle_path(scope: str, target: Target, environ: Mapping[str, str]) -> str:
    """pipssl's own bundle for ``scope``: a file no other tool writes.

    Raises:
        PipsslError: ``unsafe-bundle-path`` when that file, or its ``pipssl`` directory,
            exists as a symbolic link or as something other than a regular file/directory.
    """
    path = _bundle_location(scope, target, environ)
    _refuse_planted(os.path.dirname(path), stat.S_ISDIR, "a directory")
    _refuse_planted(path, stat.S_ISREG, "a regular file")
    return path


def _refuse_planted(path: str, kind_ok: Callable[[int], bool], kind: str) -> None:
    """pipssl creates its bundle and the directory holding it: a link there was put by
    someone else, and writing through it would replace a file pipssl does not own."""
    try:
        info = os.lstat(path)
    except OSError:
        return  # missing: pipssl creates it; unreadable: writing it reports that
    if stat.S_ISLNK(info.st_mode):
        why = f"it is a symbolic link to {os.readlink(path)}"
    elif not kind_ok(info.st_mode):
        why = f"it is not {kind}"
    else:
        return
    raise PipsslError(
        f"refusing to write pipssl's CA bundle at {path}: {why}",
        reference="unsafe-bundle-path",
        hint="Remove it (pipssl creates it itself), then run repair again.",
    )


def _bundle_location(scope: str, target: Target, environ: Mapping[str, str]) -> str:
    platform = target.platform
    if scope == "site":
        return os.path.join(target.prefix, "share", "pipssl", BUNDLE_NAME)
    if scope == "global":
        if platform == "win32":
            base = environ.get("PROGRAMDATA") or "C:\\ProgramData"
            return os.path.join(base, "pipssl", BUNDLE_NAME)
        if platform == "darwin":
            return os.path.join("/Library/Application Support/pipssl", BUNDLE_NAME)
        return os.path.join("/etc/pipssl", BUNDLE_NAME)
    home = environ.get("HOME") or environ.get("USERPROFILE") or ""
    if platform == "win32":
        base = environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "pipssl", BUNDLE_NAME)
    if platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "pipssl", BUNDLE_NAME)
    data = environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(data):
        data = os.path.join(home, ".local", "share")
    return os.path.join(data, "pipssl", BUNDLE_NAME)


def choose_scope(scope: str, target: Target, environ: Mapping[str, str]) -> Tuple[str, str]:
    """Resolve ``scope`` to (kind, config file) that this pip actually reads.

    ``auto``: the PIP_CONFIG_FILE file if it exists (pip reads it instead of the user
    files), else the virtualenv's site file inside a venv, else the user file.

    Raises:
        UsageError: an unknown scope, or a scope whose file pip does not read here.
    """
    if scope not in SCOPES:
        raise UsageError(f"--scope {scope!r}: choose one of {', '.join(SCOPES)}")
    files = dict(pipconfig.config_files(environ, **config_args(target)))
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        raise UsageError(
            "PIP_CONFIG_FILE is os.devnull, so pip reads no config file at all",
            hint="unset PIP_CONFIG_FILE, or point it at a file, then run repair again",
        )
    if scope == "auto":
        if env_file and os.path.isfile(env_file):
            return "env", env_file
        scope = "site" if target.prefix != target.base_prefix else "user"
    if scope == "user" and not files.get("user"):
        if env_file and os.path.isdir(env_file):
            # pip reads nothing from a directory, yet it still skips the user files.
            raise UsageError(
                f"PIP_CONFIG_FILE={env_file} is a directory: pip reads no config from it "
                "and skips the user config files",
                hint="point PIP_CONFIG_FILE at a file (or unset it), then run repair again",
            )
        raise UsageError(
            f"--scope user: pip does not read user config files here "
            f"(PIP_CONFIG_FILE={env_file} exists)",
            hint="use --scope auto to edit the PIP_CONFIG_FILE file pip reads",
        )
    # pip's own `pip config --<scope> set` edits the last file of the kind; so do we.
    paths = files.get(scope) or []
    if not paths:
        raise UsageError(f"--scope {scope}: pip has no {scope} config file here")
    return scope, paths[-1]


# --- what goes in the bundle -------------------------------------------------------------


def _certifi_roots(target: Target) -> Tuple[List[Certificate], str]:
    """certifi's roots: the installed certifi (or the one carried by the bootstrap);
    failing that, the target pip's vendored copy."""
    try:
        import certifi

        path, label = certifi.where(), f"certifi {getattr(certifi, '__version__', '')}"
    except ImportError:
        path = (target.pip or {}).get("certifi") or ""
        label = "pip's vendored certifi"
    if not path:
        return [], label
    return cabundle.load_cafile(path), label.strip()


def _named_cas(paths: Sequence[str], now: datetime) -> List[Tuple[Certificate, str]]:
    """CAs from files the user named: each must be a CA, valid now; keys are refused."""
    out: List[Tuple[Certificate, str]] = []
    for path in paths:
        try:
            certs = cabundle.load_cafile(path)
        except BundleError as exc:
            raise UsageError(f"--ca {path}: {exc}", hint=exc.hint) from None
        for cert in certs:
            _require_ca(cert, f"--ca {path}", now)
            out.append((cert, f"named by the user: {os.path.abspath(path)}"))
    return out


def _require_ca(cert: Certificate, where: str, now: datetime) -> None:
    if cert.is_ca is not True:
        raise UsageError(
            f"{where}: {cert.subject} is not a CA certificate (basic constraints)",
            hint="give the CA that issued the server's certificate, not the server's own",
        )
    if not cert.is_valid_at(now):
        raise UsageError(
            f"{where}: {cert.subject} is not valid now "
            f"({cert.not_before.date()} to {cert.not_after.date()})"
        )


def _normal_fingerprint(text: str) -> str:
    hexdigits = "".join(ch for ch in text if ch not in ": ").upper()
    if len(hexdigits) != 64 or any(ch not in "0123456789ABCDEF" for ch in hexdigits):
        raise UsageError(f"--accept-ca {text!r} is not a SHA-256 fingerprint (64 hex digits)")
    return ":".join(hexdigits[i : i + 2] for i in range(0, 64, 2))


def _accepted_cas(
    fingerprints: Sequence[str],
    urls: Sequence[str],
    environ: Mapping[str, str],
    config: pipconfig.PipConfig,
    timeout: float,
    now: datetime,
) -> List[Tuple[Certificate, str]]:
    """CAs the servers presented whose SHA-256 the user confirmed (never on first use)."""
    wanted = [_normal_fingerprint(f) for f in fingerprints]
    if not wanted:
        return []
    seen: Dict[str, Certificate] = {}
    proxy_value = config.get("proxy")
    for url in urls:
        proxy = tls.select_proxy(url, environ, proxy_value.value if proxy_value else None)
        result = tls.probe(url, proxy=proxy, timeout=timeout)
        for der in result.chain:
            try:
                cert = parse_certificate(der)
            except CertificateError:
                continue
            seen.setdefault(cert.sha256, cert)
    out = []
    for fingerprint in wanted:
        if fingerprint not in seen:
            raise UsageError(
                f"--accept-ca {fingerprint}: no index presented a certificate with that "
                "SHA-256 (run `pipssl doctor` to see the fingerprints)"
            )
        _require_ca(seen[fingerprint], f"--accept-ca {fingerprint}", now)
        out.append((seen[fingerprint], f"confirmed by SHA-256 {fingerprint}"))
    return out


def build_bundle(
    target: Target,
    environ: Mapping[str, str],
    extra: Sequence[Tuple[Certificate, str]],
) -> bytes:
    """certifi + OS store + ``extra``, deduplicated, each with a comment naming its source.

    Rebuilt from scratch each time (never appended to), so the same inputs give the same
    bytes and a second repair changes nothing.
    """
    roots, label = _certifi_roots(target)
    entries = [cabundle.BundleEntry(c, label) for c in roots]
    store = _platform.os_store(environ=environ)
    try:
        os_certs = cabundle.read_pem(store.pem, source="OS trust store") if store.pem else []
    except PipsslError:
        os_certs = []
    entries += [
        cabundle.BundleEntry(c, "OS trust store") for c in os_certs if c.is_ca is not False
    ]
    entries += [cabundle.BundleEntry(c, source) for c, source in extra]
    header = (
        "# pipssl CA bundle: certifi's roots, the OS trust store's roots and the CAs the\n"
        "# user named or confirmed. Rebuilt by `pipssl repair`; do not edit by hand.\n"
    )
    return (header + cabundle.render_bundle(entries)).encode("ascii")


# --- planning ---------------------------------------------------------------------------


def _sha256(data: Optional[bytes]) -> Optional[str]:
    return None if data is None else hashlib.sha256(data).hexdigest()


def plan(
    report: Report,
    target: Target,
    environ: Mapping[str, str],
    config: pipconfig.PipConfig,
    *,
    scope: str = "auto",
    extra_cas: Sequence[Tuple[Certificate, str]] = (),
    remove_trusted_host: bool = False,
    clients_for: Sequence[str] = (),
    cwd: Optional[str] = None,
) -> Plan:
    """Turn a diagnosis (and the pip config it was made with) into the list of changes
    that would fix it safely; ``clients_for`` (uv, poetry, conda, requests) are pointed
    at the same bundle (see :func:`pipssl.clients.plan_client`)."""
    kind, config_file = choose_scope(scope, target, environ)
    codes = {f.code for f in report.findings} & FIXABLE
    if not extra_cas:
        # certifi + the OS store cannot cover an issuer nobody on this machine trusts.
        codes.discard("untrusted-issuer-unknown")
    bundle = bundle_path("user" if kind == "env" else kind, target, environ)
    manual = [f for f in report.findings if f.code in MANUAL]
    answers = tuple(sorted(codes))
    actions: List[Action] = []
    contents: Dict[str, Optional[bytes]] = {}
    env_to_unset: List[str] = []

    def planned(path: str) -> Optional[bytes]:
        """The file as the plan leaves it so far (several actions may edit one file)."""
        return contents[path] if path in contents else read_optional(path)

    def change(
        kind_: str,
        path: str,
        scope_: str,
        new: Optional[bytes],
        detail: str,
        answers_: Tuple[str, ...] = answers,
    ) -> None:
        old = planned(path)
        if old == new:
            return
        contents[path] = new
        actions.append(Action(kind_, path, scope_, answers_, _sha256(old), _sha256(new), detail))

    wanted = bool(answers) or bool(extra_cas)
    cert = config.get("cert")
    if cert is not None and os.path.abspath(cert.value.strip()) == bundle:
        wanted = True  # keep our own bundle up to date once it is in use
    if wanted or clients_for:
        change(
            "write-bundle",
            bundle,
            kind,
            build_bundle(target, environ, extra_cas),
            f"pipssl's CA bundle ({len(extra_cas)} named CA(s) + certifi + OS store)",
            answers if wanted else (),  # only the clients asked for it
        )
    if wanted:
        text = confedit.decoded(config_file, planned(config_file))
        edited = confedit.set_value(text, "global", "cert", bundle)
        change(
            "set-cert", config_file, kind, edited.encode("utf-8"), f"cert = {bundle} in [global]"
        )
        # A cert elsewhere that pip would prefer over ours: fix it if it is broken,
        # report it otherwise; an environment variable can only be reported.
        ours = _precedence(kind)
        for value in config.get_all("cert"):
            if value.kind == "env-var":
                env_to_unset.append(value.name)
                continue
            wins = _precedence(value.kind) > ours or (
                value.kind == kind and value.section not in (None, "global")
            )
            if not wins or value.file is None:
                continue
            if cafile_problem(value.value.strip()) is not None:
                path = value.file
                text = confedit.decoded(path, planned(path))
                new = confedit.remove_value(text, _section(value), value.name)
                change(
                    "remove-cert",
                    path,
                    value.kind,
                    new.encode("utf-8"),
                    f"remove broken {value.where()}",
                )
            else:
                manual.append(
                    Finding.make(
                        "env-shadows-config",
                        value.where(),
                        f"{value.where()} names another CA file and wins over pipssl's",
                        f"cert = {value.value}",
                        f"run repair with --scope {value.kind}, or remove that line",
                    )
                )
    env_to_set: List[Tuple[str, str]] = []
    for client in clients_for:
        client_plan = clients.plan_client(
            client,
            bundle,
            target,
            environ,
            read=planned,
            cwd=cwd,
            allow_insecure_fix=remove_trusted_host,
        )
        for path, data, kind_, detail in client_plan.edits:
            change(kind_, path, client, data, detail, ())
        env_to_set += client_plan.env_to_set
        env_to_unset += client_plan.env_to_unset
        manual += client_plan.manual
    for name in ENV_BUNDLES:
        if environ.get(name) and environ[name] != bundle:
            env_to_unset.append(name)
    if remove_trusted_host:
        for value in config.get_all("trusted-host"):
            if value.file is None or value.kind == "env-var":
                env_to_unset.append(value.name)
                continue
            path = value.file
            text = confedit.decoded(path, planned(path))
            for host in pipconfig.split_list(value.value):
                text = confedit.remove_list_item(text, _section(value), value.name, host)
            change(
                "remove-trusted-host",
                path,
                value.kind,
                text.encode("utf-8"),
                f"remove trusted-host from {value.where()}",
            )
    return Plan(
        kind,
        bundle,
        config_file,
        tuple(actions),
        tuple(manual),
        tuple(n for n in dict.fromkeys(env_to_unset) if n not in dict(env_to_set)),
        contents,
        tuple(dict(env_to_set).items()),
        tuple(clients_for),
    )


def _section(value: pipconfig.Value) -> str:
    """The section to edit for ``value``: [DEFAULT] when the value is inherited from it."""
    if value.from_default:
        return "DEFAULT"
    return value.section or "global"


def _precedence(kind: str) -> int:
    return pipconfig.OVERRIDE_ORDER.index(kind)


# --- applying -----------------------------------------------------------------------------


def _tls_failures(report: Report, clients_for: Sequence[str] = ()) -> List[str]:
    """Indexes pip (and each client asked for) still cannot reach over TLS."""
    failing = [t.url for t in report.targets if not t.ok and t.stage != "http"]
    for client in report.clients:
        if client["client"] in clients_for:
            failing += [
                "{} ({})".format(t["url"], client["label"])
                for t in client["targets"]
                if not t["ok"] and t["stage"] != "http"
            ]
    return failing


def repair(
    *,
    ca_files: Sequence[str] = (),
    accept_ca: Sequence[str] = (),
    scope: str = "auto",
    dry_run: bool = False,
    remove_trusted_host: bool = False,
    python: Optional[str] = None,
    index_urls: Optional[Sequence[str]] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
    label: str = "pipssl repair",
    lock_timeout: float = 30.0,
    clients_for: Sequence[str] = (),
    cwd: Optional[str] = None,
) -> RepairResult:
    """Diagnose, then fix what is safe to fix, verify, and keep the changes only if pip
    now verifies.  Never prompts, never prints.

    Args:
        ca_files: PEM files of CAs to trust (each must be a CA; keys are refused).
        accept_ca: SHA-256 fingerprints (as ``doctor`` shows them) of CAs the indexes
            presented, to trust.
        scope: ``auto``, ``user``, ``site`` or ``global``: which pip config file to edit.
        dry_run: plan only; change nothing.
        remove_trusted_host: also remove ``trusted-host`` entries, once pip verifies.
        python: the interpreter whose pip to repair (default: this one).
        index_urls: the indexes to verify (default: the configured ones).
        timeout: seconds per index probe.
        environ: the environment pip runs with (default: ``os.environ``).
        label: what the journal calls this repair (``undo`` shows it).
        lock_timeout: seconds to wait for another repair to finish.
        clients_for: other installers to point at the same bundle (``uv``, ``poetry``,
            ``conda``, ``requests``); the changes stay only if each then verifies.
        cwd: the project directory uv and poetry read (default: the current one).

    Returns:
        A :class:`RepairResult`.

    Raises:
        PipsslError: bad input (a CA file that is not a CA, holds a key, a bad scope ...),
            a file that cannot be written, or another repair holding the lock.
    """
    env: Dict[str, str] = dict(os.environ if environ is None else environ)
    now = datetime.now(timezone.utc)
    named = _named_cas(ca_files, now)
    if not timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout}")
    target = inspect(python, env=env)
    before = diagnose_target(target, env, index_urls=index_urls, timeout=timeout, cwd=cwd)
    config = load_config(target, env)
    urls = urls_to_check(target, config, index_urls)
    extra = named + _accepted_cas(accept_ca, urls, env, config, timeout, now)
    the_plan = plan(
        before,
        target,
        env,
        config,
        scope=scope,
        extra_cas=extra,
        remove_trusted_host=remove_trusted_host,
        clients_for=clients_for,
        cwd=cwd,
    )
    state = journal.state_dir(env)
    # Nothing to write and nobody else writing: done.  But a repair killed half-way, or
    # one that committed while this one was diagnosing, means the verdict above may be
    # stale: decide again under the lock.
    if dry_run or (not the_plan.actions and not journal.busy_since(state, now)):
        verification = None if dry_run else before
        ok = not dry_run and _done(the_plan, before)
        message = (
            "dry run: nothing was changed"
            if dry_run
            else _ALREADY
            if ok
            else _SET_ENV
            if the_plan.env_to_set and not the_plan.actions
            else _NOTHING_SAFE
        )
        return RepairResult(
            ok,
            False,
            the_plan.actions,
            verification,
            _left_to_do(the_plan, before),
            the_plan.env_to_unset,
            False,
            message,
            env_to_set=the_plan.env_to_set,
        )
    with journal.Transaction(state, label=label, timeout=lock_timeout) as tx:
        # Another repair may have changed the files while this one was diagnosing: plan
        # again from the files as they are now, under the lock, so its work is kept.
        the_plan = plan(
            before,
            target,
            env,
            load_config(target, env),
            scope=scope,
            extra_cas=extra,
            remove_trusted_host=remove_trusted_host,
            clients_for=clients_for,
            cwd=cwd,
        )
        # verify with the environment pip will have once the user unsets what overrides it
        # ... and sets what the clients read their bundle from
        verify_env = {**scrubbed(env, the_plan.env_to_unset), **dict(the_plan.env_to_set)}
        for action in the_plan.actions:
            data = the_plan.contents[action.path]
            if data is None:
                tx.remove(action.path)
            else:
                tx.write(action.path, data, mode=0o644 if action.kind == "write-bundle" else None)
        after = diagnose_target(
            target, verify_env, index_urls=index_urls, timeout=timeout, cwd=cwd
        )
        failing = _tls_failures(after, the_plan.clients)
        if failing and the_plan.actions:
            tx.rollback()
            return RepairResult(
                False,
                False,
                the_plan.actions,
                after,
                _left_to_do(the_plan, after),
                the_plan.env_to_unset,
                True,
                "rolled back: still cannot verify " + ", ".join(failing),
                env_to_set=the_plan.env_to_set,
            )
        record = tx.commit()
    ok = _done(the_plan, after)
    message = (
        ("repaired: pip verifies every index" if record.changes else _ALREADY)
        if ok
        else (
            "repaired the config; unset the variables listed to finish"
            if the_plan.env_to_unset and not the_plan.env_to_set
            else _SET_ENV
            if the_plan.env_to_set
            else "repaired what is safe; some problems need you"
            if record.changes
            else _NOTHING_SAFE
        )
    )
    return RepairResult(
        ok,
        bool(record.changes),
        the_plan.actions,
        after,
        _left_to_do(the_plan, after),
        the_plan.env_to_unset,
        False,
        message,
        record.id if record.changes else None,
        the_plan.env_to_set,
    )


_ALREADY = "nothing to change: pip already verifies"
_NOTHING_SAFE = "nothing pipssl can change safely; see what is left to do"
#: Which of the clients read pipssl's bundle from each variable repair asks to set.
_READERS = {"SSL_CERT_FILE": ("uv",), "REQUESTS_CA_BUNDLE": ("requests", "poetry")}
_SET_ENV = "set (and unset) the variables listed to finish: a program cannot change your shell"


def _done(the_plan: Plan, report: Report) -> bool:
    """pip verifies every index, with nothing left for the user (an env var to unset, a
    trusted-host that still switches checks off, a problem only they can fix)."""
    return (
        _ok_for(report, the_plan.clients)
        and not _tls_failures(report, the_plan.clients)
        and not the_plan.env_to_unset
        and not the_plan.env_to_set
        and not _pending(the_plan, report)
        and not any(f.code == "insecure-trusted-host" for f in report.findings)
    )


def _client_of(finding: Finding) -> Optional[str]:
    """The installer a client finding is about (its target is ``uv``, ``poetry source X``)."""
    if finding.code.startswith("client-"):
        return finding.target.split()[0]
    return None


def _ok_for(report: Report, clients_for: Sequence[str]) -> bool:
    """No error, but those about installers the repair was not asked to fix."""
    return not any(
        f.severity == "error" and _client_of(f) in (None, *clients_for) for f in report.findings
    )


def _pending(the_plan: Plan, report: Report) -> List[Finding]:
    """The plan's manual findings that ``report`` still shows (a repair may answer some
    of them: a pip bug worked around by a bundle, say).  A winning ``cert`` elsewhere is
    pending whatever the report says."""
    still = {(f.code, f.target) for f in report.findings}
    return [
        f for f in the_plan.manual if (f.code, f.target) in still or f.code == "env-shadows-config"
    ]


def _left_to_do(the_plan: Plan, report: Report) -> Tuple[Finding, ...]:
    out = _pending(the_plan, report)
    for name in the_plan.env_to_unset:
        what = "pip's config" if name.startswith("PIP_") or name in ENV_BUNDLES else "it"
        out.append(
            Finding.make(
                "env-shadows-config",
                name,
                f"{name} overrides {what}; a program cannot unset it in your shell",
                "unset it in the shell (and in any profile file that sets it)",
                f"unset {name}            # sh, bash, zsh\nRemove-Item Env:{name}   # PowerShell",
            )
        )
    for name, value in the_plan.env_to_set:
        readers = [c for c in the_plan.clients if c in _READERS.get(name, ())]
        out.append(
            Finding.make(
                "client-cannot-verify",
                " ".join(readers) or name,
                f"{' and '.join(readers)} read(s) pipssl's bundle from {name} only; a program "
                "cannot set it in your shell",
                "set it in the shell (and in your profile file), or run the tool through "
                f"pipssl run -- {readers[0] if readers else 'TOOL'} ...",
                clients.shell_lines(name, value),
            )
        )
    seen = {(f.code, f.target) for f in out}
    # What the planned actions answer is not left for the user (this matters for the
    # plan shown before applying; after it, the report no longer has those findings).
    answered = {code for action in the_plan.actions for code in action.answers}
    out += [
        f
        for f in report.findings
        if (f.severity == "error" or f.code == "insecure-trusted-host")
        and (f.code, f.target) not in seen
        and f.code not in answered
        # the installers asked for are answered by the plan's edits and variables
        and not (f.code == "client-cannot-verify" and _client_of(f) in the_plan.clients)
    ]
    return tuple(out)


@dataclass(frozen=True)
class UndoResult:
    """What :func:`undo` restored."""

    record: str
    label: str
    paths: Tuple[str, ...]

    def to_dict(self) -> Dict[str, object]:
        return {
            "schema": 1,
            "ok": True,
            "record": self.record,
            "label": self.label,
            "restored": list(self.paths),
        }


def undo(*, environ: Optional[Mapping[str, str]] = None) -> UndoResult:
    """Restore exactly what the last repair changed.

    Raises:
        PipsslError: ``nothing-to-undo`` (and then nothing is created), ``changed-since``
            (a file changed since; nothing is restored), ``journal-corrupt``,
            ``unsafe-state-dir``, ``locked``.
    """
    env = dict(os.environ if environ is None else environ)
    state = journal.state_dir(env)
    # Refuse before undo_last takes the lock: an undo that does nothing creates nothing.
    if journal.last_record(state) is None:
        raise PipsslError(
            "nothing to undo: the pipssl journal has no repair left",
            reference="nothing-to-undo",
        )
    record = journal.undo_last(state)
    return UndoResult(record.id, record.label, tuple(c.path for c in record.changes))


def client_env(
    client: str,
    *,
    scope: str = "auto",
    python: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
) -> Dict[str, str]:
    """The variables ``client`` must see to use pipssl's bundle, once a repair wrote it
    (``pipssl run -- uv ...`` gives them to its child).

    Args:
        client: ``uv``, ``poetry``, ``conda`` or ``requests``.
        scope: as for :func:`repair`: whose bundle.
        python: the interpreter whose scope decides (default: this one).
        environ: the environment (default: ``os.environ``).
        cwd: the project directory (poetry's sources).

    Returns:
        ``{name: bundle}``; empty when there is no bundle yet or the client needs none.

    Raises:
        PipsslError: a bad scope, or a client config file that cannot be read.
    """
    env: Dict[str, str] = dict(os.environ if environ is None else environ)
    target = inspect(python, env=env)
    kind, _config_file = choose_scope(scope, target, env)
    bundle = bundle_path("user" if kind == "env" else kind, target, env)
    if not os.path.isfile(bundle):
        return {}
    return dict(
        clients.plan_client(client, bundle, target, env, read=read_optional, cwd=cwd).env_to_set
    )
