"""Rebuilding the ledger and the ended-calls memory from the tail of ``deliveries`` at start.

The memories live in the process, so a restart would forget what was
delivered; the ``deliveries`` topic has not forgotten. Before consuming, the
injector reads it from ``now - horizon`` (via ``offsets_for_times``), at most
``max_records`` records in all, up to the end it had when reading began.
Reading is bounded in time too: if it runs out, the injector starts with what
it has (the remote's own ``command_id`` window still covers fresh repeats) and
says so.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from callstream.errors import KafkaUnavailable, RecordError
from callstream.kafka import KafkaConnection, consumer_config
from callstream.kafka.transient import is_transient
from callstream.records import Delivery, decode
from injector.memory import RecentSet

log = structlog.get_logger("injector.rebuild")

T = TypeVar("T")


@dataclass(frozen=True)
class Rebuilt:
    """What the rebuild read."""

    records: int
    delivered: int
    call_ended: int
    complete: bool


def rebuild_memories(
    conn: KafkaConnection,
    topic: str,
    *,
    ledger: RecentSet,
    ended_calls: RecentSet,
    now: datetime,
    max_records: int,
    timeout_s: float = 60.0,
) -> Rebuilt:
    """Fill ``ledger`` and ``ended_calls`` from ``topic``'s recent records."""
    consumer = Consumer(
        consumer_config(
            conn,
            "callstream-injector-ledger",
            f"callstream-injector-ledger-{uuid.uuid4()}",  # never commits; a throw-away group
            overrides={"enable.partition.eof": True},
        )
    )
    deadline = time.monotonic() + timeout_s
    try:
        ranges = _with_retries(
            lambda: _ranges(
                consumer, topic, now=now, horizon_s=ledger.horizon_s, budget=max_records
            ),
            deadline,
        )
        return _read(
            consumer,
            topic,
            ranges,
            ledger=ledger,
            ended_calls=ended_calls,
            deadline=deadline,
        )
    except KafkaException as exc:
        raise KafkaUnavailable(f"could not read {topic} to rebuild the ledger: {exc}") from exc
    finally:
        consumer.close()


def _with_retries(attempt: Callable[[], T], deadline: float) -> T:
    """``attempt()``, again after a retriable Kafka error (a leader still being elected)."""
    while True:
        try:
            return attempt()
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if not is_transient(error) or time.monotonic() >= deadline:
                raise
            log.info("ledger_retry", error=str(error))
            time.sleep(0.2)  # backoff before asking the broker again


def _ranges(
    consumer: Consumer, topic: str, *, now: datetime, horizon_s: float, budget: int
) -> dict[int, tuple[int, int]]:
    """Partition -> (first offset to read, end offset) for the records within the horizon."""
    metadata = consumer.list_topics(topic, timeout=10)
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        raise KafkaUnavailable(f"topic {topic} is not available: run `callstream topics create`")
    partitions = sorted(found.partitions)
    since_ms = int((now.timestamp() - horizon_s) * 1000)
    per_partition = max(1, budget // max(1, len(partitions)))
    located = consumer.offsets_for_times(
        [TopicPartition(topic, p, since_ms) for p in partitions], timeout=10
    )
    ranges = {}
    for tp in located:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)
        first = tp.offset if tp.offset >= 0 else high  # -1: nothing that recent
        first = max(first, high - per_partition, low)
        if first < high:
            ranges[tp.partition] = (first, high)
    return ranges


def _read(
    consumer: Consumer,
    topic: str,
    ranges: dict[int, tuple[int, int]],
    *,
    ledger: RecentSet,
    ended_calls: RecentSet,
    deadline: float,
) -> Rebuilt:
    if not ranges:
        return Rebuilt(0, 0, 0, complete=True)
    consumer.assign([TopicPartition(topic, p, first) for p, (first, _) in ranges.items()])
    remaining = {p: end for p, (_, end) in ranges.items()}
    records = delivered = ended = 0
    while remaining and time.monotonic() < deadline:
        for message in consumer.consume(1000, timeout=0.5):
            partition = message.partition()
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF and partition is not None:
                    remaining.pop(partition, None)
                continue
            offset = message.offset()
            if partition is None or offset is None:
                continue
            if offset + 1 >= remaining.get(partition, 0):
                remaining.pop(partition, None)
            records += 1
            try:
                record = decode(Delivery, message.value())
            except RecordError:
                continue  # not ours to judge here; the ledger just does not learn from it
            if record.outcome in ("delivered", "sms_sent"):  # a follow-up's SMS: its id
                ledger.add(record.injection_id, record.at.timestamp())
                delivered += 1
            elif record.outcome == "call_ended":
                ended_calls.add(record.call_control_id, record.at.timestamp())
                ended += 1
    return Rebuilt(records, delivered, ended, complete=not remaining)
