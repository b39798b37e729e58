"""A child process pipssl starts (the facts child, the real pip, the real clients), bounded.

Each child runs in a process group of its own, so that whatever it starts (a wrapper
script's ``sleep``, pip's own children) goes with it: at its deadline, or once it grows
past :data:`~pipssl._limits.MEMORY_BYTES` (a client reading a body that never ends), the
whole group is killed and reaped.  Its output is read as it comes into buffers capped at
:data:`~pipssl._limits.OUTPUT_BYTES`, so a child can neither stall pipssl nor swell it.
A watcher thread enforces the deadline from the start, not only when someone waits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import IO, List, Mapping, NamedTuple, Optional, Sequence

from pipssl._limits import MEMORY_BYTES, OUTPUT_BYTES

#: Seconds between two looks at a running child (its deadline, its memory); its end wakes
#: the watcher at once (its output pipe closes), so a wait is not held back by a look.
_POLL = 0.05
#: Seconds to the first look once the child closed its output but has not ended yet (the
#: next ones twice as far apart each, up to _POLL: a child that closed its output and
#: lives on costs no more looks than any other).
_SETTLE = 0.002
#: Seconds to wait for the readers once the group is gone (a member that left the group
#: may still hold a pipe: its output is not waited for).
_DRAIN = 2.0


class Finished(NamedTuple):
    """How a child ended (a named tuple: the real pip starts before pipssl loads
    ``dataclasses``, which imports ``inspect``).

    Attributes:
        returncode: its exit status (negative: the signal that ended it).
        stdout / stderr: what it wrote (the first :data:`OUTPUT_BYTES` of each).
        stopped: why pipssl stopped it: ``"deadline"`` or ``"memory"``; empty when it
            ended by itself.
        limit: the seconds it was given.
    """

    returncode: int
    stdout: bytes
    stderr: bytes
    stopped: str
    limit: float


class _Capped:
    """Reads a pipe to its end in a thread, keeping the first ``cap`` bytes."""

    def __init__(
        self, pipe: Optional[IO[bytes]], cap: int, ended: Optional[threading.Event] = None
    ) -> None:
        self._chunks: List[bytes] = []
        self._pipe, self._cap, self._kept = pipe, cap, 0
        self._ended = ended
        #: Set once a whole first line has come, or the output ended (``closed``).
        self.line = threading.Event()
        self.closed = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        if pipe is not None:
            self._thread.start()

    def _run(self) -> None:
        assert self._pipe is not None
        try:
            while True:
                # read1: what has come so far, without waiting for 64 KiB more
                read = getattr(self._pipe, "read1", self._pipe.read)
                chunk = read(65536)
                if not chunk:
                    break
                room = self._cap - self._kept
                if room > 0:
                    self._chunks.append(chunk[:room])
                    self._kept += min(room, len(chunk))
                if b"\n" in chunk:
                    self.line.set()
        except (OSError, ValueError):
            pass  # closed under us once the group is gone
        finally:
            self.closed = True
            self.line.set()
            if self._ended is not None:
                self._ended.set()  # the end of its output: most likely the child's end

    def first_line(self, wait: float) -> Optional[bytes]:
        """The first line (without its newline) once it has come within ``wait`` seconds;
        None when it has not, or the output ended without one."""
        self.line.wait(wait)
        kept = b"".join(self._chunks)
        end = kept.find(b"\n")
        return kept[:end] if end >= 0 else None

    def value(self) -> bytes:
        if self._pipe is not None:
            self._thread.join(_DRAIN)
            if self._thread.is_alive():
                self._pipe.close()
        return b"".join(self._chunks)


class Child:
    """A started child: :meth:`wait` for how it ended, :meth:`stop` to end it now.

    Raises (from the constructor):
        OSError: the program cannot be started (FileNotFoundError: there is none).
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        limit: float,
        stdin: Optional[bytes] = None,
        cwd: Optional[str] = None,
        merge_stderr: bool = False,
        hold_stdin: bool = False,
    ) -> None:
        """``stdin``: written at once, then closed; ``hold_stdin``: a pipe left open for
        :meth:`feed` (the child can start its work before its input is known)."""
        self.limit = limit
        self._end = time.monotonic() + limit
        self._stopped = ""
        self._lock = threading.Lock()
        self._ended = threading.Event()
        piped = stdin is not None or hold_stdin
        self._proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE if piped else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            start_new_session=os.name == "posix",
        )
        self._out = _Capped(self._proc.stdout, OUTPUT_BYTES, self._ended)
        self._err = _Capped(self._proc.stderr, OUTPUT_BYTES)
        if stdin is not None:
            self.feed(stdin)
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def feed(self, data: bytes) -> None:
        """Write ``data`` to the child's standard input and close it (once)."""
        if self._proc.stdin is None or self._proc.stdin.closed:
            return
        try:
            self._proc.stdin.write(data)
            self._proc.stdin.close()
        except OSError:
            pass  # it died at once; its exit says why

    def _watch(self) -> None:
        settle = _SETTLE
        while not self._exited():
            if time.monotonic() >= self._end:
                self._kill("deadline")
            elif _resident(self._proc.pid) > MEMORY_BYTES:
                self._kill("memory")
            if self._ended.is_set():  # its output ended: its exit is most likely a moment away
                time.sleep(settle)
                settle = min(2 * settle, _POLL)
            else:
                self._ended.wait(_POLL)
        # It ended: its group may outlive it (a child it left behind); the group goes too,
        # then it is reaped, under the lock, so no kill can reach a reused process id.
        with self._lock:
            self._kill_group()
            self._proc.wait()

    def _exited(self) -> bool:
        """Has the child ended?  Asked without reaping it, so that its process group id
        cannot be taken by another process before the group is killed."""
        waitid = getattr(os, "waitid", None)
        if waitid is None or os.name != "posix":
            return self._proc.poll() is not None
        try:
            flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
            return waitid(os.P_PID, self._proc.pid, flags) is not None
        except ChildProcessError:
            return True

    def _kill(self, why: str) -> None:
        with self._lock:
            if self._proc.returncode is not None:
                return  # reaped: its id may be another process's now
            if not self._stopped:
                self._stopped = why
            self._kill_group()

    def _kill_group(self) -> None:
        if os.name != "posix":
            if self._proc.poll() is None:
                self._proc.kill()
            return
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone already

    def stop(self, *, wait: bool = True) -> None:
        """End the child and its group now (nobody will read its answer); ``wait``: until
        it is reaped (else the watcher reaps it meanwhile)."""
        self._kill("cancelled")
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            try:
                self._proc.stdin.close()
            except OSError:
                pass  # a held pipe, closed only so that no descriptor is left behind
        if wait:
            self.wait()

    def first_line(self, wait: float) -> Optional[bytes]:
        """What the child wrote on its first line, once it has (within ``wait`` seconds),
        while it runs on: a child that answers twice (the facts, then requests' check)."""
        return self._out.first_line(wait)

    def said_all(self) -> bool:
        """Whether the child's output has ended (it ended, or is about to)."""
        return self._out.closed

    def wait(self) -> Finished:
        """Wait (never past the deadline and the reap) for the child's end."""
        self._watcher.join()
        return Finished(
            self._proc.returncode, self._out.value(), self._err.value(), self._stopped, self.limit
        )


def _resident(pid: int) -> int:
    """The child's resident memory in bytes (0 where the system does not tell)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            fields = handle.read().split()
        return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
