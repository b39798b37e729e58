"""Every fix pipssl prints, checked as a user would paste it.

A fix is lines: a comment (``# ...``), a sentence for a person, or a command. A command
line is one whose first word is a program (a pipssl invocation, an interpreter, a shell
built-in, a tool named in :data:`PROGRAMS`), optionally followed by ``   # why``.  Each is
checked for what it can be checked for without running it: a pipssl line parses with
pipssl's own CLI and is spelt as the pipssl that printed it was run; a pip line names the
interpreter's pip, a pip command and options that exist, and requirements that parse; shell
lines are valid sh (``bash -n``); a sentence holds no command (commands go on lines of
their own, so that they can be copied whole).  tests/test_fixlines.py runs them.

:func:`record` is called for every finding the suite sees (conftest.py: in-process, and
from ``run_pipssl``'s JSON and text), so every world of the test bed has its fixes
checked, and which codes were seen is kept for the coverage check at the end of a whole run.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set

from pipssl import commands
from pipssl.cli.parser import build_parser

#: Programs whose lines are checked as sh (syntax only) and otherwise left to the tests
#: that run them.
PROGRAMS = frozenset(
    {
        "unset",
        "export",
        "openssl",
        "sudo",
        "brew",
        "pyenv",
        "conda",
        "timedatectl",
        "./configure",
    }
)
#: PowerShell lines (shown beside the sh ones; not run here).
POWERSHELL = re.compile(r"^(Remove-Item Env:[A-Za-z_][A-Za-z0-9_]*|\$env:[A-Za-z_]\w* = '.*')$")
#: pip commands and the options a fix may give them.
PIP_COMMANDS = {
    "install": {"--upgrade", "--force-reinstall", "--no-deps"},
    "config": {"--user", "--global", "--site"},
}
PIP_CONFIG_ACTIONS = {"set", "unset", "debug", "list", "get"}
_TAIL_COMMENT = re.compile(r"\s{2,}#.*$")

#: code -> how many fixes of it were checked (for the coverage check).
SEEN: Dict[str, int] = {}


@dataclass(frozen=True)
class Line:
    text: str
    kind: str  # "comment", "prose", "pipssl", "python", "sh", "powershell", "quoted"
    words: Sequence[str] = ()


def split_fix(fix: str, invocation: commands.Invocation) -> List[Line]:
    """The fix's lines, each with what it is."""
    out = []
    head = list(invocation.head)
    for raw in fix.splitlines():
        text = raw.strip()
        if not text:
            continue
        if text.startswith("#"):
            out.append(Line(text, "comment"))
            continue
        if POWERSHELL.match(_TAIL_COMMENT.sub("", text)):
            out.append(Line(text, "powershell"))
            continue
        command = _TAIL_COMMENT.sub("", text)
        try:
            words = shlex.split(command)
        except ValueError:
            out.append(Line(text, "prose"))
            continue
        if words[: len(head)] == head:
            out.append(Line(command, "pipssl", words[len(head) :]))
        elif len(words) > 1 and words[1] == "-m" and _looks_like_python(words[0]):
            out.append(Line(command, "python", words))
        elif words and words[0] in PROGRAMS:
            out.append(Line(command, "sh", words))
        elif text.startswith('"/Applications/'):
            out.append(Line(text, "quoted", words))
        else:
            out.append(Line(text, "prose"))
    return out


def _looks_like_python(word: str) -> bool:
    return bool(re.search(r"(^|/)python[0-9.]*(\.exe)?$", word))


def problems(fix: str, invocation: commands.Invocation) -> List[str]:
    """What is wrong with ``fix`` when pasted (empty: nothing)."""
    found = []
    for line in split_fix(fix, invocation):
        if line.kind == "pipssl":
            found += _pipssl_problems(line)
        elif line.kind == "python":
            found += _python_problems(line)
        elif line.kind == "sh":
            found += _sh_problems(line.text)
        elif line.kind == "prose":
            found += _prose_problems(line.text, invocation)
    return found


def _pipssl_problems(line: Line) -> List[str]:
    args = list(line.words)
    if args and args[0] == "run" and "--" not in args:
        return [f"{line.text!r}: `run` needs -- before the tool's command line"]
    parser = build_parser("pipssl")
    try:
        parser.parse_args(args)
    except SystemExit as exc:
        return [f"{line.text!r}: pipssl's CLI refuses it (exit {exc.code})"]
    return []


def _python_problems(line: Line) -> List[str]:
    words = list(line.words)
    module, rest = words[2], words[3:]
    if module == "ensurepip":
        return [] if set(rest) <= {"--upgrade", "--default-pip"} else [f"{line.text!r}"]
    if module != "pip" or not rest or rest[0] not in PIP_COMMANDS:
        return [f"{line.text!r}: not a pip command a fix gives"]
    command, args = rest[0], rest[1:]
    options = [a for a in args if a.startswith("-")]
    bad = [o for o in options if o not in PIP_COMMANDS[command]]
    if bad:
        return [f"{line.text!r}: pip {command} has no option {bad[0]} in a fix"]
    values = [a for a in args if not a.startswith("-")]
    if command == "config":
        if not values or values[0] not in PIP_CONFIG_ACTIONS:
            return [f"{line.text!r}: pip config has no action {values[:1]}"]
        action, keys = values[0], values[1:]
        if action in ("set", "unset", "get") and (not keys or "." not in keys[0]):
            return [f"{line.text!r}: pip config {action} needs section.name"]
        if action == "set" and len(keys) != 2:
            return [f"{line.text!r}: pip config set needs a value"]
        if action in ("set", "unset") and len(options) != 1:
            return [f"{line.text!r}: say which file (--user, --global or --site)"]
        return []
    from packaging.requirements import InvalidRequirement, Requirement

    for value in values:
        try:
            Requirement(value)
        except InvalidRequirement:
            return [f"{line.text!r}: {value!r} is no requirement"]
    if "--force-reinstall" in options and not all("==" in v for v in values):
        return [f"{line.text!r}: a reinstall must pin the version installed now"]
    return []


def _sh_problems(text: str) -> List[str]:
    proc = subprocess.run(
        ["bash", "-n", "-c", text], capture_output=True, text=True, timeout=30, check=False
    )
    return [] if proc.returncode == 0 else [f"{text!r}: not valid sh: {proc.stderr.strip()}"]


def _prose_problems(text: str, invocation: commands.Invocation) -> List[str]:
    spelt = " ".join(invocation.head) + " "
    hidden = [w for w in (spelt, "pip install", "pip config", "python -m") if w in text]
    if hidden:
        return [f"{text!r}: a command inside a sentence; put it on a line of its own"]
    if "(s)" in text:
        return [f"{text!r}: '(s)' reads as machine text"]
    return []


def record(code: str, fix: str, invocation: Optional[commands.Invocation] = None) -> None:
    """Check one finding's fix (AssertionError naming what is wrong) and count its code."""
    found = problems(fix, invocation or commands.current())
    assert not found, f"the fix of a {code} finding cannot be pasted:\n" + "\n".join(found)
    SEEN[code] = SEEN.get(code, 0) + 1


def record_text(output: str, invocation: commands.Invocation) -> None:
    """Check the fixes and "To apply:" lines of pipssl's text output."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("To apply: "):
            found = problems(line[len("To apply: ") :], invocation)
            assert not found, "\n".join(found)
        if line.strip() == "fix:":
            block = []
            for row in lines[i + 1 :]:
                if not row.startswith("    "):
                    break
                block.append(row.strip())
            found = problems("\n".join(block), invocation)
            assert not found, "\n".join(found)


def missing(codes_with_fixes: Set[str]) -> Set[str]:
    """The codes whose fixes no test checked."""
    return {c for c in codes_with_fixes if c not in SEEN}
