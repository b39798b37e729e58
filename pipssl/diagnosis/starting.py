"""The children a diagnosis starts before pipssl's own work, in this order: the real pip
(a confirmed verdict cannot come sooner than pip's), then the target interpreter's facts
child, which goes on to requests' real check once it has answered (the import of requests
is most of that check's time; it gets its URLs later, or is stopped).  ``--quick`` starts
only the facts child.

This module is light on purpose: the CLI starts the children through it first and only
then imports the diagnosis (:mod:`pipssl.diagnosis.api` and the modules it uses), so that
loading pipssl happens while they run, on the other core.  pip starts before anything it
does not need loads (:mod:`dataclasses` among them: the CLI's path to pip holds named
tuples only); the facts child's modules load while pip's interpreter starts.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Iterable, Mapping, NamedTuple, Optional, Sequence

from pipssl import _files
from pipssl._limits import run_limit, start_limit
from pipssl.certs.openssl import special_hashed_name

if TYPE_CHECKING:
    from pipssl.clients.real import Early
    from pipssl.interpreter.askpip import Asking
    from pipssl.interpreter.facts import Inspection


class Started(NamedTuple):
    """The children one diagnosis started.

    Attributes:
        inspection: the target interpreter's facts child.
        asking: the real pip (None: not confirmed, or nothing to ask it).
        early: requests' real check (None: not confirmed, or no index to probe).
    """

    inspection: Inspection
    asking: Optional[Asking] = None
    early: Optional[Early] = None

    def cancel(self) -> None:
        """Stop every child: no answer of theirs will be read."""
        self.inspection.cancel()
        for started in (self.asking, self.early):
            if started is not None:
                started.cancel()


def start(
    python: Optional[str],
    env: Mapping[str, str],
    index_urls: Optional[Sequence[str]],
    timeout: float,
    cwd: Optional[str],
    confirm: bool,
) -> Started:
    """Start the children (``python``: the target, None for pipssl's own interpreter);
    without ``confirm``, the facts child alone: pipssl's model asks no real client."""
    executable = python or sys.executable
    asking = ask_pip(executable, env, index_urls, timeout) if confirm else None
    # loaded once pip runs (measured: pip starts ~6 ms sooner on Python 3.13)
    from pipssl.clients.real import REQUESTS, Early  # noqa: PLC0415 once pip runs
    from pipssl.interpreter import facts  # noqa: PLC0415 once pip runs

    early: Optional[Early] = None
    then = ""  # a script the facts child runs once it has answered
    if confirm and (index_urls is None or index_urls):  # `--index-url` none: nothing probed
        if cwd is None:
            # requests' check in the facts child: one interpreter start and one import
            # of ssl, json and hashlib fewer beside the real pip (6-8% of a confirmed
            # doctor's CPU on Python 3.13, measured)
            then = REQUESTS
        else:  # requests runs in the project's directory, the facts in pipssl's
            early = Early(executable, env, timeout=timeout, cwd=cwd)
    inspection = facts.start(
        python, env=env, timeout=start_limit(timeout), then=then, then_limit=run_limit(timeout)
    )
    if inspection.child is not None:  # the facts child goes on to requests' check
        early = Early(executable, env, timeout=timeout, cwd=None, child=inspection.child)
    return Started(inspection, asking, early)


def ask_pip(
    python: str, env: Mapping[str, str], index_urls: Optional[Sequence[str]], timeout: float
) -> Optional[Asking]:
    """Ask the real pip (None: there is nothing to ask it about, or a file its variables
    name would stall it: see :func:`stalls`)."""
    if index_urls is not None and not index_urls:
        return None
    # pip never opens PIP_CONFIG_FILE when it is the null device (it reads no file then)
    opened = [env.get(n, "") for n in _FILE_VARIABLES if (n, env.get(n)) != (_CONFIG, os.devnull)]
    if stalls(opened):
        return None
    from pipssl.interpreter import askpip  # noqa: PLC0415 --quick loads none of it

    return askpip.ask(python, env, index_urls, timeout)


# The variables naming a file pip opens before it reaches any index (SSL_CERT_FILE: the
# OS store of truststore pips).
_FILE_VARIABLES = (
    "PIP_CONFIG_FILE",
    "PIP_CERT",
    "PIP_CLIENT_CERT",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
)


_CONFIG = _FILE_VARIABLES[0]


def stalls(paths: Iterable[str]) -> bool:
    """Whether one of ``paths`` (files pip opens: config, CA file, client certificate)
    would stall the real pip: a FIFO blocks its open for ever, a device such as /dev/zero
    is read until memory runs out.  pipssl's own reader refuses them (a finding says so);
    the real pip is then not asked, or not waited for."""
    for path in paths:
        if not path:
            continue
        if os.path.isdir(path):  # a CA directory: OpenSSL opens its <hash>.<n> files
            if special_hashed_name(path) is not None:
                return True
            continue
        try:
            _files.check_file(path, _files.REPLACED)
        except _files.FileRefused as exc:
            if exc.why == _files.SPECIAL:
                return True
    return False
