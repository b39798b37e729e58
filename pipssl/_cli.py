"""The command line: argparse, printing and exit codes, and nothing else.

Exit codes: 0 healthy, 1 problems found, 2 usage or input error.  With ``--json``
stdout carries exactly one JSON object; everything for humans goes to stderr.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import List, NoReturn, Optional, Sequence

from . import __version__
from .errors import PipsslError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--timeout {text!r} is not a number") from None
    if not value > 0 or math.isnan(value):
        raise argparse.ArgumentTypeError(
            f"--timeout must be a positive number of seconds, not {text}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pipssl",
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
        description="Check this Python's ssl module, pip's CA settings and every index pip "
        "would contact. Exit 0 when healthy, 1 when problems were found, 2 on bad input.",
    )
    doctor.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON object on stdout (schema 1)",
    )
    doctor.add_argument(
        "--index-url",
        action="append",
        default=[],
        metavar="URL",
        help="check this index instead of the configured ones (repeatable)",
    )
    doctor.add_argument(
        "--timeout",
        type=_timeout,
        default=5.0,
        metavar="S",
        help="seconds allowed per index (default 5)",
    )
    doctor.add_argument(
        "--python",
        metavar="PATH",
        help="diagnose the pip of this interpreter (default: the one running pipssl)",
    )
    return parser


def _doctor(args: argparse.Namespace) -> int:
    from .diagnosis import diagnose

    report = diagnose(python=args.python, index_urls=args.index_url or None, timeout=args.timeout)
    if args.json:
        sys.stdout.write(report.to_json() + "\n")
    else:
        sys.stderr.write(report.to_text() + "\n")
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI; returns the exit code (0 healthy, 1 problems, 2 bad input)."""
    arguments: List[str] = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        args = parser.parse_args([*arguments, "doctor"])
    try:
        return _doctor(args)
    except PipsslError as exc:
        sys.stderr.write(f"pipssl: error: {exc}\n")
        if exc.hint:
            sys.stderr.write(f"hint: {exc.hint}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("pipssl: interrupted\n")
        return EXIT_USAGE
