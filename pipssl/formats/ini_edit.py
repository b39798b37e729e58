"""Minimal edits of pip config files: one option changes, every other byte stays.

pip reads its files with ``configparser.RawConfigParser`` (strict, ``#`` and ``;`` full-line
comments only, ``=`` or ``:``, continuation lines indented deeper than their option line,
universal newlines). This module finds lines the way that parser's ``_read`` loop does, edits
the lines of one option and keeps the rest untouched: comments, blank lines, order,
indentation, line endings (``\\n``, ``\\r\\n`` or ``\\r``), a missing final newline and a
leading UTF-8 byte order mark (``\\ufeff``; pip itself cannot read such a file, which is for
the caller to report).

Options are matched the way pip compares them
(:func:`pipssl.formats.ini.normalize_key`), in the named section only: a value
inherited from ``[DEFAULT]`` is never edited through another section. Every result is
parsed again and compared with the original parse
(:func:`pipssl.formats.edit.prove`), so an edit that would change anything but the one
option raises instead of returning a wrong file.

The functions work on text: the caller decodes the file without newline translation
(:func:`pipssl.formats.edit.decoded`), writes the result atomically and keeps a backup.
"""

from __future__ import annotations

import re
from typing import List, Tuple

from pipssl.errors import ConfigError
from pipssl.formats.ini import normalize_key
from pipssl.formats.ini_lines import COMMENT, EOL, SECTCRE, Document, Line, indent_of

_KEY = re.compile(r"[a-z0-9][a-z0-9.-]*")  # a pip option name, once normalised
_BLANKS = re.compile(r"(\s+)")  # the same characters as str.split() splits on


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
    if not value or value != value.strip() or EOL.search(value):
        raise ValueError(f"cannot write {value!r}: a value must be one non-blank line")
    doc = Document(text, source)
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
                indent = indent_of(lines[blocks[-1].options[-1].lines[0]][0])
            elif index + 1 < len(doc.blocks):
                # A deeper indent than the next header's would make that header a value line.
                indent = indent_of(lines[doc.blocks[index + 1].header][0])
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
    doc = Document(text, source)
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
    doc = Document(text, source)
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
        if i != option.lines[0] and words.startswith(COMMENT):
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
    """Read every definition of an option in ``[section]`` (not ``[DEFAULT]``'s); the
    arguments are :func:`remove_value`'s.

    Returns:
        The values as configparser reads them (continuation lines joined by ``\\n``), in file
        order: none if the section does not set the option, several if it does so under
        spellings that pip >= 26.3 takes for one option.

    Raises:
        ValueError: ``section`` or ``key`` is not a valid name.
        ConfigError: the text does not parse.
    """
    nkey = _check_names(section, key)
    return [option.value for option in Document(text, source).find(section, nkey)]


def _check_names(section: str, key: str) -> str:
    header = SECTCRE.match(f"[{section}]")
    if (
        header is None
        or header.group("header") != section
        or section != section.strip()
        or "]" in section  # Python < 3.10 ends the header at the first "]"
        or EOL.search(section)
    ):
        raise ValueError(f"cannot write a section named {section!r}")
    nkey = normalize_key(key)
    if not _KEY.fullmatch(nkey):
        raise ValueError(f"cannot write an option named {key!r}")
    return nkey


def _without(lines: List[Line], drop: List[int]) -> List[Line]:
    gone = set(drop)
    return [line for i, line in enumerate(lines) if i not in gone]


def _span(content: str) -> Tuple[int, int]:
    return len(indent_of(content)), len(content.rstrip())


def _drop_word(words: str, item: str) -> str:
    """``words`` without ``item``, each removed word taking the blanks before it along."""
    parts = _BLANKS.split(words)
    kept = ""
    for i in range(0, len(parts), 2):
        word = parts[i]
        if word and word != item:
            kept += (parts[i - 1] if kept else "") + word
    return kept
