"""Bounded memories forget the oldest first, by count and by age."""

from __future__ import annotations

import pytest

from injector.memory import RecentSet


def test_size_bound_forgets_the_oldest() -> None:
    """Past max_size, the first remembered is the first forgotten."""
    memory = RecentSet(max_size=3, horizon_s=100)
    for n, key in enumerate("abcd"):
        memory.add(key, float(n))
    assert len(memory) == 3
    assert not memory.contains("a", 4.0)
    assert all(memory.contains(k, 4.0) for k in "bcd")


def test_horizon_bound_forgets_what_is_too_old() -> None:
    """An entry older than the horizon is no longer held, whether or not it was expired yet."""
    memory = RecentSet(max_size=10, horizon_s=60)
    memory.add("a", 0.0)
    memory.add("b", 50.0)
    assert memory.contains("a", 59.0)
    assert not memory.contains("a", 61.0)
    memory.expire(61.0)
    assert len(memory) == 1


def test_re_adding_refreshes_an_entry() -> None:
    """Remembering a key again moves it to the newest end."""
    memory = RecentSet(max_size=2, horizon_s=100)
    memory.add("a", 0.0)
    memory.add("b", 1.0)
    memory.add("a", 2.0)
    memory.add("c", 3.0)
    assert memory.contains("a", 3.0)
    assert not memory.contains("b", 3.0)


@pytest.mark.parametrize(("size", "horizon"), [(0, 10.0), (10, 0.0)])
def test_bounds_must_be_positive(size: int, horizon: float) -> None:
    """An unbounded or empty memory is a configuration error."""
    with pytest.raises(ValueError, match="positive"):
        RecentSet(max_size=size, horizon_s=horizon)
