"""Which CA material a pip uses, version by version, and why."""

from __future__ import annotations

from typing import Optional

import pytest
from bed.isolation import IsolatedEnv

from pipssl.interpreter import pipconfig
from pipssl.interpreter.facts import PipFacts, SslFacts, Target
from pipssl.interpreter.trust import pip_trust, uses_truststore


def target(python: str = "3.12.1", pip: Optional[str] = "24.2") -> Target:
    info: Optional[PipFacts] = None
    if pip is not None:
        info = PipFacts(pip, "/venv/pip", certifi="/venv/pip/_vendor/certifi/cacert.pem")
    return Target("/venv/bin/python", python, "/venv", "/base", "linux", SslFacts(ok=True), info)


def config(isolated_env: IsolatedEnv, text: str = "") -> pipconfig.PipConfig:
    """pip's config from ``text`` alone; with no text, no file at all (PIP_CONFIG_FILE =
    os.devnull), so the machine's /etc/pip.conf cannot leak into the answer."""
    import os

    environ = dict(os.environ)
    if text:
        isolated_env.write_pip_conf(text)
    else:
        environ["PIP_CONFIG_FILE"] = os.devnull
    return pipconfig.load(environ, prefix=str(isolated_env.root / "prefix"))


@pytest.mark.parametrize(
    ("python", "pip", "flags", "expected"),
    [
        ("3.12.1", "24.2", "", True),
        ("3.13.0", "26.0.1", "", True),
        ("3.9.18", "24.2", "", False),  # truststore needs Python >= 3.10
        ("3.12.1", "24.1.2", "", False),
        ("3.12.1", "24.1.2", "use-feature = truststore\n", True),
        ("3.12.1", "22.1", "use-feature = truststore\n", False),
        ("3.12.1", "24.2", "use-deprecated = legacy-certs\n", False),
    ],
)
def test_truststore_rules(
    python: str, pip: str, flags: str, expected: bool, isolated_env: IsolatedEnv
) -> None:
    cfg = config(isolated_env, "[global]\n" + flags if flags else "")
    assert uses_truststore(target(python, pip), cfg) is expected


def test_legacy_pip_uses_one_bundle_and_requests_env_wins(isolated_env: IsolatedEnv) -> None:
    cfg = config(isolated_env, "[global]\ncert = /corp/bundle.pem\n")
    old = target("3.8.18", "23.0.1")
    trust = pip_trust(old, cfg, {})
    assert [(s.kind, s.path) for s in trust.sources] == [("cert", "/corp/bundle.pem")]
    assert "pip-env.conf" in trust.sources[0].origin
    trust = pip_trust(old, cfg, {"CURL_CA_BUNDLE": "/curl.pem"})
    assert [(s.kind, s.path) for s in trust.sources] == [("env-bundle", "/curl.pem")]
    assert trust.ignored[0][0].path == "/corp/bundle.pem"
    trust = pip_trust(old, cfg, {"REQUESTS_CA_BUNDLE": "/r.pem", "CURL_CA_BUNDLE": "/c.pem"})
    assert trust.files == ["/r.pem"]
    trust = pip_trust(old, config(isolated_env), {})
    assert [s.kind for s in trust.sources] == ["pip-certifi"]


def test_truststore_pip_adds_cert_to_os_store_and_certifi(isolated_env: IsolatedEnv) -> None:
    cfg = config(isolated_env, "[global]\ncert = /corp/bundle.pem\n")
    trust = pip_trust(target(), cfg, {})
    assert [s.kind for s in trust.sources] == ["os-store", "pip-certifi", "cert"]
    assert "OS trust store" in trust.describe()


def test_cert_option_beats_config_and_skip_gives_the_fallback(isolated_env: IsolatedEnv) -> None:
    cfg = config(isolated_env, "[global]\ncert = /corp/bundle.pem\n")
    old = target("3.8.18", "23.0.1")
    assert pip_trust(old, cfg, {}, cert_option="/cli.pem").files == ["/cli.pem"]
    assert [s.kind for s in pip_trust(old, cfg, {}, skip=("/corp/bundle.pem",)).sources] == [
        "pip-certifi"
    ]


def test_no_pip_no_material(isolated_env: IsolatedEnv) -> None:
    assert pip_trust(target(pip=None), config(isolated_env), {}).sources == ()
