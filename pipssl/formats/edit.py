"""The contract every config file edit keeps: one setting changes, and the reader proves it.

Each format finds the lines of the setting with its own line locator and edits those, so
every other byte stays as the user wrote it (comments, order, line endings, a missing final
newline); TOML and ``.condarc`` edits are :class:`Splice` s of the original text.  Then
:func:`prove` reads the text before and after with the format's own reader, as
:data:`Values` (each setting by its key path), and refuses the edit unless every setting
outside the edited key is equal, in the same order, and the edited key reads as intended.
A reader that cannot read the edited text refuses it too: pipssl never writes a file its
client would read differently or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from pipssl.errors import ConfigError

Key = Tuple[str, ...]
#: A file's settings as its reader reads them: the key path of each one, in file order.
#: A key holds the tables or sections it lies in as its first parts, so that an edit of
#: one key may also create (or empty) the table that holds it.
Values = Dict[Key, object]


@dataclass(frozen=True)
class Splice:
    """The text from ``start`` to ``end`` (offsets in the text before) becomes ``new``."""

    start: int
    end: int
    new: str


@dataclass(frozen=True)
class Edit:
    """An edit to prove: the file's text before and after it, and the key it sets."""

    before: str
    after: str
    key: Key


def spliced(text: str, splices: Sequence[Splice]) -> str:
    """``text`` with each splice made, every byte outside them kept.

    Raises:
        ValueError: the splices overlap or fall outside the text (a locator's bug).
    """
    out: List[str] = []
    at = 0
    for cut in sorted(splices, key=lambda s: (s.start, s.end)):
        if not at <= cut.start <= cut.end <= len(text):
            raise ValueError(f"splice {cut.start}..{cut.end} does not fit the text")
        out += [text[at : cut.start], cut.new]
        at = cut.end
    return "".join(out) + text[at:]


def prove(
    edit: Edit,
    read: Callable[[str], Values],
    wanted: Callable[[Values], bool],
    refuse: Callable[[], ConfigError],
) -> str:
    """``edit.after`` once proven: the settings outside ``edit.key`` read the same before
    and after, and ``wanted`` accepts the edited key's own settings after the edit.

    Args:
        edit: the texts and the key edited.
        read: the format's reader (raises ConfigError on text it cannot read).
        wanted: given the settings at ``edit.key``, the tables holding it and the keys
            under it, after the edit: whether they are what the edit meant to write.
        refuse: the error that names this edit.

    Raises:
        ConfigError: ``read`` refuses the text before (its own error), or the proof fails.
    """
    before = read(edit.before)
    try:
        after = read(edit.after)
    except ConfigError:
        raise refuse() from None
    if _others(before, edit.key) != _others(after, edit.key):
        raise refuse()
    if not wanted(dict(_own(after, edit.key))):
        raise refuse()
    return edit.after


def _touches(path: Key, key: Key) -> bool:
    """``path`` is ``key``, a table that holds it, or a key under it."""
    n = min(len(path), len(key))
    return path[:n] == key[:n]


def _own(values: Values, key: Key) -> List[Tuple[Key, object]]:
    return [(path, value) for path, value in values.items() if _touches(path, key)]


def _others(values: Values, key: Key) -> List[Tuple[Key, object]]:
    return [(path, value) for path, value in values.items() if not _touches(path, key)]


def line_ending(text: str) -> str:
    """The file's own line ending (its first one), ``\\n`` for a file without any."""
    m = re.search(r"\r\n|\r|\n", text)
    return m.group() if m else "\n"


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
