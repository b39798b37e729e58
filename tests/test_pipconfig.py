"""Tests for pipssl.target.pipconfig: pip's config rules as data, checked against real pips.

The first part exercises the model in a scrubbed environment. The second part builds the same
environments for real pips (23.0.1, 24.2, the running interpreter's, and any listed in
``PIPSSL_TEST_PIPS`` as ``name=python,...``) and compares the model, told each pip's version,
with ``pip config debug``, ``pip config list`` and the option values pip's own parser ends up
with. /etc/pip.conf cannot be redirected on Linux, so it takes part as the real global file it
is (read only): its content changes nothing in the assertions, both sides read it.
"""

from __future__ import annotations

import ast
import itertools
import json
import locale
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

import pytest
from bed.isolation import REAL_ENVIRON, IsolatedEnv, scrubbed_environ

from pipssl.errors import ConfigError
from pipssl.target import pipconfig
from pipssl.target.facts import parse_version
from pipssl.target.pipconfig import (
    ENV_VAR,
    OVERRIDE_ORDER,
    ConfigFile,
    PipConfig,
    Value,
    config_files,
    load,
    split_list,
)
from pipssl.target.pipfiles import ENV, GLOBAL, SITE, USER
from pipssl.target.pipparse import normalize_key

# ---------------------------------------------------------------------------------------------
# The shared ``isolated_env`` plus a site config: a fake ``sys.prefix`` for the inspected Python.


class _Env:
    def __init__(self, inner: IsolatedEnv) -> None:
        self.inner = inner
        self.root = inner.root
        self.home = inner.home
        self.pip_config_file = inner.pip_config_file
        self.prefix = inner.root / "prefix"
        self.prefix.mkdir()

    def path(self, where: str) -> Path:
        return self.prefix / "pip.conf" if where == "site" else self.inner.pip_conf_path(where)

    def write_pip_conf(self, text: str, where: str = "env") -> Path:
        if where != "site":
            return self.inner.write_pip_conf(text, where)
        path = self.path(where)
        path.write_text(text, encoding="utf-8")
        return path

    def load(self, **kwargs: Any) -> PipConfig:
        return load(prefix=str(self.prefix), **kwargs)


@pytest.fixture
def cfg(isolated_env: IsolatedEnv) -> _Env:
    return _Env(isolated_env)


# ---------------------------------------------------------------------------------------------
# Precedence

# A made-up option, so that whatever /etc/pip.conf sets on a machine cannot interfere.
_KIND_WRITERS = {GLOBAL: "global", USER: "user", SITE: "site", ENV: "env"}


def _define(
    cfg: _Env, monkeypatch: pytest.MonkeyPatch, kind: str, section: str = "global"
) -> None:
    if kind == ENV_VAR:
        monkeypatch.setenv("PIP_PROBE", kind)
    else:
        cfg.write_pip_conf(f"[{section}]\nprobe = {kind}\n", _KIND_WRITERS[kind])


def test_override_order_is_pips() -> None:
    assert OVERRIDE_ORDER == ("global", "user", "site", "env", "env-var")


@pytest.mark.parametrize(("low", "high"), list(itertools.combinations(OVERRIDE_ORDER, 2)))
def test_each_kind_overrides_the_ones_before_it(
    cfg: _Env, monkeypatch: pytest.MonkeyPatch, low: str, high: str
) -> None:
    _define(cfg, monkeypatch, low)
    _define(cfg, monkeypatch, high)
    config = cfg.load()
    effective = config.get("probe")
    assert effective is not None
    assert (effective.kind, effective.value) == (high, high)
    kinds = [v.kind for v in config.get_all("probe")]
    if (low, high) == (USER, ENV):
        assert kinds == [ENV]  # an existing PIP_CONFIG_FILE hides the user files
    else:
        assert kinds == [low, high]


def test_command_section_beats_global_section_of_any_kind(
    cfg: _Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pip keeps one value per (section, key) and applies [global] before [<command>],
    # so a lower kind's [install] beats a higher kind's [global] (checked against pip below).
    cfg.write_pip_conf("[install]\nprobe = global-install\n", "global")
    cfg.write_pip_conf("[global]\nprobe = user-global\n", "user")
    config = cfg.load()
    install = config.get("probe", "install")
    download = config.get("probe", "download")
    assert install is not None and install.value == "global-install"
    assert download is not None and download.value == "user-global"
    assert [v.value for v in config.get_all("probe", "install")] == [
        "user-global",
        "global-install",
    ]
    monkeypatch.setenv("PIP_PROBE", "env")
    env_value = cfg.load().get("probe", "install")
    assert env_value is not None and env_value.kind == ENV_VAR


def test_command_section_in_same_file(cfg: _Env) -> None:
    cfg.write_pip_conf("[install]\nprobe = 2\n[global]\nprobe = 1\n", "user")
    config = cfg.load()
    assert config.get("probe", "install").value == "2"  # type: ignore[union-attr]
    assert config.get("probe", "download").value == "1"  # type: ignore[union-attr]
    assert config.get("probe", "global").value == "1"  # type: ignore[union-attr]


def test_empty_value_is_skipped_but_still_hides_lower_kinds(
    cfg: _Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg.write_pip_conf("[global]\nprobe = user\n", "user")
    cfg.write_pip_conf("[global]\nprobe =\n", "site")
    config = cfg.load()
    assert config.get("probe") is None
    assert [v.value for v in config.get_all("probe")] == ["user", ""]
    # An empty environment variable is skipped on its own: the files still apply.
    cfg.write_pip_conf("[global]\nprobe = site\n", "site")
    monkeypatch.setenv("PIP_PROBE", "")
    effective = cfg.load().get("probe")
    assert effective is not None and effective.value == "site"


@pytest.mark.parametrize(
    ("version", "falls_through"),
    [((25, 1), False), ((25, 2), True), ((25, 3, 1), True), ((26, 0), False), ((26, 2), False)],
)
def test_empty_value_falls_through_in_pip_25_2_and_25_3(
    cfg: _Env, version: Tuple[int, ...], falls_through: bool
) -> None:
    cfg.write_pip_conf("[global]\nprobe = global\nprobe-2 = global\n", "global")
    # probe_2 then probe-2: one option, whose last definition in the file is empty.
    cfg.write_pip_conf("[global]\nprobe =\nprobe_2 = site\nprobe-2 =\n", "site")
    config = cfg.load(pip_version=version)
    for key in ("probe", "probe-2"):
        value = config.get(key)
        if falls_through:
            assert value is not None and (value.kind, value.value) == (GLOBAL, "global")
        else:
            assert value is None


def test_env_vars_apply_to_every_command(cfg: _Env, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg.write_pip_conf("[download]\nprobe = file\n", "env")
    monkeypatch.setenv("PIP_PROBE", "var")
    config = cfg.load()
    for command in ("install", "download", "wheel", "index"):
        value = config.get("probe", command)
        assert value is not None and value.where() == "environment variable PIP_PROBE"


def test_items_gives_effective_values_for_a_command(cfg: _Env) -> None:
    cfg.write_pip_conf(
        "[global]\nprobe-a = 1\nprobe-b = 2\n[download]\nprobe-a = 3\n[wheel]\nprobe-w = w\n",
        "user",
    )
    items = cfg.load().items("download")
    assert {k: items[k].value for k in ("probe-a", "probe-b")} == {"probe-a": "3", "probe-b": "2"}
    assert items["probe-a"].section == "download"
    assert "probe-w" not in items


# ---------------------------------------------------------------------------------------------
# PIP_CONFIG_FILE and --isolated


def test_devnull_config_file_reads_no_file(cfg: _Env, monkeypatch: pytest.MonkeyPatch) -> None:
    for where in ("global", "user", "user-legacy", "site"):
        cfg.write_pip_conf("[global]\nprobe = file\n", where)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_RETRIES", "4")
    config = cfg.load()
    assert {v.kind for v in config.values} == {ENV_VAR}
    assert not any(f.loaded for f in config.files)
    env_file = [f for f in config.files if f.kind == ENV]
    assert env_file == [
        ConfigFile(ENV, os.devnull, True, False, env_file[0].note),
    ]
    assert "os.devnull" in env_file[0].note


def test_existing_config_file_hides_user_files(cfg: _Env, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg.write_pip_conf("[global]\nprobe = user\n", "user")
    cfg.write_pip_conf("[global]\nprobe = legacy\n", "user-legacy")
    cfg.write_pip_conf("[global]\nother = env\n", "env")
    config = cfg.load()
    assert config.get("probe") is None
    user_files = [f for f in config.files if f.kind == USER]
    assert [f.exists for f in user_files] == [True, True]
    assert not any(f.loaded for f in user_files)
    assert all("PIP_CONFIG_FILE" in f.note for f in user_files)
    assert dict(config_files(prefix=str(cfg.prefix)))[USER] == []


def test_missing_config_file_does_not_hide_user_files(cfg: _Env) -> None:
    cfg.write_pip_conf("[global]\nprobe = legacy\n", "user-legacy")
    cfg.write_pip_conf("[global]\nprobe = user\n", "user")
    config = cfg.load()
    assert not cfg.pip_config_file.exists()
    assert [v.value for v in config.get_all("probe")] == ["legacy", "user"]
    assert [(f.kind, f.exists, f.loaded) for f in config.files if f.kind in (USER, ENV)] == [
        (USER, True, True),
        (USER, True, True),
        (ENV, False, False),
    ]


def test_config_file_that_is_also_a_global_file(
    cfg: _Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pip >= 25.2 keeps values per file name: read again as PIP_CONFIG_FILE, a global file keeps
    # its global place, so the site config beats it (checked against real pips below).
    shared = cfg.write_pip_conf("[global]\nprobe = shared\n", "global")
    cfg.write_pip_conf("[global]\nprobe = site\n", "site")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(shared))
    older = cfg.load(pip_version=(25, 1)).get("probe")
    assert older is not None and (older.kind, older.value) == (ENV, "shared")
    for version in ((25, 2), None):
        config = cfg.load(pip_version=version)
        assert config.get("probe").value == "site"  # type: ignore[union-attr]
        assert [v.kind for v in config.get_all("probe")] == [GLOBAL, ENV, SITE]


def test_global_dir_listed_twice(cfg: _Env, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = cfg.root / "first", cfg.root / "second"
    for directory in (first, second):
        (directory / "pip").mkdir(parents=True)
        (directory / "pip" / "pip.conf").write_text(f"[global]\nprobe = {directory.name}\n")
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{first}:{second}:{first}")
    assert cfg.load(pip_version=(24, 2)).get("probe").value == "first"  # type: ignore[union-attr]
    assert cfg.load(pip_version=(25, 2)).get("probe").value == "second"  # type: ignore[union-attr]


def test_isolated_skips_user_files_and_env_vars_but_reads_config_file(
    cfg: _Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg.write_pip_conf("[global]\nprobe = user\n", "user")
    cfg.write_pip_conf("[global]\nsite = yes\n", "site")
    monkeypatch.setenv("PIP_PROBE", "var")
    config = cfg.load(isolated=True)
    assert config.get("probe") is None
    assert {v.kind for v in config.values} - {GLOBAL} == {SITE}  # /etc/pip.conf may exist
    cfg.write_pip_conf("[global]\nprobe = env\n", "env")
    value = cfg.load(isolated=True).get("probe")
    assert value is not None and value.kind == ENV
    assert all("isolated" in f.note for f in config.files if f.kind == USER and f.exists)


def test_directory_as_config_file_is_skipped_like_pip(
    cfg: _Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    # configparser.read() swallows the OSError, so pip ignores such a path silently; as it
    # exists, it still hides the user files (checked against real pip below).
    cfg.write_pip_conf("[global]\nprobe = user\n", "user")
    directory = cfg.root / "conf.d"
    directory.mkdir()
    monkeypatch.setenv("PIP_CONFIG_FILE", str(directory))
    config = cfg.load()
    assert [v for v in config.values if v.kind in (USER, ENV)] == []
    env_file = next(f for f in config.files if f.kind == ENV)
    assert (env_file.exists, env_file.loaded) == (True, False)
    assert "directory" in env_file.note
    with pytest.raises(ConfigError, match=str(directory)) as info:
        cfg.load(strict=True)
    assert "directory" in str(info.value)


def test_unreadable_file_is_skipped_or_reported(
    cfg: _Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = cfg.write_pip_conf("[global]\nprobe = user\n", "user")
    real_open = open

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    # Tests may run as root, where chmod 000 does not stop a read.
    monkeypatch.setattr(pipconfig, "open", deny, raising=False)
    config = cfg.load()
    assert config.get("probe") is None
    user = next(f for f in config.files if f.path == str(path))
    assert (user.exists, user.loaded) == (True, False)
    assert "Permission denied" in user.note
    with pytest.raises(ConfigError, match="Permission denied") as info:
        cfg.load(strict=True)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------------------------------------
# Keys, values, provenance


@pytest.mark.parametrize("spelling", ["index-url", "index_url", "--index-url", "Index_URL"])
def test_file_keys_are_normalised(cfg: _Env, spelling: str) -> None:
    cfg.write_pip_conf(f"[global]\n{spelling} = https://127.0.0.1:9/simple/\n", "user")
    config = cfg.load()
    for asked in ("index-url", "index_url", "--index-url", "INDEX_URL"):
        value = config.get(asked)
        assert value is not None and value.key == "index-url"
        assert value.name == spelling.lower()


def test_env_var_names_are_normalised(cfg: _Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "https://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_VERSION", "1")
    monkeypatch.setenv("PIP_HELP", "1")
    value = cfg.load().get("index_url")
    assert value is not None
    assert (value.key, value.name, value.kind, value.file, value.section) == (
        "index-url",
        "PIP_INDEX_URL",
        ENV_VAR,
        None,
        None,
    )
    keys = {v.key for v in cfg.load().values if v.kind == ENV_VAR}
    assert keys == {"index-url", "disable-pip-version-check"}  # no version/help/config-file


def test_normalize_key_and_split_list() -> None:
    assert normalize_key("--Trusted_Host") == "trusted-host"
    assert normalize_key("-x") == "-x"
    assert split_list("\nhttps://127.0.0.1:1/a/\n  https://[::1]:2/b/ \t") == [
        "https://127.0.0.1:1/a/",
        "https://[::1]:2/b/",
    ]
    assert split_list("") == []


def test_where_names_file_section_and_option(cfg: _Env) -> None:
    user = cfg.write_pip_conf("[global]\nCert = /tmp/a.pem\n", "user")
    site = cfg.write_pip_conf("[DEFAULT]\nprobe-d = 3\n[install]\n", "site")
    env = cfg.write_pip_conf("[global]\nprobe = 1\n", "env")
    config = load(prefix=str(cfg.prefix), isolated=True)
    assert config.get("probe").where() == f"PIP_CONFIG_FILE config {env} [global] probe"  # type: ignore[union-attr]
    default = config.get("probe-d")
    assert default is not None and default.from_default and default.section == "install"
    assert default.where() == f"site config {site} [DEFAULT] probe-d"
    assert config.get("probe-d", "download") is None  # [DEFAULT] only fills existing sections
    cfg.pip_config_file.unlink()
    cert = cfg.load().get("cert")
    assert cert is not None
    assert cert.where() == f"user config {user} [global] cert"
    assert cert == Value("cert", "/tmp/a.pem", USER, str(user), GLOBAL, "cert")


def test_multiline_crlf_and_same_key_twice_after_normalising(cfg: _Env) -> None:
    path = cfg.path("user")
    path.parent.mkdir(parents=True)
    path.write_bytes(
        b"[global]\r\nextra-index-url =\r\n  https://127.0.0.1:1/a/\r\n  https://127.0.0.1:2/b/\r\n"
        b"index_url = https://127.0.0.1:3/x/\r\nindex-url = https://127.0.0.1:4/y/\r\n"
    )
    # Up to pip 26.2 both spellings are read and the later wins.
    config = cfg.load(pip_version=(26, 2))
    extra = config.get("extra-index-url")
    assert extra is not None
    assert split_list(extra.value) == ["https://127.0.0.1:1/a/", "https://127.0.0.1:2/b/"]
    user = [v.name for v in config.get_all("index-url") if v.kind == USER]
    assert user == ["index_url", "index-url"]
    assert config.get("index-url").value == "https://127.0.0.1:4/y/"  # type: ignore[union-attr]
    # pip 26.3 normalises names while parsing: the second spelling is a duplicate option.
    for newer in ((26, 3), (27, 0, 1), None):
        with pytest.raises(ConfigError, match=r"line 6: 'index-url' appears twice") as info:
            cfg.load(pip_version=newer)
        assert "26.3" in (info.value.hint or "")


def test_spelling_clash_across_default_and_section_is_not_a_duplicate(cfg: _Env) -> None:
    # [DEFAULT] only fills in what a section lacks, also when names are normalised on parse.
    cfg.write_pip_conf("[DEFAULT]\nIndex_URL = default\n[global]\nindex-url = own\n", "user")
    for version in ((26, 2), (26, 3)):
        values = cfg.load(pip_version=version).get_all("index-url")
        assert [(v.name, v.value, v.from_default) for v in values if v.kind == USER] == [
            ("index_url", "default", True),
            ("index-url", "own", False),
        ]
        effective = cfg.load(pip_version=version).get("index-url")
        assert effective is not None and effective.value == "own"


def test_plain_duplicate_keeps_the_plain_hint(cfg: _Env) -> None:
    cfg.write_pip_conf("[global]\ntimeout = 1\ntimeout = 2\n", "user")
    for version in ((23, 0, 1), None):
        with pytest.raises(ConfigError, match="'timeout' appears twice") as info:
            cfg.load(pip_version=version)
        assert "26.3" not in (info.value.hint or "")


def test_env_section_in_a_file_acts_like_env_vars(cfg: _Env) -> None:
    # pip files PIP_* under the pseudo-section ":env:", and a file's [:env:] shares the slot.
    cfg.write_pip_conf("[install]\nprobe = install\n[:env:]\nprobe = odd\n", "user")
    value = cfg.load().get("probe", "install")
    assert value is not None and value.value == "odd"


def test_section_names_are_case_sensitive(cfg: _Env) -> None:
    cfg.write_pip_conf("[Global]\nprobe = x\n", "user")
    config = cfg.load()
    assert config.get("probe") is None
    assert [v.section for v in config.values if v.key == "probe"] == ["Global"]


# ---------------------------------------------------------------------------------------------
# Files pip cannot read: ConfigError, one line, naming the file and line


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"cert = /tmp/x.pem\n", 1, "before any [section]"),
        (b"[global]\ntimeout = 1\nthis is not an option line\n", 3, "cannot parse"),
        (b"[global]\ntimeout = 1\n[install]\n[global]\n", 4, "[global] appears twice"),
        (b"[global]\ntimeout = 1\nTimeout = 2\n", 3, "'timeout' appears twice in [global]"),
        (b"[global]\ncert = /tmp/x.pem\nprobe = caf\xe9\n", 3, "not valid utf-8"),
        ("\ufeff[global]\ntimeout = 1\n".encode(), 1, "before any [section]"),
    ],
    ids=["no-section", "garbage", "dup-section", "dup-option", "latin-1", "bom"],
)
def test_broken_file_raises_config_error(cfg: _Env, content: bytes, line: int, words: str) -> None:
    path = cfg.path("user-legacy")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        cfg.load(encoding="utf-8")
    message = str(info.value)
    assert "\n" not in message
    assert f"{path}, line {line}: " in message
    assert words in message
    assert info.value.reference == "config-error"
    if content.startswith(b"\xef\xbb\xbf"):
        assert "byte order mark" in (info.value.hint or "")


def test_broken_file_that_pip_does_not_read_is_harmless(
    cfg: _Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg.write_pip_conf("not a config\n", "user")
    cfg.write_pip_conf("[global]\nprobe = 1\n", "env")
    assert cfg.load().get("probe") is not None
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    cfg.write_pip_conf("not a config\n", "site")
    assert cfg.load().values[0].kind == ENV_VAR


def test_default_encoding_is_the_locale_one(cfg: _Env, monkeypatch: pytest.MonkeyPatch) -> None:
    path = cfg.path("user")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"[global]\nprobe = caf\xe9\n")
    monkeypatch.setattr(locale, "getpreferredencoding", lambda _do_set=True: "latin-1")
    assert cfg.load().get("probe").value == "caf\u00e9"  # type: ignore[union-attr]
    monkeypatch.setattr(locale, "getpreferredencoding", lambda _do_set=True: "utf-8")
    with pytest.raises(ConfigError, match="not valid utf-8"):
        cfg.load()


# ---------------------------------------------------------------------------------------------
# Locations per platform


def test_home_falls_back_to_the_password_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOME", raising=False)
    expected = os.path.expanduser("~/.pip/pip.conf")  # posixpath uses pwd without HOME
    assert dict(config_files({}, platform="linux"))[USER][0] == expected


def test_linux_locations(tmp_path: Path) -> None:
    env = {
        "HOME": "/home/u/",
        "XDG_CONFIG_DIRS": "/opt/a:/opt/b",
        "XDG_CONFIG_HOME": "/cfg",
        "PIP_CONFIG_FILE": "/x/pip.conf",
    }
    assert config_files(env, platform="linux", prefix="/venv") == [
        (GLOBAL, ["/opt/a/pip/pip.conf", "/opt/b/pip/pip.conf", "/etc/pip.conf"]),
        (USER, ["/home/u/.pip/pip.conf", "/cfg/pip/pip.conf"]),
        (SITE, ["/venv/pip.conf"]),
        (ENV, ["/x/pip.conf"]),
    ]
    defaults = {"HOME": "/home/u", "XDG_CONFIG_DIRS": " ", "XDG_CONFIG_HOME": ""}
    assert config_files(defaults, platform="freebsd14", prefix="/usr/local") == [
        (GLOBAL, ["/etc/xdg/pip/pip.conf", "/etc/pip.conf"]),
        (USER, ["/home/u/.pip/pip.conf", "/home/u/.config/pip/pip.conf"]),
        (SITE, ["/usr/local/pip.conf"]),
        (ENV, []),
    ]
    assert config_files({"HOME": "/"}, platform="linux", prefix="/p")[1] == (
        USER,
        ["/.pip/pip.conf", "/.config/pip/pip.conf"],
    )


def test_macos_locations(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_CONFIG_HOME": "/ignored/on/macos"}
    files = dict(config_files(env, platform="darwin", prefix="/Library/Frameworks/P"))
    assert files[GLOBAL] == ["/Library/Application Support/pip/pip.conf"]
    assert files[USER] == [f"{home}/.pip/pip.conf", f"{home}/.config/pip/pip.conf"]
    assert files[SITE] == ["/Library/Frameworks/P/pip.conf"]
    library = home / "Library" / "Application Support" / "pip"
    library.mkdir(parents=True)
    files = dict(config_files(env, platform="darwin", prefix="/Library/Frameworks/P"))
    assert files[USER] == [f"{home}/.pip/pip.conf", f"{library}/pip.conf"]


_BREW = "/opt/homebrew/opt/python@3.12/Frameworks/Python.framework/Versions/3.12"


@pytest.mark.parametrize(
    ("version", "prefix", "base_prefix", "expected"),
    [
        ((24, 0), _BREW, None, ["/Library/Application Support/pip"]),
        # pip 24.1 ... 25.0 took platformdirs' two directories for one ":"-joined path.
        ((24, 2), _BREW, None, ["/opt/homebrew/share/pip:/Library/Application Support/pip"]),
        ((25, 1), _BREW, None, ["/opt/homebrew/share/pip", "/Library/Application Support/pip"]),
        ((25, 1), "/usr/local/opt/python@3.12/x", None, ["/Library/Application Support/pip"]),
        (
            (25, 3),
            "/usr/local/opt/python@3.12/x",
            None,
            ["/usr/local/share/pip", "/Library/Application Support/pip"],
        ),
        ((26, 2), "/Users/u/venv", _BREW, ["/Library/Application Support/pip"]),
        # pip 26.3 looks at sys.base_prefix, which a venv keeps.
        (
            (26, 3),
            "/Users/u/venv",
            _BREW,
            ["/opt/homebrew/share/pip", "/Library/Application Support/pip"],
        ),
        ((26, 3), "/opt/homebrew/opt/python@3.12/x", None, ["/Library/Application Support/pip"]),
    ],
)
def test_macos_homebrew_global_dirs(
    version: Tuple[int, ...], prefix: str, base_prefix: Optional[str], expected: List[str]
) -> None:
    files = dict(
        config_files(
            {"HOME": "/Users/u"},
            platform="darwin",
            prefix=prefix,
            base_prefix=base_prefix,
            pip_version=version,
        )
    )
    assert files[GLOBAL] == [f"{d}/pip.conf" for d in expected]


def test_macos_xdg_data_dirs_since_pip_26_2(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    (home / "Library" / "Application Support" / "pip").mkdir(parents=True)
    env = {"HOME": str(home), "XDG_DATA_HOME": f" {data} ", "XDG_DATA_DIRS": " /d1:rel: /d2 "}

    def files(version: Tuple[int, ...]) -> Dict[str, List[str]]:
        return dict(config_files(env, platform="darwin", prefix="/p", pip_version=version))

    library = f"{home}/Library/Application Support/pip/pip.conf"
    assert files((26, 1))[USER][1] == library
    assert files((26, 1))[GLOBAL] == ["/Library/Application Support/pip/pip.conf"]
    # pip >= 26.2 uses $XDG_DATA_HOME/pip instead, if that exists, else ~/.config/pip.
    for version in ((26, 2), (26, 3)):
        assert files(version)[USER][1] == f"{home}/.config/pip/pip.conf"
    (data / "pip").mkdir(parents=True)
    for version in ((26, 2), (26, 3)):
        assert files(version)[USER][1] == f"{data}/pip/pip.conf"
    # 26.2 strips the whole list and keeps every non-blank entry; 26.3 only absolute ones.
    assert files((26, 2))[GLOBAL] == ["/d1/pip/pip.conf", "rel/pip/pip.conf", " /d2/pip/pip.conf"]
    assert files((26, 3))[GLOBAL] == ["/d1/pip/pip.conf", "/d2/pip/pip.conf"]
    env.update(XDG_DATA_HOME="relative", XDG_DATA_DIRS="relative")
    assert files((26, 3))[USER][1] == library
    assert files((26, 3))[GLOBAL] == ["/Library/Application Support/pip/pip.conf"]


@pytest.mark.parametrize(
    ("version", "expected_global", "expected_user"),
    [
        # platformdirs < 4 ran each entry through expanduser; an empty entry gives "pip".
        ((23, 0, 1), ["/h/~x/pip", "/h/a/pip", "pip", " /abs /pip"], " /cfg /pip"),
        ((24, 2), ["~/~x/pip", "~/a/pip", "pip", " /abs /pip"], " /cfg /pip"),
        ((26, 2), ["~/~x/pip", "~/a/pip", " /abs/pip"], "/cfg/pip"),
        ((26, 3), ["/abs/pip"], "/cfg/pip"),
    ],
)
def test_linux_xdg_variables_by_pip_version(
    version: Tuple[int, ...], expected_global: List[str], expected_user: str
) -> None:
    env = {"HOME": "/h", "XDG_CONFIG_DIRS": "~/~x:~/a:: /abs ", "XDG_CONFIG_HOME": " /cfg "}
    files = dict(config_files(env, platform="linux", prefix="/p", pip_version=version))
    assert files[GLOBAL] == [f"{d}/pip.conf" for d in expected_global] + ["/etc/pip.conf"]
    assert files[USER][1] == f"{expected_user}/pip.conf"


def test_relative_xdg_config_home_and_empty_home() -> None:
    env = {"HOME": "", "XDG_CONFIG_HOME": "rel", "XDG_CONFIG_DIRS": "rel"}
    older = dict(config_files(env, platform="linux", pip_version=(26, 2)))
    assert older[USER] == ["/.pip/pip.conf", "rel/pip/pip.conf"]
    assert older[GLOBAL] == ["rel/pip/pip.conf", "/etc/pip.conf"]
    # 26.3 ignores relative XDG paths and, for platformdirs' defaults, an empty HOME; pip's
    # own ~/.pip still goes through os.path.expanduser.
    pwd = pytest.importorskip("pwd")
    passwd_home = pwd.getpwuid(os.getuid()).pw_dir.rstrip("/")
    newest = dict(config_files(env, platform="linux"))
    assert newest[USER] == ["/.pip/pip.conf", f"{passwd_home}/.config/pip/pip.conf"]
    assert newest[GLOBAL] == ["/etc/xdg/pip/pip.conf", "/etc/pip.conf"]


def test_windows_locations() -> None:
    env = {
        "userprofile": "C:\\Users\\u",
        "AppData": "C:\\Users\\u\\AppData\\Roaming\\",
        "ProgramData": "D:\\ProgramData",
        "PIP_CONFIG_FILE": "C:\\cfg\\pip.ini",
    }
    assert config_files(env, platform="win32", prefix="C:\\Python312") == [
        (GLOBAL, ["D:\\ProgramData\\pip\\pip.ini"]),
        (USER, ["C:\\Users\\u\\pip\\pip.ini", "C:\\Users\\u\\AppData\\Roaming\\pip\\pip.ini"]),
        (SITE, ["C:\\Python312\\pip.ini"]),
        (ENV, ["C:\\cfg\\pip.ini"]),
    ]
    bare = {"HOMEDRIVE": "E:", "HOMEPATH": "\\home"}
    assert config_files(bare, platform="win32", prefix="C:\\P")[:2] == [
        (GLOBAL, ["C:\\ProgramData\\pip\\pip.ini"]),
        (USER, ["E:\\home\\pip\\pip.ini", "E:\\home\\AppData\\Roaming\\pip\\pip.ini"]),
    ]


@pytest.mark.parametrize(
    ("appdata", "programdata", "version", "expected_user", "expected_global"),
    [
        (" E:\\Roam\\ ", "F:\\Data", (26, 1), "C:\\R", "C:\\PD"),
        (" E:\\Roam\\ ", "F:\\Data", (26, 2), "E:\\Roam", "F:\\Data"),
        (" E:\\Roam\\ ", "F:\\Data", (26, 3), "E:\\Roam", "F:\\Data"),
        # 26.3 takes only fully qualified paths (a drive and a root, or a UNC share).
        ("E:Roam", "\\\\srv\\share\\d", (26, 2), "E:Roam", "\\\\srv\\share\\d"),
        ("E:Roam", "\\\\srv\\share\\d", (26, 3), "C:\\R", "\\\\srv\\share\\d"),
    ],
)
def test_windows_folder_overrides(
    appdata: str,
    programdata: str,
    version: Tuple[int, ...],
    expected_user: str,
    expected_global: str,
) -> None:
    env = {
        "USERPROFILE": "C:\\Users\\u",
        "APPDATA": "C:\\R",
        "PROGRAMDATA": "C:\\PD",
        "win_pd_override_appdata": appdata,
        "WIN_PD_OVERRIDE_COMMON_APPDATA": programdata,
    }
    files = dict(config_files(env, platform="win32", prefix="C:\\P", pip_version=version))
    assert files[USER][1] == f"{expected_user}\\pip\\pip.ini"
    assert files[GLOBAL] == [f"{expected_global}\\pip\\pip.ini"]


def test_windows_env_names_are_case_insensitive() -> None:
    config = load(
        {"pip_index_url": "https://127.0.0.1:9/", "pip_config_file": "nul"},
        platform="win32",
        prefix="C:\\P",
    )
    assert [(v.name, v.key) for v in config.values] == [("PIP_INDEX_URL", "index-url")]
    assert all(not f.loaded for f in config.files)


# ---------------------------------------------------------------------------------------------
# Cross-check against real pips

REAL_PYTHONS = [
    ("pip-23.0.1", "/root/.pyenv/versions/3.8.18/bin/python"),
    ("pip-24.2", "/root/.pyenv/versions/3.13.0/bin/python"),
    ("running-python", sys.executable),
]
# More pips to check against, e.g. "pip-25.2=/tmp/p252/bin/python,pip-26.2=/tmp/p262/bin/python".
REAL_PYTHONS += [
    (name, path)
    for name, _, path in (
        item.partition("=") for item in REAL_ENVIRON.get("PIPSSL_TEST_PIPS", "").split(",")
    )
    if path
]
_TIMEOUT = 60


class RealPip:
    def __init__(self, python: str, prefix: str, version: str, encoding: str) -> None:
        self.python = python  # a venv that sees the real pip through a .pth file
        self.prefix = prefix
        self.version = version
        self.version_info = parse_version(version)
        self.encoding = encoding
        # `pip config debug` and `pip config list` show each file's own values since 25.2
        # (https://github.com/pypa/pip/pull/12201); before, every file of a kind showed
        # the values of the whole kind, and `list` the merged values.
        self.per_file = self.version_info >= (25, 2)

    def run(self, args: List[str], env: Mapping[str, str], cwd: Path) -> Tuple[int, str]:
        proc = subprocess.run(
            [self.python, *args],
            env=dict(env),
            cwd=str(cwd),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
        return proc.returncode, proc.stdout

    def pip(self, args: List[str], env: Mapping[str, str], cwd: Path) -> str:
        code, out = self.run(["-m", "pip", "--disable-pip-version-check", *args], env, cwd)
        assert code == 0, out
        return out


def _base_environ(root: Path) -> Dict[str, str]:
    env = scrubbed_environ(root, REAL_ENVIRON)
    env.update(LC_ALL="C.UTF-8", LANG="C.UTF-8")
    env.pop("PYTHONUTF8", None)
    return env


def _output(args: List[str], env: Mapping[str, str]) -> str:
    return subprocess.run(
        args,
        env=dict(env),
        stdout=subprocess.PIPE,
        text=True,
        timeout=_TIMEOUT,
        check=True,
    ).stdout.strip()


@pytest.fixture(scope="module", params=REAL_PYTHONS, ids=[name for name, _ in REAL_PYTHONS])
def real_pip(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RealPip:
    name, python = request.param
    if not os.path.exists(python):
        pytest.skip(f"{name}: interpreter {python} does not exist on this machine")
    root = tmp_path_factory.mktemp(name)
    env = _base_environ(root)
    probe = subprocess.run(
        [python, "-c", "import os, pip; print(os.path.dirname(os.path.dirname(pip.__file__)))"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"{name}: {python} has no importable pip")
    # A venv of our own gives pip a site config we may write; a .pth lends it the real pip,
    # which is only read, never changed.
    venv = root / "venv"
    _output([python, "-m", "venv", "--without-pip", str(venv)], env)
    venv_python = str(venv / "bin" / "python")
    purelib = _output(
        [venv_python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], env
    )
    Path(purelib, "real-pip.pth").write_text(probe.stdout.strip() + "\n", encoding="utf-8")
    prefix = _output([venv_python, "-c", "import sys; print(sys.prefix)"], env)
    version = _output([venv_python, "-c", "import pip; print(pip.__version__)"], env)
    encoding = _output(
        [venv_python, "-c", "import locale; print(locale.getpreferredencoding(False))"], env
    )
    return RealPip(venv_python, prefix, version, encoding)


def test_real_pips_are_the_expected_versions(
    real_pip: RealPip, request: pytest.FixtureRequest
) -> None:
    expected = {"pip-23.0.1": "23.0.1", "pip-24.2": "24.2"}.get(request.node.callspec.id)
    if expected is not None:
        assert real_pip.version == expected


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _scenario(root: Path, prefix: str, name: str) -> Tuple[Dict[str, str], bool]:
    """Write config files of every kind and return (environment, isolated) for a scenario."""
    env = _base_environ(root)
    xdg1, xdg2 = root / "xdg1", root / "xdg2"
    env["XDG_CONFIG_DIRS"] = f"{xdg1}:{xdg2}"
    home = Path(env["HOME"])
    _write(
        xdg1 / "pip" / "pip.conf",
        "[global]\ntimeout = 11\nretries = 1\nprobe = xdg\n[install]\ntimeout = 12\n"
        "[download]\nindex-url = https://127.0.0.1:1/global-download/\n",
    )
    _write(
        home / ".pip" / "pip.conf",
        f"[global]\ntimeout = 21\nretries = 2\n[install]\ncert = {root}/legacy.pem\n"
        "[freeze]\nall = true\n",
    )
    _write(
        home / ".config" / "pip" / "pip.conf",
        "[global]\nIndex_URL = https://127.0.0.1:1/user/\n--retries = 22\n"
        "extra-index-url =\n    https://127.0.0.1:2/a/\n    https://127.0.0.1:3/b/\n",
    )
    _write(
        Path(prefix) / "pip.conf",
        "[global]\nretries = 3\n[download]\ntimeout = 31\n[install]\ncert =\n",
    )
    env_conf = root / "env.conf"
    _write(
        env_conf,
        "[DEFAULT]\nfind-links = https://127.0.0.1:4/links/\n[global]\ntimeout = 41\n"
        "[install]\nindex_url = https://127.0.0.1:1/env-install/\n[download]\n",
    )
    env["PIP_CONFIG_FILE"] = str(root / "missing.conf")
    env["PIP_EXTRA_INDEX_URL"] = "https://127.0.0.1:5/x/  https://127.0.0.1:6/y/"
    env["PIP_CERT"] = ""  # empty: skipped, the files' cert applies
    env["PIP_VERSION"] = "1"
    isolated = False
    if name == "env-file":
        env["PIP_CONFIG_FILE"] = str(env_conf)
        env["PIP_Retries"] = "7"
    elif name == "devnull":
        env["PIP_CONFIG_FILE"] = os.devnull
        env["PIP_TIMEOUT"] = "9"
    elif name == "isolated":
        env["PIP_CONFIG_FILE"] = str(env_conf)
        isolated = True
    elif name == "env-dir":
        env["PIP_CONFIG_FILE"] = str(root)
    elif name == "env-is-global":
        # The same file as global and as PIP_CONFIG_FILE: which kind's place does it take?
        env["PIP_CONFIG_FILE"] = str(xdg1 / "pip" / "pip.conf")
    return env, isolated


def _parse_debug(
    out: str,
) -> Tuple[Dict[str, str], Dict[str, List[Tuple[str, bool, List[Tuple[str, str]]]]]]:
    env_vars: Dict[str, str] = {}
    kinds: Dict[str, List[Tuple[str, bool, List[Tuple[str, str]]]]] = {}
    section = ""
    last: Optional[List[Tuple[str, str]]] = None
    for line in out.splitlines():
        entry = re.match(r"    (\S+): (.*)$", line)
        if entry and last is not None:
            last.append((entry.group(1), entry.group(2)))
        elif line.startswith("    ") and last:  # pip indents each line of a multi-line value
            last[-1] = (last[-1][0], last[-1][1] + "\n" + line[4:])
        elif line.startswith("  ") and section == "env_var":
            name, _, value = line[2:].partition("=")
            env_vars[name] = ast.literal_eval(value)
        elif line.startswith("  "):
            path, _, exists = line[2:].rpartition(", exists: ")
            last = []
            kinds[section].append((path, exists == "True", last))
        elif line.endswith(":") and line[:-1] in ("env_var", *OVERRIDE_ORDER):
            section, last = line[:-1], None
            kinds.setdefault(section, [])
        else:
            raise AssertionError(f"unexpected line {line!r} in:\n{out}")
    kinds.pop("env_var")
    return env_vars, kinds


def _merged(values: Iterator[Value]) -> Dict[str, str]:
    """pip's dictionary for a set of values: "section.key" -> value, later definitions winning."""
    merged: Dict[str, str] = {}
    for v in values:
        merged[f"{':env:' if v.kind == ENV_VAR else v.section}.{v.key}"] = v.value
    return merged


# dest, config key, conversion of a config value to what pip's parser produces
_OPTIONS: List[Tuple[str, str, Callable[[str], Any]]] = [
    ("timeout", "timeout", float),
    ("retries", "retries", int),
    ("cert", "cert", str),
    ("index_url", "index-url", str),
    ("extra_index_urls", "extra-index-url", split_list),
    ("find_links", "find-links", split_list),
]
_COMMANDS = ("install", "download", "freeze")
# Reads pip's private parser in the child only: the effective option values pip would use.
_EFFECTIVE = """
import json, sys
from pip._internal.commands import create_command
out = {}
for name in sys.argv[3:]:
    command = create_command(name, isolated=sys.argv[1] == "1")
    options, _ = command.parse_args([])
    defaults = command.parser.defaults
    dests = sys.argv[2].split(",")
    out[name] = {d: [getattr(options, d), defaults[d]] for d in dests if d in defaults}
print(json.dumps(out))
"""
_DESTS = ",".join(dest for dest, _, _ in _OPTIONS)


@pytest.mark.parametrize(
    "scenario", ["user-files", "env-file", "devnull", "isolated", "env-dir", "env-is-global"]
)
def test_model_matches_real_pip(real_pip: RealPip, tmp_path: Path, scenario: str) -> None:
    env, isolated = _scenario(tmp_path, real_pip.prefix, scenario)
    flag = ["--isolated"] if isolated else []
    version = real_pip.version_info
    config = load(
        env,
        prefix=real_pip.prefix,
        isolated=isolated,
        encoding=real_pip.encoding,
        pip_version=version,
    )

    # pip config debug: files per kind, exists flags, the values shown per file, PIP_* variables
    env_vars, debug = _parse_debug(real_pip.pip([*flag, "config", "debug"], env, tmp_path))
    ours_files = {(f.kind, f.path): f for f in config.files}
    considered = [
        (k, p)
        for k, paths in config_files(
            env, prefix=real_pip.prefix, isolated=isolated, pip_version=version
        )
        for p in paths
    ]
    assert sorted(considered) == sorted((k, p) for k, rows in debug.items() for p, _, _ in rows)
    for kind, rows in debug.items():
        for path, exists, printed in rows:
            assert ours_files[kind, path].exists == exists, path
            shown = (v for v in config.values if v.kind == kind)
            if real_pip.per_file:
                shown = (v for v in config.values if v.kind == kind and v.file == path)
            if exists:
                assert printed == list(_merged(shown).items()), (kind, path)
    if not isolated:
        ours_vars = {
            "PIP_" + v.name[4:].upper(): v.value for v in config.values if v.kind == ENV_VAR
        }
        ours_vars["PIP_CONFIG_FILE"] = env["PIP_CONFIG_FILE"]
        assert env_vars == ours_vars

    # pip config list: the merged "section.key=value" pairs, or since 25.2 each file's own
    # pairs, files (":env:" for the variables) and keys sorted
    listed = []
    for line in real_pip.pip([*flag, "config", "list"], env, tmp_path).splitlines():
        key, _, value = line.partition("=")
        listed.append((key, ast.literal_eval(value)))
    env_extra = [] if isolated else [(":env:.config-file", env["PIP_CONFIG_FILE"])]
    if real_pip.per_file:
        by_file: Dict[str, Dict[str, str]] = {}
        for v in config.values:
            by_file.setdefault(v.file or ":env:", {}).update(_merged(iter([v])))
        by_file.setdefault(":env:", {}).update(env_extra)
        expected = [(k, by_file[f][k]) for f in sorted(by_file) for k in sorted(by_file[f])]
        assert listed == expected
    else:
        assert len(listed) == len(dict(listed))
        assert dict(listed) == dict([*_merged(iter(config.values)).items(), *env_extra])

    # what pip's option parser ends up with, per command
    code, out = real_pip.run(
        ["-c", _EFFECTIVE, "1" if isolated else "0", _DESTS, *_COMMANDS], env, tmp_path
    )
    assert code == 0, out
    effective = json.loads(out.strip().splitlines()[-1])
    checked = 0
    for command in _COMMANDS:
        for dest, key, convert in _OPTIONS:
            if dest not in effective[command]:
                continue
            actual, default = effective[command][dest]
            ours = config.get(key, command)
            assert actual == (default if ours is None else convert(ours.value)), (command, ours)
            checked += 1
    assert checked >= 14


@pytest.mark.parametrize(
    "content",
    [
        b"timeout = 1\n",
        b"[global]\n[global]\n",
        b"[global]\na = 1\nA = 2\n",
        b"[global]\nx = \xff\n",
        b"\xef\xbb\xbf[global]\n",
        b"[global]\n  indented first line\n",
    ],
    ids=["no-section", "dup-section", "dup-option", "bad-bytes", "bom", "bad-continuation"],
)
def test_real_pip_rejects_what_we_reject(
    real_pip: RealPip, tmp_path: Path, content: bytes
) -> None:
    env, _ = _scenario(tmp_path, real_pip.prefix, "user-files")
    broken = Path(env["HOME"]) / ".config" / "pip" / "pip.conf"
    broken.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load(
            env,
            prefix=real_pip.prefix,
            encoding=real_pip.encoding,
            pip_version=real_pip.version_info,
        )
    assert str(broken) in str(info.value)
    code, out = real_pip.run(
        ["-m", "pip", "--disable-pip-version-check", "config", "list"], env, tmp_path
    )
    assert code != 0
    assert str(broken) in out


@pytest.mark.parametrize(
    "content",
    [
        b"[global]\nindex_url = https://127.0.0.1:1/\nIndex-URL = https://127.0.0.1:2/\n",
        b"[DEFAULT]\nindex-url = https://127.0.0.1:1/\n--index-url = https://127.0.0.1:2/\n"
        b"[global]\n",
    ],
    ids=["section", "default"],
)
def test_spelling_clash_matches_real_pip(
    real_pip: RealPip, tmp_path: Path, content: bytes
) -> None:
    # pip >= 26.3 normalises option names while parsing, and refuses the second spelling.
    env, _ = _scenario(tmp_path, real_pip.prefix, "user-files")
    path = Path(env["HOME"]) / ".config" / "pip" / "pip.conf"
    path.write_bytes(content)
    code, out = real_pip.run(
        ["-m", "pip", "--disable-pip-version-check", "config", "list"], env, tmp_path
    )
    try:
        config = load(
            env,
            prefix=real_pip.prefix,
            encoding=real_pip.encoding,
            pip_version=real_pip.version_info,
        )
    except ConfigError as exc:
        assert str(path) in str(exc)
        assert code != 0 and str(path) in out
    else:
        assert code == 0, out
        assert "global.index-url='https://127.0.0.1:2/'" in out.splitlines()
        value = config.get("index-url")
        assert value is not None and value.value == "https://127.0.0.1:2/"
    assert (code != 0) == (real_pip.version_info >= (26, 3))


# pip's appdirs wrapper and its vendored platformdirs, told they run on another OS, for each
# (environment, sys.prefix, sys.base_prefix) in a JSON file. Windows' shell folders come from
# the environment, as platformdirs does without ctypes (real pips ask the Windows shell, which
# the variables normally agree with).
_APPDIRS = """
import json, os, sys
from pip._internal.utils import appdirs
from pip._vendor import platformdirs
from pip._vendor.platformdirs import windows
from pip._vendor.platformdirs.macos import MacOS
from pip._vendor.platformdirs.unix import Unix
if hasattr(windows, "_resolve_win_folder"):
    windows._resolve_win_folder = windows.get_win_folder_from_env_vars
platform = sys.argv[1]
platformdirs.PlatformDirs = {"darwin": MacOS, "win32": windows.Windows}.get(platform, Unix)
with open(sys.argv[2]) as stream:
    cases = json.load(stream)
out = []
for env, prefix, base_prefix in cases:
    os.environ.clear()
    os.environ.update(env)
    getattr(windows.get_win_folder, "cache_clear", lambda: None)()
    sys.platform, sys.prefix, sys.base_prefix = platform, prefix, base_prefix
    out.append([appdirs.site_config_dirs("pip"), appdirs.user_config_dir("pip")])
print(json.dumps(out))
"""
_XDG = ("XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", "XDG_DATA_DIRS")
_APPDIRS_ENVS: Dict[str, Dict[str, Optional[str]]] = {
    "plain": {},
    "no-xdg": dict.fromkeys(_XDG),
    "odd-xdg": {
        "XDG_CONFIG_DIRS": "~/a:: /abs :rel",
        "XDG_CONFIG_HOME": " /cfg ",
        "XDG_DATA_HOME": "rel",
        "XDG_DATA_DIRS": " /d1:rel: /d2 ",
    },
    "blank-xdg": {"XDG_CONFIG_DIRS": " ", "XDG_CONFIG_HOME": " ", "XDG_DATA_DIRS": " : "},
    "empty-home": {"HOME": "", **dict.fromkeys(_XDG)},
    "win-override": {
        "WIN_PD_OVERRIDE_APPDATA": "E:\\Roam",
        "WIN_PD_OVERRIDE_COMMON_APPDATA": "E:D",
    },
    "win-override-unc": {"WIN_PD_OVERRIDE_COMMON_APPDATA": " \\\\srv\\share\\d "},
}
_HOMEBREW_BASE = "/opt/homebrew/opt/python@3.12/Frameworks/Python.framework/Versions/3.12"


@pytest.mark.parametrize("platform", ["darwin", "win32", "linux"])
def test_platform_dirs_match_real_pip_appdirs(
    real_pip: RealPip, tmp_path: Path, platform: str
) -> None:
    # Only path flavour differs (pip joins with this host's "/"): separators compared loosely.
    base = _base_environ(tmp_path)
    base.update(APPDATA="C:\\Users\\u\\AppData\\Roaming", ALLUSERSPROFILE="C:\\ProgramData")
    cases = []
    for changes in _APPDIRS_ENVS.values():
        env = {k: v for k, v in {**base, **changes}.items() if v is not None}
        for prefix, base_prefix in [
            (real_pip.prefix, real_pip.prefix),
            (_HOMEBREW_BASE, _HOMEBREW_BASE),
            ("/Users/u/venv", _HOMEBREW_BASE),
            ("/usr/local/opt/python@3.11", "/usr/local/opt/python@3.11"),
        ]:
            cases.append((env, prefix, base_prefix))
    (tmp_path / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    basename = "pip.ini" if platform == "win32" else "pip.conf"

    def loose(paths: List[str]) -> List[str]:
        return [p.replace("\\", "/") for p in paths]

    home = Path(base["HOME"])
    # Which user directory exists decides on macOS: none, ~/Library/..., and $XDG_DATA_HOME/pip.
    for make in (
        None,
        home / "Library" / "Application Support" / "pip",
        Path(base["XDG_DATA_HOME"], "pip"),
    ):
        if make is not None:
            make.mkdir(parents=True)
        code, out = real_pip.run(
            ["-c", _APPDIRS, platform, str(tmp_path / "cases.json")], base, tmp_path
        )
        assert code == 0, out
        for (env, prefix, base_prefix), (site_dirs, user_dir) in zip(cases, json.loads(out)):
            ours = dict(
                config_files(
                    env,
                    platform=platform,
                    prefix=prefix,
                    base_prefix=base_prefix,
                    pip_version=real_pip.version_info,
                )
            )
            case = (env.get("HOME"), {k: env.get(k) for k in _XDG}, prefix, base_prefix, make)
            assert loose(ours[GLOBAL]) == loose([os.path.join(d, basename) for d in site_dirs]), (
                case
            )
            assert loose(ours[USER][1:]) == loose([os.path.join(user_dir, basename)]), case
