"""Reading and writing topics in tests, waiting on conditions rather than on time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import Consumer, Message, Producer, TopicPartition

from callstream.kafka.config import consumer_config, producer_config
from callstream.kafka.connection import KafkaConnection


@dataclass(frozen=True)
class Consumed:
    """One record as a test sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


def produce(
    conn: KafkaConnection,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes | None]],
    *,
    headers: list[tuple[str, str | bytes | None]] | None = None,
    timeout_s: float = 30.0,
) -> int:
    """Produce ``(key, value)`` records durably; return how many the broker acknowledged."""
    producer = Producer(producer_config(conn, "callstream-test-producer"))
    failures: list[str] = []

    def _delivered(err: object, _: object) -> None:
        if err is not None:
            failures.append(str(err))

    count = 0
    for key, value in records:
        producer.produce(topic, key=key, value=value, headers=headers, on_delivery=_delivered)
        producer.poll(0)
        count += 1
    remaining = producer.flush(timeout_s)
    if remaining or failures:
        raise AssertionError(f"{remaining} unacknowledged, failures: {failures[:5]}")
    return count


def consume(
    conn: KafkaConnection,
    topics: list[str],
    *,
    expect: int,
    timeout_s: float = 30.0,
    settle_s: float = 0.0,
) -> list[Consumed]:
    """Read from the start of ``topics`` until ``expect`` records arrived or time ran out.

    With ``settle_s`` it keeps reading that long after reaching ``expect``, so a
    test can assert that nothing *more* arrives (duplicates, late records).
    """
    consumer = Consumer(
        consumer_config(
            conn,
            "callstream-test-consumer",
            group_id=f"test-{uuid.uuid4()}",
            overrides={"enable.partition.eof": False},
        )
    )
    consumer.subscribe(topics)
    found: list[Consumed] = []
    deadline = time.monotonic() + timeout_s
    settle_until: float | None = None
    try:
        while True:
            now = time.monotonic()
            if settle_until is None and len(found) >= expect:
                settle_until = now + settle_s
            if (settle_until is not None and now >= settle_until) or now >= deadline:
                break
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            found.append(_consumed(message))
    finally:
        consumer.close()
    return found


def _consumed(message: Message) -> Consumed:
    headers = message.headers() or []
    pairs = headers.items() if isinstance(headers, dict) else headers
    return Consumed(
        topic=message.topic() or "",
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        key=_as_bytes(message.key()),
        value=_as_bytes(message.value()),
        headers=[(name, _as_bytes(value)) for name, value in pairs],
    )


def _as_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def end_offsets(conn: KafkaConnection, topic: str, timeout_s: float = 10.0) -> dict[int, int]:
    """The high watermark of every partition of ``topic`` (how many records it has ever held)."""
    consumer = Consumer(consumer_config(conn, "callstream-test-offsets", f"test-{uuid.uuid4()}"))
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s)
        partitions = metadata.topics[topic].partitions
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)[1]
            for p in partitions
        }
    finally:
        consumer.close()
