"""Scrubbed environments for tests, and a guard over the machine's real pip config files.

The real environment is captured at import time, before any fixture rewrites ``os.environ``,
so the guard and ``find_pythons`` always see the machine as it really is.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, MutableMapping, Optional, Tuple

REAL_ENVIRON: Dict[str, str] = dict(os.environ)
REAL_HOME = Path(os.path.expanduser("~"))

# Variables that bend imports or interpreter selection in child Pythons.
_PYTHON_VARS = {
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONUSERBASE",
    "PYTHONPLATLIBDIR",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "__PYVENV_LAUNCHER__",
}
# Variables that change which certificates OpenSSL or a client library trusts.
_TLS_EXACT = {"GIT_SSL_CAINFO", "GIT_SSL_CAPATH", "OPENSSL_CONF", "SSLKEYLOGFILE"}
_TLS_FRAGMENTS = ("CA_BUNDLE", "CA_CERT", "SSL_CERT_", "SSL_ROOTS")


def is_scrubbed_name(name: str) -> bool:
    """Tell whether an environment variable must not reach a test.

    Args:
        name: the variable name, any case.

    Returns:
        True for pip settings, CA bundle/certificate locations, proxies and import-bending
        Python variables.
    """
    upper = name.upper()
    if upper.startswith("PIP_") or upper in _PYTHON_VARS or upper in _TLS_EXACT:
        return True
    if upper.endswith("_PROXY") or upper in {"NO_PROXY", "ALL_PROXY"}:
        return True
    return any(fragment in upper for fragment in _TLS_FRAGMENTS)


def isolated_dirs(root: Path) -> Dict[str, Path]:
    """Name the per-test directories that stand in for the user's home and config dirs.

    Args:
        root: the test's private directory.

    Returns:
        A mapping of environment variable name to directory.
    """
    home = root / "home"
    return {
        "HOME": home,
        "USERPROFILE": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CONFIG_DIRS": root / "xdg-config-dirs",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_CACHE_HOME": home / ".cache",
        "APPDATA": home / "AppData" / "Roaming",
        "LOCALAPPDATA": home / "AppData" / "Local",
    }


def scrubbed_environ(root: Path, base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Build an environment for a test or a subprocess that cannot see the machine's pip setup.

    Args:
        root: a private directory; home and config directories are created inside it.
        base: the environment to start from (default: the current ``os.environ``).

    Returns:
        A new dict: scrubbed variables removed, home/XDG/APPDATA under ``root``,
        ``PIP_CONFIG_FILE`` at ``root/pip-env.conf`` (not created) and the pip version
        check disabled.
    """
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not is_scrubbed_name(k)}
    for name, directory in isolated_dirs(root).items():
        directory.mkdir(parents=True, exist_ok=True)
        env[name] = str(directory)
    env["PIP_CONFIG_FILE"] = str(root / "pip-env.conf")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # The real pip runs `rustc --version` for its user agent; rustup's proxy would write
    # its settings into the test's home. Rust's own home is not pip's setup: keep it.
    for name, leaf in (("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo")):
        real = Path(source.get("HOME", "/nonexistent")) / leaf
        if name not in env and real.is_dir():
            env[name] = str(real)
    return env


class IsolatedEnv:
    """What the ``isolated_env`` fixture returns: the private dirs and a pip config writer."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = isolated_dirs(root)["HOME"]
        self.pip_config_file = root / "pip-env.conf"

    @property
    def environ(self) -> MutableMapping[str, str]:
        """The live ``os.environ``; pass it (or a copy) to subprocesses."""
        return os.environ

    def pip_conf_path(self, where: str = "env") -> Path:
        """Where pip looks for a config file of the given kind inside this environment.

        Args:
            where: "env" (PIP_CONFIG_FILE), "user", "user-legacy" or "global".

        Returns:
            The path (which may not exist).

        Raises:
            ValueError: for an unknown ``where``.
        """
        dirs = isolated_dirs(self.root)
        paths = {
            "env": self.pip_config_file,
            "user": dirs["XDG_CONFIG_HOME"] / "pip" / "pip.conf",
            "user-legacy": self.home / ".pip" / "pip.conf",
            "global": dirs["XDG_CONFIG_DIRS"] / "pip" / "pip.conf",
        }
        if where not in paths:
            raise ValueError(f"unknown pip config location {where!r}; use one of {sorted(paths)}")
        return paths[where]

    def write_pip_conf(self, text: str, where: str = "env") -> Path:
        """Write a pip config file of the given kind.

        Args:
            text: the whole file content.
            where: "env", "user", "user-legacy" or "global" (under the temp XDG_CONFIG_DIRS).

        Returns:
            The path written.

        Raises:
            ValueError: for an unknown ``where``.
        """
        path = self.pip_conf_path(where)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


def real_pip_config_files(prefixes: Iterable[Path] = ()) -> List[Path]:
    """List every pip config file of this machine that a test could touch by mistake.

    Args:
        prefixes: extra interpreter prefixes whose ``pip.conf`` (site config) to include.

    Returns:
        Paths, existing or not, without duplicates.
    """
    env = REAL_ENVIRON
    candidates = [Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf")]
    for directory in env.get("XDG_CONFIG_DIRS", "").split(os.pathsep):
        if directory:
            candidates.append(Path(directory) / "pip" / "pip.conf")
    config_home = Path(env.get("XDG_CONFIG_HOME") or REAL_HOME / ".config")
    candidates += [
        REAL_HOME / ".pip" / "pip.conf",
        REAL_HOME / ".config" / "pip" / "pip.conf",
        config_home / "pip" / "pip.conf",
    ]
    if env.get("PIP_CONFIG_FILE"):
        candidates.append(Path(env["PIP_CONFIG_FILE"]))
    for prefix in [Path(sys.prefix), Path(sys.base_prefix), *prefixes]:
        candidates.append(prefix / "pip.conf")
    unique: List[Path] = []
    for path in candidates:
        if path not in unique and str(path) != os.devnull:
            unique.append(path)
    return unique


FileState = Tuple[bool, str, int]


def snapshot(paths: Iterable[Path]) -> Dict[Path, FileState]:
    """Record (exists, sha256, mtime_ns) of each file.

    Args:
        paths: the files to record.

    Returns:
        A mapping from path to its state.
    """
    states: Dict[Path, FileState] = {}
    for path in paths:
        try:
            data = path.read_bytes()
            states[path] = (True, hashlib.sha256(data).hexdigest(), path.stat().st_mtime_ns)
        except FileNotFoundError:
            states[path] = (False, "", 0)
        except OSError as exc:  # unreadable: still compare that it stays the same
            states[path] = (True, f"unreadable: {exc.__class__.__name__}", 0)
    return states


def changed_files(before: Mapping[Path, FileState]) -> List[str]:
    """Compare files against an earlier snapshot.

    Args:
        before: a result of :func:`snapshot`.

    Returns:
        One message per changed file (empty when nothing changed).
    """
    after = snapshot(before)
    messages = []
    for path, old in before.items():
        new = after[path]
        if new != old:
            messages.append(f"{path}: (exists, sha256, mtime_ns) was {old}, is now {new}")
    return messages
