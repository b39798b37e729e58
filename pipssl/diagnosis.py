"""Find out why pip cannot verify its index: checks are small functions returning Findings.

``diagnose()`` gathers the facts (the target interpreter, pip's configuration, the CA
material pip would use, the OS store), runs the environment checks, probes every index
pip would contact, and classifies each failure.  It changes nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from . import _platform, cabundle, pipconfig, tls
from ._der import Certificate, parse_certificate
from ._report import Finding, Report, TargetResult
from ._target import Target, inspect
from .errors import BundleError, CertificateError, PipsslError, UsageError
from .trust import ENV_BUNDLES, PipTrust, pip_trust

DEFAULT_TIMEOUT = 5.0
#: pip-known-bug: pip 24.2 with truststore fails on IP-address index hosts
#: (pypa/pip#12906); measured here: 24.2 fails, 26.3 does not.
IP_HOST_BUG = ((24, 2), (26, 3))
#: Names that interception products put in their roots' subjects (DESIGN.md §1).
INTERCEPTION_PRODUCTS = (
    "Zscaler",
    "Netskope",
    "Blue Coat",
    "Symantec Web",
    "Fortinet",
    "FortiGate",
    "Palo Alto",
    "Cisco Umbrella",
    "Forcepoint",
    "Sophos",
    "Check Point",
    "Kaspersky",
    "Avast",
    "AVG",
    "ESET",
    "Bitdefender",
    "McAfee",
    "Trend Micro",
    "mitmproxy",
    "Charles Proxy",
    "Fiddler",
    "PortSwigger",
    "Cloudflare Gateway",
    "iboss",
)
_SHELL_UNSET = "unset {name}            # sh, bash, zsh\nRemove-Item Env:{name}   # PowerShell"


@dataclass(frozen=True)
class _Stores:
    """Certificates pip trusts and certificates the OS trusts, parsed once."""

    pip: Tuple[Certificate, ...]
    os: Tuple[Certificate, ...]
    truststore: bool

    def pip_has(self, cert: Certificate) -> bool:
        return any(c.sha256 == cert.sha256 or c.subject == cert.subject for c in self.pip)

    def os_match(self, cert: Certificate) -> Optional[Certificate]:
        """The OS root that is ``cert`` or issued it, if any."""
        for c in self.os:
            if c.sha256 == cert.sha256:
                return c
        for c in self.os:
            if c.subject == cert.issuer and (cert.aki is None or c.ski in (None, cert.aki)):
                return c
        return None


def _product(name: str) -> str:
    for product in INTERCEPTION_PRODUCTS:
        if product.lower() in name.lower():
            return product
    return ""


# --- environment checks -------------------------------------------------------------


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
    """ssl-module-missing / ssl-module-broken / openssl-too-old."""
    info = target.ssl
    kind = python_kind(target)
    short = ".".join(target.version.split(".")[:2])
    fix = _SSL_FIXES[kind].format(version=target.version, short=short)
    if not info.get("ok"):
        error = str(info.get("error", ""))
        if info.get("file"):
            missing = re.search(r"(lib[\w.+-]+\.(?:so|dylib|dll)[\w.]*)", error)
            library = missing.group(1) if missing else "its OpenSSL library"
            return [
                Finding.make(
                    "ssl-module-broken",
                    "python",
                    f"this Python's ssl module cannot load {library} ({kind} Python)",
                    "{} exists, but importing it fails:\n{}".format(info["file"], error),
                    "the OpenSSL this Python was built against is gone or moved; " + fix,
                )
            ]
        return [
            Finding.make(
                "ssl-module-missing",
                "python",
                f"this Python was built without the ssl module ({kind} Python)",
                f"import ssl: {error}",
                fix,
            )
        ]
    version = tuple(info.get("openssl_info") or ())
    if not info.get("has_tls1_2", True) or (version and version < (1, 0, 1)):
        return [
            Finding.make(
                "openssl-too-old",
                "python",
                "{} cannot speak TLS 1.2, which every index requires".format(
                    info.get("openssl", "this OpenSSL")
                ),
                "",
                fix,
            )
        ]
    return []


def check_pip(target: Target) -> List[Finding]:
    """pip-missing."""
    if target.pip is not None:
        return []
    return [
        Finding.make(
            "pip-missing",
            "python",
            f"{target.executable} has no pip",
            "",
            f"{target.executable} -m ensurepip --upgrade"
            "   # offline: uses the pip wheel shipped with Python",
        )
    ]


def _cafile_problem(path: str) -> Optional[BundleError]:
    """Why pip could not use ``path`` as its CA file, or None when it can."""
    try:
        cabundle.load_cafile(path)
        with open(path, "rb") as fh:
            pem = b"-----BEGIN CERTIFICATE-----" in fh.read()
    except BundleError as exc:
        return exc
    except OSError as exc:
        return BundleError(f"{path}: {exc.strerror}", reference="cafile-unreadable")
    if not pem:
        # OpenSSL (and so pip) only loads PEM from a CA file.
        return BundleError(
            f"{path} holds a DER certificate; pip needs PEM "
            "(openssl x509 -inform der -in FILE -out FILE.pem)",
            reference="ca-not-a-certificate",
        )
    return None


def check_cafiles(config: pipconfig.PipConfig, environ: Mapping[str, str]) -> List[Finding]:
    """cafile-missing / -unreadable / -empty, ca-not-a-certificate, for every CA setting.

    Raises:
        BundleError: a ``cert`` setting names a directory (pip cannot use it as a file).
    """
    settings: List[Tuple[str, str, str]] = []  # (path, where, severity)
    effective = config.get("cert")
    for value in config.get_all("cert"):
        severity = "error" if value == effective else "warning"
        settings.append((value.value.strip(), value.where(), severity))
    for name in (*ENV_BUNDLES, "SSL_CERT_FILE"):
        if environ.get(name):
            settings.append((environ[name], "environment variable " + name, "error"))
    findings = []
    for path, where, severity in settings:
        problem = _cafile_problem(path)
        if problem is None:
            continue
        if problem.reference == "cafile-is-directory":
            raise BundleError(
                f"{path} ({where}) is a directory; pip needs a PEM file there",
                reference="cafile-is-directory",
                hint="point it at a PEM bundle file, or remove the setting",
            )
        if problem.reference == "private-key-in-file":
            code = "ca-not-a-certificate"
        else:
            code = problem.reference
        unset = _unset_fix(where)
        findings.append(
            Finding(
                code,
                severity,
                path,
                f"{where} names a CA file pip cannot use",
                str(problem),
                unset,
            )
        )
    return findings


def _unset_fix(where: str) -> str:
    """The exact way to remove a setting, from its provenance text."""
    if where.startswith("environment variable "):
        return _SHELL_UNSET.format(name=where.rsplit(maxsplit=1)[-1])
    match = re.match(r"(\w+) config (.+) \[(.+)\] (\S+)$", where)
    if match:
        kind, _path, section, key = match.groups()
        flag = {"user": "--user", "global": "--global", "site": "--site"}.get(kind)
        if flag:
            return f"python -m pip config {flag} unset {section}.{key}"
        return f"remove the line '{key}' from [{section}] in {_path}"
    return f"remove the setting ({where})"


_TLS_KEYS = ("cert", "client-cert", "index-url", "extra-index-url", "trusted-host", "proxy")


def check_env_shadows(config: pipconfig.PipConfig, environ: Mapping[str, str]) -> List[Finding]:
    """env-shadows-config: PIP_* over config files, REQUESTS_CA_BUNDLE over ``cert``."""
    findings = []
    for key in _TLS_KEYS:
        values = config.get_all(key)
        env_values = [v for v in values if v.kind == "env-var"]
        file_values = [v for v in values if v.kind != "env-var"]
        if env_values and file_values:
            env = env_values[-1]
            findings.append(
                Finding.make(
                    "env-shadows-config",
                    env.name,
                    f"{env.name} overrides {key} from pip's config",
                    "{} = {}\nignored: {}".format(
                        env.name, env.value, "; ".join(v.where() for v in file_values)
                    ),
                    _SHELL_UNSET.format(name=env.name),
                )
            )
    cert = config.get("cert")
    for name in ENV_BUNDLES:
        if environ.get(name) and cert is not None:
            findings.append(
                Finding.make(
                    "env-shadows-config",
                    name,
                    f"{name} overrides pip's cert setting (requests gives it precedence)",
                    f"{name} = {environ[name]}\nignored: cert = {cert.value} ({cert.where()})",
                    _SHELL_UNSET.format(name=name),
                )
            )
            break
    return findings


def check_trusted_host(config: pipconfig.PipConfig) -> List[Finding]:
    """insecure-trusted-host: every trusted-host entry, with where it is set."""
    findings = []
    for value in config.get_all("trusted-host"):
        for host in pipconfig.split_list(value.value):
            findings.append(
                Finding.make(
                    "insecure-trusted-host",
                    host,
                    f"pip does not check certificates for {host}",
                    f"set by {value.where()}",
                    _unset_fix(value.where()),
                )
            )
    return findings


def check_certifi(target: Target) -> List[Finding]:
    """certifi-modified: cacert.pem differs from its wheel's RECORD."""
    findings = []
    for check in target.record_checks:
        if check.get("error") or check.get("expected") == check.get("actual"):
            continue
        dist = check["dist"]
        fix = (
            f"{target.executable} -m pip install --force-reinstall --no-deps {dist}"
            + "\n# put extra CAs in a bundle of your own (pip's cert setting), never in certifi"
        )
        findings.append(
            Finding.make(
                "certifi-modified",
                check["path"],
                "{}'s cacert.pem was edited after install; the next upgrade undoes it".format(
                    "pip's vendored certifi" if dist == "pip" else "certifi"
                ),
                "RECORD sha256={}, file sha256={}".format(check["expected"], check["actual"]),
                fix,
            )
        )
    return findings


def check_clock(stores: _Stores, now: datetime) -> List[Finding]:
    """clock-skew: a root pip trusts was issued after what this clock calls now."""
    newest = max((c.not_before for c in stores.pip), default=None)
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
    """pip-known-bug: pip 24.2 + truststore + an index addressed by IP (pypa/pip#12906)."""
    version = target.pip_version
    if version is None or not trust.truststore or not IP_HOST_BUG[0] <= version < IP_HOST_BUG[1]:
        return []
    findings = []
    for url in urls:
        host = urlsplit(url).hostname or ""
        if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*", host):
            findings.append(
                Finding.make(
                    "pip-known-bug",
                    url,
                    "pip {} stops with 'ValueError: check_hostname requires "
                    "server_hostname' for an index addressed by IP".format(
                        target.pip["version"] if target.pip else ""
                    ),
                    "pip >= 24.2 with truststore; measured: 24.2 fails, 26.3 works "
                    "(pypa/pip#12906)",
                    "use a host name in the index URL, or upgrade pip:\n"
                    f"{target.executable} -m pip install --upgrade 'pip>=26.3'",
                )
            )
    return findings


# --- probing and classification ------------------------------------------------------


def urls_to_check(
    target: Target, config: pipconfig.PipConfig, explicit: Optional[Sequence[str]] = None
) -> List[str]:
    """The https URLs pip would contact: index-url (or pip's default index and its file
    host, both read from the installed pip), then extra-index-url.  ``explicit`` (even
    empty) replaces them."""
    urls: List[str] = []
    if explicit is not None:
        urls.extend(explicit)
    else:
        value = config.get("index-url")
        if value is not None:
            urls.append(value.value.strip())
        elif target.pip and target.pip.get("default_index"):
            urls.append(target.pip["default_index"])
            if target.pip.get("file_host"):
                urls.append("https://{}/".format(target.pip["file_host"]))
        extra = config.get("extra-index-url")  # pip takes the winning value only
        if extra is not None:
            urls.extend(pipconfig.split_list(extra.value))
    seen: List[str] = []
    for url in urls:
        if explicit:
            tls.split_url(url)  # raises UsageError with the option named
        if urlsplit(url).scheme == "https" and url not in seen:
            seen.append(url)
    return seen


def _parse_all(pem: str, source: str) -> List[Certificate]:
    try:
        return cabundle.read_pem(pem, source=source)
    except PipsslError:
        return []


def _load_stores(trust: PipTrust, os_pem: str) -> _Stores:
    pip_certs: List[Certificate] = []
    for path in trust.files:
        try:
            pip_certs.extend(cabundle.load_cafile(path))
        except BundleError:
            continue
    os_certs = _parse_all(os_pem, "OS trust store")
    if trust.truststore:
        pip_certs.extend(os_certs)
    return _Stores(tuple(pip_certs), tuple(os_certs), trust.truststore)


def _fetch_issuer(cert: Certificate, timeout: float) -> Optional[Certificate]:
    """Follow the leaf's AIA caIssuers URL (http only) to tell a missing intermediate
    from an unknown CA.  Used for classification only, never as a trust anchor."""
    import urllib.request  # late: it costs start-up time and is rarely needed

    for url in cert.ca_issuers:
        if not url.startswith("http://"):
            continue
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
                data = response.read(1 << 16)
        except (OSError, ValueError):
            continue
        try:
            certs = cabundle.read_pem(data) if b"-----BEGIN" in data else [parse_certificate(data)]
        except PipsslError:
            continue
        if certs:
            return certs[0]
    return None


def _trust_fix(cert: Certificate) -> str:
    return (
        "check this fingerprint with your IT department before trusting it:\n"
        f"  {cert.sha256}\n"
        "then make a bundle of certifi's roots plus that CA and point pip at it:\n"
        'cat "$(python -m certifi)" corp-ca.pem > ~/.pip-bundle.pem\n'
        "python -m pip config --user set global.cert ~/.pip-bundle.pem"
    )


def classify(
    result: tls.ProbeResult, stores: _Stores, target: Target, now: datetime, timeout: float
) -> List[Finding]:
    """Turn a failed probe into findings (empty when the probe succeeded)."""
    url = result.url
    if result.ok or result.failure == "http-error":
        return []
    if result.failure != "verify-failed":
        return [_transport_finding(result)]
    chain: List[Certificate] = []
    for der in result.chain:
        try:
            chain.append(parse_certificate(der))
        except CertificateError:
            break
    code = result.verify_code
    message = result.verify_message
    leaf = chain[0] if chain else None
    where = f"OpenSSL: {message} (code {code})"
    if code in (9, 10):
        bad = next((c for c in chain if not c.is_valid_at(now)), leaf)
        dates = f"valid {bad.not_before.date()} to {bad.not_after.date()}" if bad else ""
        skew = check_clock(stores, now)
        findings = list(skew)
        if code == 10:
            findings.append(
                Finding.make(
                    "cert-expired",
                    url,
                    "{} presents an expired certificate{}".format(
                        result.host, f" ({bad.subject})" if bad else ""
                    ),
                    f"{where}\n{dates}",
                    "nothing to fix on this machine: the server's owner must renew it"
                    if not skew
                    else "fix the clock first",
                )
            )
        else:
            findings.append(
                Finding.make(
                    "cert-not-yet-valid",
                    url,
                    "{}'s certificate is not valid yet{}".format(
                        result.host, f" ({bad.subject})" if bad else ""
                    ),
                    "{}\n{}; this clock: {}".format(where, dates, now.strftime("%Y-%m-%d %H:%M")),
                    "if this clock is right, the server's owner must fix the certificate; "
                    "otherwise set the clock",
                )
            )
        return findings
    if code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
        names = ", ".join(leaf.san_dns + leaf.san_ip) if leaf else "?"
        return [
            Finding.make(
                "hostname-mismatch",
                url,
                f"{result.host}'s certificate is for another host",
                "{}\ncertificate names: {}".format(where, names or leaf.subject if leaf else "?"),
                "use the host name the certificate names, or ask the server's owner to fix it;"
                " never turn checking off",
            )
        ]
    if code == 18 or (leaf is not None and len(chain) == 1 and leaf.self_issued):
        return [
            Finding.make(
                "self-signed",
                url,
                f"{result.host} presents a self-signed certificate",
                "{}\nsubject: {}\nsha256: {}".format(
                    where, leaf.subject if leaf else "?", leaf.sha256 if leaf else "?"
                ),
                "ask the server's owner for a certificate from a CA; if you run it and trust "
                "this exact certificate, " + (_trust_fix(leaf) if leaf else ""),
            )
        ]
    top = chain[-1] if chain else None
    if top is None:
        return [
            Finding.make(
                "untrusted-issuer-unknown",
                url,
                f"{result.host}'s certificate is not trusted",
                where,
            )
        ]
    anchor_name = str(top.subject if top.self_issued else top.issuer)
    in_os = stores.os_match(top)
    if in_os is not None and not stores.pip_has(in_os):
        findings = [
            Finding.make(
                "untrusted-issuer-in-system-store",
                url,
                f"{in_os.subject} is trusted by the OS, but not by what this pip uses",
                f"{where}\nissuer: {in_os.subject}\nsha256: {in_os.sha256}\n"
                "pip verifies with its own bundle, which lacks it",
                "make pip use a bundle with the OS roots (pip >= 24.2 on Python >= 3.10 reads "
                f"the OS store itself):\n{target.executable} -m pip install --upgrade pip"
                if target.version_info[:2] >= (3, 10)
                else "export the OS roots into a bundle and point pip's cert at it",
            )
        ]
        if not stores.truststore:
            findings.append(
                Finding.make(
                    "pip-too-old-for-truststore",
                    target.executable,
                    "pip {} on Python {} does not read the OS trust store".format(
                        target.pip["version"] if target.pip else "?", target.version
                    ),
                    "the OS store is used by pip >= 24.2 on Python >= 3.10 (truststore)",
                    f"python >= 3.10: {target.executable} -m pip install --upgrade pip\n"
                    "python 3.8/3.9: truststore cannot help; use a bundle exported from the "
                    "OS store",
                )
            )
        return findings
    if not top.self_issued and len(chain) == 1:
        issuer = _fetch_issuer(top, min(timeout, 3.0))
        if issuer is not None and (
            stores.pip_has(issuer) or any(c.subject == issuer.issuer for c in stores.pip)
        ):
            return [
                Finding.make(
                    "incomplete-chain",
                    url,
                    f"{result.host} does not send its intermediate certificate ({top.issuer})",
                    f"{where}\nits issuer, fetched from {top.ca_issuers[0]} "
                    "(for diagnosis only), chains to a root "
                    "pip trusts",
                    "the server's owner must configure the full chain; meanwhile no safe "
                    "client-side fix is needed beyond waiting or using another mirror",
                )
            ]
    product = _product(anchor_name)
    looks = f" - this looks like {product}, a TLS-intercepting product" if product else ""
    detail = f"{where}\nissuer: {anchor_name}{looks}"
    if top.self_issued:
        detail += f"\nsha256: {top.sha256}"
    elif len(chain) == 1:
        detail += (
            "\nthe server sent only its own certificate; it may also be missing an intermediate"
        )
    return [
        Finding.make(
            "untrusted-issuer-unknown",
            url,
            "{}'s issuer is trusted nowhere on this machine{}".format(
                result.host, f" ({product})" if product else ""
            ),
            detail,
            _trust_fix(top)
            if top.self_issued
            else "get the issuing CA's certificate from your IT department and check its "
            "fingerprint",
        )
    ]


_TRANSPORT = {
    "dns-failure": ("{host} does not resolve", "check the host name, DNS, or proxy settings"),
    "connection-refused": (
        "nothing listens on {host}:{port}",
        "check the index URL's port, or whether a proxy is needed",
    ),
    "timeout": (
        "no answer from {host}:{port} in time",
        "check firewall or proxy settings (HTTPS_PROXY)",
    ),
    "proxy-unreachable": (
        "the proxy {proxy} cannot be reached",
        "check the proxy address (HTTPS_PROXY or pip's proxy option)",
    ),
    "proxy-refused": ("the proxy {proxy} refused the connection", "ask the proxy's admin"),
    "proxy-auth-required": (
        "the proxy {proxy} asks for credentials (407)",
        "put the user in the proxy URL and let pip prompt, or set:\n"
        "export HTTPS_PROXY=http://USER:PASSWORD@proxy:port",
    ),
    "proxy-scheme-mismatch": (
        "the proxy URL says https://, but {proxy} speaks plain HTTP",
        "export HTTPS_PROXY={fixed}",
    ),
    "not-tls": (
        "{host}:{port} answers, but not with TLS",
        "use http:// for this index only if it is truly plain HTTP on a trusted "
        "network, or the right TLS port",
    ),
    "tls-version-unsupported": (
        "{host} and this Python share no TLS version (>= 1.2)",
        "the server must support TLS 1.2 or newer",
    ),
    "client-cert-required": (
        "{host} demands a client certificate",
        "python -m pip config --user set global.client-cert /path/client.pem",
    ),
    "tls-error": ("TLS with {host} failed", ""),
}


def _transport_finding(result: tls.ProbeResult) -> Finding:
    code = result.failure if result.failure in _TRANSPORT else "tls-error"
    summary, fix = _TRANSPORT[code]
    proxy = result.proxy or ""
    fixed = proxy.replace("https://", "http://", 1)
    fmt = {"host": result.host, "port": result.port, "proxy": proxy, "fixed": fixed}
    finding_code = {
        "proxy-refused": "proxy-unreachable",
        "tls-error": "tls-version-unsupported",
    }.get(code, code)
    return Finding.make(
        finding_code,
        result.url,
        summary.format(**fmt),
        f"{result.error} (stage: {result.stage})",
        fix.format(**fmt),
    )


def _material(trust: PipTrust, os_pem: str) -> Tuple[List[str], Optional[str]]:
    return trust.files, (os_pem if trust.truststore else None)


def diagnose(
    *,
    python: Optional[str] = None,
    index_urls: Optional[Sequence[str]] = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Optional[Mapping[str, str]] = None,
    now: Optional[datetime] = None,
) -> Report:
    """Diagnose why pip (of ``python``) can or cannot verify its index.  Changes nothing.

    Args:
        python: the interpreter whose pip to diagnose (default: this one).
        index_urls: index URLs to check instead of the configured ones (``[]``: check
            none, only the local setup).
        timeout: seconds allowed for each index probe.
        environ: the environment pip would run with (default: ``os.environ``).
        now: the time to judge certificate validity and the clock against.

    Returns:
        A :class:`~pipssl.Report`.

    Raises:
        PipsslError: bad input: a malformed pip config file, an index URL without
            scheme, a non-positive timeout, a ``cert`` that is a directory.
    """
    if not timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout}")
    env: Dict[str, str] = dict(os.environ if environ is None else environ)
    now = now or datetime.now(timezone.utc)
    target = inspect(python, env=env)
    config = pipconfig.load(env, prefix=target.prefix, pip_version=target.pip_version)
    urls = urls_to_check(target, config, index_urls)
    findings: List[Finding] = []
    findings += check_ssl(target)
    findings += check_pip(target)
    findings += check_cafiles(config, env)
    findings += check_env_shadows(config, env)
    findings += check_trusted_host(config)
    findings += check_certifi(target)
    trust = pip_trust(target, config, env)
    findings += check_known_bugs(target, trust, urls)
    broken = tuple(s.path for s in trust.sources if s.path and _cafile_problem(s.path))
    probe_trust = pip_trust(target, config, env, skip=broken) if broken else trust
    os_store = _platform.os_store(environ=env)
    stores = _load_stores(probe_trust, os_store.pem)
    findings += [
        f for f in check_clock(stores, now) if not any(g.code == "clock-skew" for g in findings)
    ]
    results: List[TargetResult] = []
    can_probe = bool(target.ssl.get("ok")) and target.pip is not None and _have_ssl()
    if can_probe:
        cafiles, cadata = _material(probe_trust, os_store.pem)
        proxy_value = config.get("proxy")
        for url in urls:
            proxy = tls.select_proxy(url, env, proxy_value.value if proxy_value else None)
            result = tls.probe(url, proxy=proxy, cafiles=cafiles, cadata=cadata, timeout=timeout)
            for finding in classify(result, stores, target, now, timeout):
                if finding.code == "clock-skew" and any(f.code == "clock-skew" for f in findings):
                    continue
                findings.append(finding)
            label = probe_trust.describe()
            if broken:
                label += " (if the broken CA setting were removed)"
            results.append(
                TargetResult(
                    result.url,
                    result.ok,
                    result.stage,
                    result.elapsed,
                    trust=label,
                    error=result.error,
                )
            )
    return Report(
        python={
            "executable": target.executable,
            "version": target.version,
            "kind": python_kind(target),
            "ssl": target.ssl.get("openssl") if target.ssl.get("ok") else None,
        },
        pip={
            "version": target.pip.get("version") if target.pip else None,
            "truststore": trust.truststore,
            "trust": trust.describe() if target.pip else "",
            "sources": [
                {"kind": s.kind, "path": s.path, "origin": s.origin} for s in trust.sources
            ],
            "config_files": [
                {
                    "kind": f.kind,
                    "path": f.path,
                    "exists": f.exists,
                    "loaded": f.loaded,
                    "note": f.note,
                }
                for f in config.files
            ],
        },
        findings=tuple(_ordered(findings)),
        targets=tuple(results),
    )


def _have_ssl() -> bool:
    try:
        tls.ssl_module()
    except ImportError:
        return False
    return True


def _ordered(findings: Iterable[Finding]) -> List[Finding]:
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: rank.get(f.severity, 3))
