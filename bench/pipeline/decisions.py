"""When the streams worker decided each injection: ``created_at`` read back from ``injections``.

It splits an event's end-to-end time in two: until the worker decided the
batch holding it (the ingress, the Kafka hops in, the worker's fetch and
batching), and from that decision to the remote (sending the outputs and
waiting for their acknowledgement, writing the tables, the hop to the
injector, the injector's request). A diagnostic beside the measurement, so a
figure that misses its goal says where the time went.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection

from confluent_kafka import Consumer, TopicPartition

from callstream.errors import RecordError
from callstream.kafka import KafkaConnection, consumer_config
from callstream.records import Injection, decode


def decided_at(
    conn: KafkaConnection,
    topic: str,
    *,
    since_s: float,
    ids: Collection[str],
    timeout_s: float = 60.0,
) -> dict[str, float]:
    """``created_at`` of each injection in ``ids`` written to ``topic`` since ``since_s``."""
    wanted = set(ids)
    consumer = Consumer(consumer_config(conn, "bench-decisions", f"bench-decisions-{uuid.uuid4()}"))
    found: dict[str, float] = {}
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        starts = consumer.offsets_for_times(
            [TopicPartition(topic, p, int(since_s * 1000)) for p in partitions], timeout=10
        )
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        }
        assignment = [tp for tp in starts if 0 <= tp.offset < ends[tp.partition]]
        if not assignment:
            return found
        consumer.assign(assignment)
        remaining = {tp.partition for tp in assignment}
        deadline = time.monotonic() + timeout_s
        while remaining and time.monotonic() < deadline:
            for message in consumer.consume(1000, timeout=0.2):
                if message.error() is not None:
                    continue
                partition, offset = message.partition(), message.offset()
                if partition is not None and offset is not None and offset + 1 >= ends[partition]:
                    remaining.discard(partition)
                try:
                    injection = decode(Injection, message.value() or b"")
                except RecordError:
                    continue
                if injection.injection_id in wanted:
                    found[injection.injection_id] = injection.created_at.timestamp()
    finally:
        consumer.close()
    return found
