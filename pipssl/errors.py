"""The one exception type pipssl raises, and its few specialisations.

Every error carries a kebab-case ``reference`` (stable, usable in scripts) and a
``hint`` that tells the user what to do next.  The CLI prints them as one line and
exits 2; nothing else in pipssl turns an error into output.
"""

from __future__ import annotations

from typing import Optional


class PipsslError(Exception):
    """Base class of every error pipssl raises on purpose.

    Args:
        message: one line saying what went wrong, naming the file or option.
        reference: stable kebab-case identifier of the kind of error.
        hint: what the user can do about it, if anything.
    """

    reference = "pipssl-error"

    def __init__(
        self, message: str, *, reference: Optional[str] = None, hint: Optional[str] = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if reference is not None:
            self.reference = reference
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(PipsslError):
    """A command-line option or argument is invalid."""

    reference = "usage-error"


class ConfigError(PipsslError):
    """A pip configuration file cannot be read the way pip reads it."""

    reference = "config-error"


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
