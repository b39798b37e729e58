"""Checks of the local setup: small functions, each returning Findings.

They look at the target interpreter (ssl, pip, certifi) and at pip's configuration
(CA files, environment variables); none of them touches the network.  The settings that
take TLS away (trusted-host, plain-HTTP indexes) are :mod:`pipssl.diagnosis.insecure`'s.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import datetime
from typing import List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pipssl import codes, commands
from pipssl._files import read_optional
from pipssl._text import shown
from pipssl.certs import bundle as cabundle
from pipssl.certs.compose import is_pipssl_bundle
from pipssl.certs.openssl import holds_hashed_names, special_hashed_name
from pipssl.certs.x509 import Certificate
from pipssl.commands import unset_lines
from pipssl.diagnosis.certifiadds import Added, added_cas
from pipssl.diagnosis.wording import keep_pointed, unset_fix
from pipssl.errors import PipsslError
from pipssl.findings import Finding
from pipssl.interpreter import pipconfig, pipfiles
from pipssl.interpreter.facts import Target
from pipssl.interpreter.trust import ENV_BUNDLES, PipTrust

#: pip-known-bug: pip 24.2 with truststore fails on IP-address index hosts
#: (pypa/pip#12906); measured: 24.2, 25.0 - 25.3 and 26.0 fail, 26.1 - 26.3 do not; behind
#: a proxy pip 24.2 - 25.1 verify without truststore and so do not hit it.
IP_HOST_BUG = ((24, 2), (26, 1))


def python_kind(target: Target) -> str:
    """Where this Python came from, to say how to fix its ssl module."""
    base = target.base_prefix.replace("\\", "/")
    if "/.pyenv/versions/" in base or "/pyenv/versions/" in base:
        return "pyenv"
    if os.path.isdir(os.path.join(target.base_prefix, "conda-meta")):
        return "conda"
    if base.startswith("/Library/Frameworks/Python.framework"):
        return "python.org"
    if base in ("/usr", "/usr/lib"):
        return "distro"
    if target.platform == "win32":
        return "windows"
    return "source"


# An IPv4 or IPv6 literal.  The part before the first colon holds no colon, so no two
# repeats compete for the same characters (that backtracked quadratically on a long host).
_IP_HOST = re.compile(r"[0-9.]+|[0-9a-fA-F]*:[0-9a-fA-F:.]*")

_SSL_FIXES = {
    "pyenv": (
        "install OpenSSL's headers, then rebuild this Python:\n"
        "sudo apt-get install libssl-dev        # Debian/Ubuntu\n"
        "sudo dnf install openssl-devel         # Fedora/RHEL\n"
        "brew install openssl@3                 # macOS\n"
        "pyenv install --force {version}"
    ),
    "conda": (
        "reinstall Python and OpenSSL in this environment (from a local channel if offline):\n"
        "conda install --force-reinstall python openssl"
    ),
    "python.org": (
        "reinstall Python from the python.org installer, then run\n"
        '"/Applications/Python {short}/Install Certificates.command"'
    ),
    "distro": (
        "reinstall the distribution's Python and OpenSSL packages:\n"
        "sudo apt-get install --reinstall libssl3 libpython{short}-stdlib   # Debian/Ubuntu\n"
        "sudo dnf reinstall python3-libs openssl-libs                      # Fedora/RHEL"
    ),
    "windows": "repair or reinstall Python from its installer (it ships its own OpenSSL)",
    "source": (
        "install OpenSSL's headers and rebuild Python with it:\n"
        "./configure --with-openssl=/path/to/openssl && make && make install"
    ),
}


def check_ssl(target: Target) -> List[Finding]:
    """ssl-module-missing / ssl-module-broken / openssl-too-old, about the interpreter by
    its path (another Python of the user's may be fine)."""
    info = target.ssl
    kind = python_kind(target)
    short = ".".join(target.version.split(".")[:2])
    fix = _SSL_FIXES[kind].format(version=target.version, short=short)
    python = shown(target.executable)
    if not info.ok:
        error = info.error
        fix += _meanwhile(short)
        if info.file:
            missing = re.search(r"(lib[\w.+-]+\.(?:so|dylib|dll)[\w.]*)", error)
            library = missing.group(1) if missing else "its OpenSSL library"
            return [
                Finding.make(
                    "ssl-module-broken",
                    target.executable,
                    f"{python}: its ssl module cannot load {shown(library)} ({kind} Python)",
                    f"{shown(info.file)} exists, but importing it fails:\n{shown(error)}\n"
                    + _NO_REPAIR,
                    "the OpenSSL this Python was built against is gone or moved; " + fix,
                )
            ]
        return [
            Finding.make(
                "ssl-module-missing",
                target.executable,
                f"{python} was built without the ssl module ({kind} Python)",
                f"import ssl: {shown(error)}\n{_NO_REPAIR}",
                fix,
            )
        ]
    version = info.openssl_info
    if not info.has_tls1_2 or (version and version < (1, 0, 1)):
        return [
            Finding.make(
                "openssl-too-old",
                target.executable,
                "{} ({}) cannot speak TLS 1.2, which every index requires".format(
                    info.openssl or "this OpenSSL", python
                ),
                "",
                fix,
            )
        ]
    return []


#: Why repair leaves a Python without ssl alone (:func:`pipssl.repairing.plan.plan_repair`).
_NO_REPAIR = (
    "pip cannot verify any certificate here, so pipssl's repair writes nothing for it: "
    "no change could be checked"
)


def _meanwhile(short: str) -> str:
    """Installing without TLS until then: a wheelhouse made on a machine with network
    access (any pipssl there), installed here by this pipssl, offline and hash-checked."""
    there = f"pipssl wheelhouse create --python-version {short} -o bundle.zip REQUIREMENT"
    here = commands.pipssl("wheelhouse", "install", "bundle.zip")
    return (
        "\n# meanwhile pip cannot download here; on a machine with network access run:"
        f"\n# {there}\n# bring bundle.zip here, then install from it (offline):\n{here}"
    )


def check_pip(target: Target) -> List[Finding]:
    """pip-missing."""
    if target.pip is not None:
        return []
    return [
        Finding.make(
            "pip-missing",
            target.executable,
            f"{shown(target.executable)} has no pip",
            "",
            commands.python(target.executable, "-m", "ensurepip", "--upgrade")
            + "   # offline: uses the pip wheel shipped with Python",
        )
    ]


def check_cafiles(
    config: pipconfig.PipConfig,
    environ: Mapping[str, str],
    executable: str,
    *,
    truststore: bool = False,
    unread: Sequence[str] = (),
) -> List[Finding]:
    """cafile-missing / -unreadable / -empty, ca-not-a-certificate, for every CA setting
    pip reads: its ``cert`` and the bundle variables requests lets override it.

    A directory is a CA directory (requests gives OpenSSL a directory as ``capath``; pips
    23.0 - 26.3 accept a c_rehash one): only a directory with no ``<hash>.<n>`` name is a
    finding, as OpenSSL finds nothing in it; an error where pip verifies with it alone,
    a warning where ``truststore`` pips still have the OS store and certifi.
    ``SSL_CERT_FILE`` is no pip setting: pips before 24.2 never read it, and truststore
    falls back to OpenSSL's directory or the distribution's bundle when it is missing, so
    a missing one shows in the OS store pip reads (:mod:`pipssl.certs.store.linux`).
    ``unread``: bundle variables this pip does not read (``PipTrust.unread``).
    A setting pip never opens (a ``cert`` another one wins over, or that a bundle variable
    overrides) is information; an empty one pip skips is nothing.
    """
    # (path, where, severity, how to unset, why pip does not read it)
    settings: List[Tuple[str, str, codes.Severity, str, str]] = []
    effective = config.get("cert")
    bundles = [n for n in ENV_BUNDLES if environ.get(n) and n not in unread]
    for value in config.get_all("cert"):
        if not value.value:
            continue  # pip skips an empty value: it names no file
        unset = unset_fix(value, config, executable)
        ignored = _not_read(value, effective, bundles)
        # a file pip never opens is no problem of pip's: information
        severity = codes.INFO if ignored else codes.ERROR
        settings.append((value.value.strip(), value.where(), severity, unset, ignored))
    for name in bundles:  # requests reads the first one set
        where = "environment variable " + name
        ignored = "" if name == bundles[0] else f"pip does not read it: {bundles[0]} overrides it"
        severity = codes.INFO if ignored else codes.ERROR
        settings.append((environ[name], where, severity, unset_lines(name), ignored))
    findings = []
    repair = commands.pipssl("repair")
    for path, where, severity, unset, ignored in settings:
        tail = f"; {ignored}" if ignored else ""
        fix = f"{unset}\n# or point it at a working bundle of pipssl's own:\n{repair}"
        if os.path.isdir(path):
            if not holds_hashed_names(path):
                findings.append(
                    Finding(
                        "cafile-empty",
                        "warning" if truststore and severity == "error" else severity,
                        path,
                        f"{shown(where)} names a CA directory in which OpenSSL finds no "
                        f"certificate{tail}",
                        "OpenSSL looks CAs up by file names <subject hash>.<n> "
                        "(openssl rehash DIR makes them); there are none",
                        f"openssl rehash {commands.quote(path)}\n# or remove the setting:\n{fix}",
                    )
                )
            special = special_hashed_name(path)
            if special is not None:  # OpenSSL would block on it (FIFO) or read without end
                findings.append(
                    Finding(
                        "cafile-unreadable",
                        severity,
                        path,
                        f"{shown(where)} names a CA directory OpenSSL cannot read{tail}",
                        f"{shown(special)} is not a regular file",
                        f"remove {shown(special)} from the directory\n# or remove the setting:\n"
                        + fix,
                    )
                )
            continue
        problem = cabundle.cafile_problem(path)
        if problem is None:
            continue
        code = problem.reference
        if code == "private-key-in-file":
            code = "ca-not-a-certificate"
        findings.append(
            Finding(
                code,
                severity,
                path,
                f"{shown(where)} names a CA file pip cannot use{tail}",
                shown(problem),
                fix,
            )
        )
    return findings


def _not_read(
    value: pipconfig.Value, effective: Optional[pipconfig.Value], bundles: Sequence[str]
) -> str:
    """Why pip never opens the CA file ``value`` names (empty: it does): requests lets a
    bundle variable override pip's cert (measured: pip 23.0.1 and 24.2 verify with
    REQUESTS_CA_BUNDLE and never open a missing PIP_CERT file), and pip reads one cert."""
    if bundles:
        return f"pip does not read it: {bundles[0]} overrides it"
    if value != effective:
        if effective is None:
            return "pip does not read it: an empty cert setting after it hides it"
        return f"pip does not read it: {shown(effective.where())} wins over it"
    return ""


_TLS_KEYS = ("cert", "client-cert", "index-url", "extra-index-url", "trusted-host", "proxy")


def check_env_shadows(
    config: pipconfig.PipConfig, environ: Mapping[str, str], unread: Sequence[str] = ()
) -> List[Finding]:
    """env-shadows-config: PIP_* over config files, REQUESTS_CA_BUNDLE over ``cert``
    (unless this pip does not read it: ``unread``)."""
    findings = []
    for key in _TLS_KEYS:
        values = config.get_all(key)
        # pip skips a variable set empty (its _update_defaults): it hides nothing
        env_values = [v for v in values if v.kind == "env-var" and v.value]
        file_values = [v for v in values if v.kind != "env-var"]
        if not env_values or not file_values:
            continue
        # What the variable hides is the value the files would give; hiding it with the
        # very same value changes nothing and is not worth a warning.
        env, hidden = env_values[-1], file_values[-1]
        if env.value.strip() == hidden.value.strip():
            continue
        findings.append(
            Finding.make(
                "env-shadows-config",
                env.name,
                f"{env.name} overrides {key} from pip's config",
                f"{env.name} = {shown(env.value)}\n"
                f"ignored: {shown(hidden.value)} ({shown(hidden.where())})",
                unset_lines(env.name),
            )
        )
    cert = config.get("cert")
    for name in ENV_BUNDLES:
        if name in unread:
            continue
        if environ.get(name) and cert is not None and environ[name] != cert.value.strip():
            findings.append(
                Finding.make(
                    "env-shadows-config",
                    name,
                    f"{name} overrides pip's cert setting (requests gives it precedence)",
                    f"{name} = {shown(environ[name])}\n"
                    f"ignored: cert = {shown(cert.value)} ({shown(cert.where())})",
                    unset_lines(name),
                )
            )
            break
    bundle = own_bundle(config)
    findings += _no_file_read(config, environ)
    return [_with_bundle(f, bundle) if f.target in CA_VARIABLES else f for f in findings]


def _no_file_read(config: pipconfig.PipConfig, environ: Mapping[str, str]) -> List[Finding]:
    """env-shadows-config, as information: PIP_CONFIG_FILE is the null device, so pip
    reads none of its config files (the CA a pip.conf names, say, does not count).  The
    real pip, asked once more without it, tells whether it is the cause (confirm.py)."""
    if not any(f.note == pipconfig.NO_FILE_READ for f in config.files):
        return []
    skipped = [f.path for f in config.files if f.exists and f.kind != pipfiles.ENV]
    name = "PIP_CONFIG_FILE"
    return [
        Finding(
            "env-shadows-config",
            "info",
            name,
            f"{name} is the null device: pip reads no config file at all",
            f"{name} = {shown(environ.get(name, ''))}\n"
            + (
                "not read: " + ", ".join(shown(path) for path in skipped)
                if skipped
                else "no other config file of pip's exists here"
            ),
            f"# if pip should read its config files:\n{unset_lines(name)}",
        )
    ]


#: The variables that name pip's CA file over its config files.
CA_VARIABLES = ("PIP_CERT", *ENV_BUNDLES)


def own_bundle(config: pipconfig.PipConfig) -> Optional[str]:
    """pipssl's bundle, when a config file of pip's names one (a file pipssl wrote)."""
    for value in config.get_all("cert"):
        if value.kind == pipconfig.ENV_VAR:
            continue
        path = os.path.abspath(value.value.strip())
        try:
            if is_pipssl_bundle(read_optional(path, directory_is_missing=True)):
                return path
        except PipsslError:
            continue  # check_cafiles reports a CA file that cannot be read
    return None


def _with_bundle(found: Finding, bundle: Optional[str]) -> Finding:
    """The second remedy of a variable that hides pip's CA setting: keep the variable
    (other tools may read it) and point it at pipssl's bundle."""
    if bundle is None or found.target not in CA_VARIABLES:
        return found
    return replace(found, fix=found.fix + "\n" + keep_pointed(found.target, bundle))


def deciding_variables(
    config: pipconfig.PipConfig, environ: Mapping[str, str], unread: Sequence[str] = ()
) -> List[Tuple[str, str]]:
    """The variables (name, value) that decide pip's CA file, whatever its config says."""
    found = [(v.name, v.value) for v in config.get_all("cert") if v.kind == pipconfig.ENV_VAR]
    for name in ENV_BUNDLES:
        if environ.get(name) and name not in unread:
            return [*found, (name, environ[name])]
    return found


def check_repair_overridden(
    config: pipconfig.PipConfig,
    environ: Mapping[str, str],
    unread: Sequence[str],
    findings: Sequence[Finding],
) -> List[Finding]:
    """env-shadows-config before a repair: an index fails for want of a CA that pipssl's
    bundle would give, and a variable decides pip's CA file, so the ``cert`` a repair
    writes would not count while it is set (repair would say so only afterwards)."""
    wanted = codes.with_remedy(codes.BUNDLE)
    if not any(f.severity == codes.ERROR and f.code in wanted for f in findings):
        return []
    told = {f.target for f in findings if f.code == "env-shadows-config"}
    return [
        Finding.make(
            "env-shadows-config",
            name,
            f"{name} decides pip's CA file: the cert a repair writes to pip's config would "
            "not count while it is set",
            f"{name} = {shown(value)}",
            f"{unset_lines(name)}\n# or keep {name}, and once repair wrote pipssl's bundle "
            "point it there (repair prints the line)",
        )
        for name, value in deciding_variables(config, environ, unread)
        if name not in told
    ]


def check_certifi(target: Target, environ: Mapping[str, str]) -> List[Finding]:
    """certifi-modified: cacert.pem differs from its wheel's RECORD; the certificates
    added to it are named, and kept in a file for the fix (:mod:`.certifiadds`)."""
    findings = []
    for check in target.record_checks:
        if not check.modified:
            continue
        added = added_cas(check.path, environ)
        findings.append(
            Finding.make(
                "certifi-modified",
                check.path,
                "{}'s cacert.pem was edited after install; the next upgrade undoes it".format(
                    "pip's vendored certifi" if check.dist == "pip" else "certifi"
                ),
                f"RECORD sha256={check.expected}, file sha256={check.actual}"
                + _added_detail(added),
                _reinstall_fix(target, check.dist, added),
            )
        )
    return findings


def _added_detail(added: Added) -> str:
    if not added.known:
        return ""  # the fix asks for the file, as when nothing could be read
    if not added.certs:
        return "\nno certificate was added to it (certifi's own were changed or removed)"
    lines = [f"\nadded to it, not certifi's own ({len(added.certs)}):"]
    lines += [f"  {shown(c.subject)}  sha256 {c.sha256}" for c in added.certs]
    if added.kept_in:
        lines.append(f"pipssl keeps a copy of them in {shown(added.kept_in)}")
    elif added.why:
        lines.append(shown(added.why))
    return "\n".join(lines)


def _reinstall_fix(target: Target, dist: str, added: Added) -> str:
    """Put the file back as its wheel installed it: the version installed now (an unpinned
    reinstall would upgrade, maybe to a pip this Python cannot run), after the CAs added
    to it are given to pipssl (pip may reach its index only through them), and only where
    pip can download at all."""
    version = target.pip.version if dist == "pip" and target.pip else None
    if dist == "certifi" and target.certifi is not None:
        version = target.certifi.version
    keep = (
        "if CAs were added to it, the reinstall drops them: first give their certificates "
        "to pipssl (kept in a bundle of its own; certifi is never touched):\n"
        + commands.pipssl("repair", "--ca", "ADDED-CAS.pem")
    )
    if added.kept_in:
        keep = (
            "the reinstall drops the certificates added to it: check them (listed above), "
            "then give them to pipssl (kept in a bundle of its own; certifi is never "
            "touched):\n" + commands.pipssl("repair", "--ca", added.kept_in)
        )
    elif added.known and not added.certs:
        keep = "no CA was added to it: nothing to keep before the reinstall"
    if not target.ssl.ok or target.pip is None or version is None:
        return keep + "\n# the reinstall needs a pip that can download: fix this Python first"
    again = commands.pip(
        target.executable, "install", "--force-reinstall", "--no-deps", f"{dist}=={version}"
    )
    return f"{keep}\n# then put the file back as the {dist} {version} wheel installed it:\n{again}"


def check_clock(trusted: Sequence[Certificate], now: datetime) -> List[Finding]:
    """clock-skew: a root pip trusts was issued after what this clock calls now."""
    newest = max((c.not_before for c in trusted), default=None)
    if newest is None or now >= newest:
        return []
    return [
        Finding.make(
            "clock-skew",
            "clock",
            "this machine's clock says {}, before a trusted root was issued".format(
                now.strftime("%Y-%m-%d %H:%M UTC")
            ),
            "newest root in pip's CA material starts {}".format(newest.strftime("%Y-%m-%d")),
            "set the clock (e.g. timedatectl set-ntp true); never work around it",
        )
    ]


def check_known_bugs(target: Target, trust: PipTrust, urls: Sequence[str]) -> List[Finding]:
    """pip-known-bug: pip 24.2 - 26.0 + truststore + an index addressed by IP
    (pypa/pip#12906); ``trust`` is what the connection to ``urls`` verifies with."""
    version = target.pip_version
    if version is None or not trust.truststore or not IP_HOST_BUG[0] <= version < IP_HOST_BUG[1]:
        return []
    findings = []
    for url in urls:
        host = urlsplit(url).hostname or ""
        if _IP_HOST.fullmatch(host):
            findings.append(
                Finding.make(
                    "pip-known-bug",
                    url,
                    "pip {} stops with 'ValueError: check_hostname requires "
                    "server_hostname' for an index addressed by IP".format(
                        target.pip.version if target.pip else ""
                    ),
                    "pip 24.2 - 26.0 with truststore; measured: 24.2 - 26.0 fail, 26.1 works "
                    "(pypa/pip#12906)",
                    "use a host name in the index URL, or upgrade pip:\n"
                    + commands.pip(target.executable, "install", "--upgrade", "pip>=26.1"),
                )
            )
    return findings


def proxy_truststore_bug(target: Target, url: str, trust: PipTrust) -> Finding:
    """pip-known-bug: pip 24.2 - 25.1 verify proxied connections without truststore:
    with the configured bundle alone, or OpenSSL's default paths alone (``trust`` is what
    that proxied connection verifies with)."""
    version = target.pip.version if target.pip else "?"
    if trust.os_store == "openssl-defaults":
        what = "OpenSSL's default verify paths alone (no certifi, no search for the OS bundle)"
    else:
        what = "only " + trust.describe() + ", without the OS trust store"
    return Finding.make(
        "pip-known-bug",
        url,
        f"pip {version} verifies indexes reached through a proxy with {what}",
        "truststore is given to direct connections only in pip 24.2 - 25.1 "
        "(pypa/pip#13288; measured: 24.2, 25.0 and 25.1 fail, 25.2 and 26.3 verify)",
        "give this pip a bundle that holds the OS roots (it then verifies proxied "
        f"connections too):\n{commands.pipssl('repair')}\n"
        "# then, to upgrade past the bug:\n"
        + commands.pip(target.executable, "install", "--upgrade", "pip>=25.2"),
    )
