"""Where pip looks for its config files, per kind, platform and pip release.

Modelled on pip's ``utils/appdirs.py`` and the platformdirs it vendors (pip 23.0 ... 26.3),
computed from an explicit environment, platform string, interpreter prefix and pip release
rather than from the running interpreter, so that another interpreter (or another OS, or
another pip) can be described.  Which of these files pip then reads, and what it finds in
them, is :mod:`pipssl.interpreter.pipconfig`'s business.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re
import sys
from typing import Dict, List, Mapping, Optional, Tuple

# The kinds of config file, lowest precedence first (pip's "variants"); ENV is the file
# PIP_CONFIG_FILE names.
GLOBAL = "global"
USER = "user"
SITE = "site"
ENV = "env"
FILE_KINDS = (GLOBAL, USER, SITE, ENV)

# pip releases whose file locations changed, from pip's source history. pip vendors
# platformdirs, so a platformdirs change reaches pip users in the pip release that vendors it.
_PIP_PLATFORMDIRS_4 = (24, 1)  # XDG_CONFIG_DIRS entries no longer "~"-expanded; Homebrew dirs
_PIP_SPLITS_MACOS_SITE_DIRS = (25, 1)  # https://github.com/pypa/pip/issues/12903
_PIP_HOMEBREW_OPT_PYTHON = (25, 3)  # platformdirs 4.5: any "<prefix>/opt/python*" install
_PIP_XDG_EVERYWHERE = (26, 2)  # platformdirs 4.10: XDG_* on macOS, WIN_PD_OVERRIDE_*, stripping
_PIP_XDG_ABSOLUTE = (26, 3)  # platformdirs 4.12: only absolute XDG paths, empty HOME unset
_PIP_HOMEBREW_BASE_PREFIX = (26, 3)  # platformdirs 4.12
NEWEST = (10**6,)
#: The releases above, oldest first: each one's rules hold up to the next.
RULE_CHANGES = tuple(
    sorted(
        {
            _PIP_PLATFORMDIRS_4,
            _PIP_SPLITS_MACOS_SITE_DIRS,
            _PIP_HOMEBREW_OPT_PYTHON,
            _PIP_XDG_EVERYWHERE,
            _PIP_XDG_ABSOLUTE,
        }
    )
)  # the pip_version that stands for "the newest rules"
# platformdirs >= 4.12 spots a Homebrew Python by its framework build, which a venv keeps as
# sys.base_prefix.
_HOMEBREW_PYTHON = re.compile(
    r"(?P<prefix>.+)/opt/python[^/]*/Frameworks/Python\.framework/Versions/[^/]+"
)


class Host:
    """The platform pip would run on: path flavour, environment, prefixes, pip release."""

    def __init__(
        self,
        environ: Optional[Mapping[str, str]],
        platform: Optional[str],
        prefix: Optional[str],
        base_prefix: Optional[str],
        pip_version: Optional[Tuple[int, ...]],
    ) -> None:
        self.platform = sys.platform if platform is None else platform
        # pip's WINDOWS flag; Python's os.path is ntpath on exactly these platforms.
        self.windows = self.platform.startswith("win")
        self.path = ntpath if self.windows else posixpath
        source = os.environ if environ is None else environ
        # Windows environment names are case-insensitive and os.environ upper-cases them.
        self.env = {(k.upper() if self.windows else k): v for k, v in source.items()}
        self.prefix = sys.prefix if prefix is None else prefix
        if base_prefix is None:
            base_prefix = sys.base_prefix if prefix is None else prefix
        self.base_prefix = base_prefix
        self.pip = NEWEST if pip_version is None else tuple(pip_version)
        self.basename = "pip.ini" if self.windows else "pip.conf"
        self.devnull = "nul" if self.windows else "/dev/null"

    def expanduser(self, path: str, empty_home_unset: bool = False) -> str:
        """``os.path.expanduser`` of a ``~`` or ``~/...`` path, for this host's environment.

        ``empty_home_unset``: platformdirs >= 4.12 falls back to the password database for an
        empty ``HOME`` where ``os.path.expanduser`` would give ``/``.
        """
        env = self.env
        if not (path == "~" or path.startswith(("~/", "~\\"))):
            return path
        if self.windows:
            if "USERPROFILE" in env:
                home = env["USERPROFILE"]
            elif "HOMEPATH" in env:
                home = ntpath.join(env.get("HOMEDRIVE", ""), env["HOMEPATH"])
            else:
                return path
            return home + path[1:]
        if "HOME" in env and not (empty_home_unset and not env["HOME"]):
            home = env["HOME"]
        else:
            try:
                import pwd  # noqa: PLC0415 POSIX only

                home = pwd.getpwuid(os.getuid()).pw_dir
            except (ImportError, KeyError, AttributeError):
                return path
        return (home.rstrip("/") + path[1:]) or "/"

    def xdg_dir(self, name: str) -> Optional[str]:
        """A single-path XDG variable as this pip's platformdirs reads it; None if unset."""
        raw = self.env.get(name, "")
        if self.pip >= _PIP_XDG_ABSOLUTE:
            return raw.strip() if posixpath.isabs(raw.strip()) else None
        if self.pip >= _PIP_XDG_EVERYWHERE:
            return raw.strip() or None
        return raw if raw.strip() else None  # older ones keep the blanks around a value

    def xdg_dirs(self, name: str) -> Optional[List[str]]:
        """A path-list XDG variable as this pip's platformdirs reads it; None if unset."""
        raw = self.env.get(name, "")
        if self.pip >= _PIP_XDG_ABSOLUTE:
            dirs = [d.strip() for d in raw.split(":") if posixpath.isabs(d.strip())]
            return dirs or None
        if not raw.strip():
            return None
        if self.pip >= _PIP_XDG_EVERYWHERE:
            return [d for d in raw.strip().split(":") if d.strip()]  # [] for " : "
        if self.pip < _PIP_PLATFORMDIRS_4:
            return [self.expanduser(d) for d in raw.split(":")]
        return raw.split(":")  # empty entries too: they give a relative "pip" directory

    def win_folder(self, override: str, fallback: str) -> str:
        """A shell folder the way platformdirs asks Windows for it, from the environment.

        pip asks the shell (CSIDL/KNOWNFOLDERID); the variables hold the same paths.
        """
        value = self.env.get(f"WIN_PD_OVERRIDE_{override}", "").strip()
        if self.pip >= _PIP_XDG_ABSOLUTE:
            drive, tail = ntpath.splitdrive(value)
            qualified = drive.startswith(("\\", "/")) or (
                bool(drive) and tail.startswith(("\\", "/"))
            )
            if qualified:
                return ntpath.normpath(value)
        elif self.pip >= _PIP_XDG_EVERYWHERE and value:
            return ntpath.normpath(value)
        return ntpath.normpath(fallback)

    def homebrew_prefix(self) -> Optional[str]:
        if self.pip >= _PIP_HOMEBREW_BASE_PREFIX:
            match = _HOMEBREW_PYTHON.fullmatch(self.base_prefix)
            return match.group("prefix") if match else None
        if self.pip >= _PIP_HOMEBREW_OPT_PYTHON:
            return self.prefix.split("/opt/python")[0] if "/opt/python" in self.prefix else None
        if self.pip >= _PIP_PLATFORMDIRS_4 and self.prefix.startswith("/opt/homebrew"):
            return "/opt/homebrew"
        return None

    def global_dirs(self) -> List[str]:
        if self.windows:
            data = self.env.get("PROGRAMDATA") or self.env.get("ALLUSERSPROFILE")
            return [
                ntpath.join(self.win_folder("COMMON_APPDATA", data or "C:\\ProgramData"), "pip")
            ]
        # pip splits platformdirs' ":"-joined answer, and 26.2's answer for a list of blank
        # entries is "", which splits into one empty directory name.
        if self.platform == "darwin":
            xdg = self.xdg_dirs("XDG_DATA_DIRS") if self.pip >= _PIP_XDG_EVERYWHERE else None
            if xdg is not None:
                return [posixpath.join(d, "pip") for d in xdg] or [""]
            brew = self.homebrew_prefix()
            dirs = [] if brew is None else [f"{brew}/share/pip"]
            dirs.append("/Library/Application Support/pip")
            # Older pips took the ":"-joined answer for one directory.
            return dirs if self.pip >= _PIP_SPLITS_MACOS_SITE_DIRS else [":".join(dirs)]
        xdg = self.xdg_dirs("XDG_CONFIG_DIRS")
        dirs = [posixpath.join(d, "pip") for d in (["/etc/xdg"] if xdg is None else xdg)]
        return (dirs or [""]) + ["/etc"]

    def user_dir(self) -> str:
        strict_home = self.pip >= _PIP_XDG_ABSOLUTE
        if self.windows:
            appdata = self.env.get("APPDATA") or ntpath.join(
                self.expanduser("~"), "AppData", "Roaming"
            )
            return ntpath.join(self.win_folder("APPDATA", appdata), "pip")
        if self.platform == "darwin":
            # pip's appdirs: the user data dir if it exists, else ~/.config/pip.
            data_home = self.xdg_dir("XDG_DATA_HOME") if self.pip >= _PIP_XDG_EVERYWHERE else None
            if data_home is None:
                data_home = self.expanduser("~/Library/Application Support", strict_home)
            library = posixpath.join(data_home, "pip")
            return library if os.path.isdir(library) else self.expanduser("~/.config/pip")
        config_home = self.xdg_dir("XDG_CONFIG_HOME")
        if config_home is None:
            config_home = self.expanduser("~/.config", strict_home)
        return posixpath.join(config_home, "pip")

    def candidates(self) -> Dict[str, List[str]]:
        """The paths pip looks for per file kind (global, user, site), lowest first."""
        join = self.path.join
        legacy = join(self.expanduser("~"), "pip" if self.windows else ".pip", self.basename)
        return {
            GLOBAL: [join(d, self.basename) for d in self.global_dirs()],
            USER: [legacy, join(self.user_dir(), self.basename)],
            SITE: [join(self.prefix, self.basename)],
        }
