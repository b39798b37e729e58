"""The real OS trust store, for one command: a private mount namespace over /etc/ssl/certs.

On Linux the OS store is the distribution bundle OpenSSL reads by default
(``/etc/ssl/certs/ca-certificates.crt``; ``/usr/lib/ssl/cert.pem`` and ``/usr/lib/ssl/certs``
are symlinks into that directory).  ``SSL_CERT_FILE``/``SSL_CERT_DIR`` only simulate it, and
pip, truststore and pipssl each treat those variables their own way, so this bed gives a
command the real path with the test's content instead: ``unshare -m`` makes a mount
namespace that dies with the command, and ``mount --bind`` puts the test's directory over
``/etc/ssl/certs`` inside it.  The machine's own files are never written.

The directory holds only ``ca-certificates.crt``, no c_rehash links: OpenSSL loads the
whole default cafile, so the capath (the same directory) adds nothing a pip needs.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

#: The directory OpenSSL's default cafile and capath are in (see the module docstring).
CERTS_DIR = Path("/etc/ssl/certs")
STORE_NAME = "ca-certificates.crt"
#: pip reads these as its global config whatever PIP_CONFIG_FILE names (unless os.devnull;
#: /etc/xdg while XDG_CONFIG_DIRS is unset); this machine's /etc/pip.conf sets ``cert`` to
#: the very bundle mounted here, which would make pip 23 trust the store after all.
GLOBAL_PIP_CONFIGS = (Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf"))
#: The name table a command's own may replace (``prefix(hosts=...)``); never written.
HOSTS = Path("/etc/hosts")


def _script(binds: List[Tuple[Path, Path]]) -> str:
    """A shell script binding each (source, target) read-only, then exec-ing its arguments.

    Read-only, so a command cannot change the test's store or leave a global pip config in
    the stand-in; ``set -e``, so the command never runs with a bind missing.
    """
    lines = ["set -e"]
    for source, target in binds:
        src, dst = shlex.quote(str(source)), shlex.quote(str(target))
        lines.append(f"mount --bind {src} {dst}")
        lines.append(f"mount -o remount,bind,ro {dst}")
    lines.append('exec "$@"')
    return "\n".join(lines)


def _argv(binds: List[Tuple[Path, Path]]) -> List[str]:
    # --propagation private: no mount made inside can reach the machine's namespace.
    return ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", _script(binds)]


@functools.lru_cache(maxsize=None)
def why_unavailable() -> Optional[str]:
    """Say why the bed cannot work here, or None when it can (tried once, for real).

    The trial binds a directory holding a marker over /etc/ssl/certs and reads the marker
    through the namespace, then checks the machine's directory does not show it.
    """
    if not sys.platform.startswith("linux"):
        return f"a private mount namespace needs Linux, not {sys.platform}"
    for tool in ("unshare", "mount"):
        if shutil.which(tool) is None:
            return f"no {tool} command on PATH"
    if not CERTS_DIR.is_dir():
        return f"{CERTS_DIR} is not a directory here"
    with tempfile.TemporaryDirectory(prefix="pipssl-osstore-probe-") as tmp:
        marker = Path(tmp) / "pipssl-marker"
        marker.write_text("mounted\n")
        try:
            proc = subprocess.run(
                [*_argv([(Path(tmp), CERTS_DIR)]), "probe", "cat", str(CERTS_DIR / marker.name)],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return f"unshare -m could not run: {exc}"
        if proc.returncode != 0 or proc.stdout != "mounted\n":
            who = "root" if os.geteuid() == 0 else f"uid {os.geteuid()} (not root)"
            return f"unshare -m + mount --bind failed as {who}: {proc.stderr.strip()}"
    if (CERTS_DIR / marker.name).exists():
        return f"the trial bind leaked into this machine's {CERTS_DIR}"
    return None


class MountedOsStore:
    """A test's own /etc/ssl/certs (and empty global pip configs) for commands run through
    :meth:`prefix`.

    Attributes:
        root: the test's directory.
        certs_dir: ``root/etc-ssl-certs``, bound over /etc/ssl/certs.
        store: ``certs_dir/ca-certificates.crt``, the OS store as every command sees it.
        empty_conf: ``root/empty-pip.conf``, bound over each global pip config that exists.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.certs_dir = root / "etc-ssl-certs"
        self.store = self.certs_dir / STORE_NAME
        self.empty_conf = root / "empty-pip.conf"
        self.certs_dir.mkdir(parents=True, exist_ok=True)
        self.empty_conf.write_bytes(b"")
        self.set()

    @staticmethod
    def available() -> bool:
        """True when the bed works here (``why_unavailable()`` says why not)."""
        return why_unavailable() is None

    def set(self, *pems: bytes, certifi_roots: bool = True) -> Path:
        """Rewrite the store from scratch: certifi's roots (as a distribution carries the
        Mozilla roots), then ``pems`` in order.  May be called again between commands.

        Returns:
            The store's file.
        """
        data = b""
        if certifi_roots:
            import certifi

            data = Path(certifi.where()).read_bytes()
        for pem in pems:
            data += (b"" if not data or data.endswith(b"\n") else b"\n") + pem
        # Replaced, not rewritten in place: a command never reads half a store.
        fresh = self.certs_dir / f".{STORE_NAME}.new"
        fresh.write_bytes(data)
        fresh.chmod(0o644)
        os.replace(fresh, self.store)
        return self.store

    def prefix(self, hosts: Sequence[str] = ()) -> List[str]:
        """An argv prefix that runs a command with this store as /etc/ssl/certs and each
        existing global pip config hidden behind an empty file, e.g. for
        ``run_pipssl(..., prefix=store.prefix())`` or ``pip_download(..., prefix=...)``.

        Args:
            hosts: names that resolve to 127.0.0.1 inside (an /etc/hosts of the test's own
                over the machine's): a loopback host pip does not know as loopback.
        """
        binds = [(self.certs_dir, CERTS_DIR)]
        binds += [(self.empty_conf, conf) for conf in GLOBAL_PIP_CONFIGS if conf.is_file()]
        if hosts:
            table = self.root / "hosts"
            lines = ["127.0.0.1 localhost", "::1 localhost", *(f"127.0.0.1 {h}" for h in hosts)]
            table.write_text("\n".join(lines) + "\n")
            binds.append((table, HOSTS))
        return [*_argv(binds), "pipssl-os-store"]
