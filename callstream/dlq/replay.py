"""Scan the dead-letter topic and re-drive chosen records to their original topics.

Replay is safe to repeat because every stage derives its ids from the record
(request id, event id, injection id = f(source, cause)): a record replayed
twice is recognised downstream and delivered at most once in effect. This
module never deletes or rewrites the DLQ; it reads a snapshot (up to the end
offsets at the start of the scan) so records dead-lettered *during* a replay
are not chased in a loop.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, Producer, TopicPartition
from confluent_kafka import KafkaError as RdKafkaError
from pydantic import ValidationError

from callstream.dlq.filters import ReplayFilter
from callstream.errors import KafkaError, KafkaUnavailable
from callstream.kafka.config import consumer_config, producer_config
from callstream.kafka.connection import KafkaConnection
from callstream.records import DeadLetter
from callstream.records.deadletter import HEADER_PREFIX

REPLAYED_FROM = HEADER_PREFIX + "replayed-from"

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class DeadRecord:
    """One dead-lettered record: where it sits in the DLQ, its bytes, and why it is there."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    letter: DeadLetter

    def replay_headers(self, dlq_topic: str) -> list[tuple[str, str | bytes | None]]:
        """The original record's own headers, plus where the replay came from."""
        kept = [(name, value) for name, value in self.headers if not name.startswith(HEADER_PREFIX)]
        return [*kept, (REPLAYED_FROM, f"{dlq_topic}:{self.partition}:{self.offset}".encode())]


@dataclass
class ReplaySummary:
    """What a scan found and what a replay did."""

    scanned: int = 0
    matched: int = 0
    unreadable: int = 0
    replayed: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)


def _as_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def _headers(message: Message) -> list[tuple[str, bytes]]:
    raw = message.headers() or []
    pairs = list(raw.items()) if isinstance(raw, dict) else raw
    return [(name, _as_bytes(value) or b"") for name, value in pairs]


def _end_offsets(consumer: Consumer, topic: str, timeout_s: float) -> dict[int, int]:
    """The end offset of every non-empty partition of ``topic``, as of now."""
    metadata = consumer.list_topics(topic, timeout=timeout_s)
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        raise KafkaError(f"dead-letter topic {topic!r} does not exist")
    ends = {}
    for partition in found.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout_s)
        if high > low:
            ends[partition] = high
    return ends


def _dead_record(message: Message, summary: ReplaySummary) -> DeadRecord | None:
    """The record with its metadata, or None (counted) when its headers are not ours."""
    headers = _headers(message)
    try:
        letter = DeadLetter.from_headers(headers)
    except (ValidationError, ValueError, KeyError):
        summary.unreadable += 1
        return None
    return DeadRecord(
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        key=_as_bytes(message.key()),
        value=_as_bytes(message.value()),
        headers=headers,
        letter=letter,
    )


def scan(
    conn: KafkaConnection,
    dlq_topic: str,
    wanted: ReplayFilter,
    summary: ReplaySummary,
    *,
    timeout_s: float = 30.0,
    progress: Progress = _quiet,
) -> Iterator[DeadRecord]:
    """Yield the DLQ records that match ``wanted``, reading every partition to its current end."""
    consumer = Consumer(
        consumer_config(
            conn,
            "callstream-dlq-replay",
            # A private group that never commits: replay must not move anyone's offsets.
            group_id=f"callstream-dlq-replay-{uuid.uuid4()}",
            overrides={"enable.partition.eof": True},
        )
    )
    try:
        ends = _end_offsets(consumer, dlq_topic, timeout_s)
        consumer.assign([TopicPartition(dlq_topic, p, OFFSET_BEGINNING) for p in ends])
        pending = set(ends)
        while pending:
            message = consumer.poll(timeout_s)
            if message is None:
                raise KafkaUnavailable(f"no record from {dlq_topic!r} within {timeout_s:.0f} s")
            partition = message.partition() or 0
            error = message.error()
            # End of a partition: the EOF event, or the snapshot's end offset
            # (a transaction marker can occupy the last offset and never arrive).
            if error is not None and error.code() == RdKafkaError._PARTITION_EOF:
                pending.discard(partition)
                continue
            if error is not None:
                raise KafkaError(f"reading {dlq_topic!r} failed: {error}")
            if (message.offset() or 0) + 1 >= ends[partition]:
                pending.discard(partition)
            summary.scanned += 1
            if summary.scanned % 10_000 == 0:
                progress(f"scanned {summary.scanned} dead letters...")
            record = _dead_record(message, summary)
            if record is None or not wanted.matches(record.letter):
                continue
            summary.matched += 1
            summary.by_reason[record.letter.reason] += 1
            yield record
    finally:
        consumer.close()


def replay(
    conn: KafkaConnection,
    dlq_topic: str,
    records: Iterable[DeadRecord],
    summary: ReplaySummary,
    *,
    timeout_s: float = 30.0,
) -> None:
    """Produce each record, unchanged, to the topic it was dead-lettered from (acks=all)."""
    producer = Producer(producer_config(conn, "callstream-dlq-replay"))
    failures: list[str] = []

    def _acked(err: object, _: object) -> None:
        if err is None:
            summary.replayed += 1
        else:
            failures.append(str(err))

    for record in records:
        producer.produce(
            record.letter.topic,
            key=record.key,
            value=record.value,
            headers=record.replay_headers(dlq_topic),
            on_delivery=_acked,
        )
        producer.poll(0)
    left = producer.flush(timeout_s)
    if left or failures:
        raise KafkaUnavailable(
            f"replay incomplete: {summary.replayed} acknowledged, {left} unacknowledged, "
            f"{len(failures)} failed ({failures[:3]})"
        )
