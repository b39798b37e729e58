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

import contextlib
import datetime
import ipaddress
import json
import os
import re
import socket
import subprocess
import threading
import time
import unicodedata
import warnings
from pathlib import Path
from typing import Dict, Iterator

import pytest
from bed.certs import CA_KEY_USAGE, ServerCert
from bed.isolation import IsolatedEnv
from bed.world import World
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from targets import run_pipssl

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
@given(st.text(alphabet=st.characters(), max_size=600), st.integers(0, 600))
def test_shown_is_one_visible_capped_line(value: str, limit: int) -> None:
    out = shown(value, limit=limit)
    assert unsafe(out) == []
    assert "\n" not in out and "\r" not in out
    text = redact(value)  # shown() masks credentials first
    if len(text) <= limit:
        assert "more characters]" not in out or "more characters]" in value
    else:
        assert out.endswith(f"...[{len(text) - limit} more characters]")
        # each character escapes to at most 10 (\Uxxxxxxxx)
        assert len(out) <= limit * 10 + len(f"...[{len(text)} more characters]")


@pytest.mark.once
def test_shown_caps_at_the_default_limit_and_keeps_a_path_whole() -> None:
    path = "/" + "p" * (LIMIT - 1)
    assert shown(path) == path
    assert shown("A" * 60_000).endswith(f"...[{60_000 - LIMIT} more characters]")
    assert shown("https://user:secret@h.test/" + "x" * LIMIT).startswith("https://user:****@")


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
    from pipssl.interpreter.piplog import parse

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
    from pipssl.diagnosis.localsetup import _IP_HOST

    old = re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*", host)
    assert bool(_IP_HOST.fullmatch(host)) == bool(old)


@pytest.mark.once
def test_ip_host_pattern_is_linear() -> None:
    from pipssl.diagnosis.localsetup import _IP_HOST

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


# -- end to end: hostile values through every text path of the CLI ----------------------------
#
# The hostile value: terminal escapes (clear screen, set the title, conceal), BEL, CR, a
# forged "fix:" block with a trusted-host command, U+202E, a line separator, NEL and NUL.
# Certificates hold it in their subject; a proxy in its status line; files in their names.


def _text_out(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def assert_clean(text: str) -> None:
    """No character that steers a terminal, and no line the hostile value forged."""
    assert unsafe(text, keep="\n") == [], [c for c in unsafe(text, keep="\n")][:5]
    for line in text.splitlines():
        assert not line.strip().startswith("pip config set global.trusted-host"), line
        assert "\x1b" not in line and "\u202e" not in line


def _hostile_name(role: str) -> x509.Name:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the length, on purpose
        return _name(role)


def _name(role: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pipssl tests"),
            # longer than a CN may be (64): OpenSSL and pipssl read it all the same
            x509.NameAttribute(NameOID.COMMON_NAME, f"{role} {HOSTILE}", _validate=False),
        ]
    )


@pytest.fixture(scope="module")
def hostile_chain() -> ServerCert:
    """A root CA and a loopback leaf whose subjects both carry :data:`HOSTILE`; the server
    sends the leaf and the root (a CA pipssl would offer to trust, by fingerprint)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    day = datetime.timedelta(days=1)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _hostile_name("Root CA")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - day)
        .not_valid_after(now + 365 * day)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(CA_KEY_USAGE, True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_hostile_name("server"))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - day)
        .not_valid_after(now + 90 * day)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    leaf_pem, root_pem = leaf.public_bytes(pem), root.public_bytes(pem)
    return ServerCert("hostile", leaf_pem + root_pem, key_pem, leaf_pem, root_pem)


def _hostile_conf(directory: Path) -> Path:
    """An empty pip config file whose name holds the hostile value (NUL left out)."""
    conf = directory / f"pip{HOSTILE.replace(chr(0), '')}.conf"
    conf.write_text("[global]\n")
    return conf


def _sha256(pem: bytes) -> str:
    from pipssl.certs.bundle import read_pem

    (cert,) = read_pem(pem)
    return cert.sha256


@pytest.mark.slow
def test_doctor_shows_a_hostile_certificate_subject_as_one_escaped_line(
    venvs: Dict[str, Path], pip_world: World, hostile_chain: ServerCert
) -> None:
    index = pip_world.index(hostile_chain)
    proc = run_pipssl("doctor", "--python", str(venvs["legacy"]), "--index-url", index.url)
    assert proc.returncode == 1, proc.stderr
    text = _text_out(proc)
    assert "untrusted-issuer-unknown" in text
    assert_clean(text)
    # shown, not dropped: the subject is there, every character of it visible
    assert "\\x1b[2J\\x1b]0;owned\\x07\\x1b[8m\\r\\n  fix:\\n    pip config set" in text
    # JSON keeps its keys, and the finding's prose holds the shown form
    proc = run_pipssl(
        "doctor", "--json", "--python", str(venvs["legacy"]), "--index-url", index.url
    )
    data = json.loads(proc.stdout)
    assert list(data) == ["schema", "ok", "python", "pip", "findings", "targets", "actions",
                          "clients"]  # fmt: skip
    found = next(f for f in data["findings"] if f["code"] == "untrusted-issuer-unknown")
    assert "\\n  fix:\\n" in found["detail"] and "\n  fix:" not in found["detail"]


@pytest.mark.slow
def test_repair_plan_result_forget_and_undo_list_show_hostile_values_escaped(
    venvs: Dict[str, Path], pip_world: World, hostile_chain: ServerCert, tmp_path: Path
) -> None:
    """The plan shown before repair asks (no terminal: with its "To apply:" line), the
    result, forget's list and plan, and undo --list, with a CA whose subject is hostile and
    a pip config file whose name is."""
    pip_world.os_store()
    os.environ["PIP_CONFIG_FILE"] = str(_hostile_conf(tmp_path))
    python = venvs["legacy"]
    index = pip_world.index(hostile_chain, python)
    sha = _sha256(hostile_chain.ca_pem)
    repair = ["repair", "--python", str(python), "--index-url", index.url, "--accept-ca", sha]
    asked = run_pipssl(*repair)
    assert asked.returncode == 1 and "To apply:" in _text_out(asked), _text_out(asked)
    assert_clean(_text_out(asked))
    assert "\\x1b]0;owned" in _text_out(asked)  # the config file's name, shown
    done = run_pipssl(*repair[:1], "--yes", *repair[1:])
    assert done.returncode == 0, _text_out(done)
    assert_clean(_text_out(done))
    listed = run_pipssl("forget")
    assert listed.returncode == 0 and sha.lower() in _text_out(listed).lower()
    assert_clean(_text_out(listed))
    assert "\\n  fix:\\n" in _text_out(listed)  # the CA's subject, shown
    data = json.loads(run_pipssl("forget", "--json").stdout)
    assert HOSTILE in data["consented"][0]["subject"]  # JSON: the exact value
    withdraw = run_pipssl("forget", "--python", str(python), sha)
    assert withdraw.returncode == 1 and "To apply:" in _text_out(withdraw)
    assert_clean(_text_out(withdraw))
    journal = run_pipssl("undo", "--list")
    assert journal.returncode == 0 and "\\x1b]0;owned" in _text_out(journal)
    assert_clean(_text_out(journal))
    undone = run_pipssl("undo")
    assert undone.returncode == 0, _text_out(undone)
    assert_clean(_text_out(undone))


def test_doctor_shows_hostile_pip_config_values_escaped(
    venvs: Dict[str, Path], pip_world: World
) -> None:
    """A cert value continued over lines (configparser joins them with line feeds) that
    forges a fix block, and a trusted-host with terminal escapes."""
    pip_world.isolated.write_pip_conf(
        "[global]\ncert = /nonexistent/ca.pem\n  fix:\n    pip config set global.trusted-host x\n"
        "trusted-host = evil\x1b]0;owned\x07\x1b[8m.test\u202e\n"
    )
    index = pip_world.index("good")
    proc = run_pipssl(
        "doctor", "--quick", "--python", str(venvs["legacy"]), "--index-url", index.url
    )
    text = _text_out(proc)
    assert "cafile-missing" in text and "insecure-trusted-host" in text, text
    assert_clean(text)
    assert "/nonexistent/ca.pem\\nfix:\\npip config set" in text


@contextlib.contextmanager
def _hostile_proxy(status_line: bytes, lifetime: float = 60.0) -> Iterator[str]:
    """A proxy on 127.0.0.1 that answers every CONNECT with ``status_line``; it stops by
    itself after ``lifetime`` seconds."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = time.monotonic() + lifetime
    done = threading.Event()

    def serve() -> None:
        while not done.is_set() and time.monotonic() < stop:
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(4096)
                    conn.sendall(status_line + b"\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        done.set()
        thread.join(5)


def test_a_proxy_status_line_of_60000_characters_is_quick_and_escaped(
    venvs: Dict[str, Path], isolated_env: IsolatedEnv
) -> None:
    reason = b"\x1b[2J\x07\xe2\x80\xae" + b"A" * 60_000
    with _hostile_proxy(b"HTTP/1.1 403 " + reason) as url:
        os.environ["HTTPS_PROXY"] = url
        start = time.monotonic()
        proc = run_pipssl(
            "doctor", "--quick", "--timeout", "3", "--python", str(venvs["legacy"]),
            "--index-url", "https://127.0.0.1:9/simple/", timeout=120,
        )  # fmt: skip
        took = time.monotonic() - start
    text = _text_out(proc)
    assert "proxy-denied" in text, text[:2000]
    assert took < 30, took
    assert_clean(text)
    assert "more characters]" in text  # the status line, capped


def test_run_shows_its_plan_with_hostile_values_escaped(
    venvs: Dict[str, Path], pip_world: World, hostile_chain: ServerCert, tmp_path: Path
) -> None:
    pip_world.os_store()
    os.environ["PIP_CONFIG_FILE"] = str(_hostile_conf(tmp_path))
    python = venvs["legacy"]
    index = pip_world.index(hostile_chain, python)
    sha = _sha256(hostile_chain.ca_pem)
    pip = [str(python.parent / "pip"), "download", "--no-deps", "--no-cache-dir", "--retries"]
    pip += ["0", "-d", str(tmp_path / "dl"), "-i", index.url, "pipssl_probe_pkg"]
    proc = run_pipssl("run", "--accept-ca", sha, "--", *pip)
    assert proc.returncode != 0 and "To apply:" in proc.stderr, proc.stderr
    assert_clean(proc.stderr)  # pipssl's own text; stdout is pip's, passed through as is
    assert "\\x1b]0;owned" in proc.stderr  # the config file's name, in the plan


@pytest.mark.once
def test_wheelhouse_names_a_hostile_bundle_path_escaped(
    isolated_env: IsolatedEnv, tmp_path: Path
) -> None:
    hostile = str(tmp_path / f"bundle{HOSTILE.replace(chr(0), '').replace('/', '')}.zip")
    for command in (["verify", hostile], ["install", hostile, "x"]):
        proc = run_pipssl("wheelhouse", *command)
        assert proc.returncode == 2, _text_out(proc)
        assert "does not exist" in proc.stderr
        assert_clean(_text_out(proc))
    Path(hostile).write_bytes(b"not a zip \x1b[2J")
    proc = run_pipssl("wheelhouse", "verify", hostile)
    assert proc.returncode == 2 and "not a readable zip" in proc.stderr
    assert_clean(_text_out(proc))


@pytest.mark.once
@pytest.mark.parametrize(
    "word",
    [
        "plain-word",
        "two words",
        "/tmp/ca" + FORGED + ".pem",
        HOSTILE.replace("\x00", ""),  # no shell word holds NUL
        "it's a \\ back'slash",
        "\x85é\u2028\U0001f600",
        "a\udcffb",  # an undecodable byte of a file name (surrogateescape)
        "\x1bc\u202e1f",  # an escape followed by what could read as more hex digits
    ],
)
def test_a_printed_command_word_is_one_line_and_reads_back_as_itself(word: str) -> None:
    """A path or URL in a pasteable command: one printable line, and the shell reads back
    the very same word (not its escaped, different spelling)."""
    from pipssl.commands import quote

    quoted = quote(word)
    assert quoted.isprintable() and unsafe(quoted) == []
    proc = subprocess.run(
        ["bash", "-c", "printf %s " + quoted],
        capture_output=True,
        timeout=30,
        env={"LC_ALL": "C.UTF-8", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        check=True,
    )
    assert proc.stdout == word.encode("utf-8", "surrogateescape")
