"""pip's configuration, read the way pip reads it, with the provenance of every value.

A model of pip's own rules (``pip/_internal/configuration.py``, ``utils/appdirs.py`` and
``cli/parser.py`` in pip 23.0 ... 24.2), written as data so that pip need not be importable:

* config files by kind, in ``OVERRIDE_ORDER``; the location of each file per platform is
  computed from an explicit environment, platform string and interpreter prefix, so that
  another interpreter (or another OS) can be described;
* ``PIP_CONFIG_FILE``: ``os.devnull`` means "no file at all"; an existing file hides the
  user files; ``--isolated`` hides the user files and the ``PIP_*`` variables;
* a command sees ``[global]`` then ``[<command>]`` then the ``PIP_*`` variables, each the
  highest-kind definition, and an empty value is skipped (it still hides lower kinds).

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
import sys
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

from .errors import ConfigError

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
    """Every config file and value pip sees, in pip's load order (``OVERRIDE_ORDER``)."""

    files: Tuple[ConfigFile, ...]
    values: Tuple[Value, ...]

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
            if group and group[-1].value:
                return group[-1]
        return None

    def get_all(self, key: str, command: str = "install") -> List[Value]:
        """List every definition of ``key`` that ``pip <command>`` considers.

        Args:
            key: option name, in any spelling :func:`normalize_key` accepts.
            command: the pip command whose section applies.

        Returns:
            Definitions from lowest to highest precedence; the effective one (see :meth:`get`)
            is the last non-empty one of the last section group that has a non-empty winner.
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


class _Host:
    """The platform pip would run on: path flavour, environment, prefix."""

    def __init__(
        self, environ: Optional[Mapping[str, str]], platform: Optional[str], prefix: Optional[str]
    ) -> None:
        self.platform = sys.platform if platform is None else platform
        # pip's WINDOWS flag; Python's os.path is ntpath on exactly these platforms.
        self.windows = self.platform.startswith("win")
        self.path = ntpath if self.windows else posixpath
        source = os.environ if environ is None else environ
        # Windows environment names are case-insensitive and os.environ upper-cases them.
        self.env = {(k.upper() if self.windows else k): v for k, v in source.items()}
        self.prefix = sys.prefix if prefix is None else prefix
        self.basename = "pip.ini" if self.windows else "pip.conf"
        self.devnull = "nul" if self.windows else "/dev/null"

    def expanduser(self, path: str) -> str:
        """``os.path.expanduser`` of a ``~`` or ``~/...`` path, for this host's environment."""
        env = self.env
        if self.windows:
            if "USERPROFILE" in env:
                home = env["USERPROFILE"]
            elif "HOMEPATH" in env:
                home = ntpath.join(env.get("HOMEDRIVE", ""), env["HOMEPATH"])
            else:
                return path
            return home + path[1:]
        if "HOME" in env:
            home = env["HOME"]
        else:
            try:
                import pwd  # POSIX only

                home = pwd.getpwuid(os.getuid()).pw_dir
            except (ImportError, KeyError, AttributeError):
                return path
        return (home.rstrip("/") + path[1:]) or "/"

    def global_dirs(self) -> List[str]:
        if self.windows:
            # pip asks the shell for CSIDL_COMMON_APPDATA; these variables hold the same.
            data = self.env.get("PROGRAMDATA") or self.env.get("ALLUSERSPROFILE")
            return [ntpath.join(ntpath.normpath(data or "C:\\ProgramData"), "pip")]
        if self.platform == "darwin":
            dirs = ["/Library/Application Support/pip"]
            if self.prefix.startswith("/opt/homebrew"):
                # platformdirs >= 4 adds Homebrew's share dir; pip only splits the pair
                # correctly since 25.1 (https://github.com/pypa/pip/issues/12903).
                dirs.insert(0, "/opt/homebrew/share/pip")
            return dirs
        xdg = self.env.get("XDG_CONFIG_DIRS", "")
        if not xdg.strip():
            xdg = "/etc/xdg"
        # pip 23.x (platformdirs < 4) also expanded a leading "~" in each entry; 24.2 does not.
        return [posixpath.join(d, "pip") for d in xdg.split(":")] + ["/etc"]

    def user_dir(self) -> str:
        if self.windows:
            appdata = self.env.get("APPDATA") or ntpath.join(
                self.expanduser("~"), "AppData", "Roaming"
            )
            return ntpath.join(ntpath.normpath(appdata), "pip")
        if self.platform == "darwin":
            # pip's appdirs: Application Support if that directory exists, else ~/.config.
            library = posixpath.join(self.expanduser("~/Library/Application Support"), "pip")
            return library if os.path.isdir(library) else self.expanduser("~/.config/pip")
        xdg_home = self.env.get("XDG_CONFIG_HOME", "")
        if not xdg_home.strip():
            xdg_home = self.expanduser("~/.config")
        return posixpath.join(xdg_home, "pip")

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
) -> List[Tuple[str, List[str]]]:
    """List the config files pip looks for, by kind, lowest precedence first.

    Args:
        environ: the environment pip runs in (default ``os.environ``).
        platform: ``sys.platform`` of that pip (default: this one's).
        prefix: ``sys.prefix`` of that pip's interpreter (default: this one's).
        isolated: whether pip runs with ``--isolated``.

    Returns:
        ``(kind, paths)`` for global, user, site and env, whether or not the files exist.
        The user list is empty when pip skips user files (``--isolated`` or an existing
        ``PIP_CONFIG_FILE``); env holds ``PIP_CONFIG_FILE`` if it is set.
    """
    host = _Host(environ, platform, prefix)
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

    Returns:
        Every file pip looks for (plus user files it skips, with a note) and every value.

    Raises:
        ConfigError: a file pip reads does not decode or parse, so pip would refuse to run;
            with ``strict``, also an existing file that cannot be opened.
    """
    host = _Host(environ, platform, prefix)
    enc = encoding or locale.getpreferredencoding(False)
    candidates = host.candidates()
    env_file = host.env.get("PIP_CONFIG_FILE")
    candidates[ENV] = [] if env_file is None else [env_file]
    devnull = env_file == host.devnull
    skip_user = _user_files_reason(env_file, isolated)

    files: List[ConfigFile] = []
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
                read, note = _read_file(kind, path, enc, strict)
                values.extend(read)
            files.append(
                ConfigFile(kind, path, exists, exists and not note, note if exists else "")
            )
    if not isolated:
        values.extend(_env_values(host.env))
    return PipConfig(tuple(files), tuple(values))


def _env_values(env: Mapping[str, str]) -> List[Value]:
    values = []
    for name, value in env.items():
        if name.startswith("PIP_") and name[4:].lower() not in _ENV_NAMES_IGNORED:
            values.append(Value(normalize_key(name[4:]), value, ENV_VAR, None, None, name))
    return values


def _read_file(kind: str, path: str, encoding: str, strict: bool) -> Tuple[List[Value], str]:
    """Parse one file like pip's ``Configuration._construct_parser``; return values, note."""
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
        # newline=None: universal newlines, as configparser.read() gets from open().
        parser.read_file(io.StringIO(text, newline=None), source=path)
    except configparser.Error as exc:
        hint = "pip refuses to run with this file too; fix that line or remove the file"
        if text.startswith("\ufeff"):
            hint = "the file starts with a byte order mark, which pip cannot read; save it without"
        raise ConfigError(
            f"pip configuration file {path}{_describe(exc, text)}", hint=hint
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


def _describe(exc: configparser.Error, text: str) -> str:
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
