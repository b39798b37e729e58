"""Where a repair writes: the pip config file of the scope asked, and pipssl's bundle.

Scopes, as pip names its config kinds: ``user`` (the user's pip.conf), ``site`` (the
virtualenv's), ``global`` (the machine's), and ``env`` (the file ``PIP_CONFIG_FILE`` names,
which pip reads instead of the user files); ``auto`` picks the one this pip reads.
"""

from __future__ import annotations

import os
import stat
from typing import Callable, Literal, Mapping, Tuple

from pipssl import _dirs
from pipssl._text import shown
from pipssl.errors import PipsslError, UsageError
from pipssl.interpreter import pipconfig
from pipssl.interpreter.facts import Target

#: What a user asks a repair for (``--scope``): a config file kind, or ``auto``.
Scope = Literal["auto", "user", "site", "global"]
#: The kind of pip config file a repair edits (``env``: the one PIP_CONFIG_FILE names).
ConfigKind = Literal["user", "site", "global", "env"]

SCOPES: Tuple[Scope, ...] = ("auto", "user", "site", "global")
BUNDLE_NAME = "ca-bundle.pem"


def bundle_path(scope: str, target: Target, environ: Mapping[str, str]) -> str:
    """pipssl's own bundle for ``scope``: a file no other tool writes.

    Raises:
        PipsslError: ``unsafe-bundle-path`` when that file, or its ``pipssl`` directory,
            exists as a symbolic link or as something other than a regular file/directory.
    """
    path = bundle_location(scope, target.platform, environ, target.prefix)
    _refuse_planted(os.path.dirname(path), stat.S_ISDIR, "a directory")
    _refuse_planted(path, stat.S_ISREG, "a regular file")
    return path


def _refuse_planted(path: str, kind_ok: Callable[[int], bool], kind: str) -> None:
    """pipssl creates its bundle and the directory holding it: a link there was put by
    someone else, and writing through it would replace a file pipssl does not own."""
    try:
        info = os.lstat(path)
    except OSError:
        return  # missing: pipssl creates it; unreadable: writing it reports that
    if stat.S_ISLNK(info.st_mode):
        why = f"it is a symbolic link to {shown(os.readlink(path))}"
    elif not kind_ok(info.st_mode):
        why = f"it is not {kind}"
    else:
        return
    raise PipsslError(
        f"refusing to write pipssl's CA bundle at {shown(path)}: {why}",
        reference="unsafe-bundle-path",
        hint="Remove it (pipssl creates it itself), then run repair again.",
    )


def bundle_location(scope: str, platform: str, environ: Mapping[str, str], prefix: str) -> str:
    """Where pipssl's bundle for ``scope`` goes, for an interpreter with ``prefix``."""
    if scope == "site":
        return os.path.join(prefix, "share", "pipssl", BUNDLE_NAME)
    if scope == "global":
        if platform == "win32":
            base = environ.get("PROGRAMDATA") or "C:\\ProgramData"
            return os.path.join(base, "pipssl", BUNDLE_NAME)
        if platform == "darwin":
            return os.path.join("/Library/Application Support/pipssl", BUNDLE_NAME)
        return os.path.join("/etc/pipssl", BUNDLE_NAME)
    return os.path.join(_dirs.user_dir(_dirs.DATA, platform, environ), BUNDLE_NAME)


def choose_scope(scope: str, target: Target, environ: Mapping[str, str]) -> Tuple[ConfigKind, str]:
    """Resolve ``scope`` to (kind, config file) that this pip actually reads.

    ``auto``: the PIP_CONFIG_FILE file if it exists (pip reads it instead of the user
    files), else the virtualenv's site file inside a venv, else the user file.

    Raises:
        UsageError: an unknown scope, or a scope whose file pip does not read here.
    """
    if scope not in SCOPES:
        raise UsageError(f"--scope {scope!r}: choose one of {', '.join(SCOPES)}")
    asked: Scope = scope  # a str a script gave, checked just above
    files = dict(pipconfig.config_files(environ, **target.config_args()))
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        raise UsageError(
            "PIP_CONFIG_FILE is os.devnull, so pip reads no config file at all",
            hint="unset PIP_CONFIG_FILE, or point it at a file, then run repair again",
        )
    if asked == "auto":
        if env_file and os.path.isfile(env_file):
            return "env", env_file
        asked = "site" if target.prefix != target.base_prefix else "user"
    if asked == "user" and not files.get("user"):
        if env_file and os.path.isdir(env_file):
            # pip reads nothing from a directory, yet it still skips the user files.
            raise UsageError(
                f"PIP_CONFIG_FILE={env_file} is a directory: pip reads no config from it "
                "and skips the user config files",
                hint="point PIP_CONFIG_FILE at a file (or unset it), then run repair again",
            )
        raise UsageError(
            f"--scope user: pip does not read user config files here "
            f"(PIP_CONFIG_FILE={env_file} exists)",
            hint="use --scope auto to edit the PIP_CONFIG_FILE file pip reads",
        )
    # pip's own `pip config --<scope> set` edits the last file of the kind; so do we.
    paths = files.get(asked) or []
    if not paths:
        raise UsageError(f"--scope {asked}: pip has no {asked} config file here")
    return asked, paths[-1]
