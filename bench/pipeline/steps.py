"""One load step: offer events at a fixed rate for a fixed time, then see what reached the calls.

Used by the latency part (each rate, pipeline and floor alike) and by the
capacity search (each rate it tries). A step:

1. plans its events (``plan.plan_step``); for the pipeline, registers the
   tool requests its results answer, and waits until the streams workers
   have read them;
2. runs the generator process (``loadgen``), open loop;
3. waits until the emulator has applied as many messages as were accepted
   (bounded: it gives up after a stall or a maximum);
4. reads the calls' transcripts and matches arrivals to events by
   ``command_id``: latency = arrival - due time; an accepted event that never
   arrived is lost; one the broker or the ingress refused is refused.

CPU is accounted per service over 2-3 (load and drain), for the cost model.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from confluent_kafka import Producer

from bench.pipeline import remote
from bench.pipeline.decisions import decided_at
from bench.pipeline.loadgen import GeneratorSpec, spec_to_json
from bench.pipeline.machine import CpuLedger, spent
from bench.pipeline.plan import FLOOR_MIX, PIPELINE_MIX, PlannedEvent, tool_requests
from bench.pipeline.sampling import sampling, top
from bench.pipeline.wire import tool_call_record
from callstream.kafka import producer_config
from devkit.dev.pipeline import LocalPipeline
from devkit.stats import Latency

Mode = Literal["pipeline", "floor"]
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Rig:
    """What every step needs: the running pipeline, the live calls, the floor, the broker."""

    pipeline: LocalPipeline
    calls: list[str]
    workdir: Path
    broker_pid: int | None = None
    floor_topic: str = ""
    floor_pids: list[int] = field(default_factory=list)
    connections: int = 32
    drain_max_s: float = 60.0
    profile: tuple[str, ...] = ()
    """Services to sample with py-spy during each reported pipeline step (``sampling``)."""
    profile_dir: Path | None = None

    def ledger(self, extra: Mapping[str, Sequence[int]] | None = None) -> CpuLedger:
        """CPU accounts of the pipeline's services, the broker, the floor, the harness and
        ``extra`` groups (another server under test)."""
        groups = self.pipeline.stack.pids()
        groups |= {name: list(pids) for name, pids in (extra or {}).items()}
        if self.broker_pid is not None:
            groups["broker"] = [self.broker_pid]
        if self.floor_pids:
            groups["floor"] = list(self.floor_pids)
        groups["harness"] = [os.getpid()]
        return CpuLedger(groups, alone=frozenset({"harness"}))


@dataclass(frozen=True)
class StepResult:
    """What one step offered, what reached the calls, how fast, at what CPU."""

    mode: Mode
    label: str
    rate: float
    duration_s: float
    planned: int
    accepted: int
    refused: int
    delivered: int
    lost: int
    retried: int
    """Messages whose command reached the remote more than once (retries, duplicates)."""
    latency: Latency
    by_kind: dict[str, Latency]
    send_lag: Latency
    """How late the generator itself sent each event (its own CPU starvation, not the pipeline)."""
    generator_cpu_s: float
    cpu_s: dict[str, float]
    errors: dict[str, int]
    stages: dict[str, dict[str, Latency]] = field(default_factory=dict)
    """By kind (and ``all``): time until the worker decided, and from the decision to the remote."""
    profile: dict[str, dict[str, float]] = field(default_factory=dict)
    """When sampled: per process, the share of samples by package (``sampling.top``)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def register_tool_requests(rig: Rig, events: Sequence[PlannedEvent]) -> None:
    """Publish the requests the step's results answer; wait until the workers have read them."""
    requests = tool_requests(events)
    if not requests:
        return
    pipeline = rig.pipeline
    before = pipeline.stack.metric(
        "streams", "callstream_streams_records_in_total", topic="tool-calls"
    )
    producer = Producer(producer_config(pipeline.conn, "bench-requests", {"linger.ms": 5}))
    now = time.time()
    for call, request_id in requests:
        while True:
            try:
                producer.produce(
                    pipeline.topics.tool_calls,
                    tool_call_record(call, request_id, now),
                    call.encode(),
                )
            except BufferError:
                producer.poll(0.05)
            else:
                break
        producer.poll(0)
    if producer.flush(60):
        raise RuntimeError("the tool requests were not acknowledged by Kafka")

    def read() -> float:
        return pipeline.stack.metric(
            "streams", "callstream_streams_records_in_total", topic="tool-calls"
        )

    _, done = remote.wait_until(read, before + len(requests), stall_s=30, max_s=180)
    if not done:
        raise RuntimeError("the streams workers did not read the step's tool requests")


def _generate(rig: Rig, spec: GeneratorSpec) -> dict[str, Any]:
    spec_path = rig.workdir / f"{spec.tag}.spec.json"
    out_path = rig.workdir / f"{spec.tag}.out.json"
    spec_path.write_text(spec_to_json(spec))
    subprocess.run(
        [sys.executable, "-m", "bench.pipeline.loadgen", str(spec_path), str(out_path)],
        cwd=REPO,
        check=True,
        timeout=spec.duration_s + 300,
    )
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result


def run_step(rig: Rig, *, mode: Mode, label: str, rate: float, duration_s: float) -> StepResult:
    """Offer ``rate`` events/s for ``duration_s`` through ``mode``; what reached the calls."""
    pipeline = rig.pipeline
    tag = f"{label}-{mode}-{int(rate)}-{uuid.uuid4().hex[:6]}".replace(" ", "").replace("+", "p")
    spec = GeneratorSpec(
        tag=tag,
        calls=rig.calls,
        rate=rate,
        duration_s=duration_s,
        mix=list(PIPELINE_MIX if mode == "pipeline" else FLOOR_MIX),
        bootstrap=pipeline.conn.bootstrap_servers,
        tool_results_topic=pipeline.topics.tool_results,
        crm_topic=pipeline.topics.source("crm"),
        floor_topic=rig.floor_topic,
        ingress_url=pipeline.ingress_url,
        token=pipeline.token,
        connections=rig.connections,
    )
    events = spec.events()
    if mode == "pipeline":
        register_tool_requests(rig, events)
    applied_before = remote.applied(pipeline.emulator_url)
    ledger = rig.ledger()
    before = ledger.snapshot()
    sampled = rig.profile if mode == "pipeline" and label != "warm-up" else ()
    pids = {name: found for name, found in pipeline.stack.pids().items() if name in sampled}
    out = (rig.profile_dir or rig.workdir / "profile") / tag
    with sampling(pids, out, duration_s) as files:
        generated = _generate(rig, spec)
    outcome: list[str] = generated["outcome"]
    accepted = sum(1 for o in outcome if o == "ok")
    remote.wait_until(
        lambda: remote.applied(pipeline.emulator_url),
        applied_before + accepted,
        stall_s=10,
        max_s=rig.drain_max_s,
    )
    cpu = spent(before, ledger.snapshot(), extra_s=generated["cpu_s"])
    arrived = remote.arrivals(pipeline.emulator_url, rig.calls)
    decided = (
        decided_at(
            pipeline.conn,
            pipeline.topics.injections,
            since_s=float(generated["start_epoch"]) - 5,
            ids=[e.injection_id for e in events],
        )
        if mode == "pipeline"
        else {}
    )
    result = summarise(
        mode=mode,
        label=label,
        rate=rate,
        duration_s=duration_s,
        events=events,
        generated=generated,
        arrived={k: (a.at, a.requests) for k, a in arrived.items()},
        cpu=cpu,
        decided=decided,
    )
    if not files:
        return result
    shares = {
        name: top(path.read_text().splitlines()) for name, path in files.items() if path.exists()
    }
    return dataclasses.replace(result, profile=shares)


def summarise(
    *,
    mode: Mode,
    label: str,
    rate: float,
    duration_s: float,
    events: Sequence[PlannedEvent],
    generated: dict[str, Any],
    arrived: dict[str, tuple[float, int]],
    cpu: dict[str, float],
    decided: dict[str, float] | None = None,
) -> StepResult:
    """Match arrivals to events (pure): latencies from due time, losses, refusals, and,
    where ``decided`` knows an injection's decision time, the two stages around it."""
    start = float(generated["start_epoch"])
    outcome: list[str] = generated["outcome"]
    sent: list[float] = generated["sent"]
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    lags: list[float] = []
    before: dict[str, list[float]] = defaultdict(list)
    after: dict[str, list[float]] = defaultdict(list)
    lost = refused = retried = 0
    for event in events:
        due = start + event.offset_s
        if outcome[event.seq] != "ok":
            refused += 1
            continue
        lags.append(max(0.0, sent[event.seq] - due))
        found = arrived.get(event.injection_id)
        if found is None:
            lost += 1
            continue
        at, requests = found
        latencies.append(at - due)
        by_kind[event.kind].append(at - due)
        retried += requests > 1
        decision = (decided or {}).get(event.injection_id)
        if decision is not None:
            for key in (event.kind, "all"):
                before[key].append(decision - due)
                after[key].append(at - decision)
    return StepResult(
        mode=mode,
        label=label,
        rate=rate,
        duration_s=duration_s,
        planned=len(events),
        accepted=len(events) - refused,
        refused=refused,
        delivered=len(latencies),
        lost=lost,
        retried=retried,
        latency=Latency.of(latencies),
        by_kind={kind: Latency.of(values) for kind, values in sorted(by_kind.items())},
        send_lag=Latency.of(lags),
        generator_cpu_s=float(generated["cpu_s"]),
        cpu_s=cpu,
        errors=dict(generated.get("errors", {})),
        stages={
            key: {
                "until_decided": Latency.of(before[key]),
                "decided_to_remote": Latency.of(after[key]),
            }
            for key in sorted(before)
        },
    )
