"""The commands pipssl prints, spelt so that they work when pasted: pipssl's, pip's, and the
lines that set or unset an environment variable (a program cannot change its parent
shell's environment, so pipssl prints those for sh and PowerShell: :func:`set_lines`).

Glossary:

- *invocation*: how this pipssl was started, one of
  ``pipssl ARGS`` (the console script), ``python -m pipssl ARGS``,
  ``python get-pipssl.py ARGS`` and ``python - ARGS < get-pipssl.py`` (piped: the file
  goes back after ``<``, or the pasted line would wait for a script on the terminal).
- *python word*: how a command names an interpreter: its bare name when the shell finds
  exactly that file under that name (``python3`` in an activated venv), else its path
  (the shell's ``python3`` may be another interpreter, with another pip).

Every pipssl command in a finding, a hint or a "To apply:" line comes from
:func:`pipssl`, every pip command for a target interpreter from :func:`pip`: a test pastes
them.  :func:`pipssl` also gives each command the options that make it act on what the
user's command acted on (:class:`Aim`: ``--python``, ``--scope``, ``--index-url``), so a
fix printed for another interpreter's pip repairs that pip when pasted.

Both come from one process-wide context, :class:`Context`, set in the open: the entry
(the CLI's ``main``, get-pipssl.py) says how pipssl was started with :func:`use`, the CLI
what its command acts on with :func:`use_aim`, and a diagnosis or plan narrows the aim to
its interpreter for its duration with :func:`aiming`.  A library caller sets nothing and
gets the ``python -m pipssl`` form of its own interpreter (the one that imported pipssl).
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import sys
from contextlib import contextmanager
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

from pipssl._text import escape

SCRIPT_NAMES = ("pipssl", "pipssl.exe")


class Invocation(NamedTuple):
    """The words before pipssl's arguments, and the file piped in on stdin (if any).
    A named tuple, as this module's others: the CLI reads them before it starts the real
    pip, and ``dataclasses`` would load ``inspect`` first."""

    head: Tuple[str, ...]
    stdin: Optional[str] = None

    def line(self, args: Sequence[str]) -> str:
        words = " ".join(quote(word) for word in (*self.head, *args))
        return words + (f" < {quote(self.stdin)}" if self.stdin else "")


def quote(word: str) -> str:
    """A word as a POSIX shell reads it back (``shlex.quote``: plain words stay plain).

    A word with a character that does not print as itself (a path or URL from a hostile
    file, holding a line feed, ESC or U+202E) is written as ``$'...'`` with that character
    as an escape: printed, it stays on its line and cannot steer the terminal; pasted, the
    shell (bash, zsh, ksh, busybox, dash 0.5.12+) reads back the very same word, never an
    escaped, different one.
    """
    if word.isprintable():
        return shlex.quote(word)
    body = "".join(
        "\\" + c if c in "\\'" else c if c.isprintable() else _shell_escape(c) for c in word
    )
    return f"$'{body}'"


def _shell_escape(char: str) -> str:
    """``char`` inside ``$'...'``: ``\\xHH`` is a byte there, so only ASCII is written so;
    a byte a file name held undecoded (surrogateescape) is that byte again."""
    point = ord(char)
    if point < 0x80:
        return escape(char)
    if 0xDC80 <= point <= 0xDCFF:
        return f"\\x{point - 0xDC00:02x}"
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def python_word(executable: str, path: Optional[str] = None) -> str:
    """``executable`` as a command names it: the bare name when the shell's PATH (``path``,
    default this process's) finds this very file (not a file it links to: a venv's python
    is a link to the base one, and running the base one would use another pip), else the
    path."""
    name = os.path.basename(executable)
    found = shutil.which(name, path=path)
    if found and os.path.normcase(os.path.abspath(found)) == os.path.normcase(
        os.path.abspath(executable)
    ):
        return name
    return executable


def module_of(executable: str, path: Optional[str] = None) -> Invocation:
    """``python -m pipssl`` with ``executable`` (found through ``path`` as :func:`python_word`)."""
    return Invocation((python_word(executable, path), "-m", "pipssl"))


def module() -> Invocation:
    """``python -m pipssl`` with the interpreter running this pipssl."""
    return module_of(sys.executable or "python3")


def script(argv0: str) -> Invocation:
    """The ``pipssl`` console script: by name when PATH finds it, else by its path."""
    found = shutil.which(os.path.basename(argv0))
    if found and os.path.abspath(found) == os.path.abspath(argv0):
        return Invocation((os.path.basename(argv0),))
    return Invocation((os.path.abspath(argv0),))


def bootstrap(path: Optional[str]) -> Invocation:
    """get-pipssl.py run as a file (``path`` as the user typed it) or piped (``None``)."""
    python = python_word(sys.executable or "python3")
    if path:
        return Invocation((python, path))
    return Invocation((python, "-"), stdin=stdin_file() or "get-pipssl.py")


class Bootstrap(NamedTuple):
    """get-pipssl.py, when pipssl runs from it (it says so to the CLI's ``main``): what a
    wheelhouse made then carries.

    Attributes:
        path: the file run, or a checked copy of what was piped in from a file; None when
            it cannot be read again (piped through a pipe).
    """

    path: Optional[str]


def stdin_file() -> Optional[str]:
    """The regular file on standard input (``python - < FILE``), as a short path."""
    try:
        if not stat.S_ISREG(os.fstat(0).st_mode):
            return None
        path = os.readlink("/proc/self/fd/0")
    except (OSError, ValueError, AttributeError):
        return None  # a pipe, a terminal, or no /proc (macOS): the caller guesses
    if not os.path.isfile(path):
        return None
    relative = os.path.relpath(path)
    return relative if not relative.startswith(os.pardir) else path


def detect(argv0: str) -> Invocation:
    """How the process was started, from ``sys.argv[0]``."""
    if os.path.basename(argv0) in SCRIPT_NAMES:
        return script(argv0)
    return module()


def use(invocation: Invocation) -> None:
    """Say how pipssl was started (the CLI, get-pipssl.py), before anything is printed."""
    Context.invocation = invocation


def current() -> Invocation:
    """How pipssl was started, as :func:`use` was told (else ``python -m pipssl``)."""
    return Context.invocation or module()


class Aim(NamedTuple):
    """What the user's pipssl command acted on, which every pipssl command it prints must
    act on too: pasted without ``--python``, a fix for another interpreter's pip would
    change the pip of the interpreter pipssl runs in, and that pip may be fine.

    Attributes:
        python: the interpreter diagnosed, when it was given or is not the one pipssl runs
            in (None: pipssl's own).
        scope: the ``--scope`` given (None: auto).
        index_urls: the ``--index-url`` values given (empty: the configured indexes).
    """

    python: Optional[str] = None
    scope: Optional[str] = None
    index_urls: Tuple[str, ...] = ()

    def options(self, command: Tuple[str, ...]) -> List[str]:
        """The options ``command`` (its words before any option) takes from this aim."""
        takes = _TAKES.get(command, ())
        words: List[str] = []
        if self.python and "--python" in takes:
            words += ["--python", self.python]
        if self.scope and self.scope != "auto" and "--scope" in takes:
            words += ["--scope", self.scope]
        if "--index-url" in takes:
            for url in self.index_urls:
                words += ["--index-url", url]
        return words


#: The target options each command accepts (undo acts on the journal, not a target).
_TAKES: Dict[Tuple[str, ...], Tuple[str, ...]] = {
    ("doctor",): ("--python", "--index-url"),
    ("repair",): ("--python", "--scope", "--index-url"),
    ("forget",): ("--python", "--scope"),
    ("run",): ("--python", "--scope"),
    ("wheelhouse", "install"): ("--python",),
    ("wheelhouse", "verify"): ("--python",),
}


class Context:
    """The one context every printed command is spelt from, process-wide (not per thread:
    a diagnosis' side threads word fixes too), read through :func:`current` and
    :func:`aim` and set only through :func:`use`, :func:`use_aim` and :func:`aiming`.

    Attributes:
        invocation: how pipssl was started (None: a library caller; ``python -m pipssl``).
        aim: what the user's command acts on (the default: pipssl's own interpreter,
            the scope found, the configured indexes).
    """

    invocation: Optional[Invocation] = None
    aim: Aim = Aim()


def interpreter_option(python: Optional[str]) -> Optional[str]:
    """``python`` as ``--python`` names it in a pasted command: a path made absolute (the
    paste may happen in another directory), a bare name (found on PATH) as it is."""
    if not python:
        return None
    if os.sep in python or (os.altsep and os.altsep in python):
        return os.path.abspath(python)
    return python


def is_own(python: str) -> bool:
    """``python`` is the interpreter running pipssl (the default: no option needed)."""
    return os.path.abspath(python) == os.path.abspath(sys.executable or "")


def aim() -> Aim:
    return Context.aim


def use_aim(new: Aim) -> None:
    """Say what the user's command acts on (the CLI, once its arguments are read)."""
    Context.aim = new


@contextmanager
def aiming(python: Optional[str] = None) -> Iterator[None]:
    """Within: commands name ``python`` (when it is not pipssl's own interpreter) unless
    an interpreter was already named; a library caller's ``diagnose(python=X)`` gets fixes
    for X."""
    before = Context.aim
    named = interpreter_option(python)
    if named and not is_own(named) and not before.python:
        Context.aim = before._replace(python=named)
    try:
        yield
    finally:
        Context.aim = before


def pipssl(*args: str) -> str:
    """``pipssl ARGS`` spelt as this pipssl was started, with the options that make it
    act on the same target as the command the user ran (:class:`Aim`), unless ``ARGS``
    give them already."""
    words = list(args)
    at = 2 if tuple(words[:2]) in _TAKES else 1
    extra = aim().options(tuple(words[:at]))
    extra = _not_given(extra, set(words))
    return current().line([*words[:at], *extra, *words[at:]])


def _not_given(options: List[str], given: Set[str]) -> List[str]:
    """``options`` (pairs of option and value) without those already in ``given``."""
    pairs = zip(options[::2], options[1::2])
    return [word for name, value in pairs if name not in given for word in (name, value)]


def python(executable: str, *args: str) -> str:
    """``EXECUTABLE ARGS``, the interpreter named as :func:`python_word` says."""
    return " ".join(quote(w) for w in (python_word(executable), *args))


def pip(executable: str, *args: str) -> str:
    """``EXECUTABLE -m pip ARGS``: the pip of that interpreter, not whichever is on PATH."""
    return python(executable, "-m", "pip", *args)


def set_lines(name: str, value: str) -> str:
    """The lines that set ``name`` to ``value`` in sh (bash, zsh) and in PowerShell."""
    quoted = "'" + value.replace("'", "'\\''") + "'"
    ps = "'" + value.replace("'", "''") + "'"
    return f"export {name}={quoted}   # sh, bash, zsh\n$env:{name} = {ps}   # PowerShell"


def unset_lines(name: str) -> str:
    """The lines that unset ``name`` in sh (bash, zsh) and in PowerShell."""
    return f"unset {name}            # sh, bash, zsh\nRemove-Item Env:{name}   # PowerShell"
