"""Where repair writes: the config file pip reads for each scope, and pipssl's bundle."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Optional

import pytest
from bed.isolation import IsolatedEnv

from pipssl.errors import UsageError
from pipssl.interpreter.facts import PipFacts, SslFacts, Target
from pipssl.repairing.location import bundle_path, choose_scope


def target(prefix: str = "/venv", base: Optional[str] = None, platform: str = "linux") -> Target:
    return Target(
        f"{prefix}/bin/python",
        "3.12.1",
        prefix,
        base or prefix,
        platform,
        SslFacts(ok=True),
        PipFacts("24.2", f"{prefix}/lib/site-packages/pip"),
    )


def env(root: Path, **extra: str) -> Dict[str, str]:
    out = {
        "HOME": str(root / "home"),
        "XDG_CONFIG_DIRS": str(root / "xdg"),
        "XDG_CONFIG_HOME": str(root / "home" / ".config"),
    }
    out.update(extra)
    return out


def test_auto_picks_the_venv_then_the_env_file_then_the_user_file(tmp_path: Path) -> None:
    venv = target("/venv", base="/base")
    assert choose_scope("auto", venv, env(tmp_path)) == ("site", "/venv/pip.conf")
    plain = target("/base")
    user_file = str(tmp_path / "home" / ".config" / "pip" / "pip.conf")
    assert choose_scope("auto", plain, env(tmp_path)) == ("user", user_file)
    env_file = tmp_path / "pip-env.conf"
    env_file.write_text("[global]\n")
    # pip reads an existing PIP_CONFIG_FILE instead of the user files: edit that one
    assert choose_scope("auto", venv, env(tmp_path, PIP_CONFIG_FILE=str(env_file))) == (
        "env",
        str(env_file),
    )


def test_scopes_pip_does_not_read_are_refused(tmp_path: Path) -> None:
    env_file = tmp_path / "pip-env.conf"
    env_file.write_text("[global]\n")
    with pytest.raises(UsageError, match="does not read user config"):
        choose_scope("user", target(), env(tmp_path, PIP_CONFIG_FILE=str(env_file)))
    with pytest.raises(UsageError, match=r"os\.devnull"):
        choose_scope("auto", target(), env(tmp_path, PIP_CONFIG_FILE=os.devnull))
    with pytest.raises(UsageError, match="choose one of"):
        choose_scope("everywhere", target(), env(tmp_path))


def test_global_scope_is_the_file_pip_config_global_edits(tmp_path: Path) -> None:
    # the last global file, as `pip config --global set` (nothing is written here)
    kind, path = choose_scope("global", target(), env(tmp_path))
    assert kind == "global" and path == "/etc/pip.conf"


@pytest.mark.parametrize(
    ("platform", "scope", "extra", "expected"),
    [
        ("linux", "user", {}, "home/.local/share/pipssl/ca-bundle.pem"),
        ("linux", "user", {"XDG_DATA_HOME": "data"}, "home/.local/share/pipssl/ca-bundle.pem"),
        ("darwin", "user", {}, "home/Library/Application Support/pipssl/ca-bundle.pem"),
        ("linux", "site", {}, "/venv/share/pipssl/ca-bundle.pem"),
        ("linux", "global", {}, "/etc/pipssl/ca-bundle.pem"),
        ("darwin", "global", {}, "/Library/Application Support/pipssl/ca-bundle.pem"),
    ],
)
def test_bundle_locations(
    platform: str, scope: str, extra: Dict[str, str], expected: str, tmp_path: Path
) -> None:
    got = bundle_path(scope, target(platform=platform), env(tmp_path, **extra))
    want = expected if expected.startswith("/") else str(tmp_path / expected)
    assert got == want  # a relative XDG_DATA_HOME is ignored, as the XDG spec says


def test_absolute_xdg_data_home_is_used(tmp_path: Path, isolated_env: IsolatedEnv) -> None:
    got = bundle_path("user", target(), env(tmp_path, XDG_DATA_HOME=str(tmp_path / "d")))
    assert got == str(tmp_path / "d" / "pipssl" / "ca-bundle.pem")
