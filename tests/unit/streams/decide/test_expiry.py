"""Time-based transitions: grace periods, idle calls, retention, forgetting."""

from __future__ import annotations

import pytest

from streams import testing as build
from streams.decide.expiry import expire, next_deadline
from streams.decide.rules import Rules
from streams.state.calls import CallState
from tests.unit.streams.conftest import summaries
from tests.unit.streams.decide.test_calls import CALL, Call, ended_call, known_call

NOW = 1_000.0


def tick(call: Call, now: float) -> list[str]:
    assert call.state is not None
    decision = expire(call.state, CALL, call.rules, now)
    call.state = decision.state
    return summaries(decision.outputs)


def test_records_for_a_call_that_never_appears_are_dead_lettered_after_the_grace(
    rules: Rules,
) -> None:
    """Held inputs wait exactly the grace period, then go to the DLQ as unknown_call."""
    call = Call(rules)
    call.feed(build.supervisor(CALL, "m-1", "hello"), now=NOW)
    call.feed(build.supervisor(CALL, "m-2", "again"), now=NOW + 10)
    assert call.state is not None
    assert next_deadline(call.state, rules) == NOW + 30
    assert tick(call, NOW + 29.9) == []
    assert tick(call, NOW + 30) == ["dlq:unknown_call"]
    assert tick(call, NOW + 40) == ["dlq:unknown_call"]
    assert call.state is None  # nothing proven, nothing held: forgotten


def test_a_result_whose_request_never_comes_is_dead_lettered_unknown_request(
    rules: Rules,
) -> None:
    """A result held for its request is refused after the grace, and a repeat is dropped."""
    call = known_call(rules)
    result = build.tool_result(CALL, "r-9", "lookup_order_status", {"s": 1})
    call.feed(result, now=NOW)
    assert tick(call, NOW + 30) == ["dlq:unknown_request"]
    assert call.feed(result, now=NOW + 31) == ["drop:duplicate"]


def test_the_grace_of_a_revived_record_counts_from_its_first_arrival(rules: Rules) -> None:
    """A result held for its call, then for its request, waits one grace period in all."""
    call = Call(rules)
    call.feed(build.tool_result(CALL, "r-9", "lookup_order_status", {"s": 1}), now=NOW)
    call.feed(build.call_event(CALL, "call.initiated"), now=NOW + 20)
    assert call.state is not None
    assert [held.waits for held in call.state.held] == ["request"]
    assert next_deadline(call.state, rules) == NOW + 30


def test_a_silent_live_call_is_ended_as_idle(rules: Rules) -> None:
    """A call whose hangup was lost ends after max_call_idle_s without input."""
    call = known_call(rules)
    assert tick(call, NOW + 14_400) == [
        "drop:request_timeout",  # its request r-1 had long stopped waiting
        "index:end:phone:+15551230000",
    ]
    assert call.state is not None
    assert (call.state.status, call.state.end_reason) == ("ended", "idle")


def test_an_ended_call_is_kept_then_tombstoned_then_forgotten(rules: Rules) -> None:
    """Retention keeps the record and its keys; then only a tombstone; then nothing."""
    call = ended_call(rules)
    assert call.state is not None
    assert tick(call, NOW + 3_599) == []
    assert tick(call, NOW + 3_600) == ["index:remove:phone:+15551230000"]
    state: CallState | None = call.state
    assert state is not None
    assert state.status == "gone"
    assert (state.phone, state.pending, state.held) == (None, {}, ())
    # Still dead, still remembering what it saw:
    assert call.feed(build.supervisor(CALL, "m-7", "hi"), now=NOW + 4_000) == ["dlq:call_ended"]
    assert call.feed(build.call_event(CALL, "call.initiated"), now=NOW + 4_001) == [
        "drop:duplicate"
    ]
    assert tick(call, NOW + 86_400) == []
    assert call.state is None


def test_pending_requests_stop_waiting_after_their_timeout(rules: Rules) -> None:
    """A request is given up after its tool's pending_timeout_s; it is counted, not injected."""
    call = known_call(rules)
    call.feed(build.tool_call(CALL, "r-2", "check_loyalty_points"), now=NOW)
    assert call.state is not None
    assert set(call.state.pending) == {"r-1", "r-2"}
    assert tick(call, NOW + 60) == ["drop:request_timeout"]
    assert set(call.state.pending) == {"r-1"}


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("live, request pending", NOW + 120),  # the request's default pending timeout
        ("live, idle", NOW + 14_400),
        ("ended", NOW + 3_600),
    ],
)
def test_the_next_deadline_follows_the_status(rules: Rules, setup: str, expected: float) -> None:
    """Pending requests, then idleness for a live call; retention for an ended one."""
    call = ended_call(rules) if setup == "ended" else known_call(rules)
    if setup == "live, idle":
        call.feed(build.tool_result(CALL, "r-1", "lookup_order_status", {"s": 1}))
    assert call.state is not None
    assert next_deadline(call.state, rules) == expected
