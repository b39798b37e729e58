"""Where each statement of a TOML text sits: the line locator of :mod:`pipssl.formats.toml`.

tomllib reads a document but says nowhere where a value is written; to set one value and
keep every other byte, :func:`layout` walks a text that tomllib has already read (so valid
TOML) and records each table header and each ``key = value`` statement: its key path and
the span of its value.  Values are skipped, never interpreted: strings to their closing
quotes, arrays and inline tables to their closing bracket, anything else to its end.  Keys
are read by tomllib itself, so a quoted key means exactly what it means to the clients.
Whatever the locator gets wrong, the edit's proof (:func:`pipssl.formats.edit.prove`)
catches: the file is then refused, not written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Set, Tuple

from pipssl.errors import ConfigError
from pipssl.formats.edit import Key

_BARE_KEYS = re.compile(r"[A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*")
_BARE_VALUE = re.compile(r"[0-9A-Za-z_:.+\-]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_AFTER_SPACE = re.compile(r" [0-9]{2}:[0-9:.+\-Zz]+")  # a date-time may hold one space


@dataclass(frozen=True)
class Header:
    """A ``[table]`` or ``[[array]]`` header; ``end`` is past its line and line ending."""

    path: Key
    end: int
    array: bool


@dataclass(frozen=True)
class Statement:
    """A ``key = value`` statement: the key's full path and where its value is written.

    ``in_array``: it lies in a table of an array of tables, which no path names alone.
    """

    path: Key
    start: int
    end: int
    in_array: bool


@dataclass(frozen=True)
class Layout:
    headers: Tuple[Header, ...]
    statements: Tuple[Statement, ...]


#: Reads a small TOML text (a key, a header) with the same reader as the whole file.
Loads = Callable[[str], Dict[str, object]]


def layout(text: str, loads: Loads) -> Layout:
    """The headers and statements of ``text`` (valid TOML, without a BOM), in file order.

    Raises:
        ConfigError: the walk met something it did not expect (a locator's gap).
    """
    walk = _Walk(text, loads)
    walk.document()
    return Layout(tuple(walk.headers), tuple(walk.statements))


class _Walk:
    def __init__(self, text: str, loads: Loads) -> None:
        self.s = text
        self.i = 0
        self.loads = loads
        self.headers: List[Header] = []
        self.statements: List[Statement] = []

    def document(self) -> None:
        prefix: Key = ()
        in_array = False
        arrays: Set[Key] = set()
        while self.skip_blank():
            if self.s[self.i] == "[":
                array = self.s.startswith("[[", self.i)
                path = self.header_path(array)
                self.headers.append(Header(path, self.end_of_line(), array))
                in_array = array or any(path[: len(a)] == a for a in arrays)
                arrays |= {path} if array else set()
                prefix = path
                continue
            key = self.key()
            start = self.i
            self.skip_value()
            self.statements.append(Statement((*prefix, *key), start, self.i, in_array))
            self.end_of_line()

    def fail(self) -> ConfigError:
        return ConfigError(
            f"cannot place line {self.s.count(chr(10), 0, self.i) + 1} of a TOML file",
            reference="internal",
        )

    def skip_blank(self) -> bool:
        """Past blanks, line endings and comments; whether a statement follows."""
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r\n":
                self.i += 1
            elif c == "#":
                self.skip_comment()
            else:
                return True
        return False

    def skip_comment(self) -> None:
        eol = self.s.find("\n", self.i)
        self.i = len(self.s) if eol < 0 else eol

    def end_of_line(self) -> int:
        while self.s[self.i : self.i + 1] in (" ", "\t"):
            self.i += 1
        if self.s[self.i : self.i + 1] == "#":
            self.skip_comment()
        if self.s.startswith("\r\n", self.i):
            self.i += 1
        if self.s.startswith("\n", self.i):
            self.i += 1
        elif self.i < len(self.s):
            raise self.fail()
        return self.i

    def raw_key(self, stop: str) -> str:
        """The text of a (dotted) key, up to ``stop`` outside quotes."""
        start = self.i
        while self.i < len(self.s) and self.s[self.i] != stop:
            if self.s[self.i] in "\"'":
                self.skip_string()
            else:
                self.i += 1
        if self.i >= len(self.s):
            raise self.fail()
        return self.s[start : self.i].strip(" \t")

    def key(self) -> Key:
        raw = self.raw_key("=")
        self.i += 1  # the "="
        while self.s[self.i : self.i + 1] in (" ", "\t"):
            self.i += 1
        return self.path(raw, f"{raw} = 0")

    def header_path(self, array: bool) -> Key:
        self.i += 2 if array else 1
        raw = self.raw_key("]")
        self.i += 2 if array else 1
        return self.path(raw, f"[{raw}]")

    def path(self, raw: str, statement: str) -> Key:
        """A dotted key's parts: bare ones split here (most keys, and quick), quoted ones
        read by the reader itself."""
        if _BARE_KEYS.fullmatch(raw):
            return tuple(part.strip(" \t") for part in raw.split("."))
        return _path(self.loads(statement))

    def skip_value(self) -> None:
        c = self.s[self.i : self.i + 1]
        if c in ('"', "'"):
            self.skip_string()
        elif c in ("[", "{"):
            self.skip_collection()
        else:
            m = _BARE_VALUE.match(self.s, self.i)
            if not m:
                raise self.fail()
            self.i = m.end()
            more = _TIME_AFTER_SPACE.match(self.s, self.i)
            if more and _DATE.fullmatch(m.group()):
                self.i = more.end()

    def skip_string(self) -> None:
        quote = self.s[self.i]
        multi = self.s.startswith(quote * 3, self.i)
        self.i += 3 if multi else 1
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and quote == '"':
                self.i += 2
            elif c == quote and (not multi or self.s.startswith(quote * 3, self.i)):
                # up to two more quotes belong to a multi-line string's content
                run = 1
                while multi and run < 5 and self.s.startswith(quote, self.i + run):
                    run += 1
                self.i += run
                return
            else:
                self.i += 1
        raise self.fail()

    def skip_collection(self) -> None:
        depth = 0
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in "\"'":
                self.skip_string()
                continue
            if c == "#":
                self.skip_comment()
                continue
            depth += 1 if c in "[{" else -1 if c in "]}" else 0
            self.i += 1
            if depth == 0:
                return
        raise self.fail()


def _path(data: object) -> Key:
    """The one path through a document of one key or one header, as tomllib read it."""
    path: List[str] = []
    while isinstance(data, dict) and len(data) == 1:
        (part, data) = next(iter(data.items()))
        path.append(part)
    return tuple(path)
