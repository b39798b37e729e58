"""pipssl.formats.ini_edit: minimal edits of pip config text, checked against configparser.

Table-driven cases pin the exact text of each edit; hypothesis properties run the edits on
generated valid files (sections, spellings, continuation lines, comments, blank lines, line
endings, a byte order mark, a missing final newline) and compare configparser's parse and the
untouched lines. Everything works on strings; one test writes a file into the isolated
environment to see pipconfig read the edit back.
"""

from __future__ import annotations

import configparser
import io
import re
from typing import Callable, List, Optional, Tuple

import pytest
from bed.isolation import IsolatedEnv
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipssl.errors import ConfigError
from pipssl.formats import ini_edit as confedit
from pipssl.formats.ini import normalize_key
from pipssl.formats.ini_edit import get_values, remove_list_item, remove_value, set_value
from pipssl.interpreter import pipconfig

pytestmark = pytest.mark.once

Snapshot = List[Tuple[str, List[Tuple[str, str]]]]


def parse(text: str) -> Snapshot:
    """configparser's view of a text as pip gets it: [DEFAULT] then each section's own options."""
    parser = configparser.RawConfigParser()
    parser.read_file(io.StringIO(text[1:] if text.startswith("\ufeff") else text, newline=None))
    snapshot: Snapshot = [("DEFAULT", list(parser.defaults().items()))]
    for section in parser.sections():
        values = [(n, parser.get(section, n)) for n in parser.options(section)]
        snapshot.append((section, [(n, v) for n, v in values if parser.remove_option(section, n)]))
    return snapshot


def edited(
    snapshot: Snapshot, section: str, key: str, value: Optional[str], name: Optional[str] = None
) -> Snapshot:
    """The snapshot with every spelling of ``key`` in ``section`` replaced in place (or added
    at the end as ``name``), or removed when ``value`` is None."""
    nkey = normalize_key(key)
    result: Snapshot = []
    for s, options in snapshot:
        if s != section:
            result.append((s, list(options)))
            continue
        kept: List[Tuple[str, str]] = []
        for n, v in options:
            if normalize_key(n) != nkey:
                kept.append((n, v))
            elif value is not None:
                kept.append((n, value))
                value = None
        result.append((s, kept))
    if value is not None:
        if section not in [s for s, _ in result]:
            result.append((section, []))
        next(opts for s, opts in result if s == section).append((name or nkey, value))
    return result


def contents(text: str) -> List[str]:
    """The lines of a text without their endings, split the way configparser splits them."""
    body = text[1:] if text.startswith("\ufeff") else text
    lines = re.split(r"\r\n|\r|\n", body)
    return lines[:-1] if lines[-1] == "" else lines


def endings(text: str) -> List[str]:
    return re.findall(r"\r\n|\r|\n", text)


# --- table-driven cases --------------------------------------------------------------------

SET_CASES = [
    # (id, before, section, key, value, after)
    ("replace", "[global]\ncert = /old\n", "global", "cert", "/new", "[global]\ncert = /new\n"),
    (
        "crlf-replace",
        "[global]\r\ncert = /old\r\ntimeout = 5\r\n",
        "global",
        "cert",
        "/new",
        "[global]\r\ncert = /new\r\ntimeout = 5\r\n",
    ),
    (
        "crlf-insert",
        "[global]\r\ntimeout = 5\r\n",
        "global",
        "cert",
        "/new",
        "[global]\r\ntimeout = 5\r\ncert = /new\r\n",
    ),
    (
        "crlf-new-section",
        "[install]\r\nx = 1\r\n",
        "global",
        "cert",
        "/n",
        "[install]\r\nx = 1\r\n\r\n[global]\r\ncert = /n\r\n",
    ),
    ("cr-only", "[global]\rcert = /old\r", "global", "cert", "/n", "[global]\rcert = /n\r"),
    (
        "bom",
        "\ufeff[global]\ncert = /old\n",
        "global",
        "cert",
        "/new",
        "\ufeff[global]\ncert = /new\n",
    ),
    (
        "bom-new-section",
        "\ufeff# only a comment\n",
        "global",
        "cert",
        "/n",
        "\ufeff# only a comment\n\n[global]\ncert = /n\n",
    ),
    ("no-eol-replace", "[global]\ncert = /old", "global", "cert", "/n", "[global]\ncert = /n"),
    (
        "no-eol-insert",
        "[global]\ntimeout = 5",
        "global",
        "cert",
        "/n",
        "[global]\ntimeout = 5\ncert = /n",
    ),
    (
        "no-eol-new-section",
        "[install]\nx = 1",
        "global",
        "cert",
        "/n",
        "[install]\nx = 1\n\n[global]\ncert = /n",
    ),
    (
        "comments-kept",
        "# top\n; also top\n[global]\n# about cert\ncert = /old ; not a comment\n; after\n\n"
        "[install]\n# c\n",
        "global",
        "cert",
        "/new",
        "# top\n; also top\n[global]\n# about cert\ncert = /new\n; after\n\n[install]\n# c\n",
    ),
    (
        "semicolon-in-other-value",
        "[global]\nindex-url = http://127.0.0.1/a;b\ncert = a;b\n",
        "global",
        "cert",
        "/c;d",
        "[global]\nindex-url = http://127.0.0.1/a;b\ncert = /c;d\n",
    ),
    ("upper", "[global]\nCERT = /old\n", "global", "cert", "/n", "[global]\nCERT = /n\n"),
    ("dashes", "[global]\n--cert=/old\n", "global", "cert", "/n", "[global]\n--cert=/n\n"),
    (
        "title-colon-spacing",
        "[global]\n  Cert  :  /old  \n",
        "global",
        "--CERT",
        "/n",
        "[global]\n  Cert  :  /n  \n",
    ),
    (
        "underscore",
        "[global]\nclient_cert = /old\n",
        "global",
        "client-cert",
        "/n",
        "[global]\nclient_cert = /n\n",
    ),
    ("empty-value", "[global]\ncert =\n", "global", "cert", "/n", "[global]\ncert = /n\n"),
    ("empty-value-tight", "[global]\ncert=  \n", "global", "cert", "/n", "[global]\ncert=/n\n"),
    ("same-value", "[global]\ncert = /n\n", "global", "cert", "/n", "[global]\ncert = /n\n"),
    ("empty-text", "", "global", "cert", "/n", "[global]\ncert = /n\n"),
    (
        "missing-section",
        "[install]\nx = 1\n",
        "global",
        "cert",
        "/n",
        "[install]\nx = 1\n\n[global]\ncert = /n\n",
    ),
    (
        "missing-section-after-blank",
        "[install]\nx = 1\n\n",
        "global",
        "cert",
        "/n",
        "[install]\nx = 1\n\n[global]\ncert = /n\n",
    ),
    (
        "empty-section",
        "[global]\n\n[install]\nx = 1\n",
        "global",
        "cert",
        "/n",
        "[global]\ncert = /n\n\n[install]\nx = 1\n",
    ),
    (
        "empty-section-then-indented-header",
        "[global]\n  [install]\n  x = 1\n",
        "global",
        "cert",
        "/n",
        "[global]\n  cert = /n\n  [install]\n  x = 1\n",
    ),
    (
        "insert-before-trailing-comments",
        "[global]\ntimeout = 5\n\n# install things\n[install]\n",
        "global",
        "cert",
        "/n",
        "[global]\ntimeout = 5\ncert = /n\n\n# install things\n[install]\n",
    ),
    (
        "insert-indented-like-neighbours",
        "[global]\n    timeout = 5\n    [install]\n",
        "global",
        "cert",
        "/n",
        "[global]\n    timeout = 5\n    cert = /n\n    [install]\n",
    ),
    (
        "drop-old-continuation",
        "[global]\ncert = /a\n    /b\n# c\n\n    /d\ntimeout = 5\n",
        "global",
        "cert",
        "/n",
        "[global]\ncert = /n\n# c\n\ntimeout = 5\n",
    ),
    (
        "old-value-only-on-continuation",
        "[global]\ncert =\n  /a\n",
        "global",
        "cert",
        "/n",
        "[global]\ncert = /n\n",
    ),
    (
        "neighbour-continuation-kept",
        "[global]\ntrusted-host = a\n    b\ncert = /old\nextra-index-url =\n    http://[::1]/x\n",
        "global",
        "cert",
        "/n",
        "[global]\ntrusted-host = a\n    b\ncert = /n\nextra-index-url =\n    http://[::1]/x\n",
    ),
    (
        "insert-after-neighbour-continuation",
        "[global]\ntrusted-host = a\n    b\n\n[install]\n",
        "global",
        "cert",
        "/n",
        "[global]\ntrusted-host = a\n    b\ncert = /n\n\n[install]\n",
    ),
    (
        "header-lookalike-in-value",
        "[global]\ntrusted-host = a\n  [install]\n",
        "install",
        "cert",
        "/n",
        "[global]\ntrusted-host = a\n  [install]\n\n[install]\ncert = /n\n",
    ),
    (
        "default-untouched",
        "[DEFAULT]\ncert = /d\n[global]\ntimeout = 5\n",
        "global",
        "cert",
        "/n",
        "[DEFAULT]\ncert = /d\n[global]\ntimeout = 5\ncert = /n\n",
    ),
    (
        "default-only",
        "[DEFAULT]\ncert = /d\n",
        "global",
        "cert",
        "/n",
        "[DEFAULT]\ncert = /d\n\n[global]\ncert = /n\n",
    ),
    (
        "default-itself",
        "[DEFAULT]\ncert = /d\n[global]\ncert = /g\n",
        "DEFAULT",
        "cert",
        "/n",
        "[DEFAULT]\ncert = /n\n[global]\ncert = /g\n",
    ),
    (
        "default-twice-last-block",
        "[DEFAULT]\na = 1\n[global]\n[DEFAULT]\nb = 2\n",
        "DEFAULT",
        "cert",
        "/n",
        "[DEFAULT]\na = 1\n[global]\n[DEFAULT]\nb = 2\ncert = /n\n",
    ),
    (
        "section-case-sensitive",
        "[Global]\ncert = /x\n",
        "global",
        "cert",
        "/n",
        "[Global]\ncert = /x\n\n[global]\ncert = /n\n",
    ),
    (
        "other-section-same-key",
        "[install]\ncert = /i\n[global]\ncert = /g\n",
        "global",
        "cert",
        "/n",
        "[install]\ncert = /i\n[global]\ncert = /n\n",
    ),
]


@pytest.mark.parametrize(
    ("before", "section", "key", "value", "after"),
    [case[1:] for case in SET_CASES],
    ids=[case[0] for case in SET_CASES],
)
def test_set_value(before: str, section: str, key: str, value: str, after: str) -> None:
    result = set_value(before, section, key, value)
    assert result == after
    assert set_value(result, section, key, value) == result
    assert get_values(result, section, key) == [value]
    assert parse(result) == edited(parse(before), section, key, value)


REMOVE_CASES = [
    ("simple", "[global]\ncert = /x\ntimeout = 5\n", "[global]\ntimeout = 5\n"),
    ("keeps-header", "[global]\ncert = /x\n", "[global]\n"),
    ("crlf", "[global]\r\ncert = /x\r\ntimeout = 5\r\n", "[global]\r\ntimeout = 5\r\n"),
    ("bom", "\ufeff[global]\ncert = /x\n", "\ufeff[global]\n"),
    (
        "continuation",
        "[global]\ncert = /a\n  /b\n\n  /c\n[install]\n",
        "[global]\n\n[install]\n",
    ),
    ("no-eol-last", "[global]\ntimeout = 5\ncert = /x", "[global]\ntimeout = 5"),
    ("no-eol-continuation", "[global]\ncert = /x\n  /y", "[global]"),
    ("no-eol-blank-left-last", "[global]\nx = 1\n\ncert = /x", "[global]\nx = 1\n\n"),
    ("every-spelling", "[global]\ncert = a\n--cert = b\nx = 1\n", "[global]\nx = 1\n"),
    ("spelled-upper", "[global]\n  CERT : a;b\n", "[global]\n"),
    ("comments-stay", "[global]\n# why\ncert = /x\n# after\n", "[global]\n# why\n# after\n"),
]


@pytest.mark.parametrize(
    ("before", "after"), [c[1:] for c in REMOVE_CASES], ids=[c[0] for c in REMOVE_CASES]
)
def test_remove_value(before: str, after: str) -> None:
    result = remove_value(before, "global", "cert")
    assert result == after
    assert remove_value(result, "global", "cert") == result
    assert get_values(result, "global", "cert") == []
    assert parse(result) == edited(parse(before), "global", "cert", None)


@pytest.mark.parametrize(
    "text",
    [
        "[global]\ntimeout = 5\n",
        "[install]\ncert = /x\n",
        "[DEFAULT]\ncert = /x\n[global]\n",
        "# nothing\n",
        "",
    ],
)
def test_remove_absent_is_identity(text: str) -> None:
    assert remove_value(text, "global", "cert") is text
    assert remove_list_item(text, "global", "trusted-host", "a") is text


LIST_CASES = [
    # (id, before, item, after)
    ("middle", "[global]\ntrusted-host = a b c\n", "b", "[global]\ntrusted-host = a c\n"),
    ("first", "[global]\ntrusted-host = a b c\n", "a", "[global]\ntrusted-host = b c\n"),
    ("last", "[global]\ntrusted-host = a b c\n", "c", "[global]\ntrusted-host = a b\n"),
    ("separators", "[global]\ntrusted-host = a\tb  c\n", "b", "[global]\ntrusted-host = a  c\n"),
    ("repeated", "[global]\ntrusted-host = a b a\n", "a", "[global]\ntrusted-host = b\n"),
    ("only", "[global]\ntrusted-host = a\nx = 1\n", "a", "[global]\nx = 1\n"),
    (
        "only-with-continuation",
        "[global]\ntrusted-host = a\n    a\nx = 1\n",
        "a",
        "[global]\nx = 1\n",
    ),
    (
        "continuation-line",
        "[global]\ntrusted-host = a\n    b\n    c d\n",
        "b",
        "[global]\ntrusted-host = a\n    c d\n",
    ),
    (
        "first-line-emptied",
        "[global]\ntrusted-host = a\n    b\n    c d\n",
        "a",
        "[global]\ntrusted-host =\n    b\n    c d\n",
    ),
    (
        "within-continuation",
        "[global]\ntrusted-host = a\n    b\n    c d\n",
        "d",
        "[global]\ntrusted-host = a\n    b\n    c\n",
    ),
    (
        "crlf-continuation",
        "[global]\r\ntrusted-host =\r\n  a\r\n  b\r\n",
        "a",
        "[global]\r\ntrusted-host =\r\n  b\r\n",
    ),
    (
        "no-eol-last-line",
        "[global]\ntrusted-host = a\n  b",
        "b",
        "[global]\ntrusted-host = a",
    ),
    (
        "comment-inside-value",
        "[global]\nTrusted_Host = a\n  # mirror\n  b\n",
        "b",
        "[global]\nTrusted_Host = a\n  # mirror\n",
    ),
    (
        "absent-item",
        "[global]\ntrusted-host = a bb\n",
        "b",
        "[global]\ntrusted-host = a bb\n",
    ),
    (
        "urls",
        "[global]\nextra-index-url = https://127.0.0.1:8443/simple\n"
        "    https://[::1]:8443/simple\n",
        "https://127.0.0.1:8443/simple",
        "[global]\nextra-index-url =\n    https://[::1]:8443/simple\n",
    ),
]


@pytest.mark.parametrize(
    ("before", "item", "after"), [c[1:] for c in LIST_CASES], ids=[c[0] for c in LIST_CASES]
)
def test_remove_list_item(before: str, item: str, after: str) -> None:
    key = "extra-index-url" if "extra" in before else "trusted-host"
    result = remove_list_item(before, "global", key, item)
    assert result == after
    assert remove_list_item(result, "global", key, item) == result
    values = get_values(before, "global", key)
    rest = [word for word in values[0].split() if word != item]
    assert [v.split() for v in get_values(result, "global", key)] == ([rest] if rest else [])
    expected = edited(parse(before), "global", key, None)
    assert [(s, o) for s, o in parse(result) if s != "global"] == [
        (s, o) for s, o in expected if s != "global"
    ]


def test_remove_list_item_refuses_to_leave_a_comment() -> None:
    # ";b" is an item while "a" precedes it on the line; alone there it would be a comment.
    text = "[global]\ntrusted-host = x\n    a ;b\n"
    with pytest.raises(ConfigError, match=r"line 3.*into a comment"):
        remove_list_item(text, "global", "trusted-host", "a")
    assert remove_list_item(text, "global", "trusted-host", ";b") == (
        "[global]\ntrusted-host = x\n    a\n"
    )


def test_a_wrong_edit_is_refused_not_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    """The final parse check catches an edit that went wrong, whatever the cause."""
    monkeypatch.setattr(confedit, "_drop_word", lambda words, item: "changed")
    with pytest.raises(ConfigError, match="cannot be edited safely"):
        remove_list_item("[global]\ntrusted-host = a b\n", "global", "trusted-host", "a")


def test_remove_list_item_spares_default_and_other_sections() -> None:
    text = "[DEFAULT]\ntrusted-host = a\n[install]\ntrusted-host = a\n[global]\n"
    assert remove_list_item(text, "global", "trusted-host", "a") is text
    assert remove_list_item(text, "install", "trusted-host", "a") == (
        "[DEFAULT]\ntrusted-host = a\n[install]\n[global]\n"
    )


DUPLICATES = [
    "[global]\ncert = a\n--cert = b\n",
    "[global]\nclient_cert = a\nclient-cert = b\n",
    "[global]\nclient-cert = a\n  more\nCLIENT_CERT = b\n",
]


@pytest.mark.parametrize("text", DUPLICATES)
def test_duplicate_spellings_refused(text: str) -> None:
    key = "client-cert" if "client" in text else "cert"
    with pytest.raises(ConfigError) as info:
        set_value(text, "global", key, "/n")
    message = str(info.value)
    assert "[global]" in message and repr(key) in message and "\n" not in message
    with pytest.raises(ConfigError):
        remove_list_item(text, "global", key, "a")
    assert len(get_values(text, "global", key)) == 2
    # Elsewhere the duplicate changes nothing; remove_value clears every spelling.
    assert set_value(text, "install", key, "/n").endswith("[install]\n" + key + " = /n\n")
    assert get_values(remove_value(text, "global", key), "global", key) == []


UNPARSEABLE = [
    ("cert = /x\n", "line 1"),
    ("# c\n\n  cert = /x\n", "line 3"),
    ("[global]\nnot an option\n", "line 2"),
    ("[global]\n[global]\n", "line 2"),
    ("[global]\ncert = a\nCert = b\n", "line 3"),
    ("[global]\n= value\n", "line 2"),
    ("\ufeff\ufeff[global]\n", "line 1"),
]


@pytest.mark.parametrize(("text", "where"), UNPARSEABLE)
@pytest.mark.parametrize(
    "edit",
    [
        lambda t: set_value(t, "global", "cert", "/n", source="/etc/x/pip.conf"),
        lambda t: remove_value(t, "global", "cert", source="/etc/x/pip.conf"),
        lambda t: remove_list_item(t, "global", "cert", "a", source="/etc/x/pip.conf"),
        lambda t: get_values(t, "global", "cert", source="/etc/x/pip.conf"),
    ],
    ids=["set", "remove", "remove-item", "get"],
)
def test_unparseable_text_is_a_config_error(
    text: str, where: str, edit: Callable[[str], object]
) -> None:
    with pytest.raises(ConfigError) as info:
        edit(text)
    message = str(info.value)
    assert message.startswith("/etc/x/pip.conf, " + where + ":")
    assert "\n" not in message and info.value.hint


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("global", "cert", "/a\n/b"),
        ("global", "cert", "/a\r"),
        ("global", "cert", " /a"),
        ("global", "cert", "/a "),
        ("global", "cert", ""),
        ("global", "cert", "\t"),
        ("global", "", "/a"),
        ("global", "--", "/a"),
        ("global", "a=b", "/a"),
        ("global", "a:b", "/a"),
        ("global", "a b", "/a"),
        ("global", "#cert", "/a"),
        ("global", "[cert]", "/a"),
        ("", "cert", "/a"),
        ("a]b", "cert", "/a"),
        (" global", "cert", "/a"),
        ("glo\nbal", "cert", "/a"),
    ],
)
def test_set_value_rejects_what_cannot_be_written(section: str, key: str, value: str) -> None:
    with pytest.raises(ValueError):
        set_value("[global]\n", section, key, value)


@pytest.mark.parametrize("item", ["", "a b", " a", "a\n"])
def test_remove_list_item_wants_one_word(item: str) -> None:
    with pytest.raises(ValueError):
        remove_list_item("[global]\ntrusted-host = a\n", "global", "trusted-host", item)


def test_get_values() -> None:
    text = "[DEFAULT]\ncert = /d\n[global]\nCert = /g\n  /h\n\n[install]\n"
    assert get_values(text, "global", "--cert") == ["/g\n/h"]
    assert get_values(text, "install", "cert") == []  # [DEFAULT]'s is not the section's own
    assert get_values(text, "DEFAULT", "cert") == ["/d"]
    assert get_values(text, "missing", "cert") == []


def test_pip_model_reads_the_edit(isolated_env: IsolatedEnv) -> None:
    """The edited file, as PIP_CONFIG_FILE, gives pip's model the new value and keeps others."""
    text = "# managed by hand\r\n[global]\r\ncert = /old.pem\r\ntimeout = 7\r\n"
    new = set_value(text, "global", "cert", "/new bundle.pem")
    isolated_env.pip_config_file.write_bytes(new.encode("utf-8"))
    config = pipconfig.load(isolated_env.environ, encoding="utf-8")
    cert, timeout = config.get("cert"), config.get("timeout")
    assert cert is not None and cert.value == "/new bundle.pem"
    assert cert.file == str(isolated_env.pip_config_file)
    assert timeout is not None and timeout.value == "7"


# --- properties on generated files ---------------------------------------------------------

SECTIONS = ["global", "install", "Global", "DEFAULT", "download", "a b"]
KEYS = [
    "cert",
    "CERT",
    "--cert",
    "Cert",
    "client_cert",
    "client-cert",
    "trusted-host",
    "Trusted_Host",
    "extra-index-url",
    "index-url",
    "timeout",
]
# Values may look like comments, delimiters, headers or interpolation: none of it is special.
VALUE_CHARS = "ab/:;#=%[] .\u00e9\t"
WORD_CHARS = "ab/:=%[].-\u00e9"

Tag = Optional[Tuple[str, str]]  # (section, normalised key) a line belongs to, if any


def indentation(width: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=" \t", min_size=width, max_size=width)


@st.composite
def fillers(draw: st.DrawFn) -> str:
    """A line that configparser skips: blank (maybe whitespace) or a full-line comment."""
    if draw(st.booleans()):
        return draw(st.text(alphabet=" \t", max_size=2))
    indent = draw(indentation(draw(st.integers(0, 3))))
    return indent + draw(st.sampled_from("#;")) + draw(st.text(alphabet=VALUE_CHARS, max_size=8))


@st.composite
def config_texts(draw: st.DrawFn) -> Tuple[str, List[Tag]]:
    """A valid pip config text and, for each line, the option it belongs to."""
    lines: List[Tuple[str, Tag]] = [
        (draw(fillers()), None) for _ in range(draw(st.integers(0, 2)))
    ]
    last_key_indent: Optional[int] = None  # a header deeper than it would be a value line
    for section in draw(st.lists(st.sampled_from(SECTIONS), unique=True, min_size=1, max_size=4)):
        top = 3 if last_key_indent is None else last_key_indent
        header = draw(indentation(draw(st.integers(0, top)))) + f"[{section}]"
        lines.append((header + draw(st.text(alphabet=" \t", max_size=1)), None))
        keys = draw(st.lists(st.sampled_from(KEYS), unique_by=normalize_key, max_size=4))
        indent = draw(st.integers(0, 3))
        for key in keys:
            # An option indented deeper than the one before would continue its value.
            indent = draw(st.integers(0, indent))
            tag = (section, normalize_key(key))
            separator = draw(st.sampled_from(["=", ":", " = ", " : ", "  =", "=  "]))
            value = draw(st.text(alphabet=VALUE_CHARS, max_size=10))
            line = draw(indentation(indent)) + key + separator + value
            lines.append((line, tag))
            for _ in range(draw(st.integers(0, 3))):
                kind = draw(st.sampled_from(["more", "more", "filler"]))
                if kind == "more":
                    deeper = draw(indentation(indent + draw(st.integers(1, 3))))
                    word = draw(st.text(alphabet=WORD_CHARS, min_size=1, max_size=6))
                    rest = draw(st.text(alphabet=VALUE_CHARS, max_size=8))
                    lines.append((deeper + word + rest, tag))
                else:
                    lines.append((draw(fillers()), None))
            lines += [(draw(fillers()), None) for _ in range(draw(st.integers(0, 2)))]
        last_key_indent = indent if keys else None
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    mixed = draw(st.integers(0, 9)) == 0
    # Mixed endings leave out a lone "\r": with an empty line after it, it would read "\r\n".
    ends = [draw(st.sampled_from(["\n", "\r\n"])) if mixed else eol for _ in lines]
    if lines and lines[-1][0] and draw(st.booleans()):
        ends[-1] = ""  # no final newline (an empty last line would vanish)
    bom = "\ufeff" if draw(st.integers(0, 5)) == 0 else ""
    text = bom + "".join(content + end for (content, _), end in zip(lines, ends))
    return text, [tag for _, tag in lines]


Edit = Tuple[str, List[Tag], str, str]  # text, line tags, section, key


@st.composite
def edits(draw: st.DrawFn) -> Edit:
    """A generated text and the option to edit: mostly one the text sets, in some spelling."""
    text, tags = draw(config_texts())
    existing = sorted({tag for tag in tags if tag is not None})
    if existing and draw(st.integers(0, 3)):
        section, nkey = draw(st.sampled_from(existing))
        key = draw(st.sampled_from([k for k in KEYS if normalize_key(k) == nkey]))
    else:
        section, key = draw(st.sampled_from(SECTIONS)), draw(st.sampled_from(KEYS))
    return text, tags, section, key


_word = st.text(alphabet=WORD_CHARS + ";#", min_size=1, max_size=5)
new_values = _word | st.tuples(_word, st.text(alphabet=VALUE_CHARS + "\u00a0"), _word).map("".join)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def untouched(text: str, tags: List[Tag], section: str, key: str) -> List[str]:
    own = (section, normalize_key(key))
    return [line for line, tag in zip(contents(text), tags) if tag != own]


def assert_layout_kept(before: str, after: str) -> None:
    """BOM, final newline and the kinds of line ending survive an edit.

    A missing final newline stays missing, unless the last line left is an empty one, which
    cannot exist without its ending.
    """
    assert after.startswith("\ufeff") == before.startswith("\ufeff")
    body = before[1:] if before.startswith("\ufeff") else before
    if body:
        last_is_empty = contents(after)[-1:] == [""]
        assert after.endswith(("\n", "\r")) == (body.endswith(("\n", "\r")) or last_is_empty)
        allowed = set(endings(before)) or {"\n"}
        assert set(endings(after)) <= allowed


def test_generator_makes_valid_files() -> None:
    @given(config_texts())
    @settings(max_examples=50, deadline=None)
    def check(generated: Tuple[str, List[Tag]]) -> None:
        text, tags = generated
        parse(text)
        assert len(contents(text)) == len(tags)

    check()


@pytest.mark.slow
@PROPERTY
@given(edits(), new_values)
def test_set_value_properties(edit: Edit, value: str) -> None:
    text, tags, section, key = edit
    nkey = normalize_key(key)
    before = parse(text)
    own = [n for s, opts in before if s == section for n, _ in opts if normalize_key(n) == nkey]
    result = set_value(text, section, key, value)
    headers = [line.strip() for line in contents(text)]
    exists = section in [s for s, _ in before[1:]] or f"[{section}]" in headers
    event("set: " + ("replaced" if own else "added to the section" if exists else "new section"))
    event(f"set: {len(contents(text)) // 10 * 10}+ lines, endings {sorted(set(endings(text)))}")
    # (1) the parse is the original one with only this option set
    assert parse(result) == edited(before, section, key, value, own[0] if own else nkey)
    # (2) every other line is kept, in order; exactly one line (or a new section) is added
    kept = untouched(text, tags, section, key)
    lines = contents(result)
    if exists:
        new = [i for i in range(len(lines)) if lines[:i] + lines[i + 1 :] == kept]
        assert new, (kept, lines)
        assert lines[new[0]].rstrip().endswith(value)
    else:
        assert lines[-2:] == [f"[{section}]", f"{nkey} = {value}"]
        assert lines[:-2] in (kept, [*kept, ""])
    assert_layout_kept(text, result)
    # (3) idempotent
    assert set_value(result, section, key, value) == result
    # (4) removing it again gives the parse without the option (the section may stay)
    removed = parse(remove_value(result, section, key))
    expected = edited(before, section, key, None)
    assert removed in (expected, [*expected, (section, [])])
    if not own and section in [s for s, _ in before[1:]]:
        assert remove_value(result, section, key) == text


@pytest.mark.slow
@PROPERTY
@given(edits())
def test_remove_value_properties(edit: Edit) -> None:
    text, tags, section, key = edit
    result = remove_value(text, section, key)
    event("remove: removed" if result != text else "remove: absent")
    assert parse(result) == edited(parse(text), section, key, None)
    assert contents(result) == untouched(text, tags, section, key)
    assert_layout_kept(text, result)
    assert remove_value(result, section, key) == result


@pytest.mark.slow
@PROPERTY
@given(edits(), st.data())
def test_remove_list_item_properties(edit: Edit, data: st.DataObject) -> None:
    text, tags, section, key = edit
    values = get_values(text, section, key)
    words = values[0].split() if values else []
    item = data.draw(st.sampled_from([*words, "absent"]))
    own = (section, normalize_key(key))
    continued = [line for line, tag in zip(contents(text), tags) if tag == own][1:]
    left = [" ".join(w for w in line.split() if w != item) for line in continued]
    if item in words and any(line.startswith(("#", ";")) for line in left):
        # a continuation line cannot start with a comment prefix: refused, not mangled
        event("list: refused")
        with pytest.raises(ConfigError, match="into a comment"):
            remove_list_item(text, section, key, item)
        return
    result = remove_list_item(text, section, key, item)
    if item not in words:
        event("list: item absent")
        assert result == text
        return
    rest = [word for word in words if word != item]
    event("list: items left" if rest else "list: last item, option removed")
    event(f"list: option on {1 + len(continued)} line(s)")
    # (1) only this option changed, and only by losing the item
    after = parse(result)
    expected = edited(parse(text), section, key, None)
    assert edited(after, section, key, None) == expected
    assert [v.split() for v in get_values(result, section, key)] == ([rest] if rest else [])
    # (2) lines of other options, comments and blanks are kept in order; the option's own
    # lines are kept, lose the item or go, where they were (all of them if no item is left)
    lines = contents(result)
    position = 0
    first = tags.index(own)
    for number, (line, tag) in enumerate(zip(contents(text), tags)):
        if tag != own:
            assert lines[position] == line
            position += 1
        elif rest and number == first:  # the option line: same name and delimiter
            clean = line.strip()
            match = configparser.RawConfigParser.OPTCRE.match(clean)
            assert match is not None
            prefix = (indent(line) + clean[: match.start("value")]).rstrip()
            assert lines[position].startswith(prefix)
            kept = [w for w in match.group("value").split() if w != item]
            assert lines[position][len(prefix) :].split() == kept
            position += 1
        elif rest and [w for w in line.split() if w != item]:
            assert indent(lines[position]) == indent(line)
            assert lines[position].split() == [w for w in line.split() if w != item]
            position += 1
    assert position == len(lines)
    assert_layout_kept(text, result)
    # (3) idempotent
    assert remove_list_item(result, section, key, item) == result


def test_internal_scanner_agrees_with_configparser_on_tricky_layouts() -> None:
    """A file with every tricky construct at once, read by the scanner and by configparser."""
    text = (
        "; leading comment\n\n"
        "[DEFAULT]\n  base = 1\n"
        "  [global]\n"
        "    index-url = http://127.0.0.1/simple ; not a comment\n"
        "\t  # comment inside\n"
        "      continued = [install]\n"
        "\n"
        "  cert:/a\n"
        "[install]\n"
        "[DEFAULT]\nlater = 2\n"
    )
    index = "http://127.0.0.1/simple ; not a comment\ncontinued = [install]"
    assert ("global", [("index-url", index), ("cert", "/a")]) in parse(text)
    assert get_values(text, "global", "index-url") == [index]
    result = set_value(text, "install", "cert", "/n")
    assert result.endswith("[install]\ncert = /n\n[DEFAULT]\nlater = 2\n")
    assert confedit.get_values(result, "DEFAULT", "later") == ["2"]
