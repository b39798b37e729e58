"""pipssl.formats: the edit contract every format keeps, and the TOML editor over tomllib.

The contract (``formats/edit.py``): an edit is spliced into the text, every byte outside
it kept, and the format's reader proves on the text before and after that only the one
setting changed.  The TOML editor locates a key or table line by line
(``formats/toml_lines.py``) and reads with tomllib, or tomli below Python 3.11.
tests/test_confedit.py, tests/test_clients.py and tests/test_fuzz.py hold the formats' own
cases; these are the seams.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest
from targets import LEGACY_BASE, base_python

from pipssl.errors import ConfigError
from pipssl.formats.edit import Edit, Splice, Values, prove, spliced
from pipssl.formats.toml import read_toml, set_toml_string
from pipssl.formats.toml_lines import layout

pytestmark = pytest.mark.once

REPO = Path(__file__).resolve().parent.parent
CORP = ("certificates", "corp")


def test_a_splice_keeps_every_byte_outside_it() -> None:
    text = "a = 1\r\nb = 2\r\n# c"
    assert spliced(text, [Splice(4, 5, "10"), Splice(len(text), len(text), "\r\nd")]) == (
        "a = 10\r\nb = 2\r\n# c\r\nd"
    )
    with pytest.raises(ValueError, match="does not fit"):
        spliced(text, [Splice(0, 5, "x"), Splice(4, 6, "y")])  # overlapping: a locator's bug


def _flat(text: str) -> Values:
    return {(k,): v for k, v in read_toml(text, "f").items()}


def _refused() -> ConfigError:
    return ConfigError("refused", reference="internal")


def test_prove_passes_only_the_one_setting_changed() -> None:
    before = "a = 1\nb = 2\n"
    wanted = lambda own: own == {("cert",): "x"}  # noqa: E731
    ok = before + 'cert = "x"\n'
    assert prove(Edit(before, ok, ("cert",)), _flat, wanted, _refused) == ok
    for after in (
        'a = 1\nb = 3\ncert = "x"\n',  # another setting changed too
        'a = 1\nb = 2\ncert = "y"\n',  # the setting reads otherwise
        'a = 1\nb = 2\ncert = "x\n',  # the reader cannot read the result
    ):
        with pytest.raises(ConfigError, match="refused"):
            prove(Edit(before, after, ("cert",)), _flat, wanted, _refused)


def test_toml_cert_is_added_to_a_table_holding_an_array_or_inline_table() -> None:
    """A [certificates.<source>] table with an array or inline table value beside its keys
    was refused ("partly an inline table"): tomllib's proof makes the edit safe."""
    text = '[certificates.corp]\nclient-cert = "c.pem"\nextra = ["a", { b = 1 }]\n'
    new = set_toml_string(text, CORP, "cert", "/n.pem", "config.toml")
    assert new == text.replace("]\n", ']\ncert = "/n.pem"\n', 1)
    assert read_toml(new)["certificates"]["corp"]["extra"] == ["a", {"b": 1}]


def test_toml_locator_is_not_fooled_by_look_alikes() -> None:
    """Header and key look-alikes inside multi-line strings and arrays are values."""
    text = (
        'note = """\n[certificates.corp]\ncert = "fake"\n"""\n'
        "list = [\n  '[certificates.corp]', # ] cert = 1\n]\n"
        "when = 1979-05-27 07:32:00Z\n"
        '[certificates."my.src"]  # keep\n'
        "cert = '''\nold\n'''  # why\n"
    )
    spots = layout(text, lambda small: read_toml(small, "f"))
    assert [h.path for h in spots.headers] == [("certificates", "my.src")]
    paths = [s.path for s in spots.statements]
    assert paths == [("note",), ("list",), ("when",), ("certificates", "my.src", "cert")]
    when = spots.statements[2]
    assert text[when.start : when.end] == "1979-05-27 07:32:00Z"
    # the one real cert is replaced where it stands; the look-alikes are left alone
    new = set_toml_string(text, ("certificates", "my.src"), "cert", "/n.pem", "f")
    assert new == text.replace("'''\nold\n'''", '"/n.pem"')
    # a table only a string names is added at the end
    added = set_toml_string(text, CORP, "cert", "/c.pem", "f")
    assert added == text + '\n[certificates.corp]\ncert = "/c.pem"\n'


def test_toml_a_float_nan_elsewhere_does_not_stop_the_proof() -> None:
    """nan is not equal to itself as a float: the proof compares floats as their text."""
    text = "[tool]\nx = nan\ny = 1.50\n"
    new = set_toml_string(text, CORP, "cert", "/c.pem", "f")
    assert new == text + '\n[certificates.corp]\ncert = "/c.pem"\n'


def test_toml_reads_values_as_the_clients_do_and_refuses_what_they_refuse() -> None:
    data: Dict[str, Any] = read_toml("a = 1\nb = 0.5\nc = true\n", "f")
    assert data == {"a": 1, "b": 0.5, "c": True}  # the pure reader kept "1" and "0.5"
    for text in ('a = "x\n', "a = 1\na = 2\n", "x = 1\ry = 2\n", "a = foo\n"):
        with pytest.raises(ConfigError, match=r"^config\.toml: not valid TOML, .*\(at ") as err:
            set_toml_string(text, CORP, "cert", "/n.pem", "config.toml")
        assert "will not read or edit it" in str(err.value) and "\n" not in str(err.value)
    # the twin: a valid file is edited
    assert set_toml_string("a = 1\n", CORP, "cert", "/n.pem", "config.toml").startswith("a = 1\n")


_BELOW_311 = """
import sys
sys.path[:0] = sys.argv[1:]
from pipssl.errors import ConfigError
from pipssl.formats.toml import read_toml, set_toml_string
try:
    print(read_toml("a = 1", "f"), set_toml_string("", ("t",), "k", "v", "f").split())
except ConfigError as exc:
    print(exc, "|", exc.hint)
"""


def test_tomli_reads_toml_below_python_3_11() -> None:
    """Python 3.8 reads with tomli (the wheel get-pipssl.py carries); without it, pipssl
    names what is missing and reads nothing."""
    python = str(base_python(LEGACY_BASE))
    tomli = next((REPO / "bootstrap" / "vendor").glob("tomli-*.whl"))

    def run(*path: Path) -> str:
        argv = [python, "-I", "-c", _BELOW_311, str(REPO), *map(str, path)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run(tomli) == "{'a': 1} ['[t]', 'k', '=', '\"v\"']"
    missing = run()
    assert missing.startswith("f: reading TOML on Python 3.8 needs the tomli package"), missing
    assert "get-pipssl.py, which carries tomli" in missing
