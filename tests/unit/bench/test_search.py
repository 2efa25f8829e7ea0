"""The capacity step search: which rate comes next, and which rate was sustained."""

from __future__ import annotations

import pytest

from bench.pipeline.search import SearchPolicy, Tried, next_rate, passes, sustained

POLICY = SearchPolicy(start=500, growth=2.0, ceiling=4000, floor=100, resolution=0.15, max_steps=6)


def ok(rate: float) -> Tried:
    return Tried(rate, passed=True)


def over(rate: float) -> Tried:
    return Tried(rate, passed=False)


@pytest.mark.parametrize(
    ("tried", "expected"),
    [
        ([], 500),
        ([ok(500)], 1000),
        ([ok(500), ok(1000)], 2000),
        ([ok(500), ok(1000), ok(2000)], 4000),  # capped at the ceiling
        ([ok(500), ok(1000), ok(2000), ok(4000)], None),  # the ceiling passed: done
        ([ok(500), over(1000)], 750),  # bisect between the best pass and the failure
        ([ok(500), over(1000), ok(750)], 900),  # rounded to the quantum of 50
        ([ok(500), over(1000), ok(750), ok(900)], None),  # within 15 %: done
        ([ok(500), over(1000), over(750)], 650),  # 625 rounds half up
        ([over(500)], 250),  # even the start failed: halve
        ([over(500), over(250)], 150),  # 125 rounds half up to 150
        ([over(500), over(250), over(150)], 100),  # 75 rounds to 100, the floor itself
        ([over(500), over(250), over(150), over(100)], None),  # 50 is under the floor
        ([over(500), ok(250)], 400),  # 375 rounds half up
    ],
)
def test_next_rate(tried: list[Tried], expected: float | None) -> None:
    """Climb geometrically while passing, bisect after a failure, halve from a failed start."""
    assert next_rate(POLICY, tried) == expected


def test_the_search_stops_after_its_step_budget() -> None:
    """However the steps went, no more than max_steps are taken."""
    tried = [ok(100 * n) for n in range(1, 7)]
    assert next_rate(POLICY, tried) is None


def test_a_rate_already_tried_is_not_tried_again() -> None:
    """When rounding lands on a rate already tried, the search ends rather than repeat it."""
    policy = SearchPolicy(start=100, growth=1.1, floor=50, quantum=50, max_steps=6)
    assert next_rate(policy, [ok(100)]) is None  # 110 rounds back to 100


@pytest.mark.parametrize(
    ("tried", "expected"),
    [
        ([], None),
        ([over(500)], None),
        ([ok(500), ok(1000)], 1000),
        ([ok(500), over(1000), ok(750)], 750),
        ([ok(500), over(750), ok(1000)], 500),  # a pass above a failure is noise
    ],
)
def test_sustained_rate(tried: list[Tried], expected: float | None) -> None:
    """The sustained rate is the highest pass below every failure."""
    assert sustained(tried) == expected


@pytest.mark.parametrize(
    ("p99_ms", "lost", "refused", "expected"),
    [
        (99.9, 0, 0, True),
        (100.0, 0, 0, False),
        (20.0, 1, 0, False),
        (20.0, 0, 3, False),
        (None, 0, 0, False),
    ],
)
def test_passes(p99_ms: float | None, lost: int, refused: int, expected: bool) -> None:
    """A step passes only under the bound with nothing lost or refused."""
    assert passes(p99_ms=p99_ms, lost=lost, refused=refused, bound_ms=100) is expected


@pytest.mark.parametrize(
    "fields",
    [
        {"start": 50, "floor": 100},
        {"start": 5000, "ceiling": 4000},
        {"growth": 1.0},
        {"max_steps": 0},
        {"resolution": 0},
    ],
)
def test_a_policy_that_could_not_search_is_refused(fields: dict[str, float]) -> None:
    """Inconsistent bounds or a search that cannot move are refused when the policy is built."""
    with pytest.raises(ValueError, match=r"must|need"):
        SearchPolicy(**fields)  # type: ignore[arg-type]
