"""pipssl.interpreter.pipconfig checked against real pips.

Builds the environments of tests/test_pipconfig.py for real pips (23.0.1, 24.2, the running
interpreter's, and any listed in ``PIPSSL_TEST_PIPS`` as ``name=python,...``) and compares
the model, told each pip's version, with ``pip config debug``, ``pip config list`` and the
option values pip's own parser ends up with. /etc/pip.conf cannot be redirected on Linux, so
it takes part as the real global file it is (read only): its content changes nothing in the
assertions, both sides read it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

import pytest
from bed.isolation import REAL_ENVIRON, scrubbed_environ

from pipssl.errors import ConfigError
from pipssl.interpreter.facts import parse_version
from pipssl.interpreter.pipconfig import (
    ENV_VAR,
    GLOBAL,
    OVERRIDE_ORDER,
    USER,
    Value,
    config_files,
    load,
    split_list,
)

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
