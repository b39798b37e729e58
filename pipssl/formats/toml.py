"""Read, and edit one key of, TOML config files: uv's ``uv.toml``, ``pyproject.toml``,
poetry's ``config.toml``.

:func:`read_toml` parses a document (with :class:`~pipssl.formats.tomlparse.TomlParser`)
into dicts, lists, strings and booleans, remembering where each scalar sits;
:func:`set_toml_string` sets one string key of one table (``[certificates.<source>]
cert``), replacing its value in place or adding the table at the end.  pipssl never
rewrites a user's file wholesale: every edit keeps each other byte (comments, order, line
endings, a missing final newline), is parsed again, and raises
:class:`~pipssl.errors.ConfigError` if anything but the one value changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from pipssl.errors import ConfigError
from pipssl.formats.tomlparse import (
    Path_,
    TomlParser,
    TomlScalar,
    shown_key,
    toml_key,
    toml_string,
)

# TOML allows no control character but tab and line endings (LF or CRLF) anywhere, not even
# in a comment or a string; a lone CR is no line ending.  tomllib refuses them, and the
# reader treated a lone CR as a newline, so it accepted files the clients refuse (fuzzing).
_TOML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")


@dataclass
class TomlDocument:
    """A parsed TOML document: the data, its explicit tables and its scalars' positions."""

    data: Dict[str, Any]
    headers: Dict[Path_, Tuple[int, bool]]  # table path -> (end of header line, array?)
    scalars: List[TomlScalar]
    eol: str


def read_toml(text: str, name: str = "the file") -> TomlDocument:
    """Parse a TOML document.

    Args:
        text: the file's text (decoded, newlines untranslated).
        name: what to call the file in errors.

    Returns:
        A :class:`TomlDocument`.

    Raises:
        ConfigError: the text is not TOML as this reader understands it.
    """
    body = text[1:] if text.startswith("\ufeff") else text
    parser = TomlParser(body, name)
    control = _TOML_CONTROL.search(body)
    if control:
        parser.i = control.start()
        raise parser.fail(f"a control character ({control.group()[0]!r}) outside an escape")
    data = parser.document()
    offset = len(text) - len(body)
    scalars = [
        TomlScalar(s.path, s.value, s.start + offset, s.end + offset, s.inline)
        for s in parser.scalars
    ]
    headers = {k: (v[0] + offset, v[1]) for k, v in parser.headers.items()}
    return TomlDocument(data, headers, scalars, line_ending(text))


def toml_get(data: Dict[str, Any], *path: str) -> Any:
    """``data[a][b]...`` or None when any step is missing or not a table."""
    node: Any = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def set_toml_string(text: str, table: Path_, key: str, value: str, name: str) -> str:
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
        ConfigError: the file cannot be parsed, or the key lives somewhere an in-place
            edit cannot reach safely (an inline table, a dotted key from another table).
    """
    doc = read_toml(text, name)
    full = (*table, key)
    dotted = ".".join(toml_key(p) for p in table)
    new = toml_string(value)
    found = [s for s in doc.scalars if s.path == full]
    if found:
        spot = found[0]
        if spot.inline:
            raise _cannot(name, dotted, key, "it is set inside an inline table or array")
        result = text[: spot.start] + new + text[spot.end :]
    elif toml_get(doc.data, *full) is not None:
        raise _cannot(name, dotted, key, "it is set by an inline table")
    elif table in doc.headers and not doc.headers[table][1]:
        if any(s.path[: len(table)] == table and s.inline for s in doc.scalars):
            raise _cannot(name, dotted, key, "the table is partly an inline table")
        at = doc.headers[table][0]
        result = text[:at] + _line_end(text, at, doc.eol) + f"{toml_key(key)} = {new}{doc.eol}"
        result += text[at:]
    elif toml_get(doc.data, *table) is not None or _prefix_is_value(doc.data, table):
        raise _cannot(name, dotted, key, "the table is defined by dotted keys or inline")
    else:
        # a file holding only a BOM counts as empty (no blank first line: fuzzing)
        sep = "" if text in ("", "\ufeff") or text.endswith(("\n", "\r")) else doc.eol
        gap = doc.eol if text.lstrip("\ufeff").strip() else ""
        result = f"{text}{sep}{gap}[{dotted}]{doc.eol}{toml_key(key)} = {new}{doc.eol}"
    _check_toml_edit(doc, read_toml(result, name), full, value, name)
    return result


def _line_end(text: str, at: int, eol: str) -> str:
    """A header on the file's last line without a newline needs one before new lines."""
    return eol if at == len(text) and not text.endswith(("\n", "\r")) else ""


def _prefix_is_value(data: Dict[str, Any], table: Path_) -> bool:
    node: Any = data
    for part in table:
        if not isinstance(node, dict):
            return True
        if part not in node:
            return False
        node = node[part]
    return not isinstance(node, dict)


def _cannot(name: str, table: str, key: str, why: str) -> ConfigError:
    return ConfigError(
        f"{name}: cannot set {table}.{key} safely: {why}",
        hint=f"set it by hand under a [{table}] table, or move that setting into one",
    )


def _check_toml_edit(
    before: TomlDocument, after: TomlDocument, path: Path_, value: str, name: str
) -> None:
    """The edit changed that one value and nothing else, or it is refused."""
    expected = _without(before.data, path)
    if toml_get(after.data, *path) != value or _without(after.data, path) != expected:
        raise ConfigError(
            f"{name}: an edit of {shown_key(path)} would change other settings; not written",
            reference="internal",
        )


def _without(data: Dict[str, Any], path: Path_) -> Any:
    """A deep copy of ``data`` without ``path`` and without tables left empty by that."""
    if not path:
        return None
    out = dict(data)
    head = path[0]
    if len(path) == 1:
        out.pop(head, None)
    elif isinstance(out.get(head), dict):
        inner = _without(out[head], path[1:])
        if inner:
            out[head] = inner
        else:
            out.pop(head)
    return out


def line_ending(text: str) -> str:
    """The file's own line ending (its first one), ``\\n`` for a file without any."""
    m = re.search(r"\r\n|\r|\n", text)
    return m.group() if m else "\n"
