"""The TOML reader itself: a small recursive-descent parser of TOML 1.0, enough for config
files, and how TOML spells a key or a string.

pipssl must run on Python 3.8 with the standard library alone, where ``tomllib`` does not
exist.  The parser gives dicts, lists, strings and booleans (numbers and dates are kept as
their text), and records where each scalar sits (:class:`TomlScalar`) so that
:func:`pipssl.formats.toml.set_toml_string` can edit one value in place.  It refuses what
tomllib refuses rather than guess; the fuzz tests hold it to that.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Set, Tuple

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


@dataclass(frozen=True)
class TomlScalar:
    """Where one key = scalar statement sits in the text (for in-place edits)."""

    path: Path_
    value: Any
    start: int  # first character of the value
    end: int  # one past its last character
    inline: bool  # inside an inline table or array: not editable in place


class TomlParser:
    """A small recursive-descent TOML 1.0 reader (enough for config files)."""

    def __init__(self, text: str, name: str) -> None:
        self.s = text
        self.i = 0
        self.name = name
        self.scalars: List[TomlScalar] = []
        self.headers: Dict[Path_, Tuple[int, bool]] = {}
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
                raise self.fail(f"{shown_key(key)} adds to a table defined elsewhere")
            self.dotted.add(dotted)
        if isinstance(value, (list, dict)):
            self.closed.add((*at, *key))
        for part in key[:-1]:
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise self.fail(f"{shown_key(key)} is defined twice")
        if key[-1] in table:
            raise self.fail(f"{shown_key(key)} is defined twice")
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
                raise self.fail(f"[{shown_key(path)}] reopens a value")
            if isinstance(table, list):
                real.append(str(len(table) - 1))
                table = table[-1]
            if not isinstance(table, dict):
                raise self.fail(f"[{shown_key(path)}] reopens a value")
        last = path[-1]
        if array:
            items = table.setdefault(last, [])
            if not isinstance(items, list) or self.is_closed((*real, last)):
                raise self.fail(f"[[{shown_key(path)}]] reopens a table")
            items.append({})
            full = (*real, last, str(len(items) - 1))
            self.headers[full] = (self.i, True)
            return items[-1], full
        full = (*real, last)
        if full in self.headers or full in self.dotted or self.is_closed(full):
            raise self.fail(f"[{shown_key(path)}] is defined twice")
        self.headers[full] = (self.i, False)
        existing = table.setdefault(last, {})
        if not isinstance(existing, dict):
            raise self.fail(f"[{shown_key(path)}] reopens a value")
        return existing, full


def shown_key(path: Path_) -> str:
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
