"""Read, and set one top-level key of, a conda ``.condarc`` (YAML), standard library only.

:func:`read_condarc` reads top-level scalar keys, and :func:`set_condarc_key` sets one, in
place or as a new last line.  Anything that is not a plain one-line ``key: value`` (block
scalars, flow collections, anchors, several documents, a duplicate key) is refused rather
than guessed at.  Every edit is a splice of the text, keeping each other byte, and is proven
by :func:`pipssl.formats.edit.prove`: the value must read as written, exactly where it was
put, or :class:`~pipssl.errors.ConfigError` is raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

from pipssl.errors import ConfigError
from pipssl.formats.edit import Edit, Splice, Values, line_ending, prove, spliced

#: A plain scalar as conda reads it: a string, a boolean, or None (an empty or null value).
Scalar = Optional[Union[str, bool]]

_YAML_KEY = re.compile(
    r"""(?P<key>[A-Za-z_][\w.-]*|"[^"\\]*"|'[^']*')[ \t]*:(?=[ \t]|$)(?P<rest>.*)$"""
)
_LINE_BREAK = re.compile(r"[\r\n]")
_YAML_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")
#: What YAML cannot hold in a plain scalar; compiled on first use (about 9 ms: a doctor
#: that finds no .condarc to edit should not pay for it).
_YAML_UNPRINTABLE = "[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
_YAML_TRUE = ("true", "yes", "on")
_YAML_FALSE = ("false", "no", "off")


@dataclass(frozen=True)
class YamlScalar:
    """A top-level ``key: value`` of a .condarc, with where its value sits in the text."""

    key: str
    value: Scalar
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


def _yaml_scalar(text: str, name: str, key: str) -> Tuple[Scalar, int, int, bool]:
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
            value: Scalar = raw.replace("''", "'")
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
    bad = re.search(_YAML_UNPRINTABLE, value)  # re caches the compiled pattern
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
    cut, at = _where(text, found.get(key), key, new, name)
    result = spliced(text, [cut])
    # the reader must see our value exactly where we put it, or the file meant something
    # we did not understand (a new last line is checked for its value alone)
    span = None if at is None else (cut.start + at, cut.start + at + len(new))

    def read(text: str) -> Values:
        return {(k,): spot for k, spot in read_condarc(text, name, (key,)).items()}

    def wanted(own: Values) -> bool:
        spot = own.get((key,))
        return (
            isinstance(spot, YamlScalar)
            and spot.value == value
            and (span is None or (spot.start, spot.end) == span)
        )

    def refuse() -> ConfigError:
        return ConfigError(
            f"{name}: an edit of {key} would not read back as written; not written",
            reference="internal",
        )

    return prove(Edit(text, result, (key,)), read, wanted, refuse)


def _where(
    text: str, spot: Optional[YamlScalar], key: str, new: str, name: str
) -> Tuple[Splice, Optional[int]]:
    """Where the new value goes: over the old one, in place of a lone ``{}``, or as a new
    last line; and where the value starts in the splice (None for a new last line)."""
    if spot is not None:
        blank = spot.start == spot.end and not text[: spot.start].endswith((" ", "\t"))
        gap = " " if blank else ""
        return Splice(spot.start, spot.end, gap + new), len(gap)
    braces = [at for at, line in _split_lines(text) if line.rstrip(" \t") == "{}"]
    if braces:
        # The reader let "{}" through only as the document's one value: it becomes the key.
        return Splice(braces[0], braces[0] + 2, f"{key}: {new}"), len(key) + 2
    eol = line_ending(text)
    sep = "" if text in ("", "\ufeff") or text.endswith(("\n", "\r")) else eol
    if sep and _split_lines(text)[-1][1][:1] in (" ", "\t"):
        # The last line may end a block scalar ("|"), whose value would gain the line
        # ending that a new key below needs (found by fuzzing).
        raise ConfigError(
            f"{name}: its last line is indented and has no line ending; pipssl will not "
            "add a line after it",
            hint="end the file with a newline and run again",
        )
    return Splice(len(text), len(text), f"{sep}{key}: {new}{eol}"), None
