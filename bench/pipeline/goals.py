"""The issue's goals, checked against a run's results (pure). Goals to report, not assertions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.pipeline.gaps import answering_gap, capacity_gap, latency_gap, recovery_gap

GOAL_RATE = 500.0
GOAL_RATIO = 3.0
GOAL_STREAMS_CPU_S = 0.25
GOAL_ALL_CPU_S = 1.0
GOAL_CAPACITY_SHARE = 0.6
GOAL_RESTORE_FACTOR = 4.0
GOAL_RESTORE_S = 5.0
GOAL_BURST_ACK_P99_MS = 2000.0
GOAL_BURST_DELIVERED = {400: 5.0}
"""Burst size (webhooks) -> seconds until every result reached its call (issue 14)."""


@dataclass(frozen=True)
class Verdict:
    goal: str
    measured: str
    met: bool | None
    """None when the part that measures it did not run (or measured nothing)."""
    why: str | None = None
    """When missed: why, in the run's own figures, and what would close the gap."""

    def missed(self, why: str | None) -> Verdict:
        """This verdict, with ``why`` attached if the goal was missed."""
        return self if self.met is not False else Verdict(self.goal, self.measured, False, why)


def _step_at(latency: Mapping[str, Any], rate: float) -> Mapping[str, Any] | None:
    return next((s for s in latency.get("steps", []) if s["rate"] == rate), None)


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def check(parts: Mapping[str, Any], cores: int | None = None) -> list[Verdict]:
    """One verdict per goal, in the issue's order; a missed one says why (``cores``: the
    machine's, for the capacity the CPU allows)."""
    latency = parts.get("latency") or {}
    step = _step_at(latency, GOAL_RATE)
    return [
        _ratio_verdict(step),
        *_cost_verdicts(parts.get("cost")),
        _capacity_verdict(parts.get("capacity"), step, cores),
        _ack_verdict(parts.get("versus")),
        *_burst_verdicts(parts.get("versus")),
        _memory_verdict(parts.get("scale") or {}),
        _restore_verdict(parts.get("scale") or {}),
    ]


def _ratio_verdict(step: Mapping[str, Any] | None) -> Verdict:
    goal = f"p50 and p99 <= {GOAL_RATIO:g}x the floor at {GOAL_RATE:,.0f} events/s"
    if step is None:
        return Verdict(goal, "n/a", None)
    r50, r99 = step["ratio_p50"], step["ratio_p99"]
    pipeline = step["pipeline"]["latency"]
    measured = (
        f"p50 x{r50} ({_fmt(pipeline['p50_ms'], ' ms')}), "
        f"p99 x{r99} ({_fmt(pipeline['p99_ms'], ' ms')})"
    )
    met = None if r50 is None or r99 is None else max(r50, r99) <= GOAL_RATIO
    return Verdict(goal, measured, met).missed(latency_gap(step["pipeline"]))


def _cost_verdicts(cost: Mapping[str, Any] | None) -> list[Verdict]:
    per = (cost or {}).get("per_1000") or {}
    streams, everything = per.get("streams"), per.get("callstream (all three)")
    return [
        Verdict(
            f"streams CPU per 1,000 delivered <= {GOAL_STREAMS_CPU_S:g} s",
            _fmt(streams, " s", 2),
            None if streams is None else streams <= GOAL_STREAMS_CPU_S,
        ),
        Verdict(
            f"all callstream processes, CPU per 1,000 delivered <= {GOAL_ALL_CPU_S:g} s",
            _fmt(everything, " s", 2),
            None if everything is None else everything <= GOAL_ALL_CPU_S,
        ),
    ]


def _capacity_verdict(
    capacity: Mapping[str, Any] | None, step: Mapping[str, Any] | None, cores: int | None
) -> Verdict:
    goal = (
        f"highest sustainable rate with 1 + 1 >= {GOAL_CAPACITY_SHARE:.0%} of the floor's, "
        "searched the same way"
    )
    ours = ((capacity or {}).get("1+1") or {}).get("sustained_rate")
    floor = ((capacity or {}).get("floor") or {}).get("sustained_rate")
    if capacity is None or "floor" not in capacity:
        return Verdict(goal, "n/a", None)
    if not floor:
        return Verdict(goal, f"{_fmt(ours, '/s', 0)}; the floor passed no rate tried", None)
    share = (ours or 0) / floor
    measured = f"{_fmt(ours, '/s', 0)} against the floor's {floor:,.0f}/s ({share:.0%})"
    gap = None if step is None else capacity_gap(step["pipeline"], cores, floor)
    return Verdict(goal, measured, share >= GOAL_CAPACITY_SHARE).missed(gap)


def _memory_verdict(scale: Mapping[str, Any]) -> Verdict:
    memory = scale.get("memory") or []
    per_call = memory[-1]["bytes_per_call"] if memory else None
    return Verdict(
        "<= 4 KiB per live call",
        "n/a"
        if per_call is None
        else f"{per_call / 1024:.2f} KiB with {memory[-1]['live_calls']:,} calls",
        None if per_call is None else per_call <= 4096,
    )


def _restore_verdict(scale: Mapping[str, Any]) -> Verdict:
    recovery = scale.get("recovery") or {}
    calls = recovery.get("live_calls", 100_000)
    goal = (
        f"a fresh worker restores {calls:,} calls in <= {GOAL_RESTORE_FACTOR:g}x a bare "
        f"consumer's read of the same changelogs, and <= {GOAL_RESTORE_S:g} s"
    )
    restore, floor = recovery.get("restore_s"), recovery.get("floor_read_s")
    if restore is None or not floor:
        return Verdict(goal, "n/a", None)
    factor = restore / floor
    measured = f"{restore:.2f} s against {floor:.2f} s (x{factor:.1f})"
    met = factor <= GOAL_RESTORE_FACTOR and restore <= GOAL_RESTORE_S
    return Verdict(goal, measured, met).missed(recovery_gap(recovery))


def _ack_verdict(versus: Mapping[str, Any] | None) -> Verdict:
    goal = "webhook ack >= 100x better than the direct approach, nothing refused"
    sides = {s["side"]: s for s in (versus or {}).get("sides", [])}
    ours = sides.get("callstream")
    direct = sides.get("direct, thread per request")
    if ours is None or direct is None:
        return Verdict(goal, "n/a", None)
    mine, theirs = ours["ack"]["p50_ms"], direct["ack"]["p50_ms"]
    mine99, theirs99 = ours["ack"]["p99_ms"], direct["ack"]["p99_ms"]
    if not mine or not theirs or not mine99 or not theirs99:
        return Verdict(goal, "n/a", None)
    better, better99 = theirs / mine, theirs99 / mine99
    measured = f"p50 x{better:,.0f}, p99 x{better99:,.0f}; {ours['not_taken']} not taken"
    met = min(better, better99) >= 100 and ours["not_taken"] == 0
    return Verdict(goal, measured, met).missed(answering_gap(ours))


def _burst_verdicts(versus: Mapping[str, Any] | None) -> list[Verdict]:
    """Per instant burst: every webhook taken with ack p99 <= 2 s; for the sizes that have one,
    every result at its call within the goal."""
    verdicts = []
    for side in (versus or {}).get("sides", []):
        if not side.get("burst"):
            continue
        size, p99 = side["webhooks"], side["ack"]["p99_ms"]
        verdicts.append(
            Verdict(
                f"instant burst of {size:,} webhooks: none refused, ack p99 <= "
                f"{GOAL_BURST_ACK_P99_MS / 1000:g} s",
                f"{side['not_taken']:,} not taken, p99 {_fmt(p99, ' ms', 0)}",
                side["not_taken"] == 0 and p99 is not None and p99 <= GOAL_BURST_ACK_P99_MS,
            ).missed(answering_gap(side))
        )
        goal_s = GOAL_BURST_DELIVERED.get(size)
        if goal_s is not None:
            total = side["total_s"]
            verdicts.append(
                Verdict(
                    f"instant burst of {size:,} webhooks: every result at its call <= {goal_s:g} s",
                    "not all delivered" if total is None else f"{total:.1f} s",
                    total is not None and total <= goal_s,
                )
            )
    return verdicts
