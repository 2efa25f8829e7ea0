"""The join agent: every co-partitioned topic, one batch at a time, outputs before state.

One agent reads call events, tool calls, tool results, supervisor messages,
the internal by-call and by-key topics and the clock ticks, so everything
about one call is decided in one place, in the order its records arrive at
the worker that owns its partition.

Per batch: decide (``streams.batch``), send every output and wait until Kafka
has acknowledged all of them, *then* write the new state to the tables, and
only then let faust acknowledge the input records (``take_events`` acks after
the loop body). faust commits offsets only for acknowledged records, after
flushing the producer (the changelog). So after a crash:

* state written ⇒ its outputs were already in Kafka, and a redelivered input
  is recognised as a duplicate (nothing lost, nothing repeated);
* outputs in Kafka but state not written (the few milliseconds between the
  two) ⇒ the redelivered input is decided again, yielding the same records
  with the same injection ids, which the injector drops (ledger, command_id).

An injection can be repeated in that window; it can never be lost.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import Any

import structlog

from callstream.ops import Health
from streams.agents.records import raw_record
from streams.agents.send import OutputSender
from streams.agents.tables import StateTables
from streams.batch import BatchDecider, BatchResult, RawRecord, TableName
from streams.metrics import StreamsMetrics
from streams.state.deadlines import Deadlines

log = structlog.get_logger(__name__)

TABLES: tuple[TableName, ...] = ("calls", "index")
LABELS: dict[TableName, tuple[str, ...]] = {
    "calls": ("unknown", "ringing", "active", "ended", "gone", "corrupt"),
    "index": ("keys", "held", "corrupt"),
}


class JoinAgent:
    """The faust agent body around ``BatchDecider``."""

    def __init__(
        self,
        *,
        decider: BatchDecider,
        tables: StateTables,
        deadlines: Deadlines,
        sender: OutputSender,
        metrics: StreamsMetrics,
        health: Health,
        ticks_topic: str,
        generation: Callable[[], int],
        owned: Callable[[], Iterable[int]],
        batch_max: int,
        batch_window_s: float,
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._decider = decider
        self._prepare = prepare
        self._tables = tables
        self._deadlines = deadlines
        self._sender = sender
        self._metrics = metrics
        self._health = health
        self._ticks = ticks_topic
        self._generation = generation
        self._owned = owned
        self._batch_max = batch_max
        self._window = batch_window_s

    async def __call__(self, stream: Any) -> None:
        if self._prepare is not None:
            await self._prepare()
        async for events in stream.take_events(self._batch_max, self._window):
            await self.process([raw_record(event.message) for event in events])

    async def process(self, records: Sequence[RawRecord]) -> None:
        """Decide one batch, send its outputs, then write its state."""
        started = time.monotonic()
        now = time.time()
        ticked = {record.partition for record in records if record.topic == self._ticks}
        for partition in ticked:
            self._prepare_deadlines(partition)
        inputs = [record for record in records if record.topic != self._ticks]
        result = self._decider.run(inputs, self._tables.read, now)
        if ticked:
            # Expiry is decided after the batch's records, on the state they left.
            def read(table: TableName, key: str) -> bytes | None:
                if (table, key) in result.writes:
                    return result.writes[table, key]
                return self._tables.read(table, key)

            expired = self._decider.tick(sorted(ticked), read, now)
            result.outputs.extend(expired.outputs)
            result.writes.update(expired.writes)
            result.deadlines.update(expired.deadlines)
        await self._sender.send(result.outputs, now)
        self._tables.write(result.writes)
        for (table, key), value in result.writes.items():
            entry = None if value is None else result.deadlines[table, key]
            self._deadlines.record(table, key, entry)
        self._account(records, result, started, bool(ticked))

    def _prepare_deadlines(self, partition: int) -> None:
        generation = self._generation()
        for table in TABLES:
            self._deadlines.ensure(
                table, partition, generation, partial(self._tables.entries, table)
            )

    def _account(
        self, records: Sequence[RawRecord], result: BatchResult, started: float, ticked: bool
    ) -> None:
        metrics = self._metrics
        for role, count in result.consumed.items():
            metrics.records_in.labels(role).inc(count)
        for topic, count in result.misrouted.items():
            metrics.misrouted.labels(topic).inc(count)
            log.warning("streams.misrouted", topic=topic, records=count)
        if result.corrupt_state:
            metrics.corrupt_state.inc(result.corrupt_state)
        metrics.batch_records.observe(len(records))
        metrics.batch_seconds.observe(time.monotonic() - started)
        self._health.beat()
        if ticked:
            owned = sorted(self._owned())
            self._deadlines.forget(owned)
            for table in TABLES:
                sizes = self._deadlines.sizes(table)
                for label in LABELS[table]:
                    metrics.table_keys.labels(table, label).set(sizes.get(label, 0))
            self._health.set("joining", True, f"owns partitions {owned}")
