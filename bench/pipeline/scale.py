"""Part 4: the streams worker's memory per live call, and its recovery from the changelog.

A worker of its own, on topics of its own (the same shape and configuration
as the pipeline's), so nothing else it did earlier in the run sits in its
heap. Live calls are made by producing ``call.answered`` straight to
``call-events`` (one record per call, carrying the caller's number, so each
call also has its correlation-index entry), which builds the state far
faster than webhooks through the ingress would.

* Memory: the worker's RSS when ready and empty, then with 10,000 and
  100,000 live calls in its tables; the growth per call.
* Recovery: the worker is stopped (SIGTERM) and started again under the same
  worker id (static membership: its partitions come straight back), with
  nothing but the changelogs to restore from: its restore time (the worker's
  own ``callstream_streams_restore_seconds``), and from its start until it is
  ready and until its tables hold every call again. Beside it, measured in
  the same run: the same worker's start with empty tables, and a bare
  confluent-kafka consumer reading the same changelog records from the start
  (the floor).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, Producer, TopicPartition

from bench.pipeline import remote
from bench.pipeline.under_test import bench_config
from callstream.kafka import KafkaConnection, consumer_config, ensure_topics, producer_config
from callstream.records import CallEvent, CallEventPayload, encode
from callstream.topics import Topics, topic_specs
from devkit.dev.config import without_developer_settings
from devkit.stack import Stack, services


def _call_events(topics: Topics, first: int, last: int) -> list[tuple[bytes, bytes]]:
    now = datetime.now(UTC)
    records = []
    for n in range(first, last):
        call = f"v3:scale-{n}"
        event = CallEvent(
            event_id=f"{call}/answered",
            event_type="call.answered",
            call_control_id=call,
            occurred_at=now,
            payload=CallEventPayload.model_validate(
                {"from": remote.phone(n), "to": "+15559870000", "direction": "incoming"}
            ),
        )
        records.append((call.encode(), encode(event)))
    return records


def _produce(conn: KafkaConnection, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = Producer(producer_config(conn, "bench-scale", {"linger.ms": 20}))
    for key, value in records:
        while True:
            try:
                producer.produce(topic, value, key)
            except BufferError:
                producer.poll(0.05)
            else:
                break
        producer.poll(0)
    if producer.flush(120):
        raise RuntimeError("the call events were not acknowledged by Kafka")


class ScaleWorker:
    """One streams worker process for this part, on the part's own stack, and how to read it."""

    NAME = "streams-scale"

    def __init__(self, stack: Stack, env: Mapping[str, str], state: Path) -> None:
        self._stack = stack
        self._env = dict(env)
        self._state = state

    def start(self) -> float:
        """Start the worker (its tables empty until restored); seconds until it is ready."""
        started = time.monotonic()
        self._stack.start(services.streams(self._env, name=self.NAME), timeout_s=300)
        return time.monotonic() - started

    def metric(self, name: str) -> float:
        return self._stack.metric(self.NAME, name)

    def live_calls(self) -> float:
        return self._stack.metric(
            self.NAME, "callstream_streams_table_keys", table="calls", status="active"
        )

    def rss(self) -> int:
        return self._stack.rss_bytes(self.NAME)

    def stop(self) -> None:
        self._stack.terminate(self.NAME)


def _changelog_floor(conn: KafkaConnection, topics: list[str]) -> tuple[int, float]:
    """Records in ``topics`` and the seconds a bare consumer takes to read them all."""
    consumer = Consumer(consumer_config(conn, "bench-scale-floor", f"floor-{uuid.uuid4()}"))
    try:
        ends: dict[tuple[str, int], int] = {}
        for topic in topics:
            for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions:
                high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                if high > 0:
                    ends[(topic, p)] = high
        total = sum(ends.values())
        started = time.monotonic()
        consumer.assign([TopicPartition(t, p, 0) for t, p in ends])
        read = 0
        deadline = started + 300
        while read < total and time.monotonic() < deadline:
            read += sum(1 for m in consumer.consume(10_000, timeout=0.5) if m.error() is None)
        return total, round(time.monotonic() - started, 3)
    finally:
        consumer.close()


def run(
    conn: KafkaConnection,
    *,
    prefix: str,
    partitions: int,
    sizes: tuple[int, ...],
    env: Mapping[str, str],
    state: Path,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Memory at each size in ``sizes`` (ascending), then recovery of the largest."""
    config = bench_config(prefix, partitions=partitions)
    topics = Topics(prefix=prefix, sources={n: s.topic for n, s in config.sources.items()})
    ensure_topics(conn, topic_specs(topics, partitions=partitions, replication_factor=1))
    state.mkdir(parents=True, exist_ok=True)
    config_path = state / "scale.yaml"
    config_path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    child_env = without_developer_settings(env) | {
        "KAFKA_BOOTSTRAP_SERVERS": conn.bootstrap_servers,
        "CALLSTREAM_TOPIC_PREFIX": prefix,
        "CALLSTREAM_CONFIG": str(config_path),
        "CALLSTREAM_LOG_LEVEL": "WARNING",
    }
    result: dict[str, Any] = {"partitions": partitions, "memory": []}
    with Stack(state / "logs") as stack:
        worker = ScaleWorker(stack, child_env, state)
        result["empty_start_s"] = round(worker.start(), 2)
        empty_rss = worker.rss()
        result["empty_rss_mib"] = round(empty_rss / 2**20, 1)
        made = 0
        for size in sizes:
            started = time.monotonic()
            _produce(conn, topics.call_events, _call_events(topics, made, size))
            made = size
            _, done = remote.wait_until(worker.live_calls, size, stall_s=60, max_s=600)
            if not done:
                raise RuntimeError(f"the worker did not reach {size} live calls")
            rss = worker.rss()
            row = {
                "live_calls": size,
                "rss_mib": round(rss / 2**20, 1),
                "bytes_per_call": round((rss - empty_rss) / size),
                "build_s": round(time.monotonic() - started, 1),
            }
            result["memory"].append(row)
            progress(
                f"  {size:>7} live calls: RSS {row['rss_mib']} MiB, "
                f"{row['bytes_per_call']} bytes per call (built in {row['build_s']} s)"
            )
        worker.stop()
        changelogs = [f"{prefix}streams-calls-changelog", f"{prefix}streams-index-changelog"]
        records, floor_s = _changelog_floor(conn, changelogs)
        recovery_started = time.monotonic()
        ready_s = worker.start()
        restore_s = worker.metric("callstream_streams_restore_seconds_sum")
        _, done = remote.wait_until(worker.live_calls, made, stall_s=120, max_s=600)
        recovered_s = time.monotonic() - recovery_started
        result["recovery"] = {
            "live_calls": made,
            "changelog_records": records,
            "ready_s": round(ready_s, 2),
            "restore_s": round(restore_s, 3),
            "recovered_s": round(recovered_s, 2) if done else None,
            "floor_read_s": floor_s,
            "rss_mib_after": round(worker.rss() / 2**20, 1),
        }
        progress(
            f"  recovery of {made} calls ({records} changelog records): "
            f"{result['recovery']['recovered_s']} s; empty start {result['empty_start_s']} s; "
            f"a bare consumer reads the changelogs in {floor_s} s"
        )
        worker.stop()
    return result
