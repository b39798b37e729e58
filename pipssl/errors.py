"""The one exception type pipssl raises, and its few specialisations.

Every error carries a kebab-case ``reference`` (stable, usable in scripts) and a
``hint`` that tells the user what to do next (the reference's next step in
:data:`CATALOGUE` when the place that raises it has nothing more specific to say).  The
CLI prints them as one line and exits 2; nothing else in pipssl turns an error into output.
"""

from __future__ import annotations

from typing import Dict, NamedTuple, Optional


class Reference(NamedTuple):
    """One kind of error: what it means, and the next step of an error raised without a
    hint of its own (``{help}`` and ``{undo_list}`` are filled with pipssl's commands).
    A named tuple, not a dataclass: ``import pipssl`` loads this module, and dataclasses
    would double its start-up (it imports inspect)."""

    meaning: Optional[str]
    next_step: str


#: Every ``reference`` an error can carry: what it means (they are API, like the finding
#: codes; the README lists them and a test keeps the two and the code in step) and what to
#: do next when the place that raises it has nothing more specific to say (every refusal
#: says what the user can do).  A CA file's errors carry the finding code of the same name
#: instead: those have a next step and no meaning of their own here.
CATALOGUE: Dict[str, Reference] = {
    "pipssl-error": Reference(
        "an error of no more specific kind",
        "Correct what the line above names, then run again.",
    ),
    "usage-error": Reference(
        "a command-line option or argument is invalid",
        "See {help} for the commands and options.",
    ),
    "config-error": Reference(
        "a pip (or client) config file cannot be read the way its tool reads it",
        "Fix the file named above so that its tool can read it, then run again.",
    ),
    "read-failed": Reference(
        "a file pipssl must read is missing, cannot be read, or is too large for its kind",
        "Check that the file exists and that you may read it, then run again.",
    ),
    "write-failed": Reference(
        "a file pipssl must write, back up or remove cannot be",
        "Check the file's permissions, its directory and the free space.",
    ),
    "not-a-regular-file": Reference(
        "a path pipssl must read or replace is a directory, link, FIFO, socket or device",
        "Give the path of a regular file.",
    ),
    "python-not-found": Reference(
        "the interpreter given with --python does not exist",
        "Give the path of an interpreter, as `command -v python3` prints it.",
    ),
    "python-not-runnable": Reference(
        "the interpreter given with --python cannot be run or does not answer",
        "Run that interpreter yourself to see why it does not start.",
    ),
    "cafile-is-directory": Reference(
        "a CA file setting names a directory",
        "Name a CA file, or make the directory a CA directory.",
    ),
    "private-key-in-file": Reference(
        "a file given as a CA holds a private key (never echoed)",
        "Give a file holding only the CA certificates; keep the key private.",
    ),
    "unsafe-bundle-path": Reference(
        "a link or another kind of file stands where pipssl's bundle goes",
        "Remove it (pipssl creates it itself), then run repair again.",
    ),
    "unsafe-state-dir": Reference(
        "pipssl's state directory is a link, or writable by others",
        "Make it a directory of your own that only you can write (mode 0700).",
    ),
    "no-state-dir": Reference(
        "no home directory for pipssl's state or bundle (HOME is not set)",
        "Set HOME (or XDG_STATE_HOME and XDG_DATA_HOME), then run again.",
    ),
    "journal-corrupt": Reference(
        "pipssl's journal cannot be read",
        "Move the journal named above aside; pipssl then starts a new one.",
    ),
    "consent-corrupt": Reference(
        "pipssl's consent store (the CAs you told it to trust), or its list of the CAs you "
        "withdrew (forgotten.json), cannot be read",
        "Move consent.json aside, then give your CAs to repair again.",
    ),
    "backup-damaged": Reference(
        "a backup does not hold what the journal says it holds",
        "Compare the file with its backup by hand: pipssl will not restore it.",
    ),
    "foreign-path": Reference(
        "a journal record names a file no repair writes, or a backup outside pipssl's "
        "backups directory (or not a regular file); nothing is written",
        "Move pipssl's journal aside: pipssl did not write what it names.",
    ),
    "changed-since": Reference(
        "a file changed since pipssl wrote it; undo would lose that change",
        "Compare the file with pipssl's backup; {undo_list} shows the stack.",
    ),
    "nothing-to-undo": Reference(
        "the journal holds no repair to undo",
        "{undo_list} shows the stack; nothing is left to restore.",
    ),
    "locked": Reference(
        "another pipssl run holds the lock",
        "Wait for the other pipssl repair or undo to finish, then run again.",
    ),
    "transaction-closed": Reference(
        "internal: a journal transaction was used after it ended",
        "This is a bug in pipssl: please report it with the command you ran.",
    ),
    "internal": Reference(
        "internal: a state pipssl's own checks should have made impossible",
        "This is a bug in pipssl: please report it with the command you ran.",
    ),
    "bundle-missing": Reference(
        "a wheelhouse bundle does not exist",
        "Give the path of the zip that wheelhouse create wrote.",
    ),
    "bundle-damaged": Reference(
        "a wheelhouse bundle does not match its manifest (hash, size, files)",
        "Copy the bundle again; its SHA-256 must be the one create printed.",
    ),
    "bundle-unsafe": Reference(
        "a wheelhouse bundle holds a name that would escape its directory",
        "Use a bundle made by wheelhouse create; this one is not.",
    ),
    "bundle-incompatible": Reference(
        "a wheelhouse bundle has no wheel this interpreter can install",
        "Create it for this Python (--python-version, --platform).",
    ),
    "not-in-bundle": Reference(
        "wheelhouse install: the bundle cannot satisfy a requirement (project, version, or a "
        "dependency of it or its extras)",
        "Create the bundle with that requirement.",
    ),
    "index-unusable": Reference(
        "wheelhouse create: pip could not download from the index, and doctor names why (its "
        "finding code is shown)",
        "Fix what doctor names for the index, then create again.",
    ),
    "bootstrap-missing": Reference(
        "wheelhouse create run from get-pipssl.py cannot find that file to carry",
        "Give the file with --bootstrap PATH.",
    ),
    "wheel-missing": Reference(
        "wheelhouse create found no wheel of a requirement for the target",
        "Build a wheel of it, or create for another --python-version/--platform.",
    ),
    "python-failed": Reference(
        "the target interpreter failed while pipssl asked it something",
        "Run the interpreter yourself to see its error.",
    ),
    "pip-failed": Reference(
        "pip, run by pipssl, failed (its last line is shown)",
        "Run the pip command yourself to see its whole output.",
    ),
    "bootstrap-build": Reference(
        "get-pipssl.py cannot be built from the tree",
        "Run it from a checkout of pipssl (the tree with bootstrap/).",
    ),
    "cafile-missing": Reference(
        None,
        "Give the path of an existing PEM file.",
    ),
    "cafile-unreadable": Reference(
        None,
        "Check that you may read the file.",
    ),
    "cafile-empty": Reference(
        None,
        "Put the PEM certificates of your CA into it.",
    ),
    "ca-not-a-certificate": Reference(
        None,
        "Give a PEM (or DER) file of the CA's certificate.",
    ),
}

#: The catalogued references and their meanings (a CA file's finding codes left out).
REFERENCES: Dict[str, str] = {
    name: ref.meaning for name, ref in CATALOGUE.items() if ref.meaning is not None
}
#: The next step of every reference an error can carry.
NEXT_STEPS: Dict[str, str] = {name: ref.next_step for name, ref in CATALOGUE.items()}


def next_step(reference: str) -> str:
    """The hint of an error of ``reference`` raised without one."""
    from pipssl import commands  # noqa: PLC0415 import pipssl loads errors alone

    entry = CATALOGUE.get(reference, CATALOGUE["pipssl-error"])
    return entry.next_step.format(
        help=f"`{commands.pipssl('--help')}`", undo_list=f"`{commands.pipssl('undo', '--list')}`"
    )


def known(reference: str) -> bool:
    """Whether ``reference`` is in the catalogue (or is a finding code, for CA files)."""
    from pipssl import codes  # noqa: PLC0415 import pipssl loads errors alone

    return reference in REFERENCES or reference in codes.CODES


class PipsslError(Exception):
    """Base class of every error pipssl raises on purpose.

    Args:
        message: one line saying what went wrong, naming the file or option.
        reference: stable kebab-case identifier of the kind of error.
        hint: what the user can do about it (default: the reference's next step).
    """

    reference = "pipssl-error"

    def __init__(
        self, message: str, *, reference: Optional[str] = None, hint: Optional[str] = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if reference is not None:
            self.reference = reference
        self.hint = hint or next_step(self.reference)

    def __str__(self) -> str:
        return self.message


class UsageError(PipsslError):
    """A command-line option or argument is invalid."""

    reference = "usage-error"


class ConfigError(PipsslError):
    """A pip configuration file cannot be read the way pip reads it.

    Args:
        path: the file, when one is to blame (doctor's finding names it).
    """

    reference = "config-error"

    def __init__(
        self,
        message: str,
        *,
        reference: Optional[str] = None,
        hint: Optional[str] = None,
        path: Optional[str] = None,
    ) -> None:
        super().__init__(message, reference=reference, hint=hint)
        self.path = path


class CertificateError(PipsslError):
    """Bytes that should hold a certificate (DER or PEM) do not."""

    reference = "ca-not-a-certificate"


class BundleError(PipsslError):
    """A CA file cannot be used; ``reference`` is the matching finding code.

    One of ``cafile-missing``, ``cafile-unreadable``, ``cafile-empty``,
    ``ca-not-a-certificate``, ``cafile-is-directory`` or ``private-key-in-file``.
    """

    reference = "cafile-unreadable"


def write_failed(action: str, path: str, exc: OSError) -> PipsslError:
    """The one-line error for a file pipssl could not read, write or remove."""
    return PipsslError(
        f"cannot {action} {path}: {exc.strerror or exc}",
        reference="write-failed",
        hint="Check the file's permissions, its directory and the free space, then run again.",
    )
