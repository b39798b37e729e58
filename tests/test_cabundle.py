"""pipssl.certs.bundle: PEM reading as OpenSSL does it, CA file findings, bundles, writes."""

from __future__ import annotations

import base64
import os
import re
import stat
import sys
import time
import warnings
from pathlib import Path
from typing import Callable, Dict, List

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pipssl._files import MAX_CA_BYTES, write_atomic
from pipssl.certs import bundle as cabundle
from pipssl.certs.bundle import (
    BundleEntry,
    dedupe,
    load_cafile,
    read_pem,
    render_bundle,
    to_pem,
)
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.errors import BundleError, PipsslError

pytestmark = pytest.mark.once

try:
    import ssl
except ImportError:  # pragma: no cover - the no-ssl case is tested in a subprocess elsewhere
    ssl = None  # type: ignore[assignment]


@pytest.fixture(scope="module")
def pems() -> Dict[str, bytes]:
    root = trustme.CA(organization_name="pipssl bundle root")
    other = trustme.CA(organization_name="pipssl other root")
    intermediate = root.create_child_ca()
    leaf = intermediate.issue_cert("localhost", "127.0.0.1")
    return {
        "root": root.cert_pem.bytes(),
        "other": other.cert_pem.bytes(),
        "intermediate": intermediate.cert_pem.bytes(),
        "leaf": leaf.cert_chain_pems[0].bytes(),
        "leaf-key": leaf.private_key_pem.bytes(),
    }


def der_of(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def expect_error(reference: str, call: Callable[[], object]) -> BundleError:
    with pytest.raises(BundleError) as info:
        call()
    assert info.value.reference == reference, str(info.value)
    assert "\n" not in str(info.value)
    return info.value


# --- read_pem


def test_read_pem_ignores_text_between_blocks(pems: Dict[str, bytes]) -> None:
    data = (
        b"# a bundle with comments \xc3\xa9 and junk\n"
        + pems["root"]
        + b"garbage line\n\x00\xff binary junk\n"
        + b"# -----BEGIN CERTIFICATE----- not at the start of a line, so not armour\n"
        + pems["intermediate"]
        + b"trailing words"
    )
    certs = read_pem(data)
    assert [c.der for c in certs] == [der_of(pems["root"]), der_of(pems["intermediate"])]
    assert read_pem(data.decode("latin-1")) == certs


def test_read_pem_crlf_and_indentation_free_armour(pems: Dict[str, bytes]) -> None:
    crlf = (pems["root"] + pems["leaf"]).replace(b"\n", b"\r\n")
    certs = read_pem(crlf)
    assert [c.der for c in certs] == [der_of(pems["root"]), der_of(pems["leaf"])]
    assert read_pem(b"") == [] and read_pem("just words\n") == []


@pytest.mark.parametrize("space", [" ", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0"])
def test_read_pem_drops_every_whitespace_inside_a_body(pems: Dict[str, bytes], space: str) -> None:
    """The body's whitespace is whatever ``str.isspace()`` says (a bundle is read as
    latin-1), as the regex ``\\s+`` the reader used to strip it with matched."""
    text = pems["root"].decode("ascii")
    lines = text.splitlines(keepends=True)
    lines[2] = lines[2][:10] + space * 2 + lines[2][10:]
    assert [c.der for c in read_pem("".join(lines))] == [der_of(pems["root"])]


def test_whitespace_rule_the_reader_rests_on() -> None:
    """``str.split()`` and the regex ``\\s`` agree on every code point, on every Python."""
    spaces = re.compile(r"\s")
    assert all(bool(spaces.match(chr(p))) == chr(p).isspace() for p in range(0x110000))


def test_read_pem_keeps_duplicates_and_skips_other_blocks(pems: Dict[str, bytes]) -> None:
    public_key = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    certs = read_pem(pems["root"] + public_key + pems["root"])
    assert len(certs) == 2 and certs[0] == certs[1]


def test_trusted_certificate_block(pems: Dict[str, bytes]) -> None:
    der = der_of(pems["root"])
    # OpenSSL's X509_CERT_AUX follows the certificate: here, trust for serverAuth.
    aux = bytes.fromhex("300c300a06082b06010505070301")
    encoded = base64.b64encode(der + aux).decode()
    block = "-----BEGIN TRUSTED CERTIFICATE-----\n{}\n-----END TRUSTED CERTIFICATE-----\n".format(
        "\n".join(encoded[i : i + 64] for i in range(0, len(encoded), 64))
    )
    (cert,) = read_pem(block)
    assert cert.der == der


@pytest.fixture(scope="module")
def private_keys(pems: Dict[str, bytes]) -> Dict[str, bytes]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = serialization.Encoding.PEM
    return {
        "pkcs8": pems["leaf-key"],
        "rsa": rsa_key.private_bytes(
            pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ),
        "ec": ec_key.private_bytes(
            pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ),
        "encrypted": ec_key.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pipssl-test-passphrase"),
        ),
    }


@pytest.mark.parametrize("kind", ["pkcs8", "rsa", "ec", "encrypted"])
def test_private_key_blocks_are_refused_without_echo(
    pems: Dict[str, bytes], private_keys: Dict[str, bytes], kind: str, tmp_path: Path
) -> None:
    key = private_keys[kind]
    assert b"PRIVATE KEY-----" in key
    for data in (pems["root"] + key, key + pems["root"], key, key.replace(b"\n", b"\r\n")):
        error = expect_error(
            "private-key-in-file", lambda data=data: read_pem(data, source="/srv/leaf.pem")
        )
        text = f"{error} {error.hint}"
        assert "/srv/leaf.pem" in text and "did not copy the key anywhere" in text
        for line in key.decode().splitlines()[1:-1]:
            assert line.strip() not in text
    path = tmp_path / "with-key.pem"
    path.write_bytes(pems["root"] + key)
    error = expect_error("private-key-in-file", lambda: load_cafile(path))
    assert str(path) in str(error)


def test_der_private_key_file_is_refused(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "key.der"
    path.write_bytes(key)
    error = expect_error("private-key-in-file", lambda: load_cafile(path))
    assert key.hex()[:40] not in str(error)


@pytest.mark.parametrize(
    ("corrupt", "detail"),
    [
        (lambda block: block.replace(b"\n", b"\n!!", 1), "not valid base64"),
        (lambda block: block.replace(b"\n", b"\nA", 1), "certificate block 2"),  # shifted bits
        (
            lambda _block: b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "certificate block 2",
        ),
        (
            lambda _block: b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            "certificate block 2",
        ),
        (lambda block: block.replace(b"-----END CERTIFICATE-----", b""), "no END line"),
        (lambda block: block.replace(b"END CERTIFICATE", b"END X509 CRL"), "no END line"),
    ],
)
def test_bad_certificate_blocks(
    pems: Dict[str, bytes], corrupt: Callable[[bytes], bytes], detail: str
) -> None:
    data = pems["root"] + corrupt(pems["other"]) + pems["intermediate"]
    error = expect_error("ca-not-a-certificate", lambda: read_pem(data, source="bundle.pem"))
    assert "bundle.pem" in str(error) and "block 2" in str(error) and detail in str(error)


# --- load_cafile


def test_load_cafile_pem_and_der(pems: Dict[str, bytes], tmp_path: Path) -> None:
    pem_path = tmp_path / "ca.pem"
    pem_path.write_bytes(pems["root"] + pems["intermediate"])
    assert [c.der for c in load_cafile(pem_path)] == [
        der_of(pems["root"]),
        der_of(pems["intermediate"]),
    ]
    assert len(load_cafile(str(pem_path))) == 2
    der_path = tmp_path / "ca.der"
    der_path.write_bytes(der_of(pems["root"]))
    (cert,) = load_cafile(der_path)
    assert cert.der == der_of(pems["root"])
    bom = tmp_path / "bom.pem"
    bom.write_bytes(b"\xef\xbb\xbf" + pems["root"])  # Notepad's UTF-8 BOM is harmless
    assert len(load_cafile(bom)) == 1


def test_load_cafile_missing_and_directory(tmp_path: Path) -> None:
    error = expect_error("cafile-missing", lambda: load_cafile(tmp_path / "nope.pem"))
    assert "nope.pem" in str(error)
    plain = tmp_path / "plain"
    plain.write_text("x")
    expect_error("cafile-missing", lambda: load_cafile(plain / "under-a-file.pem"))
    error = expect_error("cafile-is-directory", lambda: load_cafile(tmp_path))
    assert str(tmp_path) in str(error)


@pytest.mark.parametrize(
    "content", [b"", b"\n\r\n  \t", b"# only a comment\n", b"no certificates here, sorry\n"]
)
def test_load_cafile_empty(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "empty.pem"
    path.write_bytes(content)
    error = expect_error("cafile-empty", lambda: load_cafile(path))
    assert str(path) in str(error)


def test_load_cafile_not_a_certificate(pems: Dict[str, bytes], tmp_path: Path) -> None:
    cases = {
        "binary.bin": bytes(range(256)) * 4,
        "nul.txt": b"text with a \x00 NUL\n",
        "not-der.der": b"\x30\x03\x02\x01\x05",
        "truncated.der": der_of(pems["root"])[:-10],
        "pubkey.pem": ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        "bad-block.pem": b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n"
        b"-----END CERTIFICATE-----\n",
    }
    for filename, content in cases.items():
        path = tmp_path / filename
        path.write_bytes(content)
        error = expect_error("ca-not-a-certificate", lambda path=path: load_cafile(path))
        assert filename in str(error)


def test_load_cafile_unreadable(pems: Dict[str, bytes], tmp_path: Path) -> None:
    utf16 = tmp_path / "utf16.pem"
    utf16.write_bytes(pems["root"].decode().encode("utf-16"))  # PowerShell's Out-File
    expect_error("cafile-unreadable", lambda: load_cafile(utf16))

    big = tmp_path / "big.pem"
    with open(big, "wb") as handle:
        handle.truncate(MAX_CA_BYTES + 1)  # sparse: costs no disk space
    error = expect_error("cafile-unreadable", lambda: load_cafile(big))
    assert "too large" in str(error)

    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo.pem"
        os.mkfifo(fifo)
        expect_error("cafile-unreadable", lambda: load_cafile(fifo))  # must not block

    if hasattr(os, "geteuid") and os.geteuid() != 0:
        locked = tmp_path / "locked.pem"
        locked.write_bytes(pems["root"])
        locked.chmod(0)
        try:
            error = expect_error("cafile-unreadable", lambda: load_cafile(locked))
            assert str(locked) in str(error)
        finally:
            locked.chmod(0o600)
    else:
        # root reads through chmod 000, so unreadable content stands in for it
        binary = tmp_path / "binary.crt"
        binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
        expect_error("ca-not-a-certificate", lambda: load_cafile(binary))


# --- certifi, the real thing


def test_installed_certifi_bundle_parses_fast() -> None:
    certifi = pytest.importorskip("certifi")
    data = Path(certifi.where()).read_bytes()
    started = time.perf_counter()
    certs = read_pem(data, source="certifi")
    elapsed = time.perf_counter() - started
    sys.stderr.write(f"certifi: {len(certs)} certificates parsed in {elapsed * 1000:.1f} ms\n")
    assert len(certs) > 100
    assert load_cafile(certifi.where()) == certs
    assert all(c.is_ca and c.self_issued for c in certs)
    unique = dedupe(certs)
    assert dedupe(unique) == unique
    assert dedupe(certs + certs) == unique
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few roots have non-positive serial numbers
        reference = x509.load_pem_x509_certificates(data)
    assert [c.der for c in certs] == [
        r.public_bytes(serialization.Encoding.DER) for r in reference
    ]


# --- writing


def test_to_pem_format(pems: Dict[str, bytes]) -> None:
    cert = parse_certificate(der_of(pems["root"]))
    text = to_pem(cert)
    lines = text.split("\n")
    assert lines[0] == "-----BEGIN CERTIFICATE-----"
    assert lines[-2] == "-----END CERTIFICATE-----" and lines[-1] == ""
    assert all(len(line) == 64 for line in lines[1:-3]) and 0 < len(lines[-3]) <= 64
    assert text == pems["root"].decode()  # cryptography writes the same armour
    assert read_pem(text) == [cert]


def test_dedupe_keeps_first_and_order(pems: Dict[str, bytes]) -> None:
    root, other, leaf = (parse_certificate(der_of(pems[k])) for k in ("root", "other", "leaf"))
    again = parse_certificate(der_of(pems["root"]))
    result = dedupe([root, other, again, leaf, other])
    assert result == [root, other, leaf]
    assert result[0] is root
    assert dedupe([]) == []


def test_render_bundle_round_trip(pems: Dict[str, bytes], tmp_path: Path) -> None:
    root, other, intermediate = (
        parse_certificate(der_of(pems[k])) for k in ("root", "other", "intermediate")
    )
    entries = [
        BundleEntry(root, "certifi"),
        BundleEntry(other, "os-store"),
        BundleEntry(root, "user: /dup.pem"),
        BundleEntry(intermediate, "user: /home/ü/ca.pem\n-----BEGIN CERTIFICATE-----"),
    ]
    text = render_bundle(entries)
    assert text == render_bundle(list(entries))
    assert text.isascii()
    assert read_pem(text) == [root, other, intermediate]
    assert text.count("# source: ") == 3 and "/dup.pem" not in text
    armour = [line for line in text.splitlines() if line.startswith("-----BEGIN")]
    assert len(armour) == 3  # the armour smuggled in a source name stays inside a comment
    assert "# source: user: /home/\\xfc/ca.pem?-----BEGIN CERTIFICATE-----\n" in text
    first = text.split("-----BEGIN CERTIFICATE-----")[0]
    assert first == (f"# source: certifi\n# subject: {root.subject}\n# sha256: {root.sha256}\n")
    for line in text.splitlines():
        assert line.startswith(("#", "-----")) or set(line) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
        )
    assert render_bundle([]) == ""
    if ssl is not None:
        path = tmp_path / "bundle.pem"
        path.write_text(text)
        context = ssl.create_default_context(cafile=str(path))
        assert context.cert_store_stats()["x509_ca"] == 3


def list_dir(path: Path) -> List[str]:
    return sorted(p.name for p in path.iterdir())


def test_write_atomic_mode_and_no_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "bundle.pem"
    old_umask = os.umask(0o077)  # must not make the bundle private to root
    try:
        write_atomic(target, b"first\n")
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == b"first\n"
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
    write_atomic(str(target), b"second\n", mode=0o600)
    assert target.read_bytes() == b"second\n"
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    big = os.urandom(3 * 1024 * 1024)
    write_atomic(target, big)
    assert target.read_bytes() == big
    assert list_dir(tmp_path) == ["bundle.pem"]


def test_write_atomic_failures_leave_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PipsslError) as info:
        write_atomic(tmp_path / "no-such-dir" / "bundle.pem", b"x")
    assert info.value.reference == "write-failed" and "no-such-dir" in str(info.value)

    target = tmp_path / "bundle.pem"
    target.write_bytes(b"old")

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cabundle.os, "replace", refuse)
    with pytest.raises(PipsslError) as info:
        write_atomic(target, b"new")
    assert info.value.reference == "write-failed"
    assert target.read_bytes() == b"old"
    assert list_dir(tmp_path) == ["bundle.pem"]


def test_parsed_certs_are_plain_data(pems: Dict[str, bytes]) -> None:
    cert = read_pem(pems["leaf"])[0]
    assert isinstance(cert, Certificate)
    assert {cert, read_pem(pems["leaf"])[0]} == {cert}
