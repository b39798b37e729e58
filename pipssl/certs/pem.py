"""Read the certificate blocks of a PEM text as OpenSSL does, with the standard library.

Armour lines must start a line and text around blocks is ignored (OpenSSL's rules).  Each
certificate block that cannot be read is kept as a :class:`BadBlock` (where, why, and
whether OpenSSL rejects it too) instead of ending the read: an OS store reports such a
block and reads on, a CA file pip is given fails as OpenSSL makes it fail.
"""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

from pipssl._text import shown
from pipssl.certs.der import first_element
from pipssl.certs.x509 import Certificate, parse_certificate
from pipssl.errors import BundleError, CertificateError

__all__ = ["BadBlock", "PemScan", "read_pem", "scan_pem", "to_pem"]


_CERT_LABELS = ("CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE")
# OpenSSL only honours armour at the start of a line (crypto/pem/pem_lib.c).
_BEGIN = re.compile(r"^-----BEGIN ([A-Z0-9 ]+)-----[ \t\r]*$", re.MULTILINE)
_BEGIN_WORDS = "-----BEGIN "  # what every match of _BEGIN starts with
# A key is looked for anywhere, not just at line starts: refusing too much is safe.
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def _blocks(text: str) -> List[Tuple[str, int, Optional[str]]]:
    """Return (label, offset of BEGIN, body) for each armoured block; body is None when
    END is missing."""
    found: List[Tuple[str, int, Optional[str]]] = []
    pos = 0
    while True:
        match = _begin(text, pos)
        if match is None:
            return found
        label = match.group(1)
        end_marker = f"-----END {label}-----"
        following = _begin(text, match.end())
        # Look for END only up to the next BEGIN (an END after it does not count anyway):
        # fuzzing found that searching to the end of the text made a file of BEGIN lines
        # without END quadratic, a minute for 2 MB.
        limit = len(text) if following is None else following.start()
        end = text.find(end_marker, match.end(), limit)
        if end < 0:
            found.append((label, match.start(), None))  # no END, or the next block starts first
            if following is None:
                return found
            pos = following.start()
        else:
            found.append((label, match.start(), text[match.end() : end]))
            pos = end + len(end_marker)


def _begin(text: str, pos: int) -> Optional[re.Match[str]]:
    """The first BEGIN armour line at or after ``pos``: ``_BEGIN.search(text, pos)``, found
    by its words first (a search from every position of a line-anchored pattern was the
    most costly step of reading a bundle)."""
    while True:
        at = text.find(_BEGIN_WORDS, pos)
        if at < 0:
            return None
        if at == 0 or text[at - 1] == "\n":  # where ``^`` matches in MULTILINE mode
            match = _BEGIN.match(text, at)
            if match is not None:
                return match
        pos = at + 1


def _refuse_private_keys(text: str, source: str) -> None:
    if _PRIVATE_KEY.search(text):
        raise _private_key(source)


def _private_key(source: str) -> BundleError:
    return BundleError(
        f"{source} contains a private key; pipssl refused the file "
        "and did not copy the key anywhere",
        reference="private-key-in-file",
        hint="Give pipssl a file holding only the CA certificates; keep the key private.",
    )


def _not_a_certificate(source: str, detail: str) -> BundleError:
    return BundleError(
        f"{source}: {detail}",
        reference="ca-not-a-certificate",
        hint="Export the CA certificate again as PEM (Base-64) and point pipssl at that file.",
    )


@dataclass(frozen=True)
class BadBlock:
    """A certificate block of a PEM text that pipssl could not read.

    Attributes:
        source: the text's name (a path, "certifi", ...).
        number: the block's place among the text's certificate blocks, from 1.
        line: the line its BEGIN armour is on, from 1.
        reason: why it could not be read ("not valid base64", "has no END line", ...).
        openssl_rejects: True when OpenSSL cannot load it either; OpenSSL then refuses the
            whole file (measured: pip 23.0 and 24.2 fail with "[X509] PEM lib" on a CA file
            with one such block, and OpenSSL's default paths drop such a file silently).
            False for a certificate OpenSSL loads but pipssl's parser cannot model.
    """

    source: str
    number: int
    line: int
    reason: str
    openssl_rejects: bool

    def describe(self) -> str:
        """``SOURCE: certificate block N (line L) REASON``, one line."""
        return (
            f"{shown(self.source)}: certificate block {self.number} (line {self.line}) "
            f"{shown(self.reason)}"
        )


@dataclass(frozen=True)
class PemScan:
    """Every certificate block of a PEM text: the certificates read, the blocks not."""

    certs: Tuple[Certificate, ...]
    bad: Tuple[BadBlock, ...]

    @property
    def openssl_loads(self) -> bool:
        """Whether OpenSSL loads this text as a CA file (no block it rejects)."""
        return not any(b.openssl_rejects for b in self.bad)


def read_pem(data: Union[bytes, str], *, source: str = "<data>") -> List[Certificate]:
    """Parse every certificate block of a PEM text, as OpenSSL loads a CA file.

    Args:
        data: PEM text (bytes or str); text between blocks is ignored, as OpenSSL does.
        source: how to name the data in error messages (a path, "certifi", ...).

    Returns:
        The certificates in file order (duplicates kept; see :func:`dedupe`).
        Blocks of other kinds (CRLs, public keys) are skipped, and so is a certificate
        OpenSSL loads but pipssl cannot read (:func:`scan_pem` names it).

    Raises:
        BundleError: ``private-key-in-file`` when any private key block is present (the
            message never quotes it); ``ca-not-a-certificate`` when a certificate block
            is one OpenSSL rejects (bad base64, bad DER, no END line): OpenSSL then loads
            nothing of the file, so neither does pipssl.  The message names the block.
    """
    scan = scan_pem(data, source=source)
    for bad in scan.bad:
        if bad.openssl_rejects:
            raise _not_a_certificate(
                source, f"certificate block {bad.number} (line {bad.line}) {bad.reason}"
            )
    return list(scan.certs)


def scan_pem(data: Union[bytes, str], *, source: str = "<data>", cached: bool = True) -> PemScan:
    """Read every certificate block of a PEM text, keeping the ones that cannot be read
    apart instead of failing on the first (an OS store reports them and reads on).

    ``cached=False`` for texts met once (each file of an OS store directory): they would
    push certifi's and the whole store's texts out of the cache.

    Raises:
        BundleError: ``private-key-in-file``, as :func:`read_pem`.
    """
    # Armour and base64 are ASCII; latin-1 maps every byte, so comments in any
    # encoding cannot make decoding fail.
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    # OpenSSL 3 skips a UTF-8 byte order mark at the very start, and only there.
    for bom in ("\ufeff", "\xef\xbb\xbf"):  # as text, and as bytes read as latin-1
        if text.startswith(bom):
            text = text[len(bom) :]
    return _parse_pem(text, source) if cached else _scan(text, source)


@functools.lru_cache(maxsize=32)
def _parse_pem(text: str, source: str) -> PemScan:
    """:func:`_scan`, once per text: a diagnosis meets certifi's and the OS store's roots
    several times (pip's trust, the clients', the bundle), and parsing them is most of its
    time.  Certificates are frozen, so the same ones can be handed out."""
    return _scan(text, source)


def _scan(text: str, source: str) -> PemScan:
    _refuse_private_keys(text, source)
    certs: List[Certificate] = []
    bad: List[BadBlock] = []
    number = 0
    line, counted = 1, 0  # the line number of offset ``counted``
    for label, start, body in _blocks(text):
        if label not in _CERT_LABELS:
            continue
        number += 1
        read = _read_block(label, body)
        if isinstance(read, Certificate):
            certs.append(read)
        else:
            # Counted on from the last bad block: counting from the start each time was
            # quadratic on a text of many BEGIN lines without END.
            line += text.count("\n", counted, start)
            counted = start
            bad.append(BadBlock(source, number, line, read[0], read[1]))
    return PemScan(tuple(certs), tuple(bad))


def _read_block(label: str, body: Optional[str]) -> Union[Certificate, Tuple[str, bool]]:
    """One certificate block's certificate, or why not and whether OpenSSL rejects it."""
    if body is None:
        return "has no END line", True
    known = _BY_BODY.get((label, body))
    if known is not None:
        return known
    read = _decoded(label, body)
    if (
        isinstance(read, Certificate)
        and len(body) <= _MAX_KEPT_BODY
        and len(_BY_BODY) < _MAX_PARSED
    ):
        _BY_BODY[(label, body)] = read
    return read


def _decoded(label: str, body: str) -> Union[Certificate, Tuple[str, bool]]:
    try:
        # str.split() drops exactly what the regex \s+ matches (str.isspace(), checked on
        # every code point), about ten times faster: a diagnosis reads a thousand blocks
        der = base64.b64decode("".join(body.split()), validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        return "is not valid base64", True
    try:
        if label == "TRUSTED CERTIFICATE":
            # OpenSSL appends its trust settings after the certificate itself.
            der = first_element(der)
        return _certificate(der)
    except CertificateError as exc:
        if _openssl_loads(der):
            return f"is a certificate OpenSSL loads but pipssl cannot read ({exc})", False
        return f"is not a certificate: {exc}", True


def _openssl_loads(der: bytes) -> bool:
    """Whether OpenSSL loads ``der`` as a CA certificate (False without ``ssl``: then
    nothing verifies with it anyway).  Asked only of a block pipssl's parser refused."""
    try:
        import ssl  # noqa: PLC0415 ssl may be missing
    except ImportError:
        return False
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=der)
    except (ssl.SSLError, ValueError):
        return False
    return True


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
#: The same, by the block's own text: a root met again in the same armour (certifi, pip's
#: copy, the distribution's bundle, the OS store's files) is not even decoded again.
_BY_BODY: Dict[Tuple[str, str], Certificate] = {}
_MAX_PARSED = 4096  # far above any real store; fuzzed input cannot grow either without end
_MAX_KEPT_BODY = 16 << 10  # characters; a root is about 2,000: a huge one is not kept


def to_pem(cert: Certificate) -> str:
    """Return ``cert`` as a PEM block: standard armour, 64 columns, trailing newline."""
    encoded = base64.b64encode(cert.der).decode("ascii")
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    return "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n".format("\n".join(lines))
