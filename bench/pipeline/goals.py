"""The issue's goals, checked against a run's results (pure). Goals to report, not assertions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.pipeline.gaps import answering_gap, capacity_gap, latency_gap, recovery_gap

GOAL_RATE = 500.0
GOAL_SUSTAINED = 2000.0
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
    verdicts: list[Verdict] = []
    latency = parts.get("latency") or {}
    step = _step_at(latency, GOAL_RATE)
    p50 = p99 = r50 = r99 = None
    why_slow = None
    if step is not None:
        why_slow = latency_gap(step["pipeline"])
        p50 = step["pipeline"]["latency"]["p50_ms"]
        p99 = step["pipeline"]["latency"]["p99_ms"]
        r50, r99 = step["ratio_p50"], step["ratio_p99"]
    verdicts.append(
        Verdict(
            "p50 <= 15 ms at 500 events/s", _fmt(p50, " ms"), None if p50 is None else p50 <= 15
        ).missed(why_slow)
    )
    verdicts.append(
        Verdict(
            "p99 <= 50 ms at 500 events/s", _fmt(p99, " ms"), None if p99 is None else p99 <= 50
        ).missed(why_slow)
    )
    ratios = None if r50 is None or r99 is None else max(r50, r99)
    verdicts.append(
        Verdict(
            "ratio to the floor <= 3x (p50 and p99, at 500 events/s)",
            "n/a" if ratios is None else f"p50 x{r50}, p99 x{r99}",
            None if ratios is None else ratios <= 3,
        ).missed(why_slow)
    )
    scaled = (parts.get("capacity") or {}).get("2+2")
    rate = None if scaled is None else scaled.get("sustained_rate")
    verdicts.append(
        Verdict(
            ">= 2,000 events/s sustained with 2 + 2 workers",
            "none passed" if scaled is not None and rate is None else _fmt(rate, " events/s", 0),
            None if scaled is None else (rate or 0) >= GOAL_SUSTAINED,
        ).missed(None if step is None else capacity_gap(step["pipeline"], cores, GOAL_SUSTAINED))
    )
    verdicts.append(_ack_verdict(parts.get("versus")))
    verdicts.extend(_burst_verdicts(parts.get("versus")))
    scale = parts.get("scale") or {}
    memory = scale.get("memory") or []
    per_call = memory[-1]["bytes_per_call"] if memory else None
    verdicts.append(
        Verdict(
            "<= 4 KiB per live call",
            "n/a"
            if per_call is None
            else f"{per_call / 1024:.2f} KiB with {memory[-1]['live_calls']:,} calls",
            None if per_call is None else per_call <= 4096,
        )
    )
    recovery = scale.get("recovery") or {}
    ready = recovery.get("ready_s")
    verdicts.append(
        Verdict(
            f"recovery of {recovery.get('live_calls', 100_000):,} calls <= 15 s",
            _fmt(ready, " s"),
            None if ready is None else ready <= 15,
        ).missed(recovery_gap(recovery))
    )
    return verdicts


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
