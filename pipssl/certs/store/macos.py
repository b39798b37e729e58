"""macOS: the certificates of the system and login keychains, read with ``security``.

``security find-certificate -a -p KEYCHAIN`` prints every certificate of a keychain as
PEM.  Trust settings (a certificate marked "Never Trust", or trusted only for some uses)
are out of scope: reading them needs ``security dump-trust-settings`` or the Security
framework, and pipssl only offers to add a CA the user recognises, never to judge trust.
"""

from __future__ import annotations

import os
import subprocess
from typing import List, Mapping, Sequence, Tuple

from pipssl._files import MAX_CA_BYTES
from pipssl.certs.pem import BadBlock
from pipssl.certs.store.common import OsStore, StoreSource, loadable_text

#: Seconds one ``security`` run may take; a locked or network keychain can hang it.
SECURITY_TIMEOUT = 10.0

SYSTEM_KEYCHAINS: Tuple[Tuple[str, str], ...] = (
    (
        "/System/Library/Keychains/SystemRootCertificates.keychain",
        "SystemRootCertificates.keychain",
    ),
    ("/Library/Keychains/System.keychain", "System.keychain"),
)


def run_security(argv: Sequence[str], timeout: float) -> Tuple[int, str, str]:
    """Run the ``security`` tool; tests replace this function with recorded output.

    Args:
        argv: the full command line, starting with ``security``.
        timeout: seconds before the run is abandoned.

    Returns:
        The exit status, standard output and standard error (decoded as UTF-8).

    Raises:
        FileNotFoundError: ``security`` is not installed.
        OSError: it could not be started.
        subprocess.TimeoutExpired: it ran longer than ``timeout``.
    """
    proc = subprocess.run(
        list(argv),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def keychains(environ: Mapping[str, str]) -> List[Tuple[str, str]]:
    """The keychains to read, as (path, origin), in order.

    Args:
        environ: the environment whose ``HOME`` locates the login keychain.

    Returns:
        The two system keychains, then the login keychain if its file exists (a machine
        where nobody logged in, such as a CI runner, may have none).
    """
    found = list(SYSTEM_KEYCHAINS)
    home = environ.get("HOME") or os.path.expanduser("~")
    login = os.path.join(home, "Library", "Keychains", "login.keychain-db")
    if os.path.isfile(login):
        found.append((login, "login keychain"))
    return found


def store(environ: Mapping[str, str]) -> OsStore:
    """Read the certificates of the macOS keychains.

    Args:
        environ: the environment whose ``HOME`` locates the login keychain.

    Returns:
        An ``OsStore``; a keychain that cannot be read, or a missing ``security`` tool,
        is an entry in ``errors``.
    """
    sources: List[StoreSource] = []
    chunks: List[str] = []
    errors: List[str] = []
    bad: List[BadBlock] = []
    for path, origin in keychains(environ):
        sources.append(StoreSource("keychain", path, origin))
        argv = ["security", "find-certificate", "-a", "-p", path]
        try:
            status, out, err = run_security(argv, SECURITY_TIMEOUT)
        except FileNotFoundError:
            errors.append("`security` command not found: cannot read the macOS keychains")
            break
        except subprocess.TimeoutExpired:
            errors.append(f"{path}: `security` took more than {SECURITY_TIMEOUT:g} s, skipped")
            continue
        except OSError as exc:
            errors.append(f"{path}: cannot run `security`: {exc.strerror or exc}")
            continue
        if status != 0:
            detail = err.strip().splitlines()[-1] if err.strip() else "no message"
            errors.append(f"{path}: `security` exited with {status}: {detail}")
            continue
        if len(out) > MAX_CA_BYTES:
            errors.append(f"{path}: more than {MAX_CA_BYTES} bytes of output, skipped")
            continue
        if out.strip():
            # The keychain is read through the Security framework, not as a CA file: a
            # block pipssl cannot read costs only that block.
            text = out if out.endswith("\n") else out + "\n"
            chunks.append(loadable_text(text, path, errors, bad))
    return OsStore(tuple(sources), "".join(chunks), tuple(errors), tuple(bad))
