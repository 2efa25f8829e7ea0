"""Fault rules decide per request, deterministically given the seed and the clock."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from devkit.emulator.faults import FaultPlan, FaultRule, Faults


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_answers_exactly_count_requests_then_retires() -> None:
    """``count`` makes a burst: the first N requests fail, the rest pass."""
    plan = FaultPlan(Faults(rules=(FaultRule(status=503, count=3),)), clock=Clock())
    statuses = [plan.decide("v3:a").status for _ in range(5)]
    assert statuses == [503, 503, 503, None, None]
    assert plan.hits() == [3]


def test_a_window_answers_only_while_it_lasts() -> None:
    """``window_s`` limits a rule to the seconds after it was set."""
    clock = Clock()
    plan = FaultPlan(
        Faults(rules=(FaultRule(status=429, window_s=2.0, retry_after="1"),)), clock=clock
    )
    first = plan.decide("v3:a")
    assert (first.status, first.retry_after) == (429, "1")
    clock.now = 2.5
    assert plan.decide("v3:a").faulted is False


def test_rules_can_target_calls_and_first_match_wins() -> None:
    """A rule limited to some calls leaves the others to later rules."""
    plan = FaultPlan(
        Faults(
            rules=(
                FaultRule(status=500, call_control_ids=frozenset({"v3:a"})),
                FaultRule(hang_s=30.0),
            )
        ),
        clock=Clock(),
    )
    assert plan.decide("v3:a").status == 500
    other = plan.decide("v3:b")
    assert (other.status, other.hang_s) == (None, 30.0)


def test_rate_and_latency_follow_the_injected_random_source() -> None:
    """With the same seed the same requests fail and the same latencies are drawn."""
    faults = Faults(latency_ms=100, latency_jitter_ms=50, rules=(FaultRule(status=503, rate=0.3),))

    def draw() -> list[tuple[int | None, float]]:
        plan = FaultPlan(faults, rng=random.Random(7), clock=Clock())
        return [(d.status, d.delay_s) for d in (plan.decide("v3:a") for _ in range(50))]

    assert draw() == draw()
    plan = FaultPlan(faults, rng=random.Random(7), clock=Clock())
    decisions = [plan.decide("v3:a") for _ in range(2000)]
    share = sum(d.status == 503 for d in decisions) / len(decisions)
    assert 0.25 < share < 0.35
    assert all(0.1 <= d.delay_s <= 0.15 for d in decisions)


@pytest.mark.parametrize("rule", [{}, {"status": 503, "hang_s": 1.0}, {"status": 200}])
def test_a_rule_has_exactly_one_effect(rule: dict[str, object]) -> None:
    """A rule either answers with an error status or hangs: not both, not neither."""
    with pytest.raises(ValidationError):
        FaultRule.model_validate(rule)
