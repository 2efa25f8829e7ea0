"""Matching what reached the calls to what was sent: latency from due time, losses, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from bench.pipeline.plan import plan_step
from bench.pipeline.steps import summarise
from devkit.stats import Latency

START = 1_800_000_000.0
CALLS = ["v3:a", "v3:b"]


def generated(outcomes: list[str], lateness_s: float = 0.0) -> dict[str, Any]:
    return {
        "start_epoch": START,
        "sent": [START + n / 10 + lateness_s for n in range(len(outcomes))],
        "outcome": outcomes,
        "cpu_s": 0.5,
        "errors": {},
    }


def test_latency_runs_from_each_events_due_time_to_its_arrival() -> None:
    """An event due at start + n/10 that arrives 20 ms later counts 20 ms."""
    events = plan_step("s", CALLS, rate=10, duration_s=1)
    arrived = {e.injection_id: (START + e.offset_s + 0.020, 1) for e in events}
    step = summarise(
        mode="pipeline", label="t", rate=10, duration_s=1, events=events,
        generated=generated(["ok"] * 10), arrived=arrived, cpu={},
    )  # fmt: skip
    assert (step.delivered, step.lost, step.refused, step.retried) == (10, 0, 0, 0)
    assert step.latency.p50_ms == pytest.approx(20.0)
    assert step.latency.p99_ms == pytest.approx(20.0)
    assert set(step.by_kind) == {"tool_result", "crm_event", "crm_http", "supervisor_http"}


def test_an_accepted_event_that_never_arrived_is_lost_and_a_refused_one_is_refused() -> None:
    """Lost: accepted by Kafka or the ingress, absent at the remote. Refused: never accepted."""
    events = plan_step("s", CALLS, rate=10, duration_s=1)
    outcomes = ["ok"] * 10
    outcomes[3] = "http:503"
    arrived = {e.injection_id: (START + 0.5, 1) for e in events if e.seq not in (3, 4)}
    step = summarise(
        mode="pipeline", label="t", rate=10, duration_s=1, events=events,
        generated=generated(outcomes), arrived=arrived, cpu={},
    )  # fmt: skip
    assert (step.planned, step.accepted, step.refused, step.lost, step.delivered) == (
        10, 9, 1, 1, 8,
    )  # fmt: skip


def test_a_message_requested_more_than_once_counts_as_retried() -> None:
    """The emulator's request count per command tells retries (and duplicates) apart."""
    events = plan_step("s", CALLS, rate=10, duration_s=1)
    arrived = {e.injection_id: (START + 1, 2 if e.seq == 0 else 1) for e in events}
    step = summarise(
        mode="pipeline", label="t", rate=10, duration_s=1, events=events,
        generated=generated(["ok"] * 10), arrived=arrived, cpu={},
    )  # fmt: skip
    assert step.retried == 1


def test_the_generators_own_lateness_is_reported_apart() -> None:
    """How late the generator sent each event is its send lag, not the pipeline's latency."""
    events = plan_step("s", CALLS, rate=10, duration_s=1)
    step = summarise(
        mode="floor", label="t", rate=10, duration_s=1, events=events,
        generated=generated(["ok"] * 10, lateness_s=0.003), arrived={}, cpu={},
    )  # fmt: skip
    assert step.send_lag.p50_ms == pytest.approx(3.0)
    assert step.latency == Latency(0, None, None, None, None)


def test_the_decision_time_splits_each_latency_in_two() -> None:
    """Given when the worker decided, each latency splits into before and after the decision."""
    events = plan_step("s", CALLS, rate=10, duration_s=1)
    arrived = {e.injection_id: (START + e.offset_s + 0.030, 1) for e in events}
    decided = {e.injection_id: START + e.offset_s + 0.010 for e in events}
    step = summarise(
        mode="pipeline", label="t", rate=10, duration_s=1, events=events,
        generated=generated(["ok"] * 10), arrived=arrived, cpu={}, decided=decided,
    )  # fmt: skip
    assert step.stages["all"]["until_decided"].p50_ms == pytest.approx(10.0)
    assert step.stages["all"]["decided_to_remote"].p50_ms == pytest.approx(20.0)
    assert step.stages["tool_result"]["until_decided"].count == 3
