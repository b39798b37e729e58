"""Which tool ``pipssl run -- CMD ...`` runs, and which interpreter it acts on.

The command is resolved as the shell would resolve it (a name through the ``PATH`` the
child gets, a path with a slash as given) and run as given: the user's own pip, not
pipssl's.  Diagnosis and repair then target the interpreter that tool installs into:

- a pip script (``pip``, ``pip3.11``, ``/venv/bin/pip``): the interpreter its shebang
  names (``#!/venv/bin/python``, or the ``#!/bin/sh`` + ``'''exec'`` trampoline pip's
  script maker writes when that path is long or has a space), else the ``python`` beside
  it (a Windows ``pip.exe``, a version manager's shim);
- a python followed by ``-m pip``: that interpreter;
- another installer (uv, poetry, ...): the interpreter its own module says it installs
  into (:data:`pipssl.clients.registry.CLIENTS`, given to :func:`resolve`).

With ``--python X``, a bare ``pip`` or ``python -m pip`` (no slash) means ``X -m pip``
(``--python`` names the interpreter whose pip to run); a pip or python given by its path
must belong to X.  For the other installers, ``--python`` wins over their own guess.  The
default is ``--python`` when given, else the interpreter running pipssl.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from typing import Callable, List, Mapping, Optional, Sequence

from pipssl import _files, commands
from pipssl.errors import UsageError

#: ``run -- TOOL ARGS``: the interpreter TOOL installs into, from (args, environ, cwd);
#: None when it is not cheaply known (the default interpreter is then diagnosed).
InterpreterOf = Callable[[Sequence[str], Mapping[str, str], str], Optional[str]]
_PIP = re.compile(r"pip(\d+(\.\d+)*)?$")
_PYTHON = re.compile(r"(python|pypy)(\d+(\.\d+)*t?)?$|py$")
# Interpreter options that may come before ``-m pip`` and take no value.
_FLAG = re.compile(r"-[bBdEiIOqsSuvx]+$")
_DRIVES = (
    "run drives a pip (pip, pip3.12, /path/to/venv/bin/pip), a python with -m pip "
    "(/path/to/python -m pip ...){}, e.g. {}"
)


def _drives(installers: Sequence[str]) -> str:
    names = list(installers)
    words = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
    return _DRIVES.format(
        ", " + words if words else "", commands.pipssl("run", "--", "pip", "install", "requests")
    )


@dataclass(frozen=True)
class Tool:
    """One resolved ``run`` command.

    Attributes:
        kind: ``pip`` (a pip script), ``python`` (``python -m pip``), or the installer's
            name (one of ``resolve``'s ``installers``).
        argv: what runs: the command line given, its first word resolved to a path.
        python: the interpreter diagnosis and repair target; None: pipssl's default.
    """

    kind: str
    argv: List[str]
    python: Optional[str]

    @property
    def args(self) -> List[str]:
        """The arguments the installer itself reads (after ``-m pip`` for a python: its
        own options, such as ``-i``, are not pip's ``-i``)."""
        if self.kind == "python":
            at = next(i for i in range(1, len(self.argv)) if self.argv[i : i + 2] == ["-m", "pip"])
            return self.argv[at + 2 :]
        return self.argv[1:]

    @property
    def name(self) -> str:
        """The installer, as messages and ``--for`` name it (``pip`` for both pip kinds)."""
        return "pip" if self.kind in ("pip", "python") else self.kind


def resolve(
    args: Sequence[str],
    *,
    python: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
    installers: Optional[Mapping[str, Optional[InterpreterOf]]] = None,
) -> Tool:
    """Resolve the command after ``run --``.

    Args:
        args: the command line (a leading ``--`` is dropped).
        python: ``run --python``: the interpreter a bare name (``pip``, ``pip3``, ``python
            -m pip``) means, run as ``PYTHON -m pip``; a pip or python given by its path
            must be that interpreter's.
        environ: the child's environment (its ``PATH``, ``VIRTUAL_ENV``; default os.environ).
        cwd: where the command runs (uv's ``.venv``; default: the current directory).
        installers: the other installers run drives, by name, each with how to tell the
            interpreter it installs into (None: the default); none: pip alone.

    Raises:
        UsageError: nothing given, a command run does not drive, one not found or not
            executable, a pip whose interpreter cannot be told, or one that is not ``python``.
    """
    env = os.environ if environ is None else environ
    others = dict(installers or {})
    drives = _drives(list(others))
    argv = list(args[1:] if args[:1] == ["--"] else args)
    if not argv:
        raise UsageError("run: give the command to run after --", hint=drives)
    word = argv[0]
    name = os.path.basename(word).lower()
    name = name[: -len(".exe")] if name.endswith(".exe") else name
    bare = os.sep not in word and (os.altsep or os.sep) not in word
    if _PIP.match(name):
        if python is not None and bare:
            return Tool("pip", [python, "-m", "pip", *argv[1:]], python)
        path = locate(word, env)
        runs = pip_interpreter(path, env)
        return Tool("pip", [path, *argv[1:]], _agree(python, runs, word, drives))
    if _PYTHON.match(name):
        rest = argv[1:]
        while rest and _FLAG.match(rest[0]):
            rest = rest[1:]
        if rest[:2] != ["-m", "pip"]:
            shown = shlex.join(argv[:4]) + (" ..." if len(argv) > 4 else "")
            raise UsageError(
                f"run: `{shown}` does not run pip",
                hint=f"give `{word} -m pip ARGS`; {drives}",
            )
        if python is not None and bare:
            return Tool("python", [python, *argv[1:]], python)
        path = locate(word, env)
        return Tool("python", [path, *argv[1:]], _agree(python, path, word, drives))
    if name in others:
        path = locate(word, env)
        guess = others[name]
        if python is None and guess is not None:
            python = guess(argv[1:], env, cwd or os.getcwd())
        return Tool(name, [path, *argv[1:]], python)
    raise UsageError(f"run: {word} is not an installer run drives", hint=drives)


def locate(word: str, environ: Mapping[str, str]) -> str:
    """``word`` as the shell finds it: a path with a slash as is, a name on ``PATH``.

    Raises:
        UsageError: not found, or not an executable file.
    """
    if os.sep in word or (os.altsep is not None and os.altsep in word):
        found: Optional[str] = word
    else:
        found = shutil.which(word, path=environ.get("PATH", os.defpath))
    if found is None:
        raise UsageError(
            f"run: {word}: command not found on PATH",
            hint="give its path (e.g. /path/to/venv/bin/pip), or activate its environment",
        )
    if not (os.path.isfile(found) and os.access(found, os.X_OK)):
        raise UsageError(
            f"run: {found} is not an executable file", hint="give the path of a pip or a python"
        )
    return os.path.abspath(found)


def pip_interpreter(pip: str, environ: Mapping[str, str]) -> Optional[str]:
    """The interpreter a pip script runs: its shebang's, else the ``python`` beside it."""
    found = shebang_interpreter(pip, environ)
    if found is not None:
        return found
    here = os.path.dirname(pip)
    for name in ("python.exe", "python") if sys.platform == "win32" else ("python",):
        beside = os.path.join(here, name)
        if os.path.isfile(beside) and os.access(beside, os.X_OK):
            return beside
    return None


def shebang_interpreter(script: str, environ: Mapping[str, str]) -> Optional[str]:
    """The python a script's first lines name, or None (no shebang, not a python).

    Reads ``#!/path/python [arg]``, ``#!/usr/bin/env python3`` (through ``PATH``) and the
    ``#!/bin/sh`` + ``'''exec' "/path/python" "$0" "$@"`` form of pip's script maker.
    """
    try:
        head = _files.read_head(script, _files.SCRIPT)  # a FIFO on PATH must not block
    except _files.FileRefused:
        return None
    if not head.startswith(b"#!"):
        return None
    lines = head.decode("utf-8", "replace").splitlines()
    words = lines[0][2:].split()
    if words in (["/bin/sh"], ["/usr/bin/env", "sh"]) and len(lines) > 1:
        match = re.match(r"'''exec' (.+) \"\$0\" \"\$@\"\s*$", lines[1])
        if match is None:
            return None
        try:
            words = shlex.split(match.group(1))
        except ValueError:
            return None
    if words and os.path.basename(words[0]) == "env":
        words = [w for w in words[1:] if not w.startswith("-")]
        found = shutil.which(words[0], path=environ.get("PATH", os.defpath)) if words else None
        words = [found] if found else []
    if not words or not _PYTHON.match(os.path.basename(words[0]).lower()):
        return None
    return words[0] if os.path.isfile(words[0]) else None


def _agree(python: Optional[str], runs: Optional[str], word: str, drives: str) -> str:
    """The tool's interpreter, which ``--python`` (when given) must name too."""
    if runs is None:
        raise UsageError(
            f"run: cannot tell which interpreter {word} runs",
            hint=f"run it as `/path/to/python -m pip ...`, or give that python with --python; "
            f"{drives}",
        )
    if python is not None and not _same_interpreter(python, runs):
        raise UsageError(
            f"run: --python {python} but the command runs {runs}'s pip",
            hint=f"drop --python (run targets {runs}), or run `{python} -m pip ...`",
        )
    return runs


def _same_interpreter(a: str, b: str) -> bool:
    """One interpreter of one environment: the same path, or one file in one directory
    (``venv/bin/python`` and ``python3``).  Not merely one file: a venv's python links to
    its base interpreter, but installs elsewhere."""
    a, b = os.path.abspath(a), os.path.abspath(b)
    if a == b:
        return True
    try:
        same_file = os.path.samefile(a, b)
    except OSError:
        return False
    return same_file and os.path.realpath(os.path.dirname(a)) == os.path.realpath(
        os.path.dirname(b)
    )


def python_named(value: str, environ: Mapping[str, str]) -> Optional[str]:
    """An installer's ``--python VALUE`` when it names an executable (a path, or a python
    on ``PATH``); None for a version request such as ``3.12``."""
    if not (os.sep in value or _PYTHON.match(value.lower())):
        return None
    found = shutil.which(value, path=environ.get("PATH", os.defpath))
    return os.path.abspath(found) if found else None


def nearest_venv(cwd: str) -> Optional[str]:
    """The python of the nearest ``.venv`` in ``cwd`` or above it."""
    here = os.path.abspath(cwd)
    while True:
        if os.path.isdir(os.path.join(here, ".venv")):
            return venv_python(os.path.join(here, ".venv"))
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def venv_python(prefix: str) -> Optional[str]:
    """The python of a venv or conda prefix (POSIX, then Windows venv, then Windows conda)."""
    for leaf in (("bin", "python"), ("Scripts", "python.exe"), ("python.exe",)):
        path = os.path.join(prefix, *leaf)
        if os.path.isfile(path):
            return path
    return None
