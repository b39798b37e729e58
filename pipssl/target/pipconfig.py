"""pip's configuration, read the way pip reads it, with the provenance of every value.

A model of pip's own rules (``pip/_internal/configuration.py``, ``utils/appdirs.py``, the
vendored platformdirs and ``cli/parser.py`` in pip 23.0 ... 26.3), written as data so that pip
need not be importable:

* config files by kind, in ``OVERRIDE_ORDER``; the location of each file per platform is
  computed from an explicit environment, platform string, interpreter prefix and pip release,
  so that another interpreter (or another OS, or another pip) can be described;
* ``PIP_CONFIG_FILE``: ``os.devnull`` means "no file at all"; an existing file hides the
  user files; ``--isolated`` hides the user files and the ``PIP_*`` variables;
* a command sees ``[global]`` then ``[<command>]`` then the ``PIP_*`` variables, each the
  highest-kind definition, and an empty value is skipped (it still hides lower kinds, but
  for pip 25.2 and 25.3).

Where pip releases differ (file locations, option spellings that clash, the place of a file
loaded twice), ``pip_version`` selects the release; ``None`` means the newest one.

Nothing is dropped: shadowed definitions stay in :attr:`PipConfig.values` so that a report
can show every place a setting is made.
"""

from __future__ import annotations

import configparser
import io
import locale
import ntpath
import os
import posixpath
import re
import sys
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

from pipssl.errors import ConfigError

GLOBAL = "global"
USER = "user"
SITE = "site"
ENV = "env"
ENV_VAR = "env-var"
OVERRIDE_ORDER = (GLOBAL, USER, SITE, ENV, ENV_VAR)
FILE_KINDS = (GLOBAL, USER, SITE, ENV)

# pip ignores PIP_VERSION and PIP_HELP; PIP_CONFIG_FILE names a file, it is not an option.
_ENV_NAMES_IGNORED = ("version", "help", "config_file")
# pip files environment variables under this pseudo-section; a file section of the same
# name lands in the same slot, see _update_defaults in pip/_internal/cli/parser.py.
_ENV_SECTION = ":env:"
_KIND_LABELS = {
    GLOBAL: "global config",
    USER: "user config",
    SITE: "site config",
    ENV: "PIP_CONFIG_FILE config",
}


def normalize_key(name: str) -> str:
    """Spell an option name the way pip compares it.

    Args:
        name: ``index_url``, ``INDEX-URL``, ``--index-url`` ...

    Returns:
        ``index-url``: lower case, ``_`` replaced by ``-``, a leading ``--`` removed.
    """
    key = name.lower().replace("_", "-")
    return key[2:] if key.startswith("--") else key


def split_list(value: str) -> List[str]:
    """Split a multi-value option (extra-index-url, trusted-host, find-links ...) like pip.

    Args:
        value: the raw config or environment value.

    Returns:
        The whitespace-separated items (newlines included, as in multi-line config values).
    """
    return value.split()


@dataclass(frozen=True)
class Value:
    """One definition of an option, and where it was made.

    ``key`` is normalised; ``name`` is the option as configparser read it (lower case) or the
    environment variable's name. ``section`` is ``None`` for environment variables.
    ``from_default`` is true when the file sets it under ``[DEFAULT]``, which configparser
    copies into every section.
    """

    key: str
    value: str
    kind: str
    file: Optional[str]
    section: Optional[str]
    name: str
    from_default: bool = False

    def where(self) -> str:
        """Say where the value is set, e.g. ``user config /h/.config/pip/pip.conf [global] cert``.

        Returns:
            One line naming the file, section and option, or the environment variable.
        """
        if self.kind == ENV_VAR:
            return f"environment variable {self.name}"
        section = "DEFAULT" if self.from_default else self.section
        return f"{_KIND_LABELS[self.kind]} {self.file} [{section}] {self.name}"


@dataclass(frozen=True)
class ConfigFile:
    """A config file pip looks for (or would, but for PIP_CONFIG_FILE or --isolated).

    ``loaded`` means pip reads settings from it; ``note`` says why an existing file is not
    read (empty otherwise).
    """

    kind: str
    path: str
    exists: bool
    loaded: bool
    note: str = ""


@dataclass(frozen=True)
class PipConfig:
    """Every config file and value pip sees, in the order pip applies them.

    Files come by kind in ``OVERRIDE_ORDER``; values too, except that pip >= 25.2 keeps them by
    file name, a file read twice taking effect where it was first read.
    """

    files: Tuple[ConfigFile, ...]
    values: Tuple[Value, ...]
    pip_version: Optional[Tuple[int, ...]] = None  # whose rules apply; None: the newest

    def get(self, key: str, command: str = "install") -> Optional[Value]:
        """Return the value pip uses for ``--<key>`` in ``pip <command>``.

        Args:
            key: option name, in any spelling :func:`normalize_key` accepts.
            command: the pip command whose section applies.

        Returns:
            The effective definition, or ``None`` if pip uses its built-in default.
        """
        # pip keeps one definition per (section, key), the highest kind winning, then
        # applies [global], [<command>], env in turn, skipping empty values.
        for group in reversed(self._groups(normalize_key(key), command)):
            winner = self._winner(group)
            if winner is not None:
                return winner
        return None

    def _winner(self, group: List[Value]) -> Optional[Value]:
        version = _NEWEST if self.pip_version is None else self.pip_version
        if _PIP_PER_FILE_VALUES <= version < _PIP_EMPTY_HIDES_AGAIN:
            # pip 25.2 and 25.3 drop empty values file by file, so an empty value does not
            # hide the one of a lower file.
            last_per_file = {v.file: v for v in group}
            return next((v for v in reversed(list(last_per_file.values())) if v.value), None)
        return group[-1] if group and group[-1].value else None

    def get_all(self, key: str, command: str = "install") -> List[Value]:
        """List every definition of ``key`` that ``pip <command>`` considers.

        Args:
            key: option name, in any spelling :func:`normalize_key` accepts.
            command: the pip command whose section applies.

        Returns:
            Definitions from lowest to highest precedence; the effective one (see :meth:`get`)
            is, in the last section group that has one, the last definition if non-empty
            (pip 25.2 and 25.3: the last non-empty file's last definition, if non-empty).
        """
        return [v for group in self._groups(normalize_key(key), command) for v in group]

    def items(self, command: str = "install") -> Dict[str, Value]:
        """Return the effective value of every option set for ``pip <command>``.

        Args:
            command: the pip command whose section applies.

        Returns:
            A mapping from normalised key to its effective definition.
        """
        sections = _sections_for(command)
        keys = {v.key for v in self.values if _pip_section(v) in sections}
        found = {key: self.get(key, command) for key in sorted(keys)}
        return {key: value for key, value in found.items() if value is not None}

    def _groups(self, key: str, command: str) -> List[List[Value]]:
        sections = _sections_for(command)
        groups: List[List[Value]] = [[] for _ in sections]
        for value in self.values:
            section = _pip_section(value)
            if value.key == key and section in sections:
                groups[sections.index(section)].append(value)
        return groups


def _sections_for(command: str) -> List[str]:
    return [GLOBAL, _ENV_SECTION] if command == GLOBAL else [GLOBAL, command, _ENV_SECTION]


def _pip_section(value: Value) -> Optional[str]:
    return _ENV_SECTION if value.kind == ENV_VAR else value.section


# pip releases whose configuration handling changed, from pip's source history. pip vendors
# platformdirs, so a platformdirs change reaches pip users in the pip release that vendors it.
_PIP_PLATFORMDIRS_4 = (24, 1)  # XDG_CONFIG_DIRS entries no longer "~"-expanded; Homebrew dirs
_PIP_SPLITS_MACOS_SITE_DIRS = (25, 1)  # https://github.com/pypa/pip/issues/12903
_PIP_PER_FILE_VALUES = (25, 2)  # https://github.com/pypa/pip/pull/12201
_PIP_HOMEBREW_OPT_PYTHON = (25, 3)  # platformdirs 4.5: any "<prefix>/opt/python*" install
_PIP_EMPTY_HIDES_AGAIN = (26, 0)  # https://github.com/pypa/pip/pull/13703
_PIP_XDG_EVERYWHERE = (26, 2)  # platformdirs 4.10: XDG_* on macOS, WIN_PD_OVERRIDE_*, stripping
_PIP_XDG_ABSOLUTE = (26, 3)  # platformdirs 4.12: only absolute XDG paths, empty HOME unset
_PIP_HOMEBREW_BASE_PREFIX = (26, 3)  # platformdirs 4.12
_PIP_NORMALIZES_ON_PARSE = (26, 3)
_NEWEST = (10**6,)
# platformdirs >= 4.12 spots a Homebrew Python by its framework build, which a venv keeps as
# sys.base_prefix.
_HOMEBREW_PYTHON = re.compile(
    r"(?P<prefix>.+)/opt/python[^/]*/Frameworks/Python\.framework/Versions/[^/]+"
)


class _Host:
    """The platform pip would run on: path flavour, environment, prefixes, pip release."""

    def __init__(
        self,
        environ: Optional[Mapping[str, str]],
        platform: Optional[str],
        prefix: Optional[str],
        base_prefix: Optional[str],
        pip_version: Optional[Tuple[int, ...]],
    ) -> None:
        self.platform = sys.platform if platform is None else platform
        # pip's WINDOWS flag; Python's os.path is ntpath on exactly these platforms.
        self.windows = self.platform.startswith("win")
        self.path = ntpath if self.windows else posixpath
        source = os.environ if environ is None else environ
        # Windows environment names are case-insensitive and os.environ upper-cases them.
        self.env = {(k.upper() if self.windows else k): v for k, v in source.items()}
        self.prefix = sys.prefix if prefix is None else prefix
        if base_prefix is None:
            base_prefix = sys.base_prefix if prefix is None else prefix
        self.base_prefix = base_prefix
        self.pip = _NEWEST if pip_version is None else tuple(pip_version)
        self.basename = "pip.ini" if self.windows else "pip.conf"
        self.devnull = "nul" if self.windows else "/dev/null"

    def expanduser(self, path: str, empty_home_unset: bool = False) -> str:
        """``os.path.expanduser`` of a ``~`` or ``~/...`` path, for this host's environment.

        ``empty_home_unset``: platformdirs >= 4.12 falls back to the password database for an
        empty ``HOME`` where ``os.path.expanduser`` would give ``/``.
        """
        env = self.env
        if not (path == "~" or path.startswith(("~/", "~\\"))):
            return path
        if self.windows:
            if "USERPROFILE" in env:
                home = env["USERPROFILE"]
            elif "HOMEPATH" in env:
                home = ntpath.join(env.get("HOMEDRIVE", ""), env["HOMEPATH"])
            else:
                return path
            return home + path[1:]
        if "HOME" in env and not (empty_home_unset and not env["HOME"]):
            home = env["HOME"]
        else:
            try:
                import pwd  # POSIX only

                home = pwd.getpwuid(os.getuid()).pw_dir
            except (ImportError, KeyError, AttributeError):
                return path
        return (home.rstrip("/") + path[1:]) or "/"

    def xdg_dir(self, name: str) -> Optional[str]:
        """A single-path XDG variable as this pip's platformdirs reads it; None if unset."""
        raw = self.env.get(name, "")
        if self.pip >= _PIP_XDG_ABSOLUTE:
            return raw.strip() if posixpath.isabs(raw.strip()) else None
        if self.pip >= _PIP_XDG_EVERYWHERE:
            return raw.strip() or None
        return raw if raw.strip() else None  # older ones keep the blanks around a value

    def xdg_dirs(self, name: str) -> Optional[List[str]]:
        """A path-list XDG variable as this pip's platformdirs reads it; None if unset."""
        raw = self.env.get(name, "")
        if self.pip >= _PIP_XDG_ABSOLUTE:
            dirs = [d.strip() for d in raw.split(":") if posixpath.isabs(d.strip())]
            return dirs or None
        if not raw.strip():
            return None
        if self.pip >= _PIP_XDG_EVERYWHERE:
            return [d for d in raw.strip().split(":") if d.strip()]  # [] for " : "
        if self.pip < _PIP_PLATFORMDIRS_4:
            return [self.expanduser(d) for d in raw.split(":")]
        return raw.split(":")  # empty entries too: they give a relative "pip" directory

    def win_folder(self, override: str, fallback: str) -> str:
        """A shell folder the way platformdirs asks Windows for it, from the environment.

        pip asks the shell (CSIDL/KNOWNFOLDERID); the variables hold the same paths.
        """
        value = self.env.get(f"WIN_PD_OVERRIDE_{override}", "").strip()
        if self.pip >= _PIP_XDG_ABSOLUTE:
            drive, tail = ntpath.splitdrive(value)
            qualified = drive.startswith(("\\", "/")) or (
                bool(drive) and tail.startswith(("\\", "/"))
            )
            if qualified:
                return ntpath.normpath(value)
        elif self.pip >= _PIP_XDG_EVERYWHERE and value:
            return ntpath.normpath(value)
        return ntpath.normpath(fallback)

    def homebrew_prefix(self) -> Optional[str]:
        if self.pip >= _PIP_HOMEBREW_BASE_PREFIX:
            match = _HOMEBREW_PYTHON.fullmatch(self.base_prefix)
            return match.group("prefix") if match else None
        if self.pip >= _PIP_HOMEBREW_OPT_PYTHON:
            return self.prefix.split("/opt/python")[0] if "/opt/python" in self.prefix else None
        if self.pip >= _PIP_PLATFORMDIRS_4 and self.prefix.startswith("/opt/homebrew"):
            return "/opt/homebrew"
        return None

    def global_dirs(self) -> List[str]:
        if self.windows:
            data = self.env.get("PROGRAMDATA") or self.env.get("ALLUSERSPROFILE")
            return [
                ntpath.join(self.win_folder("COMMON_APPDATA", data or "C:\\ProgramData"), "pip")
            ]
        # pip splits platformdirs' ":"-joined answer, and 26.2's answer for a list of blank
        # entries is "", which splits into one empty directory name.
        if self.platform == "darwin":
            xdg = self.xdg_dirs("XDG_DATA_DIRS") if self.pip >= _PIP_XDG_EVERYWHERE else None
            if xdg is not None:
                return [posixpath.join(d, "pip") for d in xdg] or [""]
            brew = self.homebrew_prefix()
            dirs = [] if brew is None else [f"{brew}/share/pip"]
            dirs.append("/Library/Application Support/pip")
            # Older pips took the ":"-joined answer for one directory.
            return dirs if self.pip >= _PIP_SPLITS_MACOS_SITE_DIRS else [":".join(dirs)]
        xdg = self.xdg_dirs("XDG_CONFIG_DIRS")
        dirs = [posixpath.join(d, "pip") for d in (["/etc/xdg"] if xdg is None else xdg)]
        return (dirs or [""]) + ["/etc"]

    def user_dir(self) -> str:
        strict_home = self.pip >= _PIP_XDG_ABSOLUTE
        if self.windows:
            appdata = self.env.get("APPDATA") or ntpath.join(
                self.expanduser("~"), "AppData", "Roaming"
            )
            return ntpath.join(self.win_folder("APPDATA", appdata), "pip")
        if self.platform == "darwin":
            # pip's appdirs: the user data dir if it exists, else ~/.config/pip.
            data_home = self.xdg_dir("XDG_DATA_HOME") if self.pip >= _PIP_XDG_EVERYWHERE else None
            if data_home is None:
                data_home = self.expanduser("~/Library/Application Support", strict_home)
            library = posixpath.join(data_home, "pip")
            return library if os.path.isdir(library) else self.expanduser("~/.config/pip")
        config_home = self.xdg_dir("XDG_CONFIG_HOME")
        if config_home is None:
            config_home = self.expanduser("~/.config", strict_home)
        return posixpath.join(config_home, "pip")

    def candidates(self) -> Dict[str, List[str]]:
        join = self.path.join
        legacy = join(self.expanduser("~"), "pip" if self.windows else ".pip", self.basename)
        return {
            GLOBAL: [join(d, self.basename) for d in self.global_dirs()],
            USER: [legacy, join(self.user_dir(), self.basename)],
            SITE: [join(self.prefix, self.basename)],
        }


def config_files(
    environ: Optional[Mapping[str, str]] = None,
    *,
    platform: Optional[str] = None,
    prefix: Optional[str] = None,
    isolated: bool = False,
    pip_version: Optional[Tuple[int, ...]] = None,
    base_prefix: Optional[str] = None,
) -> List[Tuple[str, List[str]]]:
    """List the config files pip looks for, by kind, lowest precedence first.

    Args:
        environ: the environment pip runs in (default ``os.environ``).
        platform: ``sys.platform`` of that pip (default: this one's).
        prefix: ``sys.prefix`` of that pip's interpreter (default: this one's).
        isolated: whether pip runs with ``--isolated``.
        pip_version: that pip's release, e.g. ``(24, 2)``; ``None`` means the newest rules.
        base_prefix: ``sys.base_prefix`` of that interpreter (default: ``prefix``, or this
            one's when ``prefix`` is not given); newer pips find Homebrew's dirs from it.

    Returns:
        ``(kind, paths)`` for global, user, site and env, whether or not the files exist.
        The user list is empty when pip skips user files (``--isolated`` or an existing
        ``PIP_CONFIG_FILE``); env holds ``PIP_CONFIG_FILE`` if it is set.
    """
    host = _Host(environ, platform, prefix, base_prefix, pip_version)
    candidates = host.candidates()
    env_file = host.env.get("PIP_CONFIG_FILE")
    return [
        (GLOBAL, candidates[GLOBAL]),
        (USER, candidates[USER] if _user_files_reason(env_file, isolated) is None else []),
        (SITE, candidates[SITE]),
        (ENV, [] if env_file is None else [env_file]),
    ]


def _user_files_reason(env_file: Optional[str], isolated: bool) -> Optional[str]:
    if isolated:
        return "not read: pip runs --isolated"
    if env_file and os.path.exists(env_file):
        return "not read: PIP_CONFIG_FILE names an existing file"
    return None


def load(
    environ: Optional[Mapping[str, str]] = None,
    *,
    platform: Optional[str] = None,
    prefix: Optional[str] = None,
    isolated: bool = False,
    encoding: Optional[str] = None,
    strict: bool = False,
    pip_version: Optional[Tuple[int, ...]] = None,
    base_prefix: Optional[str] = None,
) -> PipConfig:
    """Read pip's configuration files and ``PIP_*`` variables exactly as pip would.

    Args:
        environ: the environment pip runs in (default ``os.environ``).
        platform: ``sys.platform`` of that pip (default: this one's).
        prefix: ``sys.prefix`` of that pip's interpreter (default: this one's); its
            ``pip.conf`` (``pip.ini`` on Windows) is the site config.
        isolated: whether pip runs with ``--isolated``.
        encoding: the encoding pip decodes files with (default:
            ``locale.getpreferredencoding(False)``, as pip does).
        strict: raise for an existing config path that cannot be opened (a directory, no
            permission); pip itself silently skips such a file, and so does the default.
        pip_version: that pip's release, e.g. ``(24, 2)``; ``None`` means the newest rules.
            File locations, which spellings of an option clash, and which of two loads of
            the same file wins all depend on it.
        base_prefix: ``sys.base_prefix`` of that interpreter (see :func:`config_files`).

    Returns:
        Every file pip looks for (plus user files it skips, with a note) and every value.

    Raises:
        ConfigError: a file pip reads does not decode or parse, so pip would refuse to run;
            with ``strict``, also an existing file that cannot be opened.
    """
    host = _Host(environ, platform, prefix, base_prefix, pip_version)
    enc = encoding or locale.getpreferredencoding(False)
    candidates = host.candidates()
    env_file = host.env.get("PIP_CONFIG_FILE")
    candidates[ENV] = [] if env_file is None else [env_file]
    devnull = env_file == host.devnull
    skip_user = _user_files_reason(env_file, isolated)
    normalize = host.pip >= _PIP_NORMALIZES_ON_PARSE

    files: List[ConfigFile] = []
    # pip >= 25.2 keeps values per file name, in the order each name is first loaded: a file
    # loaded again under a later kind (PIP_CONFIG_FILE naming a global file) takes effect
    # at its first place, below the kinds loaded in between. Older pips merge kind by kind.
    per_file = host.pip >= _PIP_PER_FILE_VALUES
    slots: Dict[str, List[Value]] = {}
    values: List[Value] = []
    for kind in FILE_KINDS:
        for path in candidates[kind]:
            exists = os.path.exists(path)
            note = ""
            if kind == USER and skip_user is not None:
                note = skip_user
            elif devnull:
                note = "not read: PIP_CONFIG_FILE is os.devnull, so pip reads no file"
            elif exists:
                read, note = _read_file(kind, path, enc, strict, normalize)
                if per_file:
                    slots.setdefault(path, []).extend(read)
                else:
                    values.extend(read)
            files.append(
                ConfigFile(kind, path, exists, exists and not note, note if exists else "")
            )
    values.extend(v for slot in slots.values() for v in slot)
    if not isolated:
        values.extend(_env_values(host.env))
    return PipConfig(tuple(files), tuple(values), pip_version)


def _env_values(env: Mapping[str, str]) -> List[Value]:
    values = []
    for name, value in env.items():
        if name.startswith("PIP_") and name[4:].lower() not in _ENV_NAMES_IGNORED:
            values.append(Value(normalize_key(name[4:]), value, ENV_VAR, None, None, name))
    return values


class _NormalizingParser(configparser.RawConfigParser):
    """pip >= 26.3's parser: option names are normalised as they are read."""

    def optionxform(self, optionstr: str) -> str:
        return normalize_key(optionstr)


def _read_file(
    kind: str, path: str, encoding: str, strict: bool, normalize: bool
) -> Tuple[List[Value], str]:
    """Parse one file like pip's ``Configuration._construct_parser``; return values, note.

    ``normalize``: pip >= 26.3 normalises option names while parsing, so ``index_url`` and
    ``index-url`` in one section are a duplicate it refuses. The values are still read with
    plain names, which keeps each option's spelling for :meth:`Value.where`.
    """
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        # configparser.read() swallows OSError, so pip silently skips such a path.
        problem = "is a directory" if os.path.isdir(path) else f"cannot be read ({exc.strerror})"
        if strict:
            raise ConfigError(
                f"pip configuration file {path} {problem}",
                hint="pip ignores it silently; remove it or make it a readable file",
            ) from None
        return [], f"not read: it {problem}; pip ignores it silently"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"pip configuration file {path}, line {line}: not valid {encoding} text",
            hint=f"pip reads config files as {encoding}; re-save the file in that encoding",
        ) from None
    parser = configparser.RawConfigParser()
    try:
        if normalize:
            _parse(_NormalizingParser(), text, path)
        _parse(parser, text, path)
    except configparser.Error as exc:
        hint = "pip refuses to run with this file too; fix that line or remove the file"
        if text.startswith("\ufeff"):
            hint = "the file starts with a byte order mark, which pip cannot read; save it without"
        elif isinstance(exc, configparser.DuplicateOptionError) and _parses(text, path):
            hint = (
                "pip >= 26.3 takes spellings that differ only in case, '_' or a leading '--'"
                " for the same option and refuses to run; keep one of them"
            )
        raise ConfigError(
            f"pip configuration file {path}{describe_error(exc, text)}", hint=hint
        ) from None

    items = [(s, name, v) for s in parser.sections() for name, v in parser.items(s)]
    # remove_option() reports whether the section itself sets the option; False means
    # configparser copied it from [DEFAULT]. Done after reading all items on purpose.
    own = [parser.remove_option(s, name) for s, name, _ in items]
    values = [
        Value(normalize_key(name), v, kind, path, s, name, not is_own)
        for (s, name, v), is_own in zip(items, own)
    ]
    return values, ""


def _parse(parser: configparser.RawConfigParser, text: str, path: str) -> None:
    # newline=None: universal newlines, as configparser.read() gets from open().
    parser.read_file(io.StringIO(text, newline=None), source=path)


def _parses(text: str, path: str) -> bool:
    """Whether a parser with plain option names (pip < 26.3) accepts the text."""
    try:
        _parse(configparser.RawConfigParser(), text, path)
    except configparser.Error:
        return False
    return True


def describe_error(exc: configparser.Error, text: str) -> str:
    """One line for a configparser error: ``, line N: what``."""
    lines = io.StringIO(text, newline=None).readlines()  # numbered as configparser counts

    def quoted(lineno: int) -> str:
        # Quoted from the text: ParsingError.errors holds repr() before 3.13, raw lines after.
        return repr(lines[lineno - 1].strip()) if 0 < lineno <= len(lines) else "?"

    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f", line {exc.lineno}: a setting before any [section] header, {quoted(exc.lineno)}"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f", line {exc.lineno}: section [{exc.section}] appears twice"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f", line {exc.lineno}: {exc.option!r} appears twice in [{exc.section}]"
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        lineno = exc.errors[0][0]
        return f", line {lineno}: cannot parse {quoted(lineno)}"
    return ": " + " ".join(str(exc).split())
