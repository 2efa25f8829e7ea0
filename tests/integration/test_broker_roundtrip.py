"""The broker the tests run against is real: keyed records keep their per-key order."""

from __future__ import annotations

from collections import defaultdict

from callstream.kafka import KafkaConnection, ensure_topics
from callstream.topics import TopicSpec
from devkit.testing.broker import BrokerHandle
from devkit.testing.kafka import consume, end_offsets, produce


def test_keyed_records_keep_per_key_order(
    kafka_broker: BrokerHandle, kafka_conn: KafkaConnection, topic_prefix: str
) -> None:
    """Records of one key arrive in the order produced, across a 6-partition topic."""
    topic = f"{topic_prefix}roundtrip"
    ensure_topics(kafka_conn, [TopicSpec(topic, partitions=6, replication_factor=1)])
    keys = [f"v3:call-{n}" for n in range(20)]
    records = [(key.encode(), f"{key}|{seq}".encode()) for seq in range(25) for key in keys]
    assert produce(kafka_conn, topic, records) == 500

    consumed = consume(kafka_conn, [topic], expect=500, timeout_s=60, settle_s=0.5)

    assert len(consumed) == 500, "every acknowledged record is consumed, none twice"
    per_key: dict[bytes, list[int]] = defaultdict(list)
    partitions_of_key: dict[bytes, set[int]] = defaultdict(set)
    for record in consumed:
        assert record.key is not None
        assert record.value is not None
        per_key[record.key].append(int(record.value.split(b"|")[1]))
        partitions_of_key[record.key].add(record.partition)
    assert all(seqs == list(range(25)) for seqs in per_key.values())
    assert all(len(parts) == 1 for parts in partitions_of_key.values()), "a key has one partition"
    assert len({p for parts in partitions_of_key.values() for p in parts}) > 1, "keys spread out"
    assert sum(end_offsets(kafka_conn, topic).values()) == 500
