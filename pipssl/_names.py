"""Project names as indexes spell them: one rule for the wheelhouse, ``run`` and the
path doctor follows to an index's files."""

from __future__ import annotations

import re


def normalize(name: str) -> str:
    """The PEP 503 normalised form of the project ``name`` (``Foo.Bar_baz`` -> ``foo-bar-baz``):
    the path of its page on a simple index, and the key two spellings of it compare by."""
    return re.sub(r"[-_.]+", "-", name).lower()
