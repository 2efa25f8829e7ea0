"""Part 1: end-to-end latency at fixed offered rates, beside the floor, in the same run.

For each rate the floor and the pipeline take turns (floor first), each for
the same time over the same live calls, so both meet the same neighbours.
Both are warmed up first with a short step that is not reported.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from bench.pipeline.floor import FloorChain
from bench.pipeline.steps import Mode, Rig, StepResult, run_step
from callstream.kafka import ensure_topics
from callstream.topics import TopicSpec
from devkit.stats import ratio

WARM_UP_RATE = 100.0
WARM_UP_S = 2.0


@contextlib.contextmanager
def floor_chain(rig: Rig) -> Iterator[None]:
    """Run the floor's relays for the block; ``rig`` learns its topic and pids.

    Each chain gets topics of its own: its relays read from the earliest offset
    under a fresh group, so on topics an earlier chain used they would first
    replay everything it carried, and the steps would measure that backlog.
    """
    pipeline = rig.pipeline
    chain_id = uuid.uuid4().hex[:8]
    names = [f"{pipeline.topics.prefix}floor-{chain_id}.hop{n}" for n in range(3)]
    partitions = pipeline.config.topics.partitions
    ensure_topics(pipeline.conn, [TopicSpec(name, partitions, 1) for name in names])
    chain = FloorChain(
        pipeline.conn.bootstrap_servers,
        names,
        f"{pipeline.emulator_url}/v2",
        pipeline.env["TELNYX_API_KEY"],
    )
    chain.start()
    rig.floor_topic, rig.floor_pids = names[0], chain.pids
    try:
        yield
    finally:
        chain.stop()
        rig.floor_topic, rig.floor_pids = "", []


def warm_up(rig: Rig, modes: Sequence[Mode]) -> None:
    """A short unreported step per mode: connections opened, caches filled, groups settled."""
    for mode in modes:
        run_step(rig, mode=mode, label="warm-up", rate=WARM_UP_RATE, duration_s=WARM_UP_S)


def run(
    rig: Rig, *, rates: Sequence[float], duration_s: float, progress: Callable[[str], None] = print
) -> dict[str, Any]:
    """Floor and pipeline at each rate; the JSON-ready result of the part."""
    floor: list[StepResult] = []
    pipeline: list[StepResult] = []
    with floor_chain(rig):
        warm_up(rig, ["floor", "pipeline"])
        for rate in rates:
            floor.append(
                run_step(rig, mode="floor", label="latency", rate=rate, duration_s=duration_s)
            )
            progress(f"  floor    {rate:>6.0f}/s  {_line(floor[-1])}")
            pipeline.append(
                run_step(rig, mode="pipeline", label="latency", rate=rate, duration_s=duration_s)
            )
            progress(f"  pipeline {rate:>6.0f}/s  {_line(pipeline[-1])}")
            for process, shares in pipeline[-1].profile.items():
                busiest = ", ".join(f"{k} {v:.0%}" for k, v in list(shares.items())[:5])
                progress(f"    {process} samples: {busiest}")
    return {
        "duration_s": duration_s,
        "calls": len(rig.calls),
        "steps": [
            {
                "rate": rate,
                "floor": f.as_dict(),
                "pipeline": p.as_dict(),
                "ratio_p50": ratio(p.latency.p50_ms, f.latency.p50_ms),
                "ratio_p95": ratio(p.latency.p95_ms, f.latency.p95_ms),
                "ratio_p99": ratio(p.latency.p99_ms, f.latency.p99_ms),
            }
            for rate, f, p in zip(rates, floor, pipeline, strict=True)
        ],
    }


def _line(step: StepResult) -> str:
    lat = step.latency
    return (
        f"p50 {lat.p50_ms} ms  p95 {lat.p95_ms} ms  p99 {lat.p99_ms} ms  "
        f"delivered {step.delivered}/{step.planned}  lost {step.lost}  refused {step.refused}"
    )
