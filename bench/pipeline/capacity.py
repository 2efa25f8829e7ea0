"""Part 2: the highest offered rate that stays under the latency bound with nothing lost.

A short step search (``search``) over pipeline steps of the same mix as the
latency part, for the workers running at the time: one streams worker and
one injector, then two of each; and, searched the same way in the same run,
the floor's own highest sustainable rate (three raw Kafka hops and one HTTP
request), so the pipeline's figure reads as a share of what the machine
allows. Each step is bounded in time, and the search in steps, so a noisy
machine can make it coarser but never longer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.pipeline.search import SearchPolicy, Tried, next_rate, passes, sustained
from bench.pipeline.steps import Mode, Rig, run_step


def run(
    rig: Rig,
    *,
    workers: str,
    policy: SearchPolicy,
    duration_s: float,
    bound_ms: float,
    mode: Mode = "pipeline",
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Search with the workers running now (``workers`` names them, e.g. ``1+1``; for the
    floor, ``floor``)."""
    tried: list[Tried] = []
    steps = []
    while (rate := next_rate(policy, tried)) is not None:
        step = run_step(
            rig, mode=mode, label=f"capacity{workers}", rate=rate, duration_s=duration_s
        )
        ok = passes(
            p99_ms=step.latency.p99_ms, lost=step.lost, refused=step.refused, bound_ms=bound_ms
        )
        tried.append(Tried(rate, ok))
        steps.append(step.as_dict() | {"passed": ok})
        progress(
            f"  {workers} at {rate:>6.0f}/s: p50 {step.latency.p50_ms} ms, p99 "
            f"{step.latency.p99_ms} ms, lost {step.lost}, refused {step.refused} -> "
            f"{'pass' if ok else 'fail'}"
        )
    return {
        "workers": workers,
        "bound_ms": bound_ms,
        "duration_s": duration_s,
        "sustained_rate": sustained(tried),
        "steps": steps,
    }
