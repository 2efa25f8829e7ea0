"""Why a goal was missed, computed from the run's own figures (no run needed)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.pipeline.gaps import (
    answering_gap,
    capacity_gap,
    cpu_ms_per_event,
    latency_gap,
    recovery_gap,
    versus_gap,
)
from bench.pipeline.goals import check


def pipeline_step(**cpu: float) -> dict[str, Any]:
    def stage(p50: float) -> dict[str, Any]:
        return {"p50_ms": p50}

    return {
        "rate": 500,
        "delivered": 5000,
        "cpu_s": {"streams": 6.0, "wall_s": 10.0, "machine_s": 17.0, "others_s": 1.0} | cpu,
        "stages": {
            "all": {"until_decided": stage(25.0), "decided_to_remote": stage(11.0)},
            "crm_event": {"until_decided": stage(35.0), "decided_to_remote": stage(11.0)},
        },
    }


def test_cpu_per_event_leaves_the_neighbours_out() -> None:
    """The machine's busy time minus the others', per delivered event, in ms."""
    assert cpu_ms_per_event(pipeline_step()) == pytest.approx(3.2)


@pytest.mark.parametrize(
    "step",
    [{"delivered": 0, "cpu_s": {"machine_s": 1.0}}, {"delivered": 10, "cpu_s": {}}],
)
def test_cpu_per_event_needs_deliveries_and_the_machines_figure(step: dict[str, Any]) -> None:
    """Nothing delivered, or no machine total, gives no figure rather than a made-up one."""
    assert cpu_ms_per_event(step) is None


def test_the_capacity_gap_is_the_ceiling_the_cores_allow() -> None:
    """At 3.2 ms of CPU per event, 2 cores allow 625/s, and 2,000/s needs 6.4 cores."""
    why = capacity_gap(pipeline_step(), cores=2, goal=2000)
    assert why is not None
    assert "~625 events/s" in why
    assert "~6.4 cores" in why
    assert capacity_gap(pipeline_step(), cores=None, goal=2000) is None


def test_the_latency_gap_splits_the_time_at_the_decision() -> None:
    """The explanation names the time before and after the streams decision, and the CPU."""
    why = latency_gap(pipeline_step())
    assert why is not None
    assert "25.0 ms pass before" in why
    assert "11.0 ms from its decision" in why
    assert "35.0 ms before its decision" in why
    assert "0.60 of a core" in why


def test_the_recovery_gap_separates_reading_from_building() -> None:
    """What a bare consumer needs is reading; the rest is building the tables."""
    why = recovery_gap({"restore_s": 2.5, "floor_read_s": 0.5, "changelog_records": 178_000})
    assert why is not None
    assert "178,000 changelog records in 0.5 s" in why
    assert "other 2.0 s" in why
    assert recovery_gap({"ready_s": 28.0}) is None


def side(name: str, total_s: float | None) -> dict[str, Any]:
    return {"side": name, "total_s": total_s, "results_expected": 400}


@pytest.mark.parametrize(
    ("ours", "direct", "explained"),
    [
        (26.0, 3.0, True),
        (3.0, 26.0, False),  # callstream was not slower: nothing to explain
        (26.0, None, True),  # the direct server never delivered them all
        (None, 3.0, False),  # callstream did not deliver them all: no total to explain
    ],
)
def test_a_slower_delivery_than_the_direct_server_is_explained(
    ours: float | None, direct: float | None, explained: bool
) -> None:
    """Only when callstream took longer to deliver every result is there a note."""
    part = {
        "lookup_s": 2.0,
        "sides": [side("callstream", ours), side("direct, thread per request", direct)],
    }
    assert (versus_gap(part) is not None) is explained


@pytest.mark.parametrize(
    ("concurrency", "says"),
    [(32, "drain in turns"), (512, "ran at once (tool_runner_concurrency 512)"), (None, "turns")],
)
def test_the_delivery_note_follows_the_tool_runner_bound(
    concurrency: int | None, says: str
) -> None:
    """Lookups past the bound wait their turn; within it, the time is the pipeline's own."""
    part = {
        "lookup_s": 2.0,
        "tool_runner_concurrency": concurrency,
        "sides": [side("callstream", 5.0), side("direct, thread per request", 3.0)],
    }
    why = versus_gap(part)
    assert why is not None
    assert says in why


def test_only_a_missed_goal_carries_a_reason() -> None:
    """A met goal has no reason attached; a missed one has the gap's explanation."""
    pipeline = pipeline_step() | {"latency": {"p50_ms": 10.0, "p99_ms": 40.0}}
    for ratio, met in ((2.0, True), (3.5, False)):
        parts = {
            "latency": {
                "steps": [{"rate": 500, "pipeline": pipeline, "ratio_p50": ratio, "ratio_p99": 2.0}]
            }
        }
        verdict = next(v for v in check(parts, cores=2) if v.goal.startswith("p50 and p99"))
        assert verdict.met is met
        assert (verdict.why is None) is met


def test_an_answering_gap_says_who_had_the_cores() -> None:
    """The ingress's share of the cores while the webhooks were answered, beside the others'."""
    side = {
        "side": "callstream, 2,000 at one instant",
        "webhooks": 2000,
        "cpu_s_while_answering": {
            "wall_s": 2.0,
            "ingress": 1.0,
            "streams": 0.8,
            "broker": 0.6,
            "others_s": 0.9,
        },
    }
    why = answering_gap(side)
    assert why is not None
    assert "the ingress had 0.50 of a core" in why
    assert "the streams worker took 0.40" in why
    assert "the neighbours 0.45" in why
    assert "0.50 ms of CPU per webhook" in why
    assert answering_gap({"side": "x", "webhooks": 1}) is None
