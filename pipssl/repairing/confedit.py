"""Minimal edits of pip config files: one option changes, every other byte stays.

pip reads its files with ``configparser.RawConfigParser`` (strict, ``#`` and ``;`` full-line
comments only, ``=`` or ``:``, continuation lines indented deeper than their option line,
universal newlines). This module finds lines the way that parser's ``_read`` loop does, edits
the lines of one option and keeps the rest untouched: comments, blank lines, order,
indentation, line endings (``\\n``, ``\\r\\n`` or ``\\r``), a missing final newline and a
leading UTF-8 byte order mark (``\\ufeff``; pip itself cannot read such a file, which is for
the caller to report).

Options are matched the way pip compares them
(:func:`pipssl.target.pipparse.normalize_key`), in the named section only: a value
inherited from ``[DEFAULT]`` is never edited through another section. Every result is
parsed again and compared with the original parse, so an edit that
would change anything but the one option raises instead of returning a wrong file.

The functions work on text: the caller decodes the file without newline translation
(``bytes.decode``, or ``open(..., newline="")``), writes the result atomically and keeps a backup.
"""

from __future__ import annotations

import configparser
import io
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from pipssl.errors import ConfigError
from pipssl.target.pipparse import describe_error, normalize_key

_BOM = "\ufeff"
_EOL = re.compile(r"\r\n|\r|\n")  # what universal newlines split on, nothing more
_COMMENT = ("#", ";")  # RawConfigParser's comment_prefixes; it has no inline comments
_SECTCRE = configparser.RawConfigParser.SECTCRE  # differs between Python releases
_OPTCRE = configparser.RawConfigParser.OPTCRE
_KEY = re.compile(r"[a-z0-9][a-z0-9.-]*")  # a pip option name, once normalised
_BLANKS = re.compile(r"(\s+)")  # the same characters as str.split() splits on
_DEFAULT = configparser.DEFAULTSECT

Line = Tuple[str, str]  # (content, line ending); the ending is "" only for an unended last line
Snapshot = List[Tuple[str, List[Tuple[str, str]]]]  # [DEFAULT] first, then sections, in order


@dataclass
class _Option:
    section: str
    name: str  # as written
    lines: List[int]  # the option line, then its continuation lines
    span: Tuple[int, int]  # where the value sits in the option line
    gap: str  # what separates the name from the delimiter: reused when an empty value is set
    pieces: List[str] = field(default_factory=list)  # the value, as configparser collects it

    @property
    def value(self) -> str:
        return "\n".join(self.pieces).rstrip()


@dataclass
class _Block:
    section: str
    header: int
    last: int  # the last line that is neither blank nor a comment
    options: List[_Option] = field(default_factory=list)


def decoded(path: str, data: Optional[bytes]) -> str:
    """The text of a config file about to be edited ("" when it does not exist yet).

    Raises:
        ConfigError: the file is not UTF-8: pipssl does not guess an encoding to write.
    """
    if data is None:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8; pipssl will not edit it") from None


def set_value(
    text: str, section: str, key: str, value: str, *, source: str = "pip configuration"
) -> str:
    """Set ``key = value`` in ``[section]``, changing nothing else.

    An existing definition keeps its line, spelling, delimiter and spacing; only its value
    changes, and the continuation lines of the old value go. Otherwise ``<key> = <value>``
    (the normalised name) is added after the last setting of the section, indented like it,
    or, with no such section, in a new section at the end of the text, after a blank line.
    Added lines end like the first line of the text.

    Args:
        text: the whole config file.
        section: the section name, case-sensitive (``global``, ``install`` ...).
        key: the option, in any spelling pip accepts (``cert``, ``CERT``, ``--cert``).
        value: the new value: one line, not empty, no blanks around it.
        source: names the file in error messages.

    Returns:
        The edited text; the same text if the option already has this value.

    Raises:
        ValueError: ``section``, ``key`` or ``value`` cannot be written as given.
        ConfigError: the text does not parse, or sets the option more than once in
            ``[section]`` (pip >= 26.3 refuses that).
    """
    nkey = _check_names(section, key)
    if not value or value != value.strip() or _EOL.search(value):
        raise ValueError(f"cannot write {value!r}: a value must be one non-blank line")
    doc = _Document(text, source)
    found = doc.find(section, nkey, single=True)
    lines = list(doc.lines)
    if found:
        option = found[0]
        content, ending = lines[option.lines[0]]
        start, end = option.span
        if start == end:  # "cert =": reuse the spacing in front of the delimiter after it
            content = content[:start] + option.gap + value
        else:
            content = content[:start] + value + content[end:]
        lines[option.lines[0]] = (content, ending)
        lines = _without(lines, option.lines[1:])
        name = option.name.lower()
    else:
        name = nkey
        blocks = [block for block in doc.blocks if block.section == section]
        if blocks:
            index = doc.blocks.index(blocks[-1])
            if blocks[-1].options:
                indent = _indent(lines[blocks[-1].options[-1].lines[0]][0])
            elif index + 1 < len(doc.blocks):
                # A deeper indent than the next header's would make that header a value line.
                indent = _indent(lines[doc.blocks[index + 1].header][0])
            else:
                indent = ""
            lines.insert(blocks[-1].last + 1, (f"{indent}{nkey} = {value}", doc.eol))
        else:
            if lines and lines[-1][0].strip():
                lines.append(("", doc.eol))
            lines += [(f"[{section}]", doc.eol), (f"{nkey} = {value}", doc.eol)]
    return doc.finish(lines, section, nkey, lambda own: own == [(name, value)])


def remove_value(text: str, section: str, key: str, *, source: str = "pip configuration") -> str:
    """Remove an option from ``[section]`` with its continuation lines.

    Every spelling of the option in that section goes (``cert`` and ``--cert`` both), since
    the point is that the section no longer sets it. The section header stays.

    Args:
        text: the whole config file.
        section: the section name, case-sensitive.
        key: the option, in any spelling pip accepts.
        source: names the file in error messages.

    Returns:
        The edited text, or ``text`` itself if the section does not set the option.

    Raises:
        ValueError: ``section`` or ``key`` is not a valid name.
        ConfigError: the text does not parse.
    """
    nkey = _check_names(section, key)
    doc = _Document(text, source)
    found = doc.find(section, nkey)
    if not found:
        return text
    lines = _without(doc.lines, [i for option in found for i in option.lines])
    return doc.finish(lines, section, nkey, lambda own: own == [])


def remove_list_item(
    text: str, section: str, key: str, item: str, *, source: str = "pip configuration"
) -> str:
    """Remove one item (every occurrence) from a whitespace-separated option.

    For ``trusted-host``, ``extra-index-url``, ``find-links`` ...: the other items keep their
    places and separators; a continuation line left empty goes, and so does the option once
    no item remains.

    Args:
        text: the whole config file.
        section: the section name, case-sensitive.
        key: the option, in any spelling pip accepts.
        item: the item to remove, e.g. a host name; one word.
        source: names the file in error messages.

    Returns:
        The edited text, or ``text`` itself if the option does not hold the item.

    Raises:
        ValueError: ``section``, ``key`` or ``item`` is not valid.
        ConfigError: the text does not parse, sets the option more than once in
            ``[section]``, or a continuation line would be left starting with ``#`` or ``;``.
    """
    nkey = _check_names(section, key)
    if item.split() != [item]:
        raise ValueError(f"cannot remove {item!r}: an item is one word")
    doc = _Document(text, source)
    found = doc.find(section, nkey, single=True)
    items = found[0].value.split() if found else []
    if item not in items:
        return text
    option = found[0]
    rest = [word for word in items if word != item]
    if not rest:
        return remove_value(text, section, key, source=source)
    lines = list(doc.lines)
    emptied = []
    for i in option.lines:
        content, ending = lines[i]
        start, end = option.span if i == option.lines[0] else _span(content)
        words = _drop_word(content[start:end], item)
        if words == content[start:end]:
            continue
        if i != option.lines[0] and words.startswith(_COMMENT):
            raise ConfigError(
                f"{source}: removing {item!r} from [{section}] {nkey} would turn the rest of"
                f" line {i + 1}, {words!r}, into a comment",
                hint="edit that option by hand",
            )
        if words:
            lines[i] = (content[:start] + words + content[end:], ending)
        elif i == option.lines[0]:  # "trusted-host =", the items follow on their own lines
            lines[i] = (content[:start].rstrip(), ending)
        else:
            emptied.append(i)
    lines = _without(lines, emptied)
    return doc.finish(lines, section, nkey, lambda own: [v.split() for _, v in own] == [rest])


def get_values(
    text: str, section: str, key: str, *, source: str = "pip configuration"
) -> List[str]:
    """Read every definition of an option in ``[section]`` (not ``[DEFAULT]``'s).

    Args:
        text: the whole config file.
        section: the section name, case-sensitive.
        key: the option, in any spelling pip accepts.
        source: names the file in error messages.

    Returns:
        The values as configparser reads them (continuation lines joined by ``\\n``), in file
        order: none if the section does not set the option, several if it does so under
        spellings that pip >= 26.3 takes for one option.

    Raises:
        ValueError: ``section`` or ``key`` is not a valid name.
        ConfigError: the text does not parse.
    """
    nkey = _check_names(section, key)
    return [option.value for option in _Document(text, source).find(section, nkey)]


class _Document:
    """A parsed text: its lines, where each section and option sits, and the parse."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.bom = _BOM if text.startswith(_BOM) else ""
        body = text[len(self.bom) :]
        self.lines = _split(body)
        self.unended = bool(self.lines) and not self.lines[-1][1]
        first = _EOL.search(body)
        self.eol = first.group() if first else "\n"
        self.before = _parse(body, source)
        self.blocks = _scan(self.lines, source)
        if _scanned(self.blocks) != self.before:
            raise self._unsafe("this Python's configparser reads it differently")

    def find(self, section: str, nkey: str, single: bool = False) -> List[_Option]:
        found = [
            option
            for block in self.blocks
            if block.section == section
            for option in block.options
            if normalize_key(option.name) == nkey
        ]
        if single and len(found) > 1:
            where = " and ".join(f"{o.name!r} (line {o.lines[0] + 1})" for o in found)
            raise ConfigError(
                f"{self.source}: [{section}] sets {nkey!r} more than once, as {where}",
                hint="pip >= 26.3 refuses such a file; delete all but one of them",
            )
        return found

    def finish(
        self,
        lines: List[Line],
        section: str,
        nkey: str,
        check: Callable[[List[Tuple[str, str]]], bool],
    ) -> str:
        """Join the lines, then prove that only ``nkey`` in ``section`` changed."""
        lines = [(content, ending or self.eol) for content, ending in lines]
        if lines and self.unended and lines[-1][0]:  # an empty last line needs its ending
            lines[-1] = (lines[-1][0], "")
        body = "".join(content + ending for content, ending in lines)
        after = _parse(body, self.source)
        before = self.before
        if section not in [name for name, _ in before]:
            before = [*before, (section, [])]
        own = [(n, v) for s, opts in after if s == section for n, v in opts if _is(n, nkey)]
        if _others(after, section, nkey) != _others(before, section, nkey) or not check(own):
            raise self._unsafe(f"editing [{section}] {nkey} would change other settings")
        return self.bom + body

    def _unsafe(self, why: str) -> ConfigError:
        return ConfigError(
            f"{self.source}: cannot be edited safely: {why}",
            hint="edit the file by hand, and please report this as a pipssl bug",
        )


def _check_names(section: str, key: str) -> str:
    header = _SECTCRE.match(f"[{section}]")
    if (
        header is None
        or header.group("header") != section
        or section != section.strip()
        or "]" in section  # Python < 3.10 ends the header at the first "]"
        or _EOL.search(section)
    ):
        raise ValueError(f"cannot write a section named {section!r}")
    nkey = normalize_key(key)
    if not _KEY.fullmatch(nkey):
        raise ValueError(f"cannot write an option named {key!r}")
    return nkey


def _split(body: str) -> List[Line]:
    lines = []
    start = 0
    for match in _EOL.finditer(body):
        lines.append((body[start : match.start()], match.group()))
        start = match.end()
    if start < len(body):
        lines.append((body[start:], ""))
    return lines


def _without(lines: List[Line], drop: List[int]) -> List[Line]:
    gone = set(drop)
    return [line for i, line in enumerate(lines) if i not in gone]


def _indent(content: str) -> str:
    return content[: len(content) - len(content.lstrip())]


def _span(content: str) -> Tuple[int, int]:
    return len(_indent(content)), len(content.rstrip())


def _drop_word(words: str, item: str) -> str:
    """``words`` without ``item``, each removed word taking the blanks before it along."""
    parts = _BLANKS.split(words)
    kept = ""
    for i in range(0, len(parts), 2):
        word = parts[i]
        if word and word != item:
            kept += (parts[i - 1] if kept else "") + word
    return kept


def _scan(lines: List[Line], source: str) -> List[_Block]:
    """Find sections and options as ``RawConfigParser._read`` does (Python 3.8 ... 3.13)."""
    blocks: List[_Block] = []
    option: Optional[_Option] = None
    indent_level = 0
    for i, (content, _) in enumerate(lines):
        clean = content.strip()
        if clean.startswith(_COMMENT):
            continue
        if not clean:
            if option is not None:
                option.pieces.append("")  # configparser keeps it; rstrip() drops it at the end
            continue
        indent = len(_indent(content))
        if option is not None and indent > indent_level:
            option.lines.append(i)
            option.pieces.append(clean)
            blocks[-1].last = i
            continue
        indent_level = indent
        header = _SECTCRE.match(clean)
        if header:
            blocks.append(_Block(header.group("header"), i, i))
            option = None
            continue
        match = _OPTCRE.match(clean)
        if match is None or not blocks:  # configparser took it: this Python's differs
            raise ConfigError(
                f"{source}, line {i + 1}: cannot be edited safely: not read as expected",
                hint="edit the file by hand, and please report this as a pipssl bug",
            )
        name = match.group("option").rstrip()
        span = (indent + match.start("value"), indent + match.end("value"))
        gap = clean[match.end("option") : match.start("vi")]
        option = _Option(blocks[-1].section, name, [i], span, gap, [match.group("value")])
        blocks[-1].options.append(option)
        blocks[-1].last = i
    return blocks


def _scanned(blocks: List[_Block]) -> Snapshot:
    sections: Dict[str, List[Tuple[str, str]]] = {_DEFAULT: []}
    for block in blocks:
        options = sections.setdefault(block.section, [])
        options.extend((option.name.lower(), option.value) for option in block.options)
    return list(sections.items())


def _parse(body: str, source: str) -> Snapshot:
    """Parse like pip and list each section's own options (``[DEFAULT]``'s first)."""
    parser = configparser.RawConfigParser()
    try:
        # newline=None: universal newlines, as pip's open() gives configparser.
        parser.read_file(io.StringIO(body, newline=None), source=source)
    except configparser.Error as exc:
        raise ConfigError(
            f"{source}{describe_error(exc, body)}",
            hint="pip refuses this file too; fix that line by hand first",
        ) from None
    snapshot: Snapshot = [(_DEFAULT, list(parser.defaults().items()))]
    for section in parser.sections():
        values = [(name, parser.get(section, name)) for name in parser.options(section)]
        # remove_option() is True only for the section's own options, not [DEFAULT]'s.
        own = [(name, value) for name, value in values if parser.remove_option(section, name)]
        snapshot.append((section, own))
    return snapshot


def _others(snapshot: Snapshot, section: str, nkey: str) -> Snapshot:
    return [
        (s, [(n, v) for n, v in options if s != section or not _is(n, nkey)])
        for s, options in snapshot
    ]


def _is(name: str, nkey: str) -> bool:
    return normalize_key(name) == nkey
