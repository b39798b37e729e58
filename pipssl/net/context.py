"""The TLS context every pipssl connection uses: the only place TLS defaults are set.

Each option carries the reason it is set (or not), the way urllib3's ``util/ssl_.py``
does: a diagnosis is only worth something when our handshake accepts exactly what pip's
would, no more and no less.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Set, Tuple

from pipssl import _files
from pipssl.certs import bundle, store
from pipssl.certs.openssl import special_hashed_name
from pipssl.errors import PipsslError

if TYPE_CHECKING:
    import ssl


def ssl_module() -> Any:
    """Import ``ssl`` late: pipssl must import (and diagnose) where it is missing."""
    import ssl  # noqa: PLC0415 ssl may be missing

    return ssl


@dataclass(frozen=True)
class VerifyPolicy:
    """What a client checks beyond its CA material, where clients differ from pip (whose
    vendored urllib3 1.26 sets none of it): :mod:`pipssl.clients.profile` decides which
    client uses which.

    Attributes:
        strict: ``VERIFY_X509_STRICT``: OpenSSL's RFC 5280 profile checks (a CA's
            basicConstraints critical, an Authority Key Identifier, ...).
        partial_chain: ``VERIFY_X509_PARTIAL_CHAIN``: a trusted intermediate is an anchor.
        common_name: fall back to the subject's CN when the certificate has no
            subjectAltName of the host's kind.
    """

    strict: bool = False
    partial_chain: bool = False
    common_name: bool = True


#: pip's: OpenSSL's defaults, with the CN fallback Python's ssl keeps on.
PIP_POLICY = VerifyPolicy()
# The flag values, for a Python whose ssl module does not name them (3.8, 3.9).
_X509_STRICT = 0x20
_X509_PARTIAL_CHAIN = 0x80000


def make_context(
    cafiles: Sequence[str] = (),
    cadata: Optional[str] = None,
    *,
    capaths: Sequence[str] = (),
    client_cert: Optional[str] = None,
    verify: bool = True,
    maximum_version: Optional[str] = None,
    policy: VerifyPolicy = PIP_POLICY,
) -> ssl.SSLContext:
    """The client TLS context every pipssl connection uses, built once per trust set: each
    index of a diagnosis (pip's default index and its file host, say) and each client that
    trusts the same material shares one, since loading a bundle into OpenSSL 3 costs
    tens of milliseconds.  A CA file that changed on disk gives a new context.

    Args:
        cafiles: PEM files to trust (pip's ``cert``, a bundle, certifi).
        cadata: PEM text to trust as well (e.g. the OS store's roots).
        capaths: CA directories to trust (a ``cert`` that is a c_rehash directory).
        client_cert: pip's ``client-cert``, one PEM file with certificate and key, to
            present when the server asks.
        verify: False only for the classification handshake, which reads the peer's
            chain and never carries data.
        maximum_version: ``"TLSv1_2"`` to force the chain into the clear.
        policy: the client's verify flags and host name rule (default: pip's).

    Returns:
        An ``ssl.SSLContext`` with pip's defaults: TLS >= 1.2, CERT_REQUIRED and
        host name checking (when ``verify``), no system defaults loaded implicitly.

    Raises:
        ImportError: there is no usable ssl module.
        OSError / ssl.SSLError: a CA file or the client certificate cannot be loaded.
    """
    key = (
        _stamped(cafiles),
        cadata,
        _stamped(capaths),
        _stamped([client_cert] if client_cert else []),
        verify,
        maximum_version,
        policy,
    )
    ctx = _BUILT.get(key)
    if ctx is not None:
        return ctx
    # Probes run side by side (each index, each client): the first to need a trust set
    # builds its context, the others wait for it rather than load the same bundle again.
    with _BUILDING_LOCK:
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:
        ctx = _BUILT.get(key)
        if ctx is None:
            ctx = _built(cafiles, cadata, capaths, client_cert, verify, maximum_version, policy)
            _BUILT[key] = ctx
    return ctx


def _built(
    cafiles: Sequence[str],
    cadata: Optional[str],
    capaths: Sequence[str],
    client_cert: Optional[str],
    verify: bool,
    maximum_version: Optional[str],
    policy: VerifyPolicy,
) -> ssl.SSLContext:
    ctx = _build(cafiles, cadata, verify, maximum_version)
    if verify:
        for directory in capaths:
            # Looked up by subject hash at each handshake, as requests has OpenSSL do.
            _regular_entries(directory)
            ctx.load_verify_locations(capath=directory)
        _apply(ctx, policy)
    if client_cert:
        # requests passes pip's client-cert as the certfile alone: the key is in it.
        # OpenSSL opens it itself: a FIFO would block it, a device never end.
        _regular(client_cert, _files.CLIENT_CERT)
        ctx.load_cert_chain(client_cert)
    return ctx


def _apply(ctx: ssl.SSLContext, policy: VerifyPolicy) -> None:
    """Check what the client checks: neither more nor less than its own context would."""
    flags = (_X509_STRICT if policy.strict else 0) | (
        _X509_PARTIAL_CHAIN if policy.partial_chain else 0
    )
    if flags:
        ctx.verify_flags |= flags
    # urllib3 2 and webpki never match a host against the CN; ssl's default still does.
    ctx.hostname_checks_common_name = policy.common_name


_BUILT: Dict[Tuple[object, ...], ssl.SSLContext] = {}
#: One lock per trust set being built (kept: a few per process), and the lock over them.
_BUILDING: Dict[Tuple[object, ...], threading.Lock] = {}
_BUILDING_LOCK = threading.Lock()


def _stamped(cafiles: Sequence[str]) -> Tuple[Tuple[str, object], ...]:
    out: List[Tuple[str, object]] = []
    for path in cafiles:
        try:
            info = os.stat(path)
        except OSError:
            out.append((path, None))  # loading it raises, as it should, every time
            continue
        out.append((path, (info.st_size, info.st_mtime_ns, info.st_ino)))
    return tuple(out)


def _build(
    cafiles: Sequence[str], cadata: Optional[str], verify: bool, maximum_version: Optional[str]
) -> ssl.SSLContext:
    mod = ssl_module()
    # PROTOCOL_TLS_CLIENT: the client side, highest version both ends know; it starts with
    # CERT_REQUIRED and check_hostname on, as urllib3 (inside pip) verifies. Unlike
    # ssl.create_default_context() it loads no CA on its own (see below).
    ctx: ssl.SSLContext = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    # pip (urllib3) refuses anything older than TLS 1.2; so do we.
    ctx.minimum_version = mod.TLSVersion.TLSv1_2
    if maximum_version:
        # Only the unverified chain-reading handshake caps the version: in TLS 1.2 the
        # server's Certificate message travels in clear, so the tap can read it.
        ctx.maximum_version = getattr(mod.TLSVersion, maximum_version)
    if not verify:
        # check_hostname must go first: ssl refuses CERT_NONE while it is on. Such a
        # context only reads the peer's chain; no request is ever sent on it.
        ctx.check_hostname = False
        ctx.verify_mode = mod.CERT_NONE
        return ctx
    # Exactly the CA material pip would use, and no load_default_certs(): the OS defaults
    # would make us trust what pip does not and hide the very failure we diagnose.
    # OpenSSL 3 takes about 0.2 ms for each certificate it loads, and the sources repeat
    # one another (pip's certifi, a distribution bundle, the OS store's file and its
    # directory): each certificate is loaded once.  The first CA file goes to OpenSSL as
    # a file, as pip gives it; a file pipssl cannot read goes as it is too, so that OpenSSL
    # says why; the rest only adds what is not loaded yet.
    loaded: Set[bytes] = set()
    for path in cafiles:
        certs = _certificates(path=path)
        if not loaded or certs is None:
            if certs is None:
                _regular(path, _files.CA_FILE)
            ctx.load_verify_locations(cafile=path)
            loaded.update(certs or ())
        else:
            _add(ctx, certs, loaded)
    if cadata:
        # The OS store's roots, for pips that verify with truststore as well.
        certs = _certificates(pem=cadata)
        if certs is None:
            ctx.load_verify_locations(cadata=cadata)
        else:
            _add(ctx, certs, loaded)
    return ctx


def _regular(path: str, kind: _files.Kind) -> None:
    """Raise ValueError (a file that cannot be loaded, caught as OpenSSL's own errors are)
    for a path that is no regular file or is too large, before OpenSSL opens it."""
    try:
        _files.check_file(path, kind)
    except _files.FileRefused as exc:
        if exc.why in (_files.SPECIAL, _files.TOO_LARGE):
            raise ValueError(exc.message) from None


def _regular_entries(directory: str) -> None:
    """Raise ValueError when a CA directory holds a hashed name OpenSSL would block on."""
    special = special_hashed_name(directory)
    if special is not None:
        raise ValueError(f"CA directory {directory}: {special} is not a regular file")


def _certificates(*, path: str = "", pem: str = "") -> Optional[List[bytes]]:
    """The DER certificates of a CA file or a PEM text (parsed once per process), or None
    when pipssl cannot read them."""
    try:
        certs = bundle.load_cafile(path) if path else bundle.read_pem(pem, source=store.LABEL)
    except PipsslError:
        return None
    return [c.der for c in certs]


def _add(ctx: ssl.SSLContext, certs: List[bytes], loaded: Set[bytes]) -> None:
    new = [der for der in dict.fromkeys(certs) if der not in loaded]
    if new:
        ctx.load_verify_locations(cadata=b"".join(new))
        loaded.update(new)
