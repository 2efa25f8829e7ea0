"""Part 3: callstream against the reference's direct approach, under the same burst.

``calls`` live calls each fire two async tools at once (the reference's
parallel lookups), every lookup taking ``lookup_s``; the calls' moments are
spread evenly over ``spread_s`` (one second: 400 webhooks/s, and with 2 s
lookups all 400 are in flight together). For callstream, bursts follow: each
of ``bursts`` webhooks fired at the same instant (400 and 2,000 by default,
a contact centre's peak), on calls of their own that the streams worker
holds as live before the burst. The same client plays the assistant against every
side: one fresh connection per webhook, each given ``timeout_s`` to be
answered (the platform does not wait forever for a webhook). Measured:

* acknowledgement latency of the webhooks (p50, p99);
* requests the server could not take: refused or dropped connections,
  timeouts, non-2xx answers;
* the total time from the burst until every result reached its call at the
  emulator (None when some never did within ``bound_s``).

Sides: callstream (the ingress acknowledges once Kafka holds the call; the
tool runner calls the demo backends, which take ``lookup_s``); the direct
server with a thread per request; and the direct server with a fixed pool
of threads.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import psutil

from bench.pipeline import remote
from bench.pipeline.burst import TOOLS, fire_webhooks
from bench.pipeline.machine import CpuLedger, spent
from bench.pipeline.steps import REPO
from devkit.dev.pipeline import LocalPipeline
from devkit.errors import DevStackError
from devkit.stack import Service, free_port
from devkit.stats import Latency


@dataclass(frozen=True)
class Plan:
    """One side of the comparison: who answers (callstream, or the direct server with
    ``threads``: 0 for a thread per request), how many calls, fired over how long."""

    name: str
    spread_s: float
    calls: int
    threads: int | None = None
    burst: bool = False


def _side(
    plan: Plan,
    pipeline: LocalPipeline,
    calls: list[str],
    url: str,
    token: str | None,
    *,
    ledger: CpuLedger,
    timeout_s: float,
    bound_s: float,
) -> dict[str, Any]:
    spread_s = plan.spread_s
    expected = len(calls) * len(TOOLS)
    applied_before = remote.applied(pipeline.emulator_url)
    before = ledger.snapshot()
    with peak_rss(pipeline.stack["ingress"].pid) as ingress_rss:
        acks, fired_at = fire_webhooks(url, calls, token, timeout_s=timeout_s, spread_s=spread_s)
    answered = ledger.snapshot()
    remote.wait_until(
        lambda: remote.applied(pipeline.emulator_url),
        applied_before + expected,
        stall_s=bound_s,
        max_s=bound_s,
    )
    delivered = ledger.snapshot()
    arrivals = remote.arrival_times(pipeline.emulator_url, calls)
    outcomes = Counter(a.outcome for a in acks)
    ok = [a.seconds for a in acks if a.outcome == "ok"]
    return {
        "side": plan.name,
        "burst": plan.burst,
        "spread_s": spread_s,
        "webhooks": len(acks),
        "acknowledged": len(ok),
        "not_taken": len(acks) - len(ok),
        "outcomes": dict(outcomes),
        "ack": asdict(Latency.of(ok)),
        "results_delivered": len(arrivals),
        "results_expected": expected,
        "total_s": round(max(arrivals) - fired_at, 2) if len(arrivals) >= expected else None,
        "last_result_s": round(max(arrivals) - fired_at, 2) if arrivals else None,
        "cpu_s_while_answering": spent(before, answered),
        "cpu_s_until_delivered": spent(before, delivered),
        "ingress_rss_mib": ingress_rss,
    }


def _live_calls(pipeline: LocalPipeline, first: int, count: int) -> list[str]:
    """Start ``count`` calls and wait until the streams worker holds them as live, so a burst
    meets a pipeline that is not still busy with their lifecycle webhooks."""
    active = {"table": "calls", "status": "active"}
    before = pipeline.stack.metric("streams", "callstream_streams_table_keys", **active)
    live = remote.start_calls(pipeline.emulator_url, first, count)
    remote.wait_until(
        lambda: pipeline.stack.metric("streams", "callstream_streams_table_keys", **active),
        before + count,
        stall_s=30,
        max_s=180,
    )
    return live


@contextlib.contextmanager
def peak_rss(pid: int, every_s: float = 0.02) -> Iterator[dict[str, float]]:
    """Sample ``pid``'s resident memory while the block runs; yields ``before`` and ``peak``
    (MiB), complete once the block has left."""
    process = psutil.Process(pid)
    before = process.memory_info().rss
    found = {"before": round(before / 2**20, 1), "peak": round(before / 2**20, 1)}
    stop = threading.Event()

    def sample() -> None:
        peak = before
        while not stop.wait(every_s):
            with contextlib.suppress(psutil.Error):
                peak = max(peak, process.memory_info().rss)
        found["peak"] = round(peak / 2**20, 1)

    sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    sampler.start()
    try:
        yield found
    finally:
        stop.set()
        sampler.join(5)


@contextlib.contextmanager
def direct_server(
    pipeline: LocalPipeline, *, lookup_s: float, pool: int
) -> Iterator[tuple[str, int]]:
    """The direct server in a process of its own, on the pipeline's stack; its URL and pid."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.pipeline.direct", "--port", str(port)]
    argv += ["--remote", f"{pipeline.emulator_url}/v2"]
    argv += ["--lookup-s", str(lookup_s), "--pool", str(pool)]
    env = os.environ | {"TELNYX_API_KEY": pipeline.env["TELNYX_API_KEY"]}
    stack = pipeline.stack
    running = stack.start(Service("direct", argv, env, port, ready_path=None, cwd=REPO))
    try:
        yield running.service.url(), running.pid
    finally:
        with contextlib.suppress(DevStackError):  # killed: a pool still sleeping through its queue
            stack.terminate("direct", timeout_s=5)
        stack.forget("direct")


def run(
    pipeline: LocalPipeline,
    *,
    first_caller: int,
    calls: int,
    lookup_s: float,
    timeout_s: float,
    spread_s: float,
    pool: int,
    bound_s: float,
    ledger: Callable[[Mapping[str, Sequence[int]]], CpuLedger],
    bursts: Sequence[int] = (),
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Each side in turn, on calls of its own: callstream, callstream under each instant
    burst, the direct server with a thread per request, then with a pool of threads."""
    sides = []
    plans = [
        Plan("callstream", spread_s, calls),
        *(
            Plan(f"callstream, {n:,} at one instant", 0.0, n // len(TOOLS), burst=True)
            for n in bursts
        ),
        Plan("direct, thread per request", spread_s, calls, threads=0),
        Plan(f"direct, pool of {pool} threads", spread_s, calls, threads=pool),
    ]
    caller = first_caller
    for plan in plans:
        live = _live_calls(pipeline, caller, plan.calls)
        caller += plan.calls
        common: dict[str, Any] = {"timeout_s": timeout_s, "bound_s": bound_s}
        if plan.threads is None:
            cpu = ledger({})
            url = pipeline.ingress_url
            side = _side(plan, pipeline, live, url, pipeline.token, ledger=cpu, **common)
        else:
            with direct_server(pipeline, lookup_s=lookup_s, pool=plan.threads) as (url, pid):
                cpu = ledger({"direct": [pid]})
                side = _side(plan, pipeline, live, url, None, ledger=cpu, **common)
        ack = side["ack"]
        progress(
            f"  {plan.name}: ack p50 {ack['p50_ms']} ms, p99 {ack['p99_ms']} ms; not taken "
            f"{side['not_taken']}; results {side['results_delivered']}/{side['results_expected']}"
            f", all delivered after {side['total_s']} s"
        )
        sides.append(side)
    return {
        "calls": calls,
        "bursts": list(bursts),
        "tool_runner_concurrency": pipeline.config.streams.tool_runner_concurrency,
        "tools_per_call": len(TOOLS),
        "lookup_s": lookup_s,
        "webhook_timeout_s": timeout_s,
        "spread_s": spread_s,
        "bound_s": bound_s,
        "sides": sides,
    }
