"""The restore reads each changelog partition to its end, rides out transient errors, and
gives up loudly on the rest."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from callstream.topics import Topics
from streams.partitioning import partition_for
from streams.runtime.restore import RestoreFailed, Restorer
from streams.runtime.store import TableStore

TOPICS = Topics(prefix="t.")
CALLS = TOPICS.streams_changelog("calls")
INDEX = TOPICS.streams_changelog("index")
KEY = "v3:restored"
PARTITION = partition_for(KEY, 4)


class Message:
    def __init__(
        self, topic: str, offset: int, key: bytes | None, value: bytes | None, eof: bool = False
    ) -> None:
        self._topic, self._offset, self._key, self._value, self._eof = (
            topic,
            offset,
            key,
            value,
            eof,
        )

    def error(self) -> KafkaError | None:
        return KafkaError(KafkaError._PARTITION_EOF) if self._eof else None

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return PARTITION

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value


class FakeConsumer:
    """Changelogs as lists; watermark queries fail as scripted first."""

    def __init__(self, logs: dict[str, list[Message]], failures: list[int] | None = None) -> None:
        self.logs = logs
        self.failures = list(failures or [])
        self.assigned: list[TopicPartition] = []

    def get_watermark_offsets(self, tp: TopicPartition, timeout: float) -> tuple[int, int]:
        if self.failures:
            raise KafkaException(KafkaError(self.failures.pop(0)))
        found = self.logs.get(tp.topic, []) if tp.partition == PARTITION else []
        return 0, len(found)

    def assign(self, tps: list[TopicPartition]) -> None:
        self.assigned = tps

    def unassign(self) -> None:
        self.assigned = []

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        batch = [m for tp in self.assigned for m in self.logs.get(tp.topic, [])]
        self.logs = {}
        return batch


def restorer(consumer: Any, *, timeout_s: float = 5.0) -> Restorer:
    clock = iter(float(n) / 10 for n in range(10_000))
    return Restorer(
        consumer, TOPICS, timeout_s=timeout_s, clock=lambda: next(clock), sleep=lambda _: None
    )


def test_each_key_comes_back_with_its_last_value() -> None:
    """Records apply in order, tombstones delete, keyless records are skipped."""
    consumer = FakeConsumer(
        {
            CALLS: [
                Message(CALLS, 0, KEY.encode(), b"old"),
                Message(CALLS, 1, None, b"foreign"),
                Message(CALLS, 2, KEY.encode(), b"new"),
            ],
            INDEX: [
                Message(INDEX, 0, b"phone:+1", b"x"),
                Message(INDEX, 1, b"phone:+1", None),
            ],
        }
    )
    store = TableStore(4)
    report = restorer(consumer).restore(store, [PARTITION])
    assert store.read("calls", KEY) == b"new"
    assert store.read("index", "phone:+1") is None
    assert report.records == 4
    assert consumer.assigned == []


def test_a_leader_still_being_elected_is_waited_for() -> None:
    """NOT_LEADER_FOR_PARTITION right after a topic is made is retried, not fatal."""
    consumer = FakeConsumer(
        {CALLS: [Message(CALLS, 0, KEY.encode(), b"v")]},
        failures=[KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE],
    )
    store = TableStore(4)
    restorer(consumer).restore(store, [PARTITION])
    assert store.read("calls", KEY) == b"v"


def test_a_permanent_error_stops_the_restore_and_names_the_partition() -> None:
    """An authorisation failure is not retried: the worker must not own half its state."""
    consumer = FakeConsumer({}, failures=[KafkaError.TOPIC_AUTHORIZATION_FAILED])
    with pytest.raises(RestoreFailed, match=rf"{CALLS}\[{PARTITION}\]"):
        restorer(consumer).restore(TableStore(4), [PARTITION])


def test_a_changelog_that_never_ends_times_out() -> None:
    """A partition whose end is never reached raises once the time is up."""

    class Stuck(FakeConsumer):
        def consume(self, num_messages: int, timeout: float) -> list[Message]:
            return []

    consumer = Stuck({CALLS: [Message(CALLS, 0, KEY.encode(), b"v")]})
    with pytest.raises(RestoreFailed, match="not read to their end"):
        restorer(consumer, timeout_s=1.0).restore(TableStore(4), [PARTITION])
