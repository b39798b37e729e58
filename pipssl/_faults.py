"""Crash points for pipssl's fault-injection tests.

``tests/test_faults.py`` kills a real ``repair`` (and ``undo``) at every step that changes
a file, to prove that a ``kill -9`` anywhere leaves pip's configuration as it was or as
the repair meant it, and that ``undo`` or a second ``repair`` finishes the job.

With ``PIPSSL_TEST_KILL_AT=N`` in the environment, the Nth point reached kills the process
with SIGKILL, as ``kill -9`` would: no ``finally`` block, ``atexit`` hook or buffer flush
runs.  Without it (always, outside those tests) a point is one dictionary lookup.  The
variable can only make pipssl stop; it cannot make it write anything.
"""

from __future__ import annotations

import os
import signal

ENV = "PIPSSL_TEST_KILL_AT"

_reached = [0]  # points passed so far in this process


def point(name: str) -> None:
    """Count one crash point; kill this process if it is the one the test asked for.

    Args:
        name: what has just happened (shown on stderr so a test can list the points).
    """
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    _reached[0] += 1
    if wanted.strip() != str(_reached[0]):
        return
    os.write(2, f"pipssl: test crash point {_reached[0]}: {name}\n".encode())
    kill = getattr(signal, "SIGKILL", None)
    if kill is not None:
        os.kill(os.getpid(), kill)
    os._exit(137)  # Windows has no SIGKILL; _exit skips cleanup just the same
