"""pipssl._threads: the side-by-side helpers the diagnosis runs its probes with."""

from __future__ import annotations

import threading
import time
from typing import List

import pytest

from pipssl._threads import Beside, each_at_once


class _Counting:
    """A piece of work that records how many copies of it ran at once."""

    def __init__(self, fail_on: int = -1) -> None:
        self.lock = threading.Lock()
        self.active = self.peak = 0
        self.ended: List[int] = []
        self.fail_on = fail_on

    def __call__(self, item: int) -> int:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.02)
        with self.lock:
            self.active -= 1
            self.ended.append(item)
        if item == self.fail_on:
            raise ValueError(item)
        return item * 10


def test_each_at_once_keeps_order_and_its_bound() -> None:
    work = _Counting()
    assert each_at_once(work, list(range(7)), 3) == [0, 10, 20, 30, 40, 50, 60]
    assert work.peak == 3


def test_each_at_once_raises_the_first_failure_once_every_item_has_ended() -> None:
    work = _Counting(fail_on=2)
    with pytest.raises(ValueError, match="2"):
        each_at_once(work, list(range(6)), 2)
    assert sorted(work.ended) == list(range(6))  # nothing left running behind the raise


def test_each_at_once_runs_one_item_or_none_in_the_caller() -> None:
    assert each_at_once(_Counting(), [], 4) == []
    assert each_at_once(lambda _: threading.current_thread(), [1], 4) == [
        threading.current_thread()
    ]


def test_beside_gives_the_result_or_raises_in_the_caller() -> None:
    assert Beside(lambda: 42).result() == 42

    def fails() -> int:
        raise OSError("refused")

    with pytest.raises(OSError, match="refused"):
        Beside(fails).result()
