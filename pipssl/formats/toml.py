"""Read, and set one string of, TOML config files: uv's ``uv.toml``, ``pyproject.toml``,
poetry's ``config.toml``.

:func:`read_toml` reads with ``tomllib`` (Python 3.11+) or ``tomli`` (the same parser;
pipssl's dependency below 3.11, carried by ``get-pipssl.py``), imported on first use: a
strict TOML 1.0 parser, so pipssl reads what the clients' own parsers read, and a file it
refuses is neither read nor edited.  :func:`set_toml_string` sets one string key of one table
(``[certificates.<source>] cert``): the line locator (:mod:`pipssl.formats.toml_lines`)
finds where the key or its table is written, the edit replaces the value in place, adds
the key below the table's header or adds the table at the end, and the reader proves on
the text before and after that only that one value changed
(:func:`pipssl.formats.edit.prove`); every other byte (comments, order, line endings, a
missing final newline, a BOM) stays.
"""

from __future__ import annotations

import importlib
import re
import sys
from types import ModuleType
from typing import Any, Callable, Dict, Optional

from pipssl._text import shown
from pipssl.errors import ConfigError
from pipssl.formats.edit import Edit, Key, Splice, Values, line_ending, prove, spliced
from pipssl.formats.toml_lines import Layout, layout

#: A TOML table as tomllib reads it (the clients' settings are strings, booleans, tables).
TomlTable = Dict[str, Any]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class _FloatText(str):
    """A float kept as its text, for the edit's proof: ``nan`` equals ``nan`` there."""


def _reader(name: str) -> ModuleType:
    """tomllib, or tomli before Python 3.11."""
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415 tomllib (3.11+) or tomli, read lazily

        return tomllib
    try:
        return importlib.import_module("tomli")
    except ImportError:
        raise ConfigError(
            f"{shown(name)}: reading TOML on Python {sys.version_info[0]}.{sys.version_info[1]}"
            " needs the tomli package, which is missing; pipssl will not read or edit it",
            hint="install tomli into the Python that runs pipssl, run pipssl with Python"
            " 3.11 or later, or run get-pipssl.py, which carries tomli",
        ) from None


def _loads(text: str, name: str, parse_float: Callable[[str], Any] = float) -> TomlTable:
    body = text[1:] if text.startswith("\ufeff") else text  # the clients read past a BOM
    reader = _reader(name)
    try:
        data: TomlTable = reader.loads(body, parse_float=parse_float)
    except reader.TOMLDecodeError as exc:
        raise ConfigError(
            f"{shown(name)}: not valid TOML, {shown(str(exc))}; pipssl will not read or edit it",
            hint="fix the file (its client refuses it too) and run again",
        ) from None
    return data


def read_toml(text: str, name: str = "the file") -> TomlTable:
    """The document in ``text`` (decoded, newlines untranslated), as tomllib reads it.

    Raises:
        ConfigError: the text is not TOML, or this Python has neither tomllib nor tomli.
    """
    return _loads(text, name)


def toml_get(data: TomlTable, *path: str) -> Any:
    """``data[a][b]...`` or None when any step is missing or not a table."""
    node: Any = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def set_toml_string(text: str, table: Key, key: str, value: str, name: str) -> str:
    """Set ``key = "value"`` in ``[table]``, changing nothing else.

    An existing value is replaced where it stands; a missing key goes right below the
    table's header; a missing table is added at the end of the file.

    Args:
        text: the file's text ("" for a new file).
        table: the table's path, e.g. ``("certificates", "corp")``.
        key: the key in it, e.g. ``"cert"``.
        value: the string to set.
        name: the file, for errors.

    Returns:
        The new text.

    Raises:
        ConfigError: the file is not TOML, or the key lives somewhere an in-place edit
            cannot reach safely (an inline table, an array, a table made by dotted keys).
    """
    # floats as their text: the proof compares them (nan is not equal to itself)
    data = _loads(text, name, parse_float=_FloatText)
    bom = 1 if text.startswith("\ufeff") else 0
    body = text[bom:]  # the locator's offsets are in the text past a BOM
    spots = layout(body, lambda small: _loads(small, name))
    full = (*table, key)
    cut = _where(body, data, spots, full, toml_string(value), name)
    edited = spliced(text, [Splice(cut.start + bom, cut.end + bom, cut.new)])
    return prove(
        Edit(text, edited, full),
        lambda t: _flat(data if t is text else _loads(t, name, parse_float=_FloatText)),
        lambda own: own == {full: value},
        lambda: ConfigError(
            f"{shown(name)}: an edit of {shown_key(full)} would change other settings;"
            " not written",
            reference="internal",
        ),
    )


def _where(body: str, data: TomlTable, spots: Layout, full: Key, new: str, name: str) -> Splice:
    """Where ``new`` (the value, as TOML) goes in ``body`` (the text past any BOM): over
    the old value, below the table's header, or in a new table at the end."""
    table, key = full[:-1], full[-1]
    dotted = ".".join(toml_key(p) for p in table)
    eol = line_ending(body)
    if toml_get(data, *full) is not None:
        found = [s for s in spots.statements if s.path == full and not s.in_array]
        if not found:
            raise _cannot(name, dotted, key, "it is set by an inline table")
        if body[found[0].start] in "[{":
            raise _cannot(name, dotted, key, "its value is an array or an inline table")
        return Splice(found[0].start, found[0].end, new)
    header = _header(spots, table)
    if header is not None:
        # a header on the file's last line without a newline needs one before new lines
        unended = header == len(body) and not body.endswith(("\n", "\r"))
        return Splice(header, header, f"{eol if unended else ''}{toml_key(key)} = {new}{eol}")
    if toml_get(data, *table) is not None or _prefix_is_value(data, table):
        raise _cannot(name, dotted, key, "the table is defined by dotted keys or inline")
    sep = "" if not body or body.endswith(("\n", "\r")) else eol
    gap = eol if body.strip() else ""  # a file holding only a BOM counts as empty (fuzzing)
    return Splice(len(body), len(body), f"{sep}{gap}[{dotted}]{eol}{toml_key(key)} = {new}{eol}")


def _header(spots: Layout, table: Key) -> Optional[int]:
    """Where the line after ``[table]``'s header starts, if a header (not an array's) opens it."""
    for header in spots.headers:
        if header.path == table and not header.array:
            return header.end
    return None


def _prefix_is_value(data: TomlTable, table: Key) -> bool:
    node: Any = data
    for part in table:
        if not isinstance(node, dict):
            return True
        if part not in node:
            return False
        node = node[part]
    return not isinstance(node, dict)


def _flat(data: TomlTable, at: Key = ()) -> Values:
    """Each value by its path; a table only when it is empty (it still exists)."""
    out: Values = {}
    for part, value in data.items():
        path = (*at, part)
        if isinstance(value, dict) and value:
            out.update(_flat(value, path))
        else:
            out[path] = value
    return out


def _cannot(name: str, table: str, key: str, why: str) -> ConfigError:
    return ConfigError(
        f"{shown(name)}: cannot set {shown(table)}.{shown(key)} safely: {why}",
        hint=f"set it by hand under a [{shown(table)}] table, or move that setting into one",
    )


def shown_key(path: Key) -> str:
    """A key for an error message: one line, and short, whatever the file holds."""
    text = ".".join(toml_key(part) for part in path)
    return shown(text if len(text) <= 60 else text[:57] + "...")


def toml_key(part: str) -> str:
    """One key part as TOML spells it: bare when it can be, else a basic string."""
    return part if _BARE_KEY.fullmatch(part) else toml_string(part)


def toml_string(value: str) -> str:
    """A TOML basic string for ``value`` (backslashes, quotes and controls escaped)."""
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
