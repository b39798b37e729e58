"""Linux and other Unix-likes: the CA files and directories a truststore pip reads.

pip >= 24.2 (truststore) asks the target interpreter's ``ssl.get_default_verify_paths()``
(truststore's ``_openssl.py``): when its file exists, or its directory holds hashed
names, OpenSSL's default verify paths are used (``SSL_CTX_set_default_verify_paths``:
one file and a directory list, each from ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set, else
the paths compiled into that OpenSSL; a missing file is skipped without error).
Otherwise the first existing file of truststore's candidate list is the whole store.
``fallback=False`` gives OpenSSL's default paths without that search: what urllib3's
``load_default_certs()`` reads (pip 24.2 - 25.0 behind a proxy).

The paths come from the interpreter pip runs in (:class:`OpenSSLPaths`, read by the
facts child script), since another Python's OpenSSL may be compiled with other paths.
"""

from __future__ import annotations

import os
import re
from typing import Dict, List, Mapping, Optional, Set, Tuple

from pipssl.certs.openssl import HASHED_NAME, OpenSSLPaths, own_paths
from pipssl.certs.pem import BadBlock
from pipssl.certs.store.common import OsStore, StoreSource, loadable_text, read_pem_file

#: truststore's candidates (``_CA_FILE_CANDIDATES``, newest release), in its order; the
#: first existing one is the store when OpenSSL's defaults hold nothing.  (truststore
#: before 0.10.5, in pip 24.2 and 25.0, lacks the Fedora 44+ path.)
DISTRO_BUNDLES: Tuple[Tuple[str, str], ...] = (
    ("/etc/ssl/cert.pem", "distro bundle (Alpine/Arch/Fedora/RHEL 9+/BSD)"),
    ("/etc/pki/tls/cert.pem", "distro bundle (Fedora <= 34, RHEL <= 9)"),
    ("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "distro bundle (Fedora 44+)"),
    ("/etc/ssl/certs/ca-certificates.crt", "distro bundle (Debian/Ubuntu)"),
    ("/etc/ssl/ca-bundle.pem", "distro bundle (SUSE)"),
)

#: truststore's test for "this directory holds certificates" (one digit, as it writes it).
_TRUSTSTORE_HASHED = re.compile(r"^[0-9a-fA-F]{8}\.[0-9]$")


def _truststore_sees_certs(directory: str) -> bool:
    return _any_name(directory, _TRUSTSTORE_HASHED)


def _any_name(directory: str, pattern: re.Pattern[str]) -> bool:
    try:
        return any(pattern.match(name) for name in os.listdir(directory))
    except OSError:
        return False


def store(
    environ: Mapping[str, str], paths: Optional[OpenSSLPaths] = None, *, fallback: bool = True
) -> OsStore:
    """Read the CA certificates a truststore pip (or, without ``fallback``, OpenSSL's
    default paths) would trust with ``environ``.

    Args:
        environ: the environment that ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` are read from.
        paths: the target interpreter's OpenSSL paths (default: pipssl's own).
        fallback: truststore's rule: when OpenSSL's defaults hold nothing, the first
            existing candidate file instead.

    Returns:
        An ``OsStore`` with the files and directories consulted, in OpenSSL's order (the
        file, then the directories).
    """
    paths = paths or own_paths()
    # get_default_verify_paths: a variable that is set (even to "") wins over the
    # compiled-in path; the resolved file counts only when it is a file, the directory
    # only when it is one (the whole value: a list of directories is not).
    env_file = environ.get(paths.cafile_env)
    env_dir = environ.get(paths.capath_env)
    cafile = env_file if env_file is not None else paths.cafile
    capath = env_dir if env_dir is not None else paths.capath
    defaults = not fallback or bool(
        (cafile and os.path.isfile(cafile))
        or (capath and os.path.isdir(capath) and _truststore_sees_certs(capath))
    )
    sources: List[StoreSource] = []
    if defaults:
        if env_file is not None:
            sources.append(StoreSource("file", env_file, paths.cafile_env))
        elif cafile is not None and os.path.isfile(cafile):
            sources.append(StoreSource("file", cafile, "openssl default"))
        if env_dir is not None:
            # Like OpenSSL's by_dir.c, the variable may list several directories.
            for directory in [d for d in env_dir.split(os.pathsep) if d] or [""]:
                sources.append(StoreSource("dir", directory, paths.capath_env))
        elif capath is not None and os.path.isdir(capath):
            sources.append(StoreSource("dir", capath, "openssl default"))
    else:
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


def read_ca_directory(directory: str) -> str:
    """The PEM text of one CA directory as OpenSSL's lookup finds it (hashed names only);
    what cannot be read is left out."""
    source = StoreSource("dir", directory, "CA directory")
    return "".join(_read_dir(source, [], [], [], set()))


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
        if not HASHED_NAME.match(name):
            continue
        path = os.path.join(source.location, name)
        chunks.append(_read_file(path, errors, bad, dropped, seen))
    return chunks
