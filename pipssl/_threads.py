"""Work side by side in threads: a diagnosis' probes and real checks wait on sockets and
children, not on the CPU, so threads overlap their waits.

``concurrent.futures`` would do the same, but importing it loads ``logging`` and its own
machinery: several milliseconds of every ``doctor``'s start on Python 3.13 (measured), for
two maps and one background call.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, List, Optional, Sequence, TypeVar

T = TypeVar("T")
A = TypeVar("A")


class Beside(Generic[T]):
    """``work()`` run in a thread of its own from now; :meth:`result` waits for it (the
    work bounds itself) and raises what it raised."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._out: Optional[T] = None
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._out = self._work()
        except BaseException as exc:  # raised again in the caller's thread
            self._error = exc

    def wait(self) -> None:
        """Wait for the work to end, without its result."""
        self._thread.join()

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._out  # type: ignore[return-value]  # set: the work returned


def each_at_once(work: Callable[[A], T], items: Sequence[A], most: int) -> List[T]:
    """``work(item)`` for every item, up to ``most`` at a time, the results in the items'
    order; when one raised, the first item's exception is raised, once all have ended."""
    if len(items) < 2:
        return [work(item) for item in items]
    runs = [Beside(_bound(work, item)) for item in items[:most]]
    # past ``most``, each item waits for the one ``most`` places before it to end first
    for at in range(most, len(items)):
        runs.append(Beside(_after(runs[at - most], work, items[at])))
    for run in runs:
        run.wait()
    return [run.result() for run in runs]


def _bound(work: Callable[[A], T], item: A) -> Callable[[], T]:
    return lambda: work(item)


def _after(before: Beside[T], work: Callable[[A], T], item: A) -> Callable[[], T]:
    def run() -> T:
        before.wait()  # what it raised, its own result() raises, in the items' order
        return work(item)

    return run
