"""The command line: the handlers of each command, printing, prompting and exit codes (the
grammar is :mod:`pipssl.cli.parser`).

Exit codes: 0 healthy / done, 1 problems found or repair incomplete, 2 usage or input
error.  The report (doctor's, a plan, what was changed, a listing) goes to stdout, as pip's
and every other tool's does, so ``pipssl doctor > report.txt`` and ``| grep ERROR`` work;
what pipssl says about itself (progress, the consent question, ``pipssl: error:`` and its
hint, ``run``'s words between the tool's output) goes to stderr.  With ``--json`` stdout
carries exactly one JSON object instead of the report.

Each handler imports what its command needs inside it (measured): ``--help`` loads nine
of pipssl's modules and no socket (the diagnosis' modules are several times that), and
``doctor`` starts its children (:mod:`pipssl.diagnosis.starting`) before the diagnosis
loads, so that it loads while they run.  What this module imports at its top is on the
way to the real pip's start, so none of it loads ``dataclasses``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Mapping, Optional, Sequence

from pipssl import _text, commands
from pipssl._redact import redact
from pipssl.cli.parser import EXIT_USAGE, build_parser
from pipssl.errors import PipsslError, UsageError

if TYPE_CHECKING:  # loaded by the commands that use them, so `pipssl --help` stays quick
    from pipssl.repairing.apply import Confirm
    from pipssl.repairing.result import Plan, RepairOptions, RepairResult

EXIT_OK, EXIT_PROBLEMS = 0, 1
#: Seconds of silence after which a terminal is told what pipssl is waiting for.
WAIT_NOTICE_AFTER = 1.0


def _wheelhouse(args: argparse.Namespace, bootstrap: Optional[commands.Bootstrap]) -> int:
    from pipssl import wheelhouse

    if args.wheelhouse == "create":
        if bool(args.requirement) == bool(args.requirements):
            raise UsageError(
                "wheelhouse create: give either -r FILE or requirements (one of them)"
            )
        tty = sys.stderr.isatty() and not getattr(args, "json", False)
        with _waiting("downloading the wheels with pip and packing the bundle"):
            result = wheelhouse.create(
                args.requirements or args.requirement,
                args.output,
                python_versions=args.python_version,
                platforms=args.platform,
                index_url=args.index_url,
                python=args.python,
                progress=_err if tty else None,
                bootstrap_file=args.bootstrap,
                running=bootstrap,
            )
        lines = [
            f"wrote {_text.shown(result.bundle)}: {len(result.wheels)} wheels, {result.size} bytes"
        ]
        lines += [f"sha256 {result.sha256}", *map(_text.shown, result.warnings)]
        _emit(args, result.to_dict(), "\n".join(lines))
        return EXIT_OK
    if args.wheelhouse == "verify":
        checked = wheelhouse.verify(args.bundle, python=args.python)
        text = f"{_text.shown(args.bundle)}: {checked.files} files match the manifest"
        if not checked.ok:
            text = wheelhouse.incompatible_message(checked)
        _emit(args, checked.to_dict(), text)
        return EXIT_OK if checked.ok else EXIT_USAGE
    done = wheelhouse.install(args.bundle, args.only, python=args.python)
    lines = [
        f"skipped {_text.shown(r)}: its marker is false for {_text.shown(done.python)}"
        for r in done.skipped
    ]
    lines += [f"note: {n} (pip installs it without)" for n in done.notes]
    installed = _text.shown(", ".join(done.installed), limit=len(", ".join(done.installed)))
    present = _text.shown(
        ", ".join(done.already_installed), limit=len(", ".join(done.already_installed))
    )
    lines.append(f"installed from the bundle: {installed}" if installed else "installed nothing")
    if present:
        lines.append(f"already installed: {present}")
    _emit(args, done.to_dict(), "\n".join(lines))
    return EXIT_OK


def _lines(text: str) -> str:
    return _text.screen(text) + ("\n" if not text.endswith("\n") else "")


@contextlib.contextmanager
def _waiting(what: str) -> Iterator[None]:
    """One line on stderr when ``what`` takes over about a second, on a terminal only (a
    pipe or a log gets the report alone): the user sees what pipssl waits for, not a hang."""
    if not sys.stderr.isatty():
        yield
        return
    notice = threading.Timer(WAIT_NOTICE_AFTER, _err, [f"pipssl: {what} ..."])
    notice.daemon = True
    _PENDING.append(notice)
    notice.start()
    try:
        yield
    finally:
        notice.cancel()
        _PENDING.remove(notice)


#: The notices not yet shown: a question asked meanwhile cancels them (no line of pipssl's
#: may land between a question and its answer).
_PENDING: List[threading.Timer] = []


def _err(text: str) -> None:
    """What pipssl says about itself: progress, the question, errors (stderr)."""
    sys.stderr.write(_lines(text))


def _out(text: str) -> None:
    """The one writer of report text (stdout)."""
    sys.stdout.write(_lines(text))


def _emit(args: argparse.Namespace, data: Mapping[str, object], text: str) -> None:
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        _out(text)


def _doctor(args: argparse.Namespace) -> int:
    from pipssl.diagnosis import starting

    asking = "" if args.quick else ", then asking pip itself"
    with _waiting(f"probing each index (up to {args.timeout:g} s each){asking}"):
        env, urls, confirm = dict(os.environ), args.index_url or None, not args.quick
        started = starting.start(args.python, env, urls, args.timeout, None, confirm)
        # imported once the children run: pipssl's own modules load while they do
        from pipssl.diagnosis.api import make_diagnosis

        report = make_diagnosis(
            python=args.python,
            index_urls=urls,
            timeout=args.timeout,
            environ=env,
            confirm=confirm,
            started=started,
        ).report
    text = report.to_text()
    if args.quick:  # a verdict nobody but pipssl's model gave must say so
        text += (
            "\n\n--quick: pipssl's model alone; neither the real pip nor the other clients "
            "were asked (run doctor without --quick to confirm)"
        )
    _emit(args, report.to_dict(), text)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _plan_text(result: RepairResult) -> str:
    from pipssl.findings import render_findings

    lines = []
    if result.actions:
        if result.rolled_back:
            lines.append("pipssl changed, then put back (the check after failed):")
        else:
            lines.append("pipssl changed:" if result.changed else "pipssl would change:")
        for action in result.actions:
            lines.append(f"  {action.kind:<20} {_text.shown(action.path)}")
            lines.append(f"  {'':<20} {action.detail}")
    else:
        lines.append("pipssl has nothing to change.")
    for client, why in result.clients_skipped:
        lines.append(f"\nnot configured (--for {client}): " + why.replace("\n", "\n  "))
    if result.findings:
        lines.append("\nLeft for you:" + render_findings(result.findings))
    if result.message:
        lines.append("\n" + result.message)
    return "\n".join(lines)


def _repair_options(args: argparse.Namespace) -> RepairOptions:
    """The library's options, from the command line's (what ``repair`` and ``run`` share)."""
    from pipssl.repairing.result import RepairOptions

    return RepairOptions(
        ca_files=args.ca,
        accept_ca=args.accept_ca,
        scope=args.scope,
        remove_trusted_host=args.remove_trusted_host and args.yes,
        python=args.python,
        timeout=args.timeout,
        clients_for=list(dict.fromkeys(c for group in args.clients_for for c in group)),
    )


def _again(args: argparse.Namespace, *, yes: bool = False) -> str:
    """The command line the user ran (with ``--yes`` after the command when ``yes``), as
    a command they can paste (:mod:`pipssl.commands` spells it)."""
    words = list(args.argv)
    if yes and "--yes" not in words and args.command in words:
        at = words.index(args.command) + 1
        words[at:at] = ["--yes"]
    return commands.current().line(words)


def _consent(args: argparse.Namespace, plan: Plan, *, beside_tool: bool = False) -> bool:
    """--yes, or a 'y' typed on a terminal to THIS plan; otherwise show the command to run
    (on stderr ``beside_tool``: ``run``'s stdout is the tool's own output)."""
    from pipssl.repairing.apply import preview

    if args.yes:
        return True
    if not plan.actions:
        return False
    if _interactive(args):
        if _ask(_plan_text(preview(plan, "")) + "\n\nApply these changes? [y/N] "):
            return True
        (_err if beside_tool else _out)("nothing was changed.")  # say what the 'n' did
        return False
    shown = preview(plan, "nothing was changed: pipssl asks first, and cannot ask here")
    text = _plan_text(shown) + f"\nTo apply: {_again(args, yes=True)}"
    if beside_tool:
        _err(text)
    else:
        _emit(args, shown.to_dict(), text)
    return False


def _interactive(args: argparse.Namespace) -> bool:
    return sys.stdin is not None and sys.stdin.isatty() and not getattr(args, "json", False)


def _ask(question: str) -> bool:
    for notice in _PENDING:
        notice.cancel()
    sys.stderr.write(_text.screen(question))
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _confirm_again(agreed: Plan, now: Plan) -> bool:
    """The files changed between consent and the lock: show what the new plan does
    differently and ask again (only ever called on a terminal)."""
    old = {(a.kind, a.path, a.after) for a in agreed.actions}
    new = {(a.kind, a.path, a.after) for a in now.actions}
    lines = ["\nThe files changed since you agreed; the plan is now different:"]
    lines += [f"  - {kind:<20} {_text.shown(path)}" for kind, path, _ in sorted(old - new)]
    lines += [f"  + {kind:<20} {_text.shown(path)}" for kind, path, _ in sorted(new - old)]
    return _ask("\n".join(lines) + "\nApply the new plan? [y/N] ")


def _confirm(args: argparse.Namespace) -> Confirm:
    """What to do when the files change between the plan and the lock: --yes agreed to
    whatever is safe; a 'y' on a terminal agreed to one plan, so ask again."""
    from pipssl.repairing.apply import consented_to_policy

    return consented_to_policy if args.yes else _confirm_again


def _repair(args: argparse.Namespace) -> int:
    from pipssl.repairing import api
    from pipssl.repairing.apply import apply, preview

    with _waiting("diagnosing (pipssl's probes, then pip itself) to plan the repair"):
        plan = api.plan(_repair_options(args), index_urls=args.index_url or None)
    if args.dry_run:
        shown = preview(plan)
        _emit(args, shown.to_dict(), _plan_text(shown))
        return EXIT_OK if not shown.actions and not shown.findings else EXIT_PROBLEMS
    if plan.actions and not _consent(args, plan):
        return EXIT_PROBLEMS
    with _waiting("writing, then checking every index again with what pip now reads"):
        result = apply(plan, label=_again(args), confirm=_confirm(args))
    _emit(args, result.to_dict(), _plan_text(result))
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def _forget(args: argparse.Namespace) -> int:
    from pipssl.repairing.api import consented, plan_forget
    from pipssl.repairing.apply import apply, preview

    if not args.sha256:
        cas = consented()
        lines = ["CAs you told pipssl to trust (every bundle it builds holds them):"]
        for c in cas:
            lines.append(f"  {c.sha256}")
            lines.append(f"      {_text.shown(c.cert.subject)}")
            lines.append(f"      {_text.shown(c.label)}; valid until {c.cert.not_after.date()}")
        if not cas:
            adds = commands.pipssl("repair", "--ca", "FILE")
            lines = [f"You told pipssl to trust no CA of your own ({adds} adds one)."]
        _emit(
            args,
            {"schema": 1, "ok": True, "consented": [c.to_dict() for c in cas]},
            "\n".join(lines),
        )
        return EXIT_OK
    plan = plan_forget(args.sha256, scope=args.scope, python=args.python, timeout=args.timeout)
    if args.dry_run:
        shown = preview(plan)
        _emit(args, shown.to_dict(), _plan_text(shown))
        return EXIT_OK
    if plan.actions and not _consent(args, plan):
        return EXIT_PROBLEMS
    result = apply(plan, label=_again(args), confirm=_confirm(args))
    _emit(args, result.to_dict(), _plan_text(result))
    # as its help says: 1 when not applied or an index now fails (the withdrawn CA's)
    done = result.changed and not result.rolled_back and not result.still_failing
    return EXIT_OK if done else EXIT_PROBLEMS


def _undo(args: argparse.Namespace) -> int:
    from pipssl.repairing import undo

    if args.list:
        listing = undo.undo_list()
        _emit(args, listing.to_dict(), listing.to_text())
    elif args.forget is not None:
        forgotten = undo.undo_drop(args.forget)
        _emit(args, forgotten.to_dict(), forgotten.to_text())
    else:
        result = undo.undo()
        _emit(args, result.to_dict(), result.to_text())
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from pipssl.clients.registry import NAMES, client, index_urls, resolve_run
    from pipssl.interpreter.runpip import (
        collected_project,
        failed_on_tls,
        index_args,
        run_pip,
        scrubbed,
    )
    from pipssl.repairing import api
    from pipssl.repairing.apply import apply, preview

    env: Dict[str, str] = dict(os.environ)
    tool = resolve_run(args.pip, python=args.python, environ=env, cwd=os.getcwd())
    argv, name = tool.argv, tool.name
    # diagnose and repair what the tool installs into
    options = replace(_repair_options(args), python=tool.python)
    if tool.python and not args.python and not commands.is_own(tool.python):
        # `run -- /v38/bin/pip ...`: the fixes printed must name that pip's interpreter
        commands.use_aim(commands.aim()._replace(python=commands.interpreter_option(tool.python)))
    installer = client(name) if name in NAMES else None  # None: pip
    if installer is None:
        options = replace(options, index_urls=index_args(tool.args) or None)
    else:
        configured = index_urls(name, os.environ, sys.platform, os.getcwd())
        named = index_args(tool.args, installer.index_flags)
        options = replace(
            options,
            clients_for=list(dict.fromkeys([*options.clients_for, name])),
            index_urls=named or configured or None,
        )
        added = api.client_env(name, scope=args.scope, python=tool.python)
        if added:
            _err(f"pipssl: running {name} with {_assignments(added)}")
            env.update(added)

    # the fixes printed check the indexes the tool was given (`repair --index-url`)
    commands.use_aim(commands.aim()._replace(index_urls=tuple(options.index_urls or ())))

    def echo(line: str) -> None:
        sys.stdout.write(line)
        sys.stdout.flush()

    code, output = run_pip(argv, env, echo=echo)
    if not failed_on_tls(code, output, installer.tls_markers if installer else ()):
        return code
    target = f" {tool.python}'s pip" if tool.python and name == "pip" else ""
    _err(f"\npipssl: {name} failed on TLS; diagnosing{target} ...")
    plan = api.plan(options, project=collected_project(output))
    if not plan.actions and not plan.env_to_unset and not plan.env_to_set:
        _err(_plan_text(preview(plan, f"nothing was changed; {name}'s failure stands")))
        return code
    if plan.actions:
        if not _consent(args, plan, beside_tool=True):
            return code
        result = apply(plan, label=_again(args), confirm=_confirm(args))
        _err(_plan_text(result))
        if not result.changed:
            return code
        unset, to_set = result.env_to_unset, result.env_to_set
    else:
        unset, to_set = plan.env_to_unset, plan.env_to_set
    retry = {**scrubbed(env, unset), **dict(to_set)}
    how = [f"without {', '.join(unset)}"] if unset else []
    how += [f"with {_assignments(dict(to_set))}"] if to_set else []
    _err("pipssl: retrying once" + (" " + " and ".join(how) if how else "") + "\n")
    code, _output = run_pip(argv, retry, echo=echo)
    return code


def _assignments(values: Dict[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in values.items())


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    invocation: Optional[commands.Invocation] = None,
    bootstrap: Optional[commands.Bootstrap] = None,
) -> int:
    """Run the CLI; returns the exit code (0 done, 1 problems, 2 bad input).

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
        invocation: how the user started pipssl, for the commands it prints (default: from
            ``sys.argv[0]``: the ``pipssl`` script or ``python -m pipssl``; get-pipssl.py
            passes its own).
        bootstrap: the get-pipssl.py this pipssl runs from (get-pipssl.py passes it), for
            ``wheelhouse create`` to carry; None: pipssl does not run from one.
    """
    arguments: List[str] = list(sys.argv[1:] if argv is None else argv)
    commands.use(invocation or commands.detect(sys.argv[0] if sys.argv else ""))
    try:
        try:
            return _main(arguments, bootstrap)
        finally:
            sys.stdout.flush()  # here, where a reader gone is an error to catch, not at exit
    except BrokenPipeError:
        return quiet_pipe()


def quiet_pipe() -> int:
    """The reader went away (``pipssl --help | head``): end quietly, as ``cat`` does; what
    is still buffered goes to /dev/null rather than into a second error at exit.  Public:
    get-pipssl.py ends the same way when the reader goes before pipssl runs."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass  # not a real file (a test's StringIO): nothing is left to flush there
    return EXIT_PROBLEMS


def _main(arguments: List[str], bootstrap: Optional[commands.Bootstrap]) -> int:
    try:
        args = _parse(arguments)
    except PipsslError as exc:
        return _refused(exc, as_json="--json" in arguments)
    handlers: Dict[str, Callable[[argparse.Namespace], int]] = {
        "doctor": _doctor,
        "repair": _repair,
        "undo": _undo,
        "forget": _forget,
        "run": _run,
        "wheelhouse": lambda parsed: _wheelhouse(parsed, bootstrap),
    }
    commands.use_aim(_aim(args))
    try:
        return handlers[args.command](args)
    except PipsslError as exc:
        return _refused(exc, as_json=getattr(args, "json", False))
    except KeyboardInterrupt:
        _err("pipssl: interrupted")
        return EXIT_USAGE


def _aim(args: argparse.Namespace) -> commands.Aim:
    """What this command acts on, for every pipssl command it prints."""
    urls = getattr(args, "index_url", None)
    return commands.Aim(
        python=commands.interpreter_option(getattr(args, "python", None)),
        scope=getattr(args, "scope", None),
        index_urls=tuple(urls) if isinstance(urls, list) else (),
    )


def _parse(arguments: List[str]) -> argparse.Namespace:
    parser = build_parser(" ".join(commands.current().head))
    args = parser.parse_args(arguments)
    if args.command is None:
        args = parser.parse_args([*arguments, "doctor"])
    args.argv = arguments
    return args


def _refused(exc: PipsslError, *, as_json: bool) -> int:
    """Exit 2: one line and a hint on stderr; with --json, also the error as the one JSON
    object on stdout.  Messages name the URLs and paths given: a password in one must not
    reach a log."""
    message, hint = redact(str(exc)), redact(exc.hint) if exc.hint else None
    _err(f"pipssl: error: {message}")
    if hint:
        _err(f"hint: {hint}")
    if as_json:
        error = {"reference": exc.reference, "message": message, "hint": hint}
        sys.stdout.write(json.dumps({"schema": 1, "ok": False, "error": error}, indent=2) + "\n")
    return EXIT_USAGE
