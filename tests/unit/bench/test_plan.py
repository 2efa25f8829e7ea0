"""The load plan: how many events, when, for which call, and the ids they must arrive with."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.pipeline.plan import (
    FLOOR_MIX,
    PIPELINE_MIX,
    expected_injection_id,
    plan_step,
    tool_requests,
)
from callstream.ids import injection_id
from ingress.identity import supervisor_message_id

CALLS = [f"v3:call-{n}" for n in range(10)]


def test_a_step_is_rate_times_duration_events_evenly_spaced() -> None:
    """200 events/s for 2.5 s is 500 events, the n-th due n/200 s after the start."""
    events = plan_step("t", CALLS, rate=200, duration_s=2.5)
    assert len(events) == 500
    assert [e.seq for e in events] == list(range(500))
    assert events[0].offset_s == 0
    assert events[199].offset_s == pytest.approx(199 / 200)


def test_events_are_spread_over_the_calls_in_turn() -> None:
    """Consecutive events go to consecutive calls, and every call gets its share."""
    events = plan_step("t", CALLS, rate=100, duration_s=1)
    assert [e.call for e in events[:3]] == CALLS[:3]
    assert set(Counter(e.call for e in events).values()) == {10}


def test_every_call_sees_every_kind() -> None:
    """The kinds rotate across rounds, so no call sees only one kind of event."""
    events = plan_step("t", CALLS, rate=40, duration_s=1)
    for call in CALLS:
        assert {e.kind for e in events if e.call == call} == set(PIPELINE_MIX)


def test_the_mix_is_even() -> None:
    """Each kind of the mix makes up the same share of a step."""
    events = plan_step("t", CALLS, rate=100, duration_s=4)
    assert set(Counter(e.kind for e in events).values()) == {100}


def test_ids_are_unique_within_a_step_and_across_tags() -> None:
    """No two events share a cause or an injection id, within a step or between steps."""
    first = plan_step("a", CALLS, rate=100, duration_s=2)
    second = plan_step("b", CALLS, rate=100, duration_s=2)
    ids = [e.injection_id for e in first + second]
    assert len(set(ids)) == len(ids)
    assert len({e.cause for e in first + second}) == len(ids)


def test_the_same_step_plans_the_same_events() -> None:
    """Planning is deterministic: the generator and the harness agree on every id."""
    assert plan_step("x", CALLS, rate=50, duration_s=1) == plan_step(
        "x", CALLS, rate=50, duration_s=1
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("tool_result", injection_id("tool", "r-1")),
        ("crm_event", injection_id("crm", "r-1@v3:c")),
        ("crm_http", injection_id("crm", "r-1@v3:c")),
        ("supervisor_http", injection_id("supervisor", supervisor_message_id("v3:c", "r-1"))),
        ("floor", injection_id("floor", "r-1")),
    ],
)
def test_expected_injection_ids_follow_callstreams_derivation(kind: str, expected: str) -> None:
    """Each kind's injection id is the one the streams worker derives from its cause."""
    assert expected_injection_id(kind, "v3:c", "r-1") == expected  # type: ignore[arg-type]


def test_tool_requests_are_those_the_results_answer() -> None:
    """Every tool result of the step has its (call, request id) to register first."""
    events = plan_step("t", CALLS, rate=40, duration_s=1)
    results = [(e.call, e.cause) for e in events if e.kind == "tool_result"]
    assert tool_requests(events) == results
    assert len(results) == 10


def test_the_floor_plan_is_all_floor_events() -> None:
    """A floor step sends every event through the floor's chain."""
    assert {e.kind for e in plan_step("f", CALLS, rate=10, duration_s=1, mix=FLOOR_MIX)} == {
        "floor"
    }


@pytest.mark.parametrize(
    ("calls", "rate", "duration_s"),
    [([], 10, 1), (CALLS, 0, 1), (CALLS, 10, 0), (CALLS, -5, 1)],
)
def test_a_step_that_cannot_be_planned_is_refused(
    calls: list[str], rate: float, duration_s: float
) -> None:
    """No calls, or a rate or duration that is not positive, is a ValueError."""
    with pytest.raises(ValueError, match=r"positive|at least one"):
        plan_step("t", calls, rate=rate, duration_s=duration_s)
