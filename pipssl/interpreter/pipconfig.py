"""pip's configuration, read the way pip reads it, with the provenance of every value.

A model of pip's own rules (``pip/_internal/configuration.py`` and ``cli/parser.py`` in pip
23.0 ... 26.3), written as data so that pip need not be importable.  Terms, as in pip:

* kind: where a definition comes from, pip's "variant": the file kinds global, user, site
  and env (the file ``PIP_CONFIG_FILE`` names; see :mod:`pipssl.interpreter.pipfiles` for where
  each kind's files are), then env-var for ``PIP_*`` variables; ``OVERRIDE_ORDER`` lists
  them lowest precedence first;
* file: a path pip looks for (:class:`ConfigFile`), read or not and why;
* section: ``[global]``, ``[<command>]``, and the slot pip files ``PIP_*`` variables under;
* name and key: an option as written (configparser lower-cases it) or the variable's
  name, and the same option as pip compares it (:func:`normalize_key`);
* value: one definition of an option (:class:`Value`), with its kind, file and section.

The rules:

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

import locale
import os
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

from pipssl import _files
from pipssl._text import shown
from pipssl.errors import ConfigError
from pipssl.formats.ini import normalize_key, parse
from pipssl.interpreter.pipfiles import ENV, FILE_KINDS, GLOBAL, NEWEST, SITE, USER, Host

ENV_VAR = "env-var"
OVERRIDE_ORDER = (GLOBAL, USER, SITE, ENV, ENV_VAR)

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

#: The note of every config file when PIP_CONFIG_FILE is the null device (pip's
#: Configuration.load: "Skipping loading configuration files", pip 10 to 26).
NO_FILE_READ = "not read: PIP_CONFIG_FILE is os.devnull, so pip reads no file"

# pip releases whose handling of values changed, from pip's source history.
_PIP_PER_FILE_VALUES = (25, 2)  # https://github.com/pypa/pip/pull/12201
_PIP_EMPTY_HIDES_AGAIN = (26, 0)  # https://github.com/pypa/pip/pull/13703
_PIP_NORMALIZES_ON_PARSE = (26, 3)


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
        version = NEWEST if self.pip_version is None else self.pip_version
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
    host = Host(environ, platform, prefix, base_prefix, pip_version)
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
    host = Host(environ, platform, prefix, base_prefix, pip_version)
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
                note = NO_FILE_READ
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


def _read_file(
    kind: str, path: str, encoding: str, strict: bool, normalize: bool
) -> Tuple[List[Value], str]:
    """Read one file's values like pip; return them and a note on why it was not read."""
    try:
        data = _files.read_file(path, _files.PIP_CONFIG)
    except _files.FileRefused as exc:
        if exc.why in (_files.SPECIAL, _files.TOO_LARGE):
            # pip would wait on a FIFO for ever, or read a device or a huge file until
            # memory runs out: it cannot run with this file, as with one it cannot parse.
            raise ConfigError(
                exc.message,
                hint="Replace it with a regular file, or remove it.",
                path=path,
            ) from None
        # configparser.read() swallows OSError, so pip silently skips such a path.
        problem = (
            "is a directory" if exc.why == _files.DIRECTORY else f"cannot be read ({exc.cause})"
        )
        if strict:
            raise ConfigError(
                f"pip configuration file {shown(path)} {problem}",
                hint="pip ignores it silently; remove it or make it a readable file",
                path=path,
            ) from None
        return [], f"not read: it {problem}; pip ignores it silently"
    return [
        Value(normalize_key(name), value, kind, path, section, name, inherited)
        for section, name, value, inherited in parse(path, data, encoding, normalize)
    ], ""
