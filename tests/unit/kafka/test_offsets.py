"""Committable offsets: only past the longest finished prefix, per partition and assignment."""

from __future__ import annotations

import pytest

from callstream.kafka.offsets import OffsetTracker


@pytest.mark.parametrize(
    ("received", "finished", "committable"),
    [
        ([0, 1, 2], [], None),
        ([0, 1, 2], [1, 2], None),  # 0 still open: nothing may be committed
        ([0, 1, 2], [0], 1),
        ([0, 1, 2], [2, 0], 1),
        ([0, 1, 2], [2, 1, 0], 3),
        ([5, 9, 12], [5, 9], 10),  # gaps (compaction, transaction markers) are fine
        ([5, 9, 12], [12, 9, 5], 13),
    ],
)
def test_committable_is_one_past_the_finished_prefix(
    received: list[int], finished: list[int], committable: int | None
) -> None:
    """Records finish in any order; the commit never passes an unfinished one."""
    tracker = OffsetTracker()
    tracker.assign([0])
    generation = 0
    for offset in received:
        generation = tracker.add(0, offset)
    for offset in finished:
        tracker.finish(0, generation, offset)
    assert tracker.committable().get(0) == committable


def test_commits_report_only_movement() -> None:
    """commits() names a partition only when its committable offset moved since last time."""
    tracker = OffsetTracker()
    tracker.assign([0, 1])
    g0, g1 = tracker.add(0, 0), tracker.add(1, 7)
    tracker.add(0, 1)
    assert tracker.commits() == {}
    tracker.finish(0, g0, 0)
    tracker.finish(1, g1, 7)
    assert tracker.commits() == {0: 1, 1: 8}
    assert tracker.commits() == {}


def test_work_from_an_earlier_assignment_is_not_counted() -> None:
    """After a revoke and re-assign, finishing a record of the old generation changes nothing."""
    tracker = OffsetTracker()
    tracker.assign([3])
    old = tracker.add(3, 10)
    assert tracker.release([3]) == {}
    tracker.assign([3])
    new = tracker.add(3, 10)
    assert new != old
    assert tracker.finish(3, old, 10) is False
    assert tracker.committable() == {}
    assert tracker.finish(3, new, 10) is True
    assert tracker.release([3]) == {3: 11}
    assert tracker.generation(3) is None


def test_offsets_must_arrive_in_order() -> None:
    """A partition's records arrive in offset order; anything else is a bug, said loudly."""
    tracker = OffsetTracker()
    tracker.assign([0])
    tracker.add(0, 4)
    with pytest.raises(ValueError, match="arrived after"):
        tracker.add(0, 4)
