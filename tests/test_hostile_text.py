"""A hostile network or file cannot steer pipssl's output.

Certificate subjects, host names, URLs, a proxy's status line, a server's answer, pip's own
quoted lines, file names and config values reach pipssl's text only through
``pipssl._text.shown`` (one line, escaped, capped), and every text the CLI writes passes
``pipssl._text.screen`` last.  So no value from outside can print a control character (a
terminal escape, BEL, CR, U+202E) or a line of its own (a forged ``fix:``).  And the
credential redaction, which reads the same text, runs in time linear in it.

The first part checks the functions' properties with hypothesis; the second sends hostile
values through every text path of the CLI, on loopback.
"""

from __future__ import annotations

import re
import time
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipssl._redact import redact
from pipssl._text import LIMIT, screen, shown

PROPS = settings(
    max_examples=300, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)

#: The characters that must never reach a terminal as themselves.
_UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def unsafe(text: str, *, keep: str = "") -> list[str]:
    """The characters of ``text`` that do not print as themselves (``keep`` allowed)."""
    return [
        c
        for c in text
        if c not in keep
        and (unicodedata.category(c) in _UNSAFE_CATEGORIES or (c.isspace() and c != " "))
    ]


FORGED = "\n  fix:\n    pip config set global.trusted-host x"
HOSTILE = "\x1b[2J\x1b]0;owned\x07\x1b[8m\r" + FORGED + "\u202e\u2028\x85\x00"


# -- shown() and screen() --------------------------------------------------------------------


@pytest.mark.once
@PROPS
@given(st.text(alphabet=st.characters(), max_size=600))
def test_shown_is_one_visible_capped_line(value: str) -> None:
    out = shown(value)
    assert unsafe(out) == []
    assert "\n" not in out and "\r" not in out
    if len(value) <= LIMIT:
        assert "more characters]" not in out or "more characters]" in value
    else:
        assert out.endswith(f"...[{len(value) - LIMIT} more characters]")
        # each character escapes to at most 10 (\Uxxxxxxxx)
        assert len(out) <= LIMIT * 10 + len(f"...[{len(value)} more characters]")


@pytest.mark.once
@PROPS
@given(st.text(alphabet=st.characters(), max_size=600))
def test_screen_keeps_line_feeds_only(text: str) -> None:
    out = screen(text)
    assert unsafe(out, keep="\n") == []
    assert out.count("\n") == text.count("\n")
    if text.isprintable():
        assert out == text


@pytest.mark.once
def test_shown_escapes_the_hostile_examples() -> None:
    out = shown(HOSTILE)
    assert out.startswith("\\x1b[2J\\x1b]0;owned\\x07")
    assert "\\r\\n  fix:\\n" in out and "\\u202e\\u2028\\x85\\x00" in out
    assert shown("pip.example.test/simple/") == "pip.example.test/simple/"


# -- redact() --------------------------------------------------------------------------------

# The pattern redact() used before: the reference for what it must still do.
_OLD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/@\s]+)@")


def _old_redact(text: str) -> str:
    def mask(m: re.Match[str]) -> str:
        user, sep, _ = m.group("userinfo").partition(":")
        return f"{m.group('scheme')}{user}:****@" if sep else f"{m.group('scheme')}****@"

    return _OLD.sub(mask, text)


_URL_BITS = st.sampled_from(
    ["https", "http", "git+https", "a1", "1a", "://", ":", "/", "@", "user", ":pw", " ", "\t",
     "\u2028", "\x1c", "h.test", "x", ".", "+", "-", "é"]
)  # fmt: skip


@pytest.mark.once
@PROPS
@given(st.lists(_URL_BITS, max_size=24).map("".join))
def test_redact_equals_the_old_pattern(text: str) -> None:
    assert redact(text) == _old_redact(text)


@pytest.mark.once
@PROPS
@given(st.text(alphabet=st.characters(), max_size=80))
def test_redact_equals_the_old_pattern_on_any_text(text: str) -> None:
    assert redact(text) == _old_redact(text)


@pytest.mark.once
def test_redact_masks_as_before() -> None:
    assert redact("https://user:secret@h.test/simple") == "https://user:****@h.test/simple"
    assert redact("see https://TOKEN@h.test/ and http://a:b@c/") == (
        "see https://****@h.test/ and http://a:****@c/"
    )
    assert redact("https://h.test/a@b") == "https://h.test/a@b"


def _seconds(text: str) -> float:
    start = time.perf_counter()
    redact(text)
    return time.perf_counter() - start


@pytest.mark.once
@pytest.mark.parametrize(
    "unit",
    [
        "a",  # a long word: the old scheme pattern was tried from every letter
        "Could not fetch URL x: ",
        "https://",  # schemes with no userinfo after them
        "x://" + "b" * 50,  # userinfo never closed by an @
        "a\u202e\x1b",
    ],
)
def test_redact_runs_in_linear_time(unit: str) -> None:
    small = unit * (1_000 // len(unit) + 1)
    big = unit * (1_000_000 // len(unit) + 1)
    _seconds(small)  # warm up
    t_small = min(_seconds(small) for _ in range(5))
    t_big = min(_seconds(big) for _ in range(2))
    assert t_big < 1.0
    # 1000 times the text: linear is ~1000 times the time; quadratic would be 10^6
    assert t_big < max(t_small, 1e-5) * 20_000


# -- the other patterns read on text from outside ----------------------------------------------


def _fast(call: object, text: str) -> None:
    start = time.perf_counter()
    call(text)  # type: ignore[operator]
    assert time.perf_counter() - start < 1.0


@pytest.mark.once
def test_pip_answer_parse_is_linear_on_a_long_quoted_reason() -> None:
    from pipssl.target.askpip import parse

    # a proxy's reason quoted in pip's line, holding pip's own words many times over
    page = "https://h.test/simple/pipssl-reachability-check/"
    line = f"Could not fetch URL {page}: " + "Could not fetch URL x: " * 40_000
    _fast(parse, "Looking in indexes: https://h.test/simple\n" + line + "\n")
    answer = parse(
        "Looking in indexes: https://h.test/simple\n"
        f"Could not fetch URL {page}: There was a problem confirming the ssl certificate: bad"
        " - skipping\n"
    )
    assert [(r.index, r.reached) for r in answer.reaches] == [("https://h.test/simple", False)]


@pytest.mark.once
@PROPS
@given(st.lists(st.sampled_from(["0", "a", "f", ":", ".", "g", "1"]), max_size=20).map("".join))
def test_ip_host_pattern_as_before(host: str) -> None:
    from pipssl.diagnosis.checks import _IP_HOST

    old = re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*", host)
    assert bool(_IP_HOST.fullmatch(host)) == bool(old)


@pytest.mark.once
def test_ip_host_pattern_is_linear() -> None:
    from pipssl.diagnosis.checks import _IP_HOST

    _fast(_IP_HOST.fullmatch, ":" * 200_000 + "g")


_REQ_BITS = ["a", " ", "\t", "#", "-", "=", "\u2003"]


@pytest.mark.once
@PROPS
@given(st.lists(st.sampled_from(_REQ_BITS), max_size=20).map("".join))
def test_requirement_part_as_before(line: str) -> None:
    from pipssl.wheelhouse.installing import _requirement_part

    assert _requirement_part(line) == re.split(r"\s+(?:#|-)", line, maxsplit=1)[0].strip()


@pytest.mark.once
def test_requirement_part_is_linear() -> None:
    from pipssl.wheelhouse.installing import _requirement_part

    _fast(_requirement_part, "a" + " " * 200_000 + "b")
