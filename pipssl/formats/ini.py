"""One pip config file as pip's parser reads it: option spellings, parsing, errors.

pip reads each file with ``configparser.RawConfigParser`` (pip >= 26.3 normalising option
names as it reads), decoded with the locale's preferred encoding; a file that does not
decode or parse stops pip.  Opening the file is :mod:`pipssl.interpreter.pipconfig`'s part,
editing it :mod:`pipssl.formats.ini_edit`'s.
"""

from __future__ import annotations

import configparser
import io
from typing import List, NamedTuple

from pipssl._text import shown
from pipssl.errors import ConfigError


class Option(NamedTuple):
    """One option as a file sets it, ``name`` as configparser read it.

    ``from_default`` is true when the file sets it under ``[DEFAULT]``, which configparser
    copies into every section.
    """

    section: str
    name: str
    value: str
    from_default: bool


def normalize_key(name: str) -> str:
    """Spell an option name the way pip compares it.

    Args:
        name: ``index_url``, ``INDEX-URL``, ``--index-url`` ...

    Returns:
        ``index-url``: lower case, ``_`` replaced by ``-``, a leading ``--`` removed.
    """
    key = name.lower().replace("_", "-")
    return key[2:] if key.startswith("--") else key


class _NormalizingParser(configparser.RawConfigParser):
    """pip >= 26.3's parser: option names are normalised as they are read."""

    def optionxform(self, optionstr: str) -> str:
        return normalize_key(optionstr)


def parse(path: str, data: bytes, encoding: str, normalize: bool) -> List[Option]:
    """Decode and parse one file's bytes like pip's ``Configuration._construct_parser``.

    ``normalize``: pip >= 26.3 normalises option names while parsing, so ``index_url`` and
    ``index-url`` in one section are a duplicate it refuses. The values are still read with
    plain names, which keeps each option's spelling for
    :meth:`pipssl.interpreter.pipconfig.Value.where`.

    Raises:
        ConfigError: the bytes do not decode or parse, so pip would refuse to run.
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"pip configuration file {shown(path)}, line {line}: not valid {encoding} text",
            hint=f"pip reads config files as {encoding}; re-save the file in that encoding",
            path=path,
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
            f"pip configuration file {shown(path)}{describe_error(exc, text)}",
            hint=hint,
            path=path,
        ) from None

    items = [(s, name, v) for s in parser.sections() for name, v in parser.items(s)]
    # remove_option() reports whether the section itself sets the option; False means
    # configparser copied it from [DEFAULT]. Done after reading all items on purpose.
    own = [parser.remove_option(s, name) for s, name, _ in items]
    return [Option(s, name, v, not is_own) for (s, name, v), is_own in zip(items, own)]


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
        return f", line {exc.lineno}: section [{shown(exc.section)}] appears twice"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f", line {exc.lineno}: {exc.option!r} appears twice in [{shown(exc.section)}]"
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        lineno = exc.errors[0][0]
        return f", line {lineno}: cannot parse {quoted(lineno)}"
    return ": " + shown(" ".join(str(exc).split()))
