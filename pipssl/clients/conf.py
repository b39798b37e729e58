"""Read, and edit one key of, the config files of other installers: TOML and ``.condarc``.

pipssl must run on Python 3.8 with the standard library alone, where ``tomllib`` does not
exist, and must never rewrite a user's file wholesale.  So this module holds two small
readers and two careful editors:

* TOML (uv's ``uv.toml``, ``pyproject.toml``, poetry's ``config.toml``): :func:`read_toml`
  parses a document into dicts, lists, strings and booleans (numbers and dates are kept as
  their text), remembering where each scalar sits; :func:`set_toml_string` sets one string
  key of one table (``[certificates.<source>] cert``), replacing its value in place or
  adding the table at the end.
* YAML, for ``.condarc``: :func:`read_condarc_key` reads one top-level scalar key, and
  :func:`set_condarc_key` sets it, in place or as a new last line.  Anything that is not
  a plain one-line ``key: value`` (block scalars, flow collections, anchors, several
  documents, a duplicate key) is refused rather than guessed at.

Every edit keeps each other byte (comments, order, line endings, a missing final newline),
is parsed again, and raises :class:`~pipssl.errors.ConfigError` if anything but the one
value changed.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

from pipssl.errors import ConfigError

Path_ = Tuple[str, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BARE_VALUE = re.compile(r"[A-Za-z0-9_:.+\-]+")
# What a bare value may be (TOML 1.0's grammar, as tomllib checks it): the reader keeps the
# text of numbers and dates, but it took any word (``a = foo``) for one (found by fuzzing).
_TOML_NUMBER = re.compile(
    r"0x[0-9A-Fa-f](_?[0-9A-Fa-f])*|0o[0-7](_?[0-7])*|0b[01](_?[01])*|[+-]?(inf|nan)"
    r"|[+-]?(0|[1-9](_?[0-9])*)(\.[0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?"
)
_TOML_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
_TOML_OFFSET = r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
_TOML_DATETIME = re.compile(
    rf"([0-9]{{4}})-([0-9]{{2}})-([0-9]{{2}})([Tt ]{_TOML_TIME}{_TOML_OFFSET}?)?|{_TOML_TIME}"
)
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
# TOML allows no control character but tab and line endings (LF or CRLF) anywhere, not even
# in a comment or a string; a lone CR is no line ending.  tomllib refuses them, and the
# reader treated a lone CR as a newline, so it accepted files the clients refuse (fuzzing).
_TOML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")


@dataclass(frozen=True)
class TomlScalar:
    """Where one key = scalar statement sits in the text (for in-place edits)."""

    path: Path_
    value: Any
    start: int  # first character of the value
    end: int  # one past its last character
    inline: bool  # inside an inline table or array: not editable in place


@dataclass
class TomlDocument:
    """A parsed TOML document: the data, its explicit tables and its scalars' positions."""

    data: Dict[str, Any]
    headers: Dict[Path_, Tuple[int, bool]]  # table path -> (end of header line, array?)
    scalars: List[TomlScalar]
    eol: str


class _Toml:
    """A small recursive-descent TOML 1.0 reader (enough for config files)."""

    def __init__(self, text: str, name: str) -> None:
        self.s = text
        self.i = 0
        self.name = name
        self.scalars: List[TomlScalar] = []
        self.headers: Dict[Path_, Tuple[int, bool]] = {}
        self.arrays: Dict[Path_, int] = {}
        # TOML defines each table once: by a header, or by the dotted keys of one table,
        # and an inline table or array is closed.  Without these sets the reader accepted
        # [a.b] then [a] b.c = 1, and [a] b.c = 1 then [a.b], which the clients refuse
        # (found by fuzzing).
        self.dotted: Set[Path_] = set()  # tables made by dotted keys
        self.closed: Set[Path_] = set()  # inline tables and arrays written as values

    def fail(self, why: str) -> ConfigError:
        line = self.s.count("\n", 0, self.i) + 1
        return ConfigError(
            f"{self.name} line {line}: {why}; pipssl will not read or edit it",
            hint="fix the file (it is not valid TOML as pipssl reads it) and run again",
        )

    def peek(self, n: int = 1) -> str:
        return self.s[self.i : self.i + n]

    def skip_ws(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def skip_blank(self) -> None:
        """Whitespace, newlines and comments (inside arrays, and between statements)."""
        while True:
            self.skip_ws()
            c = self.peek()
            if c == "#":
                while self.peek() not in ("\n", ""):
                    self.i += 1
            elif c in ("\n", "\r"):
                self.i += 1
            else:
                return

    def end_of_line(self) -> None:
        self.skip_ws()
        if self.peek() == "#":
            while self.peek() not in ("\n", ""):
                self.i += 1
        if self.peek() == "\r":
            self.i += 1
        if self.peek() not in ("\n", ""):
            raise self.fail("unexpected text after a value")
        if self.peek() == "\n":
            self.i += 1

    def key(self) -> Path_:
        parts: List[str] = []
        while True:
            self.skip_ws()
            c = self.peek()
            if c == '"':
                parts.append(self.basic_string())
            elif c == "'":
                parts.append(self.literal_string())
            else:
                m = _BARE_KEY.match(self.s, self.i)
                if not m:
                    raise self.fail("a key was expected")
                parts.append(m.group())
                self.i = m.end()
            self.skip_ws()
            if self.peek() != ".":
                return tuple(parts)
            self.i += 1

    def skip_first_newline(self, multi: bool) -> None:
        """A multi-line string drops a newline right after its opening quotes: LF or CRLF
        (only LF was dropped, so the value kept a CR: found by fuzzing)."""
        if multi:
            self.i += 1 if self.peek() == "\n" else 2 if self.peek(2) == "\r\n" else 0

    def basic_string(self) -> str:
        multi = self.peek(3) == '"""'
        self.i += 3 if multi else 1
        self.skip_first_newline(multi)
        out: List[str] = []
        while True:
            c = self.peek()
            if c == "":
                raise self.fail("a string is not closed")
            if multi and self.peek(3) == '"""':
                run = self._run_of('"')
                out.append('"' * (run - 3))  # up to two quotes may end the content
                self.i += run
                return "".join(out)
            if c == '"' and not multi:
                self.i += 1
                return "".join(out)
            if c == "\n" and not multi:
                raise self.fail("a string is not closed on its line")
            if c == "\\":
                out.append(self.escape(multi))
                continue
            out.append(c)
            self.i += 1

    def escape(self, multi: bool) -> str:
        nxt = self.s[self.i + 1 : self.i + 2]
        if nxt in _ESCAPES:
            self.i += 2
            return _ESCAPES[nxt]
        if nxt in ("u", "U"):
            width = 4 if nxt == "u" else 8
            digits = self.s[self.i + 2 : self.i + 2 + width]
            if len(digits) != width or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
                raise self.fail("a bad \\u escape")
            self.i += 2 + width
            return chr(int(digits, 16))
        if multi and re.match(r"\\[ \t]*\r?\n", self.s[self.i :]):
            self.i += 1  # a line-ending backslash: the newline and following blanks vanish
            while self.peek() in (" ", "\t", "\r", "\n"):
                self.i += 1
            return ""
        raise self.fail("a bad escape in a string")

    def literal_string(self) -> str:
        multi = self.peek(3) == "'''"
        self.i += 3 if multi else 1
        self.skip_first_newline(multi)
        close = "'''" if multi else "'"
        end = self.s.find(close, self.i)
        if end < 0 or (not multi and "\n" in self.s[self.i : end]):
            raise self.fail("a string is not closed")
        start, self.i = self.i, end
        run = self._run_of("'") if multi else 1
        value = self.s[start : end + run - len(close)]
        self.i = end + run
        return value

    def _run_of(self, quote: str) -> int:
        """How many ``quote`` characters start here: 3 closes a multi-line string, and one
        or two more belong to its content."""
        n = 0
        while self.s[self.i + n : self.i + n + 1] == quote:
            n += 1
        if n > 5:
            raise self.fail("too many quotes after a multi-line string")
        return n

    def value(self, path: Path_, inline: bool) -> Any:
        start = self.i
        c = self.peek()
        if c == '"':
            value: Any = self.basic_string()
        elif c == "'":
            value = self.literal_string()
        elif c == "[":
            return self.array(path)
        elif c == "{":
            return self.inline_table(path)
        else:
            m = _BARE_VALUE.match(self.s, self.i)
            if not m:
                raise self.fail("a value was expected")
            self.i = m.end()
            # A date-time may hold one space between date and time.
            m2 = re.match(r" [0-9]{2}:[0-9:.+\-Zz]+", self.s[self.i :])
            if m2 and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", m.group()):
                self.i += m2.end()
            text = self.s[start : self.i]
            if not _is_bare_value(text):
                self.i = start
                raise self.fail("a value was expected (a string, number, date or boolean)")
            value = {"true": True, "false": False}.get(text, text)
        self.scalars.append(TomlScalar(path, value, start, self.i, inline))
        return value

    def array(self, path: Path_) -> List[Any]:
        self.i += 1
        items: List[Any] = []
        while True:
            self.skip_blank()
            if self.peek() == "]":
                self.i += 1
                return items
            items.append(self.value((*path, str(len(items))), True))
            self.skip_blank()
            if self.peek() == ",":
                self.i += 1
            elif self.peek() != "]":
                raise self.fail("',' or ']' expected in an array")

    def inline_table(self, path: Path_) -> Dict[str, Any]:
        self.i += 1
        table: Dict[str, Any] = {}
        self.skip_ws()
        if self.peek() == "}":
            self.i += 1
            return table
        while True:
            key = self.key()
            if self.peek() != "=":
                raise self.fail("'=' expected in an inline table")
            self.i += 1
            self.skip_ws()
            self.assign(table, path, key, self.value((*path, *key), True))
            self.skip_ws()
            if self.peek() == "}":
                self.i += 1
                return table
            if self.peek() != ",":
                raise self.fail("',' or '}' expected in an inline table")
            self.i += 1

    def is_closed(self, path: Path_) -> bool:
        return any(path[:n] in self.closed for n in range(1, len(path) + 1))

    def assign(self, table: Dict[str, Any], at: Path_, key: Path_, value: Any) -> None:
        for n in range(1, len(key)):
            dotted = (*at, *key[:n])
            if dotted in self.headers or self.is_closed(dotted):
                raise self.fail(f"{_shown(key)} adds to a table defined elsewhere")
            self.dotted.add(dotted)
        if isinstance(value, (list, dict)):
            self.closed.add((*at, *key))
        for part in key[:-1]:
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise self.fail(f"{_shown(key)} is defined twice")
        if key[-1] in table:
            raise self.fail(f"{_shown(key)} is defined twice")
        table[key[-1]] = value

    def document(self) -> Dict[str, Any]:
        root: Dict[str, Any] = {}
        current: Dict[str, Any] = root
        prefix: Path_ = ()
        while True:
            self.skip_blank()
            if self.peek() == "":
                return root
            if self.peek() == "[":
                array = self.peek(2) == "[["
                self.i += 2 if array else 1
                path = self.key()
                if self.peek(2 if array else 1) != ("]]" if array else "]"):
                    raise self.fail("a table header is not closed")
                self.i += 2 if array else 1
                self.end_of_line()
                current, prefix = self.open_table(root, path, array)
                continue
            key = self.key()
            if self.peek() != "=":
                raise self.fail("'=' expected after a key")
            self.i += 1
            self.skip_ws()
            self.assign(current, prefix, key, self.value((*prefix, *key), False))
            self.end_of_line()

    def open_table(
        self, root: Dict[str, Any], path: Path_, array: bool
    ) -> Tuple[Dict[str, Any], Path_]:
        table: Any = root
        real: List[str] = []
        for part in path[:-1]:
            table = table.setdefault(part, {})
            real.append(part)
            if self.is_closed(tuple(real)):
                raise self.fail(f"[{_shown(path)}] reopens a value")
            if isinstance(table, list):
                real.append(str(len(table) - 1))
                table = table[-1]
            if not isinstance(table, dict):
                raise self.fail(f"[{_shown(path)}] reopens a value")
        last = path[-1]
        if array:
            items = table.setdefault(last, [])
            if not isinstance(items, list) or self.is_closed((*real, last)):
                raise self.fail(f"[[{_shown(path)}]] reopens a table")
            items.append({})
            full = (*real, last, str(len(items) - 1))
            self.headers[full] = (self.i, True)
            return items[-1], full
        full = (*real, last)
        if full in self.headers or full in self.dotted or self.is_closed(full):
            raise self.fail(f"[{_shown(path)}] is defined twice")
        self.headers[full] = (self.i, False)
        existing = table.setdefault(last, {})
        if not isinstance(existing, dict):
            raise self.fail(f"[{_shown(path)}] reopens a value")
        return existing, full


def _shown(path: Path_) -> str:
    """A key for an error message: one line, and short, whatever the file holds."""
    text = ".".join(toml_key(part) for part in path)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_bare_value(text: str) -> bool:
    """A boolean, number, date or time, written as TOML allows."""
    if text in ("true", "false") or _TOML_NUMBER.fullmatch(text):
        return True
    m = _TOML_DATETIME.fullmatch(text)
    if not m or not m.group(1):
        return bool(m)
    try:
        datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False  # 2023-02-30
    return True


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
    parser = _Toml(body, name)
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
    return TomlDocument(data, headers, scalars, _eol(text))


def toml_get(data: Dict[str, Any], *path: str) -> Any:
    """``data[a][b]...`` or None when any step is missing or not a table."""
    node: Any = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


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
            f"{name}: an edit of {_shown(path)} would change other settings; not written",
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


def _eol(text: str) -> str:
    """The file's own line ending (its first one), ``\\n`` for a file without any."""
    m = re.search(r"\r\n|\r|\n", text)
    return m.group() if m else "\n"


# --- .condarc (YAML, one top-level key) --------------------------------------------------

_YAML_KEY = re.compile(
    r"""(?P<key>[A-Za-z_][\w.-]*|"[^"\\]*"|'[^']*')[ \t]*:(?=[ \t]|$)(?P<rest>.*)$"""
)
_LINE_BREAK = re.compile(r"[\r\n]")
_YAML_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")
_YAML_UNPRINTABLE = re.compile(
    "[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_YAML_TRUE = ("true", "yes", "on")
_YAML_FALSE = ("false", "no", "off")


@dataclass(frozen=True)
class YamlScalar:
    """A top-level ``key: value`` of a .condarc, with where its value sits in the text."""

    key: str
    value: Any  # a string, True, False, or None for an empty (null) value
    start: int
    end: int
    final: bool  # conda's ``#!final`` marker: later files cannot override it


def _split_lines(text: str) -> List[Tuple[int, str]]:
    """(offset, line without its ending) for each line."""
    out: List[Tuple[int, str]] = []
    pos = 1 if text.startswith("\ufeff") else 0
    for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text[pos:]):
        if not m.group() and m.start() == len(text) and out:
            break
        line = m.group().rstrip("\r\n")
        out.append((pos, line))
        pos += len(m.group())
        if pos >= len(text):
            break
    return out


def _yaml_scalar(text: str, name: str, key: str) -> Tuple[Any, int, int, bool]:
    """Parse the value part of ``key: <text>``: (value, start, end, final) within ``text``."""
    lead = len(text) - len(text.lstrip(" \t"))
    body = text[lead:]
    if not body or body.startswith("#"):
        return None, lead, lead, "#!final" in body
    first = body[0]
    if first in "|>[{&*!%@`":
        raise _refuse(name, key, "its value is not a plain one-line scalar")
    if first in "\"'":
        end = _quote_end(body, first)
        if end < 0:
            raise _refuse(name, key, "its quoted value does not end on its line")
        raw = body[1:end]
        if first == "'":
            value: Any = raw.replace("''", "'")
        elif "\\" in raw.replace("\\\\", "").replace('\\"', ""):
            raise _refuse(name, key, "its value uses YAML escapes")
        else:
            value = raw.replace('\\"', '"').replace("\\\\", "\\")
        after = body[end + 1 :]
        if after.strip(" \t") and not after.strip(" \t").startswith("#"):
            raise _refuse(name, key, "text follows its quoted value")
        return value, lead, lead + end + 1, "#!final" in after
    m = re.search(r"[ \t]#", body)
    plain = (body[: m.start()] if m else body).rstrip(" \t")
    comment = body[m.start() :] if m else ""
    if ": " in plain or plain.endswith(":"):
        raise _refuse(name, key, "its value looks like a mapping")
    low = plain.lower()
    value = True if low in _YAML_TRUE else False if low in _YAML_FALSE else plain
    if low in ("null", "~"):
        value = None
    return value, lead, lead + len(plain), "#!final" in comment


def _quote_end(body: str, quote: str, start: int = 0) -> int:
    """Where the string opened by the quote at ``start`` closes, or -1."""
    i = start + 1
    while i < len(body):
        if quote == "'" and body[i] == "'":
            if body[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i
        if quote == '"':
            if body[i] == "\\":
                i += 2
                continue
            if body[i] == '"':
                return i
        i += 1
    return -1


def _value_end(text: str, at: int) -> int:
    """One past the end of the quoted scalar or flow collection that starts at ``at`` and
    may run over several lines, or -1 when it does not end (a quote inside a plain scalar
    of a flow collection, ``[it's]``, reads as an unclosed string: refused, not guessed)."""
    depth = 0
    i = at
    while i < len(text):
        c = text[i]
        if c in "'\"":
            i = _quote_end(text, c, i)
            if i < 0:
                return -1
        elif c == "#" and text[i - 1] in " \t\r\n":
            eol = _LINE_BREAK.search(text, i)  # a comment: to the end of its line
            i = (eol.start() if eol else len(text)) - 1
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
        if depth <= 0:
            return i
    return -1


def _refuse(name: str, key: str, why: str) -> ConfigError:
    return ConfigError(
        f"{name}: cannot read {key} safely: {why}",
        hint=f"write it as one line, '{key}: VALUE', and run again",
    )


def read_condarc(text: str, name: str, keys: Tuple[str, ...]) -> Dict[str, YamlScalar]:
    """The top-level scalar settings ``keys`` of a .condarc file.

    Only lines that start at column 0 are top-level keys; indented lines belong to the
    key above them.  A wanted key whose value is not a plain one-line scalar is refused.

    Args:
        text: the file's text.
        name: the file, for errors.
        keys: the keys wanted (e.g. ``("ssl_verify",)``).

    Returns:
        key -> :class:`YamlScalar`, for the wanted keys the file sets.

    Raises:
        ConfigError: a wanted key is set twice, or in a form pipssl does not read, or the
            file is not one YAML mapping (a list, several documents, a flow mapping), or
            holds lines pipssl cannot place (a value running on at column 0, a NEL).
    """
    found: Dict[str, YamlScalar] = {}
    if _YAML_OTHER_BREAKS.search(text):
        raise ConfigError(
            f"{name}: it holds a NEL, LS or PS character, a line break to some YAML readers "
            "and not to others; pipssl will not read or edit it"
        )
    lines = _split_lines(text)
    documents = 0
    previous: Optional[str] = None
    empty = False  # a "{}" line: the whole document is an empty mapping
    skip_to = 0  # the end of a quoted or flow value that runs over several lines
    for offset, line in lines:
        if offset < skip_to and line[:1] not in ("", " ", "\t"):
            raise ConfigError(f"{name}: a value runs on at column 0; pipssl will not guess")
        # YAML's blanks are spaces and tabs: a no-break space is text (found by fuzzing)
        if offset < skip_to or not line.strip(" \t") or line.lstrip(" \t").startswith("#"):
            continue
        if line.startswith("%"):
            continue
        if line.startswith("---") and (len(line) == 3 or line[3] in " \t"):
            documents += 1
            if documents > 1 or line[3:].strip(" \t"):
                raise ConfigError(f"{name}: several YAML documents; pipssl reads only one")
            continue
        if line.startswith("..."):
            # The document ends here: a key added below would start another one, which
            # conda cannot read (found by fuzzing). Such files are rare: refuse them.
            raise ConfigError(f"{name}: a YAML document end (...); pipssl reads only one")
        # Found by fuzzing: indented text before the first key, and "{}" beside keys, were
        # skipped, and a key added after them made a file YAML cannot read.
        if line[0] in " \t":
            if previous is None:
                raise ConfigError(f"{name}: text before its first key; pipssl reads only keys")
            if previous in keys:
                raise _refuse(name, previous or "", "its value continues on the next line")
            continue
        if line[0] in "-[{?" or empty:
            if line.rstrip(" \t") == "{}" and previous is None and not empty:
                empty = True
                continue
            raise ConfigError(f"{name}: it is not a YAML mapping of keys; pipssl reads only that")
        m = _YAML_KEY.match(line)
        if not m:
            raise ConfigError(f"{name}: cannot read the line {line.strip()[:40]!r}")
        key = m.group("key").strip("\"'")
        previous = key
        if key not in keys:
            # A quoted or flow value may run over several lines, and a line of it at column
            # 0 looks like a key: 'a: "x' then 'ssl_verify: y"' sets a, and an edit of
            # ssl_verify broke the string (found by fuzzing).  Such lines are refused.
            rest = m.group("rest").lstrip(" \t")
            if rest[:1] in ("'", '"', "[", "{"):
                skip_to = _value_end(text, offset + len(line) - len(rest))
                if skip_to < 0:
                    raise ConfigError(f"{name}: the value of {key[:40]!r} does not end")
            continue
        if key in found:
            raise _refuse(name, key, "it is set twice")
        rest_at = m.start("rest")
        value, start, end, final = _yaml_scalar(m.group("rest"), name, key)
        if value is None and start == end:
            previous = key  # an empty value: a nested block may follow (refused above)
        found[key] = YamlScalar(
            key, value, offset + rest_at + start, offset + rest_at + end, final
        )
    return found


def yaml_string(value: str) -> str:
    """``value`` as a single-quoted YAML scalar (valid for any one-line string)."""
    if "\n" in value or "\r" in value:
        raise ConfigError("a .condarc value cannot span lines", reference="internal")
    # YAML readers refuse a file with a control character even inside quotes, and fold or
    # break lines at NEL, LS and PS (found by fuzzing: a DEL made the edited file unreadable).
    bad = _YAML_UNPRINTABLE.search(value)
    if bad:
        raise ConfigError(
            f"a .condarc value cannot hold the character {bad.group()!r}", reference="internal"
        )
    return "'" + value.replace("'", "''") + "'"


def set_condarc_key(text: str, key: str, value: str, name: str) -> str:
    """Set the top-level ``key: 'value'`` of a .condarc, changing nothing else.

    Args:
        text: the file's text ("" for a new file).
        key: the top-level key (``ssl_verify``).
        value: a string (a path); booleans are never written here.
        name: the file, for errors.

    Returns:
        The new text.

    Raises:
        ConfigError: the file holds the key in a form pipssl does not edit, or is not a
            plain YAML mapping.
    """
    found = read_condarc(text, name, (key,))
    new = yaml_string(value)
    braces = [at for at, line in _split_lines(text) if line.rstrip(" \t") == "{}"]
    if key in found:
        spot = found[key]
        head = text[: spot.start]
        if spot.start == spot.end and not head.endswith((" ", "\t")):
            head += " "
        result = head + new + text[spot.end :]
        span: Optional[Tuple[int, int]] = (len(head), len(head) + len(new))
    elif braces:
        # The reader let "{}" through only as the document's one value: it becomes the key.
        at = braces[0]
        result = f"{text[:at]}{key}: {new}{text[at + 2 :]}"
        span = (at + len(key) + 2, at + len(key) + 2 + len(new))
    else:
        eol = _eol(text)
        sep = "" if text in ("", "\ufeff") or text.endswith(("\n", "\r")) else eol
        if sep and _split_lines(text)[-1][1][:1] in (" ", "\t"):
            # The last line may end a block scalar ("|"), whose value would gain the line
            # ending that a new key below needs (found by fuzzing).
            raise ConfigError(
                f"{name}: its last line is indented and has no line ending; pipssl will not "
                "add a line after it",
                hint="end the file with a newline and run again",
            )
        result, span = f"{text}{sep}{key}: {new}{eol}", None
    after = read_condarc(result, name, (key,)).get(key)
    # Every other byte is the same by construction; the reader must see our value
    # exactly where we put it, or the file meant something we did not understand.
    if after is None or after.value != value or (span and (after.start, after.end) != span):
        raise ConfigError(
            f"{name}: an edit of {key} would not read back as written; not written",
            reference="internal",
        )
    return result
