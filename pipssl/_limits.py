"""How long and how much: every bound pipssl puts on the network and on its child processes.

A hostile or broken network (an index that answers one byte a second, a body that never
ends, a proxy that goes silent after CONNECT) and an interpreter that never answers must
neither stall pipssl nor make it swell.  Each bound lives here, once, with why it is what
it is.

The bound a user can count on: one diagnosis returns within about
``run_limit(timeout)`` = 2 x timeout + 10 seconds, whatever the network does: pipssl's
probes reach the indexes side by side (up to eight at once), each within ``timeout``
seconds, while the real pip runs under its own deadline.
"""

from __future__ import annotations

from pipssl.errors import UsageError

#: The largest ``--timeout`` accepted, in seconds: beyond it no network answer is worth
#: waiting for, and a bigger number only overflows the system's timers.
TIMEOUT_MAX = 300.0


def validate_timeout(timeout: float) -> float:
    """The one check of a timeout: a number of seconds above 0, at most
    :data:`TIMEOUT_MAX` (300).

    Raises:
        UsageError: anything else (the CLI's argparse type calls this too).
    """
    if not 0 < timeout <= TIMEOUT_MAX:  # NaN fails both comparisons
        raise UsageError(
            f"--timeout must be more than 0 and at most {TIMEOUT_MAX:g} seconds, not {timeout}"
        )
    return timeout


#: Seconds a child interpreter may take to start and import before it does any network
#: work (pip's own start-up is about 1 s on an idle machine; a loaded one is slower).
START_ALLOWANCE = 10.0

#: The head of an HTTP answer (status line and headers), an index's or a proxy's: a real
#: one is well under 8 KiB.
HEAD_BYTES = 64 * 1024

#: What pipssl's probe reads of an index page's body: enough to see the page arrive;
#: pip's own read of the page is judged by the real pip.
BODY_BYTES = 64 * 1024

#: An issuer certificate fetched by its AIA URL (a real one is 1-2 KiB), read within the
#: timeout in all.
ISSUER_BYTES = 64 * 1024

#: What is kept of the first bytes a server sends where TLS was expected: enough to show
#: a proxy's or a plain server's words (a status line, a few headers, a line of a page).
FIRST_BYTES = 256

#: What is kept of a child's stdout and of its stderr (pip's -vvv log of one run is tens
#: of kilobytes); the rest is read and dropped, so the child never blocks on a full pipe.
OUTPUT_BYTES = 4 * 1024 * 1024

#: The resident memory a child may reach before it is stopped: pip, requests and uv stay
#: near 50 MB for one page; one reading an answer that never ends grows ~100 MB a second.
MEMORY_BYTES = 128 * 1024 * 1024


def run_limit(timeout: float) -> float:
    """Seconds a child that asks the network (the real pip, the real clients) may run:
    its start-up and two timeouts (pip's connection to an index and its read of it)."""
    return 2 * timeout + START_ALLOWANCE


def start_limit(timeout: float) -> float:
    """Seconds the facts child (no network at all) may take to answer."""
    return timeout + START_ALLOWANCE
