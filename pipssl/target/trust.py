"""Which CA material a pip will verify an index with, and why.

This models pip (and the requests/urllib3 it vendors), version by version:

* pip >= 24.2 on Python >= 3.10 verifies with truststore: the OS trust store *plus*
  its vendored certifi, unless ``--use-deprecated=legacy-certs`` (pip 22.2 - 24.1 do
  the same with ``--use-feature=truststore``).  A ``cert`` file, or
  ``REQUESTS_CA_BUNDLE``, is loaded into that same context, so it adds to it.
* older pips verify with exactly one bundle: ``REQUESTS_CA_BUNDLE`` or
  ``CURL_CA_BUNDLE`` if set (requests lets them win over pip's own ``cert``), else
  ``cert`` (``--cert`` > ``PIP_CERT`` > config files), else pip's vendored certifi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Mapping, Optional, Tuple

from pipssl.target.facts import Target
from pipssl.target.pipconfig import PipConfig, split_list

TRUSTSTORE_PIP = (24, 2)
#: pip 24.2 - 25.0 give truststore to direct connections only: behind a proxy they verify
#: with certifi (pypa/pip#13288, fixed by pypa/pip#13343 in 25.1).
PROXY_WITHOUT_TRUSTSTORE = ((24, 2), (25, 1))
TRUSTSTORE_FEATURE_PIP = (22, 2)
TRUSTSTORE_PYTHON = (3, 10)
#: requests reads these, in this order, and lets them override pip's ``cert``.
ENV_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class CaSource:
    """One piece of CA material pip loads.

    Attributes:
        kind: ``cert`` (pip's option), ``env-bundle``, ``pip-certifi`` or ``os-store``.
        path: the file (None for the OS store, which :mod:`pipssl.certs.store` reads).
        origin: where the setting came from, for humans.
    """

    kind: str
    path: Optional[str]
    origin: str


@dataclass(frozen=True)
class PipTrust:
    """The answer to "what does this pip trust, and why".

    Attributes:
        truststore: pip verifies with the OS store (through truststore).
        sources: what it loads, in order.
        ignored: settings pip ignores here, each with the reason (e.g. ``cert``
            overridden by ``REQUESTS_CA_BUNDLE``).
    """

    truststore: bool
    sources: Tuple[CaSource, ...]
    ignored: Tuple[Tuple[CaSource, str], ...] = ()

    @property
    def files(self) -> List[str]:
        """The CA files loaded (without the OS store)."""
        return [s.path for s in self.sources if s.path is not None]

    def describe(self) -> str:
        """One line for humans: ``OS trust store + pip's certifi (...)``."""
        names = {
            "os-store": "the OS trust store",
            "pip-certifi": "pip's vendored certifi",
            "cert": "cert",
            "env-bundle": "bundle",
        }
        parts = []
        for s in self.sources:
            label = names[s.kind]
            if s.path is not None and s.kind != "pip-certifi":
                label = f"{label} {s.path} (from {s.origin})"
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


def drops_truststore_behind_proxy(target: Target) -> bool:
    """pip 24.2 - 25.0 verify proxied connections with certifi, not the OS store."""
    version = target.pip_version
    low, high = PROXY_WITHOUT_TRUSTSTORE
    return version is not None and low <= version < high


def _options(config: PipConfig, key: str) -> List[str]:
    value = config.get(key)
    return split_list(value.value) if value is not None else []


def pip_trust(
    target: Target,
    config: PipConfig,
    environ: Mapping[str, str],
    *,
    cert_option: Optional[str] = None,
    skip: Tuple[str, ...] = (),
    proxied: bool = False,
) -> PipTrust:
    """Work out the CA material ``target``'s pip verifies with.

    Args:
        target: the interpreter pip runs in (its pip version decides the rules).
        config: pip's configuration as that pip reads it.
        environ: the environment pip will run with.
        cert_option: a ``--cert`` given on pip's command line, if any.
        skip: CA file paths to treat as unset: "what would pip use if this broken
            entry were removed".
        proxied: the index is reached through a proxy (some pips then drop truststore).

    Returns:
        A :class:`PipTrust`; empty ``sources`` when pip is missing.
    """
    if target.pip is None:
        return PipTrust(False, ())
    truststore = uses_truststore(target, config)
    if truststore and proxied and drops_truststore_behind_proxy(target):
        truststore = False
    cert: Optional[CaSource] = None
    if cert_option:
        cert = CaSource("cert", cert_option, "pip option --cert")
    else:
        value = config.get("cert")
        if value is not None and value.value.strip():
            cert = CaSource("cert", value.value.strip(), value.where())
    if cert is not None and cert.path in skip:
        cert = None
    env_bundle: Optional[CaSource] = None
    for name in ENV_BUNDLES:
        if environ.get(name) and environ[name] not in skip:
            env_bundle = CaSource("env-bundle", environ[name], "environment variable " + name)
            break
    ignored: List[Tuple[CaSource, str]] = []
    chosen = env_bundle or cert
    if env_bundle is not None and cert is not None:
        ignored.append(
            (cert, f"requests lets {env_bundle.origin.split()[-1]} override pip's cert")
        )
    certifi_path = target.pip.certifi
    pip_certifi = (
        CaSource("pip-certifi", certifi_path, "pip's vendored certifi") if certifi_path else None
    )
    sources: List[CaSource] = []
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
    return PipTrust(truststore, tuple(sources), tuple(ignored))
