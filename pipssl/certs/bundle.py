"""Read, check, merge and render PEM CA bundles, with the standard library alone.

A CA file is what pip hands to OpenSSL, so reading follows OpenSSL's rules where it
matters: armour lines must start a line, text around blocks is ignored.  Errors
carry the finding code as ``reference`` so ``diagnose`` can report them directly.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import stat
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple, Union

from pipssl._files import MAX_CA_BYTES
from pipssl.certs.der import first_element, looks_like_private_key
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.errors import BundleError, CertificateError

__all__ = [
    "BundleEntry",
    "dedupe",
    "load_cafile",
    "read_pem",
    "render_bundle",
    "to_pem",
]


_CERT_LABELS = ("CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE")
# OpenSSL only honours armour at the start of a line (crypto/pem/pem_lib.c).
_BEGIN = re.compile(r"^-----BEGIN ([A-Z0-9 ]+)-----[ \t\r]*$", re.MULTILINE)
# A key is looked for anywhere, not just at line starts: refusing too much is safe.
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_WHITESPACE = re.compile(r"\s+")
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def _blocks(text: str) -> List[Tuple[str, Optional[str]]]:
    """Return (label, body) for each armoured block; body is None when END is missing."""
    found: List[Tuple[str, Optional[str]]] = []
    pos = 0
    while True:
        match = _BEGIN.search(text, pos)
        if match is None:
            return found
        label = match.group(1)
        end_marker = f"-----END {label}-----"
        following = _BEGIN.search(text, match.end())
        # Look for END only up to the next BEGIN (an END after it does not count anyway):
        # fuzzing found that searching to the end of the text made a file of BEGIN lines
        # without END quadratic, a minute for 2 MB.
        limit = len(text) if following is None else following.start()
        end = text.find(end_marker, match.end(), limit)
        if end < 0:
            found.append((label, None))  # no END, or the next block starts first
            if following is None:
                return found
            pos = following.start()
        else:
            found.append((label, text[match.end() : end]))
            pos = end + len(end_marker)


def _refuse_private_keys(text: str, source: str) -> None:
    if _PRIVATE_KEY.search(text):
        raise _private_key(source)


def _private_key(source: str) -> BundleError:
    return BundleError(
        f"{source} contains a private key; pipssl refused the file "
        "and did not copy the key anywhere",
        reference="private-key-in-file",
        hint="Give pipssl a file holding only the CA certificate(s); keep the key private.",
    )


def _not_a_certificate(source: str, detail: str) -> BundleError:
    return BundleError(
        f"{source}: {detail}",
        reference="ca-not-a-certificate",
        hint="Export the CA certificate again as PEM (Base-64) and point pipssl at that file.",
    )


def read_pem(data: Union[bytes, str], *, source: str = "<data>") -> List[Certificate]:
    """Parse every certificate block of a PEM text.

    Args:
        data: PEM text (bytes or str); text between blocks is ignored, as OpenSSL does.
        source: how to name the data in error messages (a path, "certifi", ...).

    Returns:
        The certificates in file order (duplicates kept; see :func:`dedupe`).
        Blocks of other kinds (CRLs, public keys) are skipped.

    Raises:
        BundleError: ``private-key-in-file`` when any private key block is present (the
            message never quotes it); ``ca-not-a-certificate`` when a certificate block
            has bad base64, bad DER or no END line.
    """
    # Armour and base64 are ASCII; latin-1 maps every byte, so comments in any
    # encoding cannot make decoding fail.
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    # OpenSSL 3 skips a UTF-8 byte order mark at the very start, and only there.
    for bom in ("\ufeff", "\xef\xbb\xbf"):  # as text, and as bytes read as latin-1
        if text.startswith(bom):
            text = text[len(bom) :]
    return list(_parse_pem(text, source))


@functools.lru_cache(maxsize=32)
def _parse_pem(text: str, source: str) -> Tuple[Certificate, ...]:
    """:func:`read_pem`'s work, once per text: a diagnosis meets certifi's and the OS
    store's roots several times (pip's trust, the clients', the bundle), and parsing them
    is most of its time.  Certificates are frozen, so the same ones can be handed out."""
    _refuse_private_keys(text, source)
    certs: List[Certificate] = []
    number = 0
    for label, body in _blocks(text):
        if label not in _CERT_LABELS:
            continue
        number += 1
        if body is None:
            raise _not_a_certificate(source, f"certificate block {number} has no END line")
        try:
            der = base64.b64decode(_WHITESPACE.sub("", body), validate=True)
        except ValueError:  # binascii.Error, or non-ASCII text
            raise _not_a_certificate(
                source, f"certificate block {number} is not valid base64"
            ) from None
        try:
            if label == "TRUSTED CERTIFICATE":
                # OpenSSL appends its trust settings after the certificate itself.
                der = first_element(der)
            certs.append(_certificate(der))
        except CertificateError as exc:
            raise _not_a_certificate(source, f"certificate block {number}: {exc}") from None
    return tuple(certs)


def _certificate(der: bytes) -> Certificate:
    """:func:`parse_certificate`, once per certificate: the same roots come in certifi,
    pip's copy of it, the distribution's bundle and the OS store's directory."""
    cert = _PARSED.get(der)
    if cert is None:
        cert = parse_certificate(der)
        if len(_PARSED) < _MAX_PARSED:
            _PARSED[der] = cert
    return cert


_PARSED: Dict[bytes, Certificate] = {}
_MAX_PARSED = 4096  # far above any real store; fuzzed input cannot grow it without end


def load_cafile(path: Union[str, os.PathLike[str]]) -> List[Certificate]:
    """Read a CA file the way a user hands it over: PEM bundle or one DER certificate.

    Args:
        path: the file to read.

    Returns:
        Its certificates, in file order (at least one).

    Raises:
        BundleError: with ``reference`` set to the finding code: ``cafile-missing``,
            ``cafile-is-directory``, ``cafile-unreadable`` (permissions, I/O error, not a
            regular file, over 20 MB, UTF-16/32 text), ``cafile-empty`` (nothing but
            text), ``ca-not-a-certificate`` (binary or PEM content that is no
            certificate) or ``private-key-in-file``.
    """
    name = os.fspath(path)
    data = _read_limited(name)
    if not data.strip():
        raise BundleError(
            f"CA file {name} is empty",
            reference="cafile-empty",
            hint="Put the PEM certificate(s) of your CA into it, or point pip elsewhere.",
        )
    if data.startswith(_UTF16_32_BOMS):
        raise BundleError(
            f"CA file {name} is UTF-16/32 text, which OpenSSL cannot read",
            reference="cafile-unreadable",
            hint="Save it again as ASCII or UTF-8 (PEM is plain ASCII).",
        )
    certs = read_pem(data, source=f"CA file {name}")
    if certs:
        return certs
    if data[:1] == b"\x30":
        if looks_like_private_key(data):
            raise _private_key(f"CA file {name}")
        try:
            return [parse_certificate(data)]
        except CertificateError as exc:
            raise _not_a_certificate(f"CA file {name}", str(exc)) from None
    if _blocks(data.decode("latin-1")):
        raise _not_a_certificate(f"CA file {name}", "its PEM blocks hold no certificate")
    try:
        data.decode("utf-8")
        is_text = b"\x00" not in data
    except UnicodeDecodeError:
        is_text = False
    if not is_text:
        raise _not_a_certificate(f"CA file {name}", "binary content that is not a certificate")
    raise BundleError(
        f"CA file {name} holds no certificate",
        reference="cafile-empty",
        hint="A CA file needs '-----BEGIN CERTIFICATE-----' blocks.",
    )


def _read_limited(name: str) -> bytes:
    try:
        info = os.stat(name)
        if stat.S_ISDIR(info.st_mode):
            raise BundleError(
                f"CA file {name} is a directory",
                reference="cafile-is-directory",
                hint="A directory of hashed certificates is a capath; give pip a file.",
            )
        if not stat.S_ISREG(info.st_mode):
            raise BundleError(
                f"CA file {name} is not a regular file", reference="cafile-unreadable"
            )
        if info.st_size > MAX_CA_BYTES:
            raise _too_large(name)  # refused by its size: a huge file is never read
        with open(name, "rb") as handle:
            data = handle.read(MAX_CA_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        raise BundleError(
            f"CA file {name} does not exist",
            reference="cafile-missing",
            hint="Fix the path, or remove the setting that names it.",
        ) from None
    except OSError as exc:
        raise BundleError(
            f"CA file {name} cannot be read: {exc.strerror or exc}",
            reference="cafile-unreadable",
            hint="Check the file's permissions.",
        ) from None
    if len(data) > MAX_CA_BYTES:  # grew since stat()
        raise _too_large(name)
    return data


def _too_large(name: str) -> BundleError:
    return BundleError(
        f"CA file {name} is too large (over 20 MB) to be a CA bundle",
        reference="cafile-unreadable",
    )


def to_pem(cert: Certificate) -> str:
    """Return ``cert`` as a PEM block: standard armour, 64 columns, trailing newline."""
    encoded = base64.b64encode(cert.der).decode("ascii")
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    return "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n".format("\n".join(lines))


def dedupe(certs: Iterable[Certificate]) -> List[Certificate]:
    """Drop repeated certificates (same SHA-256); the first occurrence wins, order kept."""
    seen = set()
    unique: List[Certificate] = []
    for cert in certs:
        if cert.sha256 not in seen:
            seen.add(cert.sha256)
            unique.append(cert)
    return unique


@dataclass(frozen=True)
class BundleEntry:
    """A certificate and where it came from ("certifi", "os-store", "user: /path", ...)."""

    cert: Certificate
    source: str


def _comment(text: str) -> str:
    # Names come from certificates and paths from users: keep each comment on one line
    # and ASCII, so nothing in them can be read as armour or change the file's encoding.
    printable = "".join(ch if ch.isprintable() else "?" for ch in text)
    return printable.encode("ascii", "backslashreplace").decode("ascii")


def render_bundle(entries: Iterable[BundleEntry]) -> str:
    """Render a PEM bundle, one commented block per distinct certificate.

    Args:
        entries: certificates with their sources; for repeated certificates the first
            entry wins. Order is kept, so equal input gives byte-equal output.

    Returns:
        ASCII text: for each certificate the lines ``# source:``, ``# subject:`` and
        ``# sha256:``, then its PEM block, then a blank line.
    """
    seen = set()
    parts: List[str] = []
    for entry in entries:
        cert = entry.cert
        if cert.sha256 in seen:
            continue
        seen.add(cert.sha256)
        parts.append(
            f"# source: {_comment(entry.source)}\n"
            f"# subject: {_comment(str(cert.subject))}\n"
            f"# sha256: {cert.sha256}\n{to_pem(cert)}\n"
        )
    return "".join(parts)


def cafile_problem(path: str) -> Optional[BundleError]:
    """Why pip could not use ``path`` as its CA file, or None when it can."""
    try:
        load_cafile(path)
        with open(path, "rb") as fh:
            pem = b"-----BEGIN CERTIFICATE-----" in fh.read()
    except BundleError as exc:
        return exc
    except OSError as exc:
        return BundleError(f"{path}: {exc.strerror}", reference="cafile-unreadable")
    if not pem:
        # OpenSSL (and so pip) only loads PEM from a CA file.
        return BundleError(
            f"{path} holds a DER certificate; pip needs PEM "
            "(openssl x509 -inform der -in FILE -out FILE.pem)",
            reference="ca-not-a-certificate",
        )
    return None
