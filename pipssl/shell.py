"""The lines that set or unset an environment variable, for the shells a user may have.

A program cannot change its parent shell's environment, so pipssl prints these; they are
spelled in this one place, quoted so that a pasted line does exactly what it says.
"""

from __future__ import annotations


def set_lines(name: str, value: str) -> str:
    """The lines that set ``name`` to ``value`` in sh (bash, zsh) and in PowerShell."""
    quoted = "'" + value.replace("'", "'\\''") + "'"
    ps = "'" + value.replace("'", "''") + "'"
    return f"export {name}={quoted}   # sh, bash, zsh\n$env:{name} = {ps}   # PowerShell"


def unset_lines(name: str) -> str:
    """The lines that unset ``name`` in sh (bash, zsh) and in PowerShell."""
    return f"unset {name}            # sh, bash, zsh\nRemove-Item Env:{name}   # PowerShell"
