"""The whole streams pipeline over in-memory topics: source routing, the batch join, the wire.

No Kafka, but every record the real worker would produce is
produced here too (internal hops included), partitioned the same way, and
consumed in the same order, so scenarios can be proven quickly and exactly.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from collections.abc import Sequence

from callstream.records import Record, encode
from callstream.topics import Topics
from streams.batch import BatchDecider, BatchResult, RawRecord, TableName
from streams.correlation.sources import route_source_record
from streams.decide.rules import Rules
from streams.partitioning import partition_for
from streams.state.deadlines import Deadlines
from streams.state.held import Origin
from streams.wire import OutRecord, Wire


class MemoryWorker:
    """One worker owning every partition, with topics as lists."""

    def __init__(self, rules: Rules, *, partitions: int = 4, prefix: str = "t.") -> None:
        self.rules = rules
        self.partitions = partitions
        self.topics = Topics(
            prefix=prefix, sources={name: spec.topic for name, spec in rules.sources.items()}
        )
        self.deadlines = Deadlines(partitions)
        self.decider = BatchDecider(rules, self.topics, partitions, self.deadlines.due)
        self.wire = Wire(self.topics, partitions)
        self.store: dict[tuple[TableName, str], bytes] = {}
        self.queue: deque[RawRecord] = deque()
        self.written: dict[str, list[RawRecord]] = defaultdict(list)
        self._offsets = itertools.count()
        self._source_of = {spec.topic: name for name, spec in rules.sources.items()}

    def produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        headers: Sequence[tuple[str, bytes]] = (),
        partition: int | None = None,
        timestamp: float = 0.0,
    ) -> None:
        """Append a record to ``topic`` (hashed by key like Kafka's default partitioner)."""
        if partition is None:
            partition = 0 if key is None else partition_for(key.decode(), self.partitions)
        record = RawRecord(
            topic, partition, next(self._offsets), timestamp, key, value, tuple(headers)
        )
        self.written[topic].append(record)
        if topic in self._source_of:
            origin = Origin(topic, partition, record.offset, timestamp, self._source_of[topic])
            config = self.rules.streams
            output = route_source_record(
                value,
                key,
                origin,
                sources=self.rules.sources,
                order=config.correlation_keys,
                region=config.default_region,
            )
            self._send(self.wire.record(output, timestamp))
        elif topic in self.decider.topics:
            self.queue.append(record)

    def produce_record(self, topic: str, record: Record, *, timestamp: float = 0.0) -> None:
        call = getattr(record, "call_control_id", None)
        self.produce(topic, call.encode() if call else None, encode(record), timestamp=timestamp)

    def _send(self, out: OutRecord | None) -> None:
        if out is not None:
            self.produce(
                out.topic, out.key, out.value, headers=out.headers, partition=out.partition
            )

    def _read(self, table: TableName, key: str) -> bytes | None:
        return self.store.get((table, key))

    def run(self, now: float, *, batch: int = 50) -> None:
        """Consume until every topic is drained, ``batch`` records at a time."""
        while self.queue:
            records = [self.queue.popleft() for _ in range(min(batch, len(self.queue)))]
            self._apply(self.decider.run(records, self._read, now), now)

    def tick(self, now: float) -> None:
        """A clock tick on every partition, then run what it sent."""
        self._apply(self.decider.tick(range(self.partitions), self._read, now), now)
        self.run(now)

    def _apply(self, result: BatchResult, now: float) -> None:
        for output in result.outputs:
            self._send(self.wire.record(output, now))
        for (table, key), value in result.writes.items():
            if value is None:
                self.store.pop((table, key), None)
            else:
                self.store[table, key] = value
        for (table, key), (deadline, label) in result.deadlines.items():
            entry = None if result.writes[table, key] is None else (deadline, label)
            self.deadlines.record(table, key, entry)

    def records(self, role: str) -> list[RawRecord]:
        """What was written to one of callstream's topics, by role (``injections``, ``dlq``...)."""
        name = (self.topics.core() | self.topics.internal())[role]
        return self.written[name]
