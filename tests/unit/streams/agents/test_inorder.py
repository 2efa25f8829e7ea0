"""``InOrderRelease``: nothing is handed back for acknowledgement ahead of unfinished work."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.agents.inorder import InOrderRelease


def test_work_finished_early_waits_for_the_work_before_it() -> None:
    """The third finishes first, then the first, then the second: released 1, then 2 and 3."""
    window: InOrderRelease[int] = InOrderRelease()
    first, second, third = (window.add("p0", n) for n in (1, 2, 3))
    assert window.finish(third) == []
    assert window.finish(first) == [1]
    assert window.finish(second) == [2, 3]
    assert window.unfinished == 0


def test_lanes_do_not_wait_for_each_other() -> None:
    """A slow record on one partition holds back nothing on another."""
    window: InOrderRelease[str] = InOrderRelease()
    slow = window.add("p0", "slow")
    fast = window.add("p1", "fast")
    assert window.finish(fast) == ["fast"]
    assert window.unfinished == 1
    assert window.finish(slow) == ["slow"]


def test_a_ticket_cannot_be_finished_twice() -> None:
    window: InOrderRelease[int] = InOrderRelease()
    ticket = window.add("p0", 1)
    window.finish(ticket)
    with pytest.raises(ValueError, match="already finished"):
        window.finish(ticket)


@given(st.lists(st.integers(0, 3), min_size=1, max_size=60), st.randoms())
def test_released_in_arrival_order_and_never_past_unfinished_work(
    lanes: list[int], rng: random.Random
) -> None:
    """Whatever order work finishes in, each lane's releases are its arrivals, in order,
    and nothing is released while something that arrived before it is unfinished."""
    window: InOrderRelease[int] = InOrderRelease()
    tickets = [window.add(lane, n) for n, lane in enumerate(lanes)]
    finished: set[int] = set()
    released: dict[int, list[int]] = {}
    for ticket in rng.sample(tickets, len(tickets)):
        finished.add(ticket.item)
        for item in window.finish(ticket):
            lane = lanes[item]
            earlier = [n for n in range(item) if lanes[n] == lane]
            assert all(n in finished for n in earlier)
            released.setdefault(lane, []).append(item)
    for lane in set(lanes):
        assert released[lane] == [n for n, each in enumerate(lanes) if each == lane]
    assert window.unfinished == 0
