"""Tests for pipssl.interpreter.pipconfig: pip's config rules as data, in a scrubbed environment.

tests/test_pipconfig_pips.py checks the same model against real pips.  These tests only
read and parse files, so they run once (marker ``once``), not on every Python.
"""

from __future__ import annotations

import itertools
import locale
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from bed.isolation import IsolatedEnv

from pipssl.errors import ConfigError
from pipssl.formats.ini import normalize_key
from pipssl.interpreter.pipconfig import (
    ENV_VAR,
    OVERRIDE_ORDER,
    ConfigFile,
    PipConfig,
    Value,
    config_files,
    load,
    split_list,
)
from pipssl.interpreter.pipfiles import ENV, GLOBAL, SITE, USER

pytestmark = pytest.mark.once

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
    real_open = os.open

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    # Tests may run as root, where chmod 000 does not stop a read; every read of pipssl
    # opens through pipssl._files, with os.open.
    monkeypatch.setattr(os, "open", deny)
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
