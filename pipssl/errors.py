"""The one exception type pipssl raises, and its few specialisations.

Every error carries a kebab-case ``reference`` (stable, usable in scripts) and a
``hint`` that tells the user what to do next (the reference's :data:`NEXT_STEPS` when
the place that raises it has nothing more specific to say).  The CLI prints them as one line and
exits 2; nothing else in pipssl turns an error into output.
"""

from __future__ import annotations

from typing import Dict, Optional

#: Every ``reference`` an error can carry, with what it means (they are API, like the
#: finding codes; the README lists them and a test keeps the two and the code in step).
#: A CA file's errors carry the finding code of the same name instead.
REFERENCES: Dict[str, str] = {
    "pipssl-error": "an error of no more specific kind",
    "usage-error": "a command-line option or argument is invalid",
    "config-error": "a pip (or client) config file cannot be read the way its tool reads it",
    "read-failed": "a file pipssl must read is missing, cannot be read, or is too large for "
    "its kind",
    "write-failed": "a file pipssl must write, back up or remove cannot be",
    "not-a-regular-file": "a path pipssl must read or replace is a directory, link, FIFO, "
    "socket or device",
    "python-not-found": "the interpreter given with --python does not exist",
    "python-not-runnable": "the interpreter given with --python cannot be run or does not answer",
    "cafile-is-directory": "a CA file setting names a directory",
    "private-key-in-file": "a file given as a CA holds a private key (never echoed)",
    "unsafe-bundle-path": "a link or another kind of file stands where pipssl's bundle goes",
    "unsafe-state-dir": "pipssl's state directory is a link, or writable by others",
    "no-state-dir": "no home directory for pipssl's state or bundle (HOME is not set)",
    "journal-corrupt": "pipssl's journal cannot be read",
    "consent-corrupt": "pipssl's consent store (the CAs you told it to trust), or its list "
    "of the CAs you withdrew (forgotten.json), cannot be read",
    "backup-damaged": "a backup does not hold what the journal says it holds",
    "foreign-path": "a journal record names a file no repair writes, or a backup outside"
    " pipssl's backups directory (or not a regular file); nothing is written",
    "changed-since": "a file changed since pipssl wrote it; undo would lose that change",
    "nothing-to-undo": "the journal holds no repair to undo",
    "locked": "another pipssl run holds the lock",
    "transaction-closed": "internal: a journal transaction was used after it ended",
    "internal": "internal: a state pipssl's own checks should have made impossible",
    "bundle-missing": "a wheelhouse bundle does not exist",
    "bundle-damaged": "a wheelhouse bundle does not match its manifest (hash, size, files)",
    "bundle-unsafe": "a wheelhouse bundle holds a name that would escape its directory",
    "bundle-incompatible": "a wheelhouse bundle has no wheel this interpreter can install",
    "not-in-bundle": "wheelhouse install: the bundle cannot satisfy a requirement (project, "
    "version, or a dependency of it or its extras)",
    "index-unusable": "wheelhouse create: pip could not download from the index, and doctor "
    "names why (its finding code is shown)",
    "bootstrap-missing": "wheelhouse create run from get-pipssl.py cannot find that file to carry",
    "wheel-missing": "wheelhouse create found no wheel of a requirement for the target",
    "python-failed": "the target interpreter failed while pipssl asked it something",
    "pip-failed": "pip, run by pipssl, failed (its last line is shown)",
    "bootstrap-build": "get-pipssl.py cannot be built from the tree",
}


#: What to do next, for an error raised without a hint of its own: every refusal says
#: what the user can do (the more specific hints are written where the error is raised).
NEXT_STEPS: Dict[str, str] = {
    "pipssl-error": "Correct what the line above names, then run again.",
    "usage-error": "See {help} for the commands and options.",
    "config-error": "Fix the file named above so that its tool can read it, then run again.",
    "read-failed": "Check that the file exists and that you may read it, then run again.",
    "write-failed": "Check the file's permissions, its directory and the free space.",
    "not-a-regular-file": "Give the path of a regular file.",
    "python-not-found": "Give the path of an interpreter, as `command -v python3` prints it.",
    "python-not-runnable": "Run that interpreter yourself to see why it does not start.",
    "cafile-is-directory": "Name a CA file, or make the directory a CA directory.",
    "private-key-in-file": "Give a file holding only the CA certificates; keep the key private.",
    "unsafe-bundle-path": "Remove it (pipssl creates it itself), then run repair again.",
    "unsafe-state-dir": "Make it a directory of your own that only you can write (mode 0700).",
    "no-state-dir": "Set HOME (or XDG_STATE_HOME and XDG_DATA_HOME), then run again.",
    "journal-corrupt": "Move the journal named above aside; pipssl then starts a new one.",
    "consent-corrupt": "Move consent.json aside, then give your CAs to repair again.",
    "backup-damaged": "Compare the file with its backup by hand: pipssl will not restore it.",
    "foreign-path": "Move pipssl's journal aside: pipssl did not write what it names.",
    "changed-since": "Compare the file with pipssl's backup; {undo_list} shows the stack.",
    "nothing-to-undo": "{undo_list} shows the stack; nothing is left to restore.",
    "locked": "Wait for the other pipssl repair or undo to finish, then run again.",
    "transaction-closed": "This is a bug in pipssl: please report it with the command you ran.",
    "internal": "This is a bug in pipssl: please report it with the command you ran.",
    "bundle-missing": "Give the path of the zip that wheelhouse create wrote.",
    "bundle-damaged": "Copy the bundle again; its SHA-256 must be the one create printed.",
    "bundle-unsafe": "Use a bundle made by wheelhouse create; this one is not.",
    "bundle-incompatible": "Create it for this Python (--python-version, --platform).",
    "not-in-bundle": "Create the bundle with that requirement.",
    "index-unusable": "Fix what doctor names for the index, then create again.",
    "bootstrap-missing": "Give the file with --bootstrap PATH.",
    "wheel-missing": "Build a wheel of it, or create for another --python-version/--platform.",
    "python-failed": "Run the interpreter yourself to see its error.",
    "pip-failed": "Run the pip command yourself to see its whole output.",
    "bootstrap-build": "Run it from a checkout of pipssl (the tree with bootstrap/).",
    "cafile-missing": "Give the path of an existing PEM file.",
    "cafile-unreadable": "Check that you may read the file.",
    "cafile-empty": "Put the PEM certificates of your CA into it.",
    "ca-not-a-certificate": "Give a PEM (or DER) file of the CA's certificate.",
}


def next_step(reference: str) -> str:
    """The hint of an error of ``reference`` raised without one."""
    from pipssl import commands

    text = NEXT_STEPS.get(reference, NEXT_STEPS["pipssl-error"])
    return text.format(
        help=f"`{commands.pipssl('--help')}`", undo_list=f"`{commands.pipssl('undo', '--list')}`"
    )


def known(reference: str) -> bool:
    """Whether ``reference`` is in the catalogue (or is a finding code, for CA files)."""
    from pipssl import codes

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
