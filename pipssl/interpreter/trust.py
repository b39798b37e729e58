"""Which CA material a pip will verify an index with, and why.

This models pip (and the requests/urllib3 it vendors), version by version:

* pip >= 24.2 on Python >= 3.10 verifies with truststore: the OS trust store *plus*
  its vendored certifi, unless ``--use-deprecated=legacy-certs`` (pip 22.2 - 24.1 do
  the same with ``--use-feature=truststore``).  A ``cert`` file, or
  ``REQUESTS_CA_BUNDLE``, is loaded into that same context, so it adds to it.
* older pips verify with exactly one bundle: ``REQUESTS_CA_BUNDLE`` or
  ``CURL_CA_BUNDLE`` if set (requests lets them win over pip's own ``cert``), else
  ``cert`` (``--cert`` > ``PIP_CERT`` > config files), else pip's vendored certifi;
  pip >= 24.1 with a ``proxy`` option reads no bundle variable at all.
* a ``cert`` (or bundle variable) that is a directory is a CA directory: requests hands
  it to OpenSSL as ``capath`` (measured: pip 23.0 - 26.3 accept a c_rehash directory).
* pip 24.2 - 25.1 behind a proxy (pypa/pip#13288) give the proxied connection urllib3's
  own context instead of truststore's: a configured bundle alone, or, with none, OpenSSL's
  default verify paths (``load_default_certs()``: no certifi, no truststore file search).
* ``client-cert`` (one PEM file, certificate and key) is presented by every pip.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Mapping, Optional, Tuple

from pipssl._text import shown
from pipssl.interpreter.facts import Target
from pipssl.interpreter.pipconfig import PipConfig, split_list

TRUSTSTORE_PIP = (24, 2)
#: pip 24.2 - 25.1 give truststore to direct connections only: behind a proxy they verify
#: with urllib3's own context (pypa/pip#13288); pip 25.2 passes it to the proxy manager
#: too.  Measured with real pips behind a CONNECT proxy: 24.2, 25.0, 25.1 affected, 25.2
#: and 26.3 not.
PROXY_WITHOUT_TRUSTSTORE = ((24, 2), (25, 2))
#: requests >= 2.34 (vendored from pip 26.2) matches a NO_PROXY entry as a whole label
#: suffix; before, as a plain string suffix (NO_PROXY=host bypasses localhost).  Measured:
#: pip 26.1 bypasses, 26.2 does not.
NO_PROXY_LABELS_PIP = (26, 2)
#: pip >= 24.1 with its ``proxy`` option set turns requests' ``trust_env`` off, and
#: requests reads REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE only with it on (read in pip 24.0's
#: and 24.1's sources; measured: 23.0.1 reads the bundle, 24.2 ignores it).
PROXY_IGNORES_ENV_PIP = (24, 1)
TRUSTSTORE_FEATURE_PIP = (22, 2)
TRUSTSTORE_PYTHON = (3, 10)
#: From pip 22.1 pip's ``proxy`` option goes with every request and so wins over the
#: environment's proxies; before, requests let HTTPS_PROXY win (measured: 22.0.4, 23.0.1).
PROXY_OPTION_WINS = (22, 1)
#: requests reads these, in this order, and lets them override pip's ``cert``.
ENV_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class CaSource:
    """One piece of CA material pip loads.

    Attributes:
        kind: ``cert`` (pip's option), ``env-bundle``, ``pip-certifi``, ``os-store`` (as
            truststore reads it) or ``openssl-defaults`` (OpenSSL's default verify paths).
        path: the file or directory (None for the OS store, which
            :mod:`pipssl.certs.store` reads).
        origin: where the setting came from, for humans.
        directory: ``path`` is a directory, which requests gives OpenSSL as a CA
            directory (``capath``) instead of a file.
    """

    kind: str
    path: Optional[str]
    origin: str
    directory: bool = False


@dataclass(frozen=True)
class ClientCert:
    """pip's ``client-cert``: one PEM file holding the certificate and its key."""

    path: str
    origin: str


@dataclass(frozen=True)
class PipTrust:
    """The answer to "what does this pip trust, and why".

    Attributes:
        truststore: pip verifies with the OS store (through truststore).
        sources: what it loads, in order.
        ignored: settings pip ignores here, each with the reason (e.g. ``cert``
            overridden by ``REQUESTS_CA_BUNDLE``).
        client_cert: the client certificate pip presents, if configured.
        unread: the bundle variables set but not read by this pip (pip >= 24.1 reads
            none while its ``proxy`` option is set).
    """

    truststore: bool
    sources: Tuple[CaSource, ...]
    ignored: Tuple[Tuple[CaSource, str], ...] = ()
    client_cert: Optional[ClientCert] = None
    unread: Tuple[str, ...] = ()

    @property
    def files(self) -> List[str]:
        """The CA files loaded (without the OS store and CA directories)."""
        return [s.path for s in self.sources if s.path is not None and not s.directory]

    @property
    def directories(self) -> List[str]:
        """The CA directories (``capath``) loaded."""
        return [s.path for s in self.sources if s.path is not None and s.directory]

    @property
    def os_store(self) -> Optional[str]:
        """How the OS store is read: ``os-store`` (truststore's rule, with its search of
        well-known files), ``openssl-defaults`` (OpenSSL's default paths alone), or None."""
        for source in self.sources:
            if source.kind in ("os-store", "openssl-defaults"):
                return source.kind
        return None

    def describe(self) -> str:
        """One line for humans: ``OS trust store + pip's certifi (...)``."""
        names = {
            "os-store": "the OS trust store",
            "pip-certifi": "pip's vendored certifi",
            "cert": "cert",
            "env-bundle": "bundle",
            "openssl-defaults": "OpenSSL's default verify paths (no certifi)",
        }
        parts = []
        for s in self.sources:
            label = names[s.kind]
            if s.path is not None and s.kind != "pip-certifi":
                what = "directory " if s.directory else ""
                label = f"{label} {what}{shown(s.path)} (from {shown(s.origin)})"
            parts.append(label)
        return " + ".join(parts) if parts else "nothing (pip has no CA material)"


def uses_truststore(target: Target, config: PipConfig) -> bool:
    """Does this pip verify with the OS store?  (pip's own rules, by version)."""
    pip_version = target.pip_version
    if pip_version is None or target.version_info[:2] < TRUSTSTORE_PYTHON:
        return False
    deprecated = _options(config, "use-deprecated")
    features = _options(config, "use-feature")
    if pip_version >= TRUSTSTORE_PIP:
        return "legacy-certs" not in deprecated
    return pip_version >= TRUSTSTORE_FEATURE_PIP and "truststore" in features


def proxy_option_wins(target: Target) -> bool:
    """pip's ``proxy`` option wins over HTTPS_PROXY and NO_PROXY (pip >= 22.1)."""
    return target.pip_version is None or target.pip_version >= PROXY_OPTION_WINS


def drops_truststore_behind_proxy(target: Target) -> bool:
    """pip 24.2 - 25.1 verify proxied connections with urllib3's context, not truststore's."""
    version = target.pip_version
    low, high = PROXY_WITHOUT_TRUSTSTORE
    return version is not None and low <= version < high


def no_proxy_by_labels(target: Target) -> bool:
    """Does this pip's requests match NO_PROXY entries as whole labels (see above)?"""
    version = target.pip_version
    return version is None or version >= NO_PROXY_LABELS_PIP


def _options(config: PipConfig, key: str) -> List[str]:
    value = config.get(key)
    return split_list(value.value) if value is not None else []


def pip_trust(
    target: Target,
    config: PipConfig,
    environ: Mapping[str, str],
    *,
    cert_option: Optional[str] = None,
    client_cert_option: Optional[str] = None,
    skip: Tuple[str, ...] = (),
    proxied: bool = False,
) -> PipTrust:
    """Work out the CA material ``target``'s pip verifies with.

    Args:
        target: the interpreter pip runs in (its pip version decides the rules).
        config: pip's configuration as that pip reads it.
        environ: the environment pip will run with.
        cert_option: a ``--cert`` given on pip's command line, if any.
        client_cert_option: a ``--client-cert`` given on pip's command line, if any.
        skip: CA file paths to treat as unset: "what would pip use if this broken
            entry were removed".
        proxied: the index is reached through a proxy (some pips then drop truststore).

    Returns:
        A :class:`PipTrust`; empty ``sources`` when pip is missing.
    """
    if target.pip is None:
        return PipTrust(False, ())
    truststore = uses_truststore(target, config)
    # pypa/pip#13288: the proxied connection gets urllib3's context, not truststore's.
    urllib3_context = truststore and proxied and drops_truststore_behind_proxy(target)
    cert: Optional[CaSource] = None
    if cert_option:
        cert = _ca_source("cert", cert_option, "pip option --cert")
    else:
        value = config.get("cert")
        if value is not None and value.value.strip():
            cert = _ca_source("cert", value.value.strip(), value.where())
    if cert is not None and cert.path in skip:
        cert = None
    env_bundle: Optional[CaSource] = None
    for name in ENV_BUNDLES:
        if environ.get(name) and environ[name] not in skip:
            env_bundle = _ca_source("env-bundle", environ[name], "environment variable " + name)
            break
    ignored: List[Tuple[CaSource, str]] = []
    unread: Tuple[str, ...] = ()
    proxy = config.get("proxy")
    if proxy is not None and proxy.value.strip():
        if target.pip_version is not None and target.pip_version >= PROXY_IGNORES_ENV_PIP:
            unread = tuple(name for name in ENV_BUNDLES if environ.get(name))
            if env_bundle is not None:
                reason = (
                    "pip >= 24.1 ignores it while its proxy option is set "
                    f"({shown(proxy.where())})"
                )
                ignored.append((env_bundle, reason))
                env_bundle = None
    chosen = env_bundle or cert
    if env_bundle is not None and cert is not None:
        ignored.append(
            (cert, f"requests lets {env_bundle.origin.split()[-1]} override pip's cert")
        )
    certifi_path = target.pip.certifi
    pip_certifi = (
        CaSource("pip-certifi", certifi_path, "pip's vendored certifi") if certifi_path else None
    )
    client = _client_cert(config, client_cert_option)
    sources: List[CaSource] = []
    if urllib3_context:
        # requests' verify is the bundle when one is given, else True, and urllib3 then
        # calls load_default_certs(): OpenSSL's default paths, without certifi.
        sources.append(
            chosen
            or CaSource("openssl-defaults", None, "urllib3's load_default_certs (pypa/pip#13288)")
        )
        return PipTrust(False, tuple(sources), tuple(ignored), client, unread)
    if truststore:
        sources.append(CaSource("os-store", None, "truststore (pip >= 24.2, Python >= 3.10)"))
        if pip_certifi is not None:
            sources.append(pip_certifi)
        if chosen is not None:
            sources.append(chosen)
    elif chosen is not None:
        sources.append(chosen)
    elif pip_certifi is not None:
        sources.append(pip_certifi)
    return PipTrust(truststore, tuple(sources), tuple(ignored), client, unread)


def _ca_source(kind: str, path: str, origin: str) -> CaSource:
    # requests' own test (adapters.cert_verify): a directory goes to OpenSSL as capath.
    return CaSource(kind, path, origin, directory=os.path.isdir(path))


def _client_cert(config: PipConfig, option: Optional[str]) -> Optional[ClientCert]:
    if option:
        return ClientCert(option, "pip option --client-cert")
    value = config.get("client-cert")
    if value is not None and value.value.strip():
        return ClientCert(value.value.strip(), value.where())
    return None
