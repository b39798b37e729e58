"""The command line's grammar: every command, option and help text, and the checks of
option values that argparse can make (a timeout, a list of clients).

Errors keep pipssl's one-line shape (``pipssl: error: ...`` and a hint), so one pattern
matches every refusal, from argparse or from pipssl: the parser raises
:class:`~pipssl.errors.UsageError`, which the CLI reports.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, List, NoReturn, Optional, Sequence, Union

from pipssl import __version__, commands
from pipssl._limits import validate_timeout
from pipssl._redact import redact
from pipssl._text import shown
from pipssl.errors import UsageError

EXIT_USAGE = 2


def _path(text: str) -> Any:
    """A path argument (``pathlib`` is imported only by the commands that take one)."""
    from pathlib import Path  # noqa: PLC0415 only the commands that take a path load it

    return Path(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # Raised, not printed: the CLI reports it as every other refusal (one line, a hint,
        # exit 2, and the JSON error object under --json); the usage would push it down,
        # so the hint points at --help instead.
        head = " ".join(commands.current().head)
        words = self.prog[len(head) :].split() if self.prog.startswith(head) else []
        raise UsageError(message, hint=f"see `{commands.pipssl(*words, '--help')}`")


def _timeout(text: str) -> float:
    try:
        return validate_timeout(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--timeout {text!r} is not a number") from None
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _index_url(text: str) -> str:
    """An --index-url: checked where it enters (see :func:`pipssl.net.urls.parse_url`)."""
    from pipssl.net.urls import parse_url  # noqa: PLC0415 ipaddress and urllib: not for --help

    problem = parse_url(text)
    if isinstance(problem, str):
        raise argparse.ArgumentTypeError(f"index URL '{shown(redact(text))}' {problem}")
    return text


def _common(parser: argparse.ArgumentParser, *, probes: bool = True) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON object on stdout (schema 1)",
    )
    parser.add_argument(
        "--python", metavar="PATH", help="the interpreter whose pip to work on (default: this one)"
    )
    if probes:
        parser.add_argument(
            "--index-url",
            action="append",
            default=[],
            type=_index_url,
            metavar="URL",
            help="check this index instead of the configured ones (repeatable)",
        )
        parser.add_argument(
            "--timeout",
            type=_timeout,
            default=5.0,
            metavar="S",
            help="seconds allowed per index, more than 0 and at most 300 (default 5); a "
            "diagnosis returns within about 2 x S + 10 seconds whatever the network does",
        )


def _repair_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--yes", action="store_true", help="apply without asking (needed when not on a terminal)"
    )
    parser.add_argument(
        "--ca",
        action="append",
        default=[],
        metavar="FILE",
        help="trust this CA certificate (PEM); repeatable",
    )
    parser.add_argument(
        "--accept-ca",
        action="append",
        default=[],
        metavar="SHA256",
        help="trust the CA with this SHA-256, as doctor shows it; repeatable",
    )
    parser.add_argument(
        "--scope",
        choices=("auto", "user", "site", "global"),
        default="auto",
        help="which pip config to change (auto: the PIP_CONFIG_FILE file if it exists, else "
        "the venv's inside a venv, else the user's)",
    )
    parser.add_argument(
        "--remove-trusted-host",
        action="store_true",
        help="with --yes: also remove trusted-host entries once pip verifies (and, with "
        "--for, replace conda's ssl_verify: false or poetry's cert = false)",
    )
    parser.add_argument(
        "--for",
        dest="clients_for",
        action=_Later,
        append=True,
        default=[],
        type=_clients,
        metavar="TOOLS",
        words=_for_help,
    )


def _for_help() -> str:
    registry = _registry()
    user_wide = [c.name for c in registry.CLIENTS if c.user_wide]
    return (
        f"also point these installers at pipssl's bundle: {', '.join(registry.NAMES)} "
        "(comma-separated; repeatable); those not installed for the interpreter are named "
        f"and left alone, and the user-wide files of {', '.join(user_wide)} only ever get "
        "the user's bundle (--scope user)"
    )


def _run_help() -> str:
    return f"the pip, python -m pip, {', '.join(_registry().RUNS)} command line"


def _registry() -> Any:
    """The installers' registry, loaded only when a help text or ``--for`` needs it: it
    loads every installer's module, which ``doctor`` must not wait for before its
    children start (they start once the command line is parsed)."""
    from pipssl.clients import registry  # noqa: PLC0415 see the docstring

    return registry


class _Later(argparse.Action):
    """``store`` (or, with ``append``, ``append``) whose help text is made when help is
    shown (``words``: a function)."""

    def __init__(
        self, *args: Any, words: Callable[[], str], append: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._words, self._append = words, append

    @property
    def help(self) -> str:
        return self._words()

    @help.setter
    def help(self, value: Optional[str]) -> None:
        pass  # argparse's __init__ sets it; the text is made later

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Union[str, Sequence[Any], None],
        option_string: Optional[str] = None,
    ) -> None:
        if self._append:
            values = [*(getattr(namespace, self.dest, None) or []), values]
        setattr(namespace, self.dest, values)


def _clients(text: str) -> List[str]:
    known = _registry().NAMES
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"--for {text!r}: choose from {', '.join(known)} (comma-separated)"
        )
    return names


def build_parser(prog: str = "pipssl") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Diagnose why pip cannot verify TLS, and fix it without turning "
        "verification off.",
    )
    parser.add_argument("--version", action="version", version="pipssl " + __version__)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout (schema 1)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    doctor = commands.add_parser(
        "doctor",
        help="diagnose; changes nothing (the default)",
        description="Check this Python's ssl module, pip's CA settings, every index pip "
        "would contact and the hosts pip downloads its files from (redirects, file hosts), "
        "and ask the real pip to reach each one (its verdict wins). Exit 0 "
        "when healthy, 1 when problems were found, 2 on bad input.",
    )
    _common(doctor)
    doctor.add_argument(
        "--quick",
        action="store_true",
        help="pipssl's model alone: neither the real pip nor the other clients are asked "
        "(faster; each verdict says it is not confirmed)",
    )
    repair = commands.add_parser(
        "repair",
        help="fix what is safe to fix, then verify",
        description="Write pipssl's own CA bundle (certifi + OS store + the CAs you name) "
        "and point pip's cert at it (and, with --for, other installers: the setting in "
        "their own config file, or the variable printed for those that read only one); "
        "verify; roll back if it still fails. Never turns "
        "verification off. Exit 0 when pip verifies, 1 when something is left to do.",
    )
    _common(repair)
    _repair_options(repair)
    repair.add_argument("--dry-run", action="store_true", help="show the plan; change nothing")
    forget = commands.add_parser(
        "forget",
        help="list the CAs you told pipssl to trust, or withdraw one",
        description="With no SHA256: list the CAs you named (--ca) or confirmed (--accept-ca); "
        "every bundle pipssl builds holds them. With SHA256s: withdraw them and rebuild the "
        "bundle without them (undo gives them back). Exit 0 done, 1 not applied or an index "
        "now fails, 2 on bad input.",
    )
    forget.add_argument("sha256", nargs="*", metavar="SHA256", help="as the list shows it")
    forget.add_argument(
        "--yes", action="store_true", help="apply without asking (needed when not on a terminal)"
    )
    forget.add_argument("--dry-run", action="store_true", help="show the plan; change nothing")
    forget.add_argument(
        "--scope",
        choices=("auto", "user", "site", "global"),
        default="auto",
        help="whose bundle to rebuild (as for repair)",
    )
    _common(forget, probes=False)
    forget.add_argument(
        "--timeout",
        type=_timeout,
        default=5.0,
        metavar="S",
        help="seconds allowed per index while verifying (default 5)",
    )
    undo = commands.add_parser(
        "undo",
        help="revert the last repair",
        description="Restore exactly what the last repair changed. Repairs whose files you "
        "already put back by hand are dropped on the way; a repair with a file changed "
        "since is refused, never overwritten: see --list and --forget. Exit 0 done, 2 "
        "refused or nothing to undo.",
    )
    undo.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON object on stdout (schema 1)",
    )
    stack = undo.add_mutually_exclusive_group()
    stack.add_argument(
        "--list",
        action="store_true",
        help="show the undo stack, newest first, and where each file stands; change nothing",
    )
    stack.add_argument(
        "--forget",
        type=int,
        metavar="N",
        help="drop repair N of --list from the journal, restoring nothing (its files stay "
        "as they are)",
    )
    run = commands.add_parser(
        "run",
        help="run pip (or uv, poetry, conda); on a TLS failure diagnose, repair if "
        "allowed, retry once",
        description="Run the command given, found as the shell finds it: a pip "
        "(`pip`, `/path/to/venv/bin/pip`), a python with `-m pip`, or `uv`, `poetry`, "
        "`conda` (with the variables that point them at pipssl's bundle). If it fails on "
        "TLS: diagnose and repair the interpreter that command installs into (a pip's "
        "own python, that python; for uv its venv), asking first or with --yes (for uv, "
        "poetry and conda as with --for), and retry once with the variables that "
        "override the config removed and those the tool needs set.",
    )
    run.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter a bare `pip` or `python -m pip` means (run as PATH -m pip); "
        "a pip or python given by its path must be this one's; for uv, poetry, conda: "
        "the interpreter diagnosed",
    )
    run.add_argument(
        "--timeout",
        type=_timeout,
        default=5.0,
        metavar="S",
        help="seconds allowed per index while diagnosing (default 5)",
    )
    _repair_options(run)
    run.add_argument(
        "pip",
        nargs=argparse.REMAINDER,
        metavar="-- pip ARGS",
        action=_Later,
        words=_run_help,
    )
    _wheelhouse_parser(commands)
    return parser


def _wheelhouse_parser(commands: Any) -> None:
    wheelhouse = commands.add_parser(
        "wheelhouse",
        help="carry a verified set of wheels to a machine with no network",
        description="create a bundle on a connected machine; verify and install it offline.",
    )
    actions = wheelhouse.add_subparsers(dest="wheelhouse", metavar="ACTION")
    actions.required = True
    create = actions.add_parser(
        "create",
        help="download wheels (real pip) into one bundle zip",
        description="Download the requirements' wheels, pip, certifi, packaging and pipssl "
        "into one zip with hash pins and a manifest. Exit 0 written, 2 on any error.",
    )
    create.add_argument("requirement", nargs="*", help="requirements (as for pip install)")
    create.add_argument("-r", "--requirements", type=_path, metavar="FILE", help="a file")
    create.add_argument("-o", "--output", type=_path, required=True, metavar="ZIP")
    create.add_argument("--python-version", action="append", default=[], metavar="X.Y")
    create.add_argument("--platform", action="append", default=[], metavar="TAG")
    create.add_argument(
        "--index-url", type=_index_url, metavar="URL", help="default: pip's configuration"
    )
    create.add_argument(
        "--bootstrap",
        type=_path,
        metavar="FILE",
        help="the get-pipssl.py to carry (default: the running one, or the checkout's)",
    )
    _common(create, probes=False)
    for name, text in (
        ("verify", "check every file's hash and whether the wheels install here; offline"),
        ("install", "verify, then pip install from the bundle with no index"),
    ):
        action = actions.add_parser(
            name, help=text, description=text + ". Exit 0 done, 2 refused or failed."
        )
        action.add_argument("bundle", type=_path, metavar="ZIP")
        if name == "install":
            action.add_argument(
                "only",
                nargs="*",
                metavar="REQ",
                help="requirements (versions, extras, markers honoured; default: the bundle's)",
            )
        _common(action, probes=False)
