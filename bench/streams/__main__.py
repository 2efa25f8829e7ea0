"""``python -m bench.streams``: throughput, added latency and memory of one streams worker.

Measured in one run, on one broker (``KAFKA_BOOTSTRAP_SERVERS``, else a local
one started for the run), each beside the floor — a plain confluent-kafka
consume-and-produce loop over the same kind of topics:

* **throughput**: a backlog of calls (six records each, every kind the worker
  joins) produced as fast as possible; records per second from the first
  input's timestamp to the last output appended by the broker;
* **added latency** at a paced rate (default 500 records/s): per output, the
  broker's append time (topics created with ``LogAppendTime``) minus the
  causing input's create time; p50 / p99;
* **memory per live call**: the worker's RSS growth over 10,000 more live
  calls, each with a pending tool request.

Bounded in records and time, loopback only. Writes JSON to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka import Consumer

from bench.streams.floor import IN_TS, Floor
from bench.streams.workload import (
    INJECTIONS_PER_CALL,
    RECORDS_PER_CALL,
    Item,
    Loader,
    call_records,
    cause_of,
    live_call_records,
    paced,
)
from callstream.kafka import KafkaConnection, consumer_config, ensure_topics
from callstream.paths import default_cache_dir
from callstream.topics import Topics, TopicSpec, topic_specs
from devkit.stack import Stack, services
from devkit.stats import Latency
from devkit.testing.broker import provide_broker

CONFIG = """
topics: {{partitions: {partitions}}}
streams: {{session_timeout_s: 10}}
tools:
  lookup_order_status:
    message: {{headline: ORDER LOOKUP COMPLETE, trigger_response: true}}
sources:
  crm:
    topic: {prefix}crm.events
    events:
      order.updated: {{headline: ORDER UPDATE}}
  fraud:
    topic: {prefix}fraud.alerts
    events:
      fraud.alert: {{headline: FRAUD ALERT, trigger_response: true}}
"""


@dataclass
class Deployment:
    conn: KafkaConnection
    prefix: str
    topics: Topics
    config: Path


def deploy(conn: KafkaConnection, partitions: int, workdir: Path) -> Deployment:
    """Fresh topics (outputs stamped by the broker: LogAppendTime) and a config file."""
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    topics = Topics(
        prefix=prefix, sources={"crm": f"{prefix}crm.events", "fraud": f"{prefix}fraud.alerts"}
    )
    specs = topic_specs(topics, partitions=partitions, replication_factor=1)
    specs = [
        TopicSpec(
            s.name, s.partitions, s.replication_factor, s.config | _append_time(s.name, topics)
        )
        for s in specs
    ]
    specs.append(
        TopicSpec(f"{prefix}floor-out", partitions, 1, {"message.timestamp.type": "LogAppendTime"})
    )
    ensure_topics(conn, specs)
    config = workdir / f"{prefix}yaml"
    config.write_text(CONFIG.format(partitions=partitions, prefix=prefix))
    return Deployment(conn, prefix, topics, config)


def _append_time(name: str, topics: Topics) -> dict[str, str]:
    return {"message.timestamp.type": "LogAppendTime"} if name == topics.injections else {}


class Outputs:
    """Reads an output topic from its start, keeping (append time, record) pairs."""

    def __init__(self, conn: KafkaConnection, topic: str) -> None:
        self._consumer = Consumer(consumer_config(conn, "bench-out", f"out-{uuid.uuid4()}"))
        self._consumer.subscribe([topic])
        self.seen: list[tuple[float, bytes, dict[str, bytes]]] = []

    def until(self, count: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.seen) < count and time.monotonic() < deadline:
            for message in self._consumer.consume(1000, 0.2):
                if message.error():
                    continue
                _, stamp = message.timestamp()
                headers = {k: v or b"" for k, v in message.headers() or []}
                self.seen.append((stamp / 1000, message.value() or b"", headers))
        if len(self.seen) < count:
            raise SystemExit(f"only {len(self.seen)} of {count} outputs within {timeout_s:.0f}s")

    def close(self) -> None:
        self._consumer.close()


def worker_env(deployment: Deployment) -> dict[str, str]:
    """The environment of a ``callstream streams`` process on ``deployment``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLSTREAM_", "KAFKA_"))}
    return env | {
        "KAFKA_BOOTSTRAP_SERVERS": deployment.conn.bootstrap_servers,
        "CALLSTREAM_TOPIC_PREFIX": deployment.prefix,
        "CALLSTREAM_CONFIG": str(deployment.config),
        "CALLSTREAM_LOG_LEVEL": "INFO",
    }


def throughput(
    deployment: Deployment, outputs: Outputs, items: list[Item], expected: int
) -> dict[str, float]:
    loader = Loader(deployment.conn)
    start = time.time()
    loader.send(items)
    loader.flush()
    produced = time.time()
    already = len(outputs.seen)
    outputs.until(already + expected, timeout_s=300)
    last = max(stamp for stamp, _, _ in outputs.seen[already:])
    return {
        "records": len(items),
        "produce_s": round(produced - start, 3),
        "seconds": round(last - start, 3),
        "records_per_s": round(len(items) / (last - start), 1),
    }


def latency(
    deployment: Deployment,
    outputs: Outputs,
    items: list[Item],
    *,
    expected: int,
    rate: float,
    delay_of: Callable[[float, bytes, dict[str, bytes], dict[str, float]], float | None],
) -> dict[str, float | None]:
    loader = Loader(deployment.conn)
    already = len(outputs.seen)
    started = time.monotonic()
    for n, chunk in enumerate(paced(items, rate)):
        loader.send(chunk)
        wait = started + (n + 1) * 0.01 - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # pacing the load generator, not synchronising anything
    loader.flush()
    outputs.until(already + expected, timeout_s=300)
    delays = [
        d
        for stamp, value, headers in outputs.seen[already:]
        if (d := delay_of(stamp, value, headers, loader.sent_at)) is not None
    ]
    summary = Latency.of(delays)
    return {
        "rate_per_s": rate,
        "outputs": len(delays),
        "p50_ms": summary.p50_ms,
        "p99_ms": summary.p99_ms,
        "mean_ms": round(1000 * statistics.fmean(delays), 2),
    }


def streams_delay(stamp: float, value: bytes, _: dict[str, bytes], sent: dict[str, float]) -> float:
    return stamp - sent[cause_of(value)]


def floor_delay(stamp: float, _: bytes, headers: dict[str, bytes], __: dict[str, float]) -> float:
    return stamp - int(headers[IN_TS]) / 1000


def run(conn: KafkaConnection, args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    results: dict[str, object] = {}
    # The streams worker.
    deployment = deploy(conn, args.partitions, workdir)
    t = deployment.topics
    stack = Stack(workdir / "logs")
    outputs = Outputs(conn, t.injections)
    try:
        stack.start(services.streams(worker_env(deployment), name="worker"))
        backlog = [r for i in range(args.calls) for r in call_records(t, "tp", i)]
        results["streams_throughput"] = throughput(
            deployment, outputs, backlog, args.calls * INJECTIONS_PER_CALL
        )
        calls = int(args.rate * args.seconds / RECORDS_PER_CALL)
        paced_items = [r for i in range(calls) for r in call_records(t, "lat", i)]
        results["streams_latency"] = latency(
            deployment,
            outputs,
            paced_items,
            expected=calls * INJECTIONS_PER_CALL,
            rate=args.rate,
            delay_of=streams_delay,
        )
        before = stack.rss_bytes("worker")
        consumed = stack.metric("worker", "callstream_streams_records_in_total")
        live = [r for i in range(args.live_calls) for r in live_call_records(t, "mem", i)]
        loader = Loader(conn)
        loader.send(live)
        loader.flush()
        deadline = time.monotonic() + 300
        while stack.metric("worker", "callstream_streams_records_in_total") < consumed + len(live):
            if time.monotonic() > deadline:
                raise SystemExit("the live calls were not all consumed")
            time.sleep(0.5)
        after = stack.rss_bytes("worker")
        results["streams_memory"] = {
            "live_calls_added": args.live_calls,
            "rss_before_mb": round(before / 2**20, 1),
            "rss_after_mb": round(after / 2**20, 1),
            "bytes_per_live_call": round((after - before) / args.live_calls),
            "live_calls_total": args.calls + calls + args.live_calls,
            "table_keys": stack.metric("worker", "callstream_streams_table_keys"),
        }
    finally:
        outputs.close()
        stack.stop_all(grace_s=60)
    # The floor, on its own topics of the same shape.
    deployment = deploy(conn, args.partitions, workdir)
    t = deployment.topics
    inputs = [t.call_events, t.tool_calls, t.tool_results, t.supervisor, *t.sources.values()]
    floor = Floor(conn, inputs, f"{deployment.prefix}floor-out")
    outputs = Outputs(conn, f"{deployment.prefix}floor-out")
    floor.start()
    try:
        warm = [r for i in range(20) for r in call_records(t, "warm", i)]
        warmer = Loader(conn)
        warmer.send(warm)
        warmer.flush()
        outputs.until(len(warm), 120)
        backlog = [r for i in range(args.calls) for r in call_records(t, "tp", i)]
        results["floor_throughput"] = throughput(deployment, outputs, backlog, len(backlog))
        calls = int(args.rate * args.seconds / RECORDS_PER_CALL)
        paced_items = [r for i in range(calls) for r in call_records(t, "lat", i)]
        results["floor_latency"] = latency(
            deployment,
            outputs,
            paced_items,
            expected=len(paced_items),
            rate=args.rate,
            delay_of=floor_delay,
        )
    finally:
        outputs.close()
        floor.stop()
    return results


def report(results: dict[str, object]) -> dict[str, float]:
    st, ft = results["streams_throughput"], results["floor_throughput"]
    sl, fl = results["streams_latency"], results["floor_latency"]
    assert isinstance(st, dict)
    assert isinstance(ft, dict)
    assert isinstance(sl, dict)
    assert isinstance(fl, dict)
    ratios = {
        "throughput_vs_floor": round(st["records_per_s"] / ft["records_per_s"], 3),
        "p50_vs_floor": round(sl["p50_ms"] / fl["p50_ms"], 2),
        "p99_vs_floor": round(sl["p99_ms"] / fl["p99_ms"], 2),
    }
    rows = [
        ("throughput rec/s", st["records_per_s"], ft["records_per_s"], "throughput_vs_floor"),
        ("latency p50 ms", sl["p50_ms"], fl["p50_ms"], "p50_vs_floor"),
        ("latency p99 ms", sl["p99_ms"], fl["p99_ms"], "p99_vs_floor"),
    ]
    print(f"{'':18} {'streams':>10} {'floor':>10} {'ratio':>7}")
    for name, ours, floor, ratio in rows:
        print(f"{name:18} {ours:>10} {floor:>10} {ratios[ratio]:>7}")
    print(f"memory: {results['streams_memory']}")
    return ratios


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.streams", description=__doc__)
    parser.add_argument("--calls", type=int, default=3000, help="calls in the throughput backlog")
    parser.add_argument("--rate", type=float, default=500.0, help="records/s of the latency run")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument("--live-calls", type=int, default=10_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-streams-") as tmp:
        workdir = Path(tmp)
        with provide_broker(
            work_dir=workdir / "kafka",
            cache_dir=Path(os.environ.get("CALLSTREAM_CACHE_DIR") or default_cache_dir()),
            external_bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        ) as broker:
            print(f"broker: {broker.description}")
            results = run(KafkaConnection(bootstrap_servers=broker.bootstrap), args, workdir)
    results["ratios"] = report(results)
    results["when"] = datetime.now(UTC).isoformat()
    results["args"] = {k: str(v) for k, v in vars(args).items()}
    results["cpus"] = os.cpu_count()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"streams-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
