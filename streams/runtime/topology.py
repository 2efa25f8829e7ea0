"""The worker's topics on the cluster: which must exist, which must agree, checked before start.

The joins are only correct if every record about one call lands on one
partition number, in every topic the join reads and writes, the changelogs
included; so a missing topic or a partition count that differs is a
configuration error that stops the worker at start, never a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from callstream.errors import ConfigError, KafkaUnavailable
from callstream.kafka import KafkaConnection, admin_config
from callstream.topics import Topics


@dataclass(frozen=True)
class TopicLayout:
    """What the worker found on the cluster."""

    partitions: int
    """The partition count every co-partitioned topic shares."""
    source_partitions: dict[str, int]


def copartitioned(topics: Topics) -> list[str]:
    """The topics the join reads or writes by call id / correlation key, which must agree."""
    core = topics.core()
    return [
        core["call-events"],
        core["tool-calls"],
        core["tool-results"],
        core["supervisor"],
        core["undelivered"],
        *topics.internal().values(),
    ]


def check_topics(conn: KafkaConnection, topics: Topics, timeout_s: float = 30.0) -> TopicLayout:
    """Every needed topic exists and the co-partitioned ones agree; else ``ConfigError``."""
    admin = AdminClient(admin_config(conn, "callstream-streams-check"))
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(f"Kafka at {conn.describe()} did not answer: {exc}") from exc
    counts = {
        name: len(found.partitions)
        for name, found in metadata.topics.items()
        if found.error is None
    }
    needed = [
        *copartitioned(topics),
        topics.injections,
        topics.followups,
        topics.dlq,
        *topics.sources.values(),
    ]
    missing = sorted(name for name in needed if name not in counts)
    if missing:
        raise ConfigError(
            "the streams worker needs topics that do not exist: "
            + ", ".join(missing)
            + " (run `callstream topics create`)"
        )
    shared = {name: counts[name] for name in copartitioned(topics)}
    if len(set(shared.values())) > 1:
        detail = ", ".join(f"{name}={count}" for name, count in sorted(shared.items()))
        raise ConfigError(
            "these topics must have the same number of partitions, so that one call's "
            f"records meet on one partition: {detail}"
        )
    sources = {name: counts[topic] for name, topic in topics.sources.items()}
    return TopicLayout(partitions=next(iter(shared.values())), source_partitions=sources)
