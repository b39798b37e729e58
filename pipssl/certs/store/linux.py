"""Linux and other Unix-likes: the CA files and directories OpenSSL itself would read.

OpenSSL's default verify paths (``SSL_CTX_set_default_verify_paths``) are one file and
one directory list, each taken from an environment variable when it is set and from the
paths compiled into OpenSSL otherwise.  When neither variable is set and OpenSSL's
compiled-in file is missing (a Python built against its own OpenSSL, say), the
distribution's well-known bundle is used instead, as pip's truststore and many tools do.
"""

from __future__ import annotations

import os
import re
from typing import Dict, List, Mapping, NamedTuple, Optional, Set, Tuple

from pipssl.certs.bundle import BadBlock
from pipssl.certs.store import OsStore, StoreSource, loadable_text, read_pem_file

#: Well-known CA bundle files; the first existing one is used.  Go's crypto/x509 keeps a
#: similar list (https://go.dev/src/crypto/x509/root_linux.go).
DISTRO_BUNDLES: Tuple[Tuple[str, str], ...] = (
    ("/etc/ssl/certs/ca-certificates.crt", "distro bundle (Debian/Ubuntu/Gentoo/Arch)"),
    ("/etc/pki/tls/certs/ca-bundle.crt", "distro bundle (Fedora/RHEL)"),
    ("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "distro bundle (Fedora/RHEL 7+)"),
    ("/etc/ssl/ca-bundle.pem", "distro bundle (openSUSE)"),
    ("/etc/ssl/cert.pem", "distro bundle (Alpine)"),
    ("/usr/local/share/certs/ca-root-nss.crt", "distro bundle (FreeBSD)"),
)

# OpenSSL's directory lookup reads files named <subject hash>.<n> (by_dir.c); *.pem and
# *.crt are read too because directories such as /etc/ssl/certs hold them by those names.
_HASHED_NAME = re.compile(r"^[0-9a-fA-F]{8}\.[0-9]+$")
_CERT_SUFFIXES = (".pem", ".crt")


class _OpenSSLPaths(NamedTuple):
    cafile_env: str
    capath_env: str
    cafile: Optional[str]
    capath: Optional[str]


def _openssl_paths() -> _OpenSSLPaths:
    """OpenSSL's env var names and compiled-in paths; bare names when ``ssl`` is missing."""
    try:
        import ssl
    except ImportError:
        return _OpenSSLPaths("SSL_CERT_FILE", "SSL_CERT_DIR", None, None)
    paths = ssl.get_default_verify_paths()
    return _OpenSSLPaths(
        paths.openssl_cafile_env,
        paths.openssl_capath_env,
        paths.openssl_cafile or None,
        paths.openssl_capath or None,
    )


def store(environ: Mapping[str, str]) -> OsStore:
    """Read the CA certificates OpenSSL would trust with ``environ``.

    A file or directory named by ``SSL_CERT_FILE``/``SSL_CERT_DIR`` is always listed in
    the sources (an error says when it is missing); compiled-in defaults and distro
    bundles are listed only when they exist.

    Args:
        environ: the environment that ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` are read from.

    Returns:
        An ``OsStore`` with the files and directories consulted, in OpenSSL's order (the
        file, then the directories).
    """
    paths = _openssl_paths()
    # OpenSSL takes a variable that is set, even to "", over its compiled-in path.
    env_file = environ.get(paths.cafile_env)
    env_dir = environ.get(paths.capath_env)
    sources: List[StoreSource] = []
    if env_file is not None:
        sources.append(StoreSource("file", env_file, paths.cafile_env))
    elif paths.cafile is not None and os.path.isfile(paths.cafile):
        sources.append(StoreSource("file", paths.cafile, "openssl default"))
    if env_dir is not None:
        # Like OpenSSL's by_dir.c, the variable may list several directories.
        for directory in [d for d in env_dir.split(os.pathsep) if d] or [""]:
            sources.append(StoreSource("dir", directory, paths.capath_env))
    elif paths.capath is not None and os.path.isdir(paths.capath):
        sources.append(StoreSource("dir", paths.capath, "openssl default"))
    if env_file is None and env_dir is None:
        default_file_found = any(s.kind == "file" for s in sources)
        if not default_file_found:
            for candidate, origin in DISTRO_BUNDLES:
                if os.path.isfile(candidate):
                    sources.append(StoreSource("file", candidate, origin))
                    break
    key = tuple(sources)
    stamp = _stamp(sources)
    cached = _READ.get(key)
    if cached is None or cached[0] != stamp:
        cached = _READ[key] = (stamp, _read_sources(sources))
    return cached[1]


#: The store as last read, per list of sources, with the stamp it was read at: a repair
#: reads it to diagnose, to build the bundle and to verify, and a directory such as
#: /etc/ssl/certs holds hundreds of files.
_READ: Dict[Tuple[StoreSource, ...], Tuple[Tuple[object, ...], OsStore]] = {}


def _stamp(sources: List[StoreSource]) -> Tuple[object, ...]:
    """What changes when the store's files do: each source's and each directory entry's
    size, modification time and inode (a replaced file, an added or removed one)."""
    out: List[object] = []
    for source in sources:
        paths = [source.location]
        if source.kind == "dir" and source.location:
            try:
                paths += sorted(e.path for e in os.scandir(source.location))
            except OSError:
                pass
        for path in paths:
            try:
                info = os.stat(path)
            except OSError:
                out.append((path, None))
                continue
            out.append((path, info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(out)


def _read_sources(sources: List[StoreSource]) -> OsStore:
    errors: List[str] = []
    bad: List[BadBlock] = []
    dropped: List[str] = []
    chunks: List[str] = []
    seen: Set[str] = set()
    for source in sources:
        if not source.location:
            errors.append(f"{source.origin} is set but empty: OpenSSL reads nothing from it")
        elif source.kind == "file":
            chunks.append(_read_file(source.location, errors, bad, dropped, seen))
        else:
            chunks.extend(_read_dir(source, errors, bad, dropped, seen))
    return OsStore(tuple(sources), "".join(chunks), tuple(errors), tuple(bad), tuple(dropped))


def _read_file(
    path: str, errors: List[str], bad: List[BadBlock], dropped: List[str], seen: Set[str]
) -> str:
    """One CA file as OpenSSL loads it: whole, or not at all (by_file.c, by_dir.c)."""
    text = read_pem_file(path, errors, seen)
    return loadable_text(text, path, errors, bad, dropped) if text else ""


def _read_dir(
    source: StoreSource,
    errors: List[str],
    bad: List[BadBlock],
    dropped: List[str],
    seen: Set[str],
) -> List[str]:
    try:
        names = sorted(os.listdir(source.location))
    except OSError as exc:
        errors.append(
            f"{source.location} ({source.origin}): cannot list directory: {exc.strerror or exc}"
        )
        return []
    chunks: List[str] = []
    for name in names:
        if not (_HASHED_NAME.match(name) or name.lower().endswith(_CERT_SUFFIXES)):
            continue
        path = os.path.join(source.location, name)
        chunks.append(_read_file(path, errors, bad, dropped, seen))
    return chunks
