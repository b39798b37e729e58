"""Read, check, merge and render PEM CA bundles, with the standard library alone.

A CA file is what pip hands to OpenSSL, so reading follows OpenSSL's rules where it
matters (the blocks themselves are read by :mod:`pipssl.certs.pem`).  Errors carry the
finding code as ``reference`` so ``diagnose`` can report them directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, List, Optional, Union

from pipssl import _files
from pipssl._text import shown
from pipssl.certs.der import looks_like_private_key
from pipssl.certs.openssl import holds_hashed_names
from pipssl.certs.pem import (  # noqa: F401  (_parse_pem, _PARSED, _BY_BODY: the benchmarks reset them)
    _BY_BODY,
    _PARSED,
    BadBlock,
    PemScan,
    _blocks,
    _not_a_certificate,
    _parse_pem,
    _private_key,
    read_pem,
    scan_pem,
    to_pem,
)
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.errors import BundleError, CertificateError

__all__ = [
    "BadBlock",
    "BundleEntry",
    "PemScan",
    "dedupe",
    "load_cafile",
    "read_pem",
    "render_bundle",
    "scan_pem",
    "to_pem",
]


_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


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
            hint="Put the PEM certificates of your CA into it, or point pip elsewhere.",
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
        return _files.read_file(name, _files.CA_FILE)
    except _files.FileRefused as exc:
        raise _refused(exc) from None


def _refused(exc: _files.FileRefused) -> BundleError:
    """The CA file error (its reference: the finding code) for a file the reader refused."""
    message = f"CA file {shown(exc.path, 4096)} {exc.problem}"
    if exc.why == _files.MISSING:
        hint = "Fix the path, or remove the setting that names it."
        return BundleError(message, reference="cafile-missing", hint=hint)
    if exc.why == _files.DIRECTORY:
        hint = "A directory of hashed certificates is a capath; give pip a file."
        return BundleError(message, reference="cafile-is-directory", hint=hint)
    if exc.why == _files.TOO_LARGE:
        message = f"CA file {shown(exc.path, 4096)} is too large (over 20 MB) to be a CA bundle"
        hint = "A CA bundle is a few hundred KB of PEM text."
    elif exc.why == _files.SPECIAL:
        hint = "Give the path of a regular PEM file."
    else:
        hint = "Check the file's permissions."
    return BundleError(message, reference="cafile-unreadable", hint=hint)


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


def ca_setting_problem(path: str) -> Optional[BundleError]:
    """Why pip could not use ``path`` given as its ``cert`` (or a bundle variable), or None.

    A directory is a CA directory (requests hands it to OpenSSL as ``capath``): unusable
    only when it holds no ``<subject hash>.<n>`` name for OpenSSL to look up.  A file is
    judged by :func:`cafile_problem`.
    """
    if os.path.isdir(path):
        if holds_hashed_names(path):
            return None
        return BundleError(
            f"{path} is a CA directory in which OpenSSL finds no certificate "
            "(no <subject hash>.<n> names; openssl rehash makes them)",
            reference="cafile-empty",
        )
    return cafile_problem(path)


def cafile_problem(path: str) -> Optional[BundleError]:
    """Why pip could not use ``path`` as its CA file, or None when it can."""
    try:
        load_cafile(path)
        pem = b"-----BEGIN CERTIFICATE-----" in _read_limited(path)
    except BundleError as exc:
        return exc
    if not pem:
        # OpenSSL (and so pip) only loads PEM from a CA file.
        return BundleError(
            f"{path} holds a DER certificate; pip needs PEM "
            "(openssl x509 -inform der -in FILE -out FILE.pem)",
            reference="ca-not-a-certificate",
        )
    return None
