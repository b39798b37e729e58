"""Where each line of a pip config file belongs: the INI line locator.

:class:`Document` finds sections and options line by line the way
``configparser.RawConfigParser._read`` does, and checks that this agrees with what
configparser itself parses; :meth:`Document.finish` has the edited text proven by
:func:`pipssl.formats.edit.prove` (only the one option changed) with configparser as the
reader (:mod:`pipssl.formats.ini_edit` makes the edits).
"""

from __future__ import annotations

import configparser
import io
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from pipssl.errors import ConfigError
from pipssl.formats.edit import Edit, Values, prove
from pipssl.formats.ini import describe_error, normalize_key

__all__ = ["COMMENT", "EOL", "SECTCRE", "Document", "Line", "indent_of"]

_BOM = "\ufeff"
EOL = re.compile(r"\r\n|\r|\n")  # what universal newlines split on, nothing more
COMMENT = ("#", ";")  # RawConfigParser's comment_prefixes; it has no inline comments
SECTCRE = configparser.RawConfigParser.SECTCRE  # differs between Python releases
_OPTCRE = configparser.RawConfigParser.OPTCRE
_DEFAULT = configparser.DEFAULTSECT

Line = Tuple[str, str]  # (content, line ending); the ending is "" only for an unended last line
Snapshot = List[Tuple[str, List[Tuple[str, str]]]]  # [DEFAULT] first, then sections, in order


@dataclass
class Option:
    """One option of a section as configparser reads it: its lines and its value."""

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
class Block:
    """A section header and the options under it, up to the next header."""

    section: str
    header: int
    last: int  # the last line that is neither blank nor a comment
    options: List[Option] = field(default_factory=list)


class Document:
    """A parsed text: its lines, where each section and option sits, and the parse."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.bom = _BOM if text.startswith(_BOM) else ""
        body = self.body = text[len(self.bom) :]
        self.lines = _split(body)
        self.unended = bool(self.lines) and not self.lines[-1][1]
        first = EOL.search(body)
        self.eol = first.group() if first else "\n"
        self.before = _parse(body, source)
        self.blocks = _scan(self.lines, source)
        if _scanned(self.blocks) != self.before:
            raise self._unsafe("this Python's configparser reads it differently")

    def find(self, section: str, nkey: str, single: bool = False) -> List[Option]:
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

        def wanted(own: Values) -> bool:
            options = [(k[2], str(v)) for k, v in own.items() if len(k) == 3]
            return (section,) in own and check(options)

        def read(text: str) -> Values:
            # the text before was parsed once already, when the document was read
            return _values(self.before if text is self.body else _parse(text, self.source))

        edit = Edit(self.body, body, (section, nkey))
        why = f"editing [{section}] {nkey} would change other settings"
        return self.bom + prove(edit, read, wanted, lambda: self._unsafe(why))

    def _unsafe(self, why: str) -> ConfigError:
        return ConfigError(
            f"{self.source}: cannot be edited safely: {why}",
            hint="edit the file by hand, and please report this as a pipssl bug",
        )


def _split(body: str) -> List[Line]:
    lines = []
    start = 0
    for match in EOL.finditer(body):
        lines.append((body[start : match.start()], match.group()))
        start = match.end()
    if start < len(body):
        lines.append((body[start:], ""))
    return lines


def indent_of(content: str) -> str:
    return content[: len(content) - len(content.lstrip())]


def _scan(lines: List[Line], source: str) -> List[Block]:
    """Find sections and options as ``RawConfigParser._read`` does (Python 3.8 ... 3.13)."""
    blocks: List[Block] = []
    option: Optional[Option] = None
    indent_level = 0
    for i, (content, _) in enumerate(lines):
        clean = content.strip()
        if clean.startswith(COMMENT):
            continue
        if not clean:
            if option is not None:
                option.pieces.append("")  # configparser keeps it; rstrip() drops it at the end
            continue
        indent = len(indent_of(content))
        if option is not None and indent > indent_level:
            option.lines.append(i)
            option.pieces.append(clean)
            blocks[-1].last = i
            continue
        indent_level = indent
        header = SECTCRE.match(clean)
        if header:
            blocks.append(Block(header.group("header"), i, i))
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
        option = Option(blocks[-1].section, name, [i], span, gap, [match.group("value")])
        blocks[-1].options.append(option)
        blocks[-1].last = i
    return blocks


def _scanned(blocks: List[Block]) -> Snapshot:
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


def _values(snapshot: Snapshot) -> Values:
    """The parse as the edit contract's values: each section (so that a new one may be
    added), then each option by its section, the name pip compares and its spelling."""
    values: Values = {}
    for section, options in snapshot:
        values[(section,)] = None
        for name, value in options:
            values[(section, normalize_key(name), name)] = value
    return values
