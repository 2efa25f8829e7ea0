"""The join: one poll loop over the co-partitioned topics, owning the rebalance callbacks.

Everything about one call is decided here, on the worker that owns the call's
partition number, in the order its records arrive: call events, tool calls,
tool results, supervisor messages, and the internal ``streams.by-call`` and
``streams.by-key`` hops.

**Assignment.** The group assigns partitions of one topic only, ``call-events``
(with the cooperative-sticky assignor and, given a worker id, static
membership); each assigned partition number is extended to the same
partition of every other input topic, so one worker owns partition *p* of
all of them together. An assignor balancing all topics at once would split
a call's records across workers; this keeps cooperative rebalancing (only
partitions that move are revoked) and co-partitioning both.

**A new partition** stays paused until its tables are restored from their
changelogs (``restore``); only then are its records fetched.

**Each batch** (one ``poll`` for the first record, then whatever else is
already fetched, up to ``batch_max``; when the loop is busy, a few more
milliseconds' worth: ``callstream.kafka.batches``) is decided by ``BatchDecider`` against
the in-memory tables, then written in the order ``checkpoint`` explains.
Expiry runs on the loop's own clock: every ``tick_interval_s`` the owned
partitions are ticked between two batches, in order with their records.

**Revoked** partitions are settled (everything produced is acknowledged and
their offsets committed synchronously) before they move; **lost** ones are
dropped with nothing committed (their new owner decides them again).

The loop never decides what a record means and never swallows a failure it
cannot name: it raises, and the worker stops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from callstream.kafka.batches import take
from callstream.kafka.transient import is_fatal
from callstream.ops import Health
from callstream.topics import Topics
from callstream.tracing import Tracing
from streams.batch import BatchDecider, BatchResult, RawRecord
from streams.runtime.accounting import Accounting
from streams.runtime.checkpoint import Checkpointing, Offsets
from streams.runtime.records import raw_record
from streams.runtime.restore import Restorer
from streams.runtime.store import TABLE_NAMES, TableStore, changelog_records
from streams.runtime.subscribed import run_subscribed
from streams.state.deadlines import Deadlines
from streams.wire import Wire

log = structlog.get_logger(__name__)


class JoinLoop:
    """Polls the co-partitioned topics of the partitions this worker owns and decides them."""

    def __init__(
        self,
        *,
        consumer: Consumer,
        checkpoint: Checkpointing,
        restorer: Restorer,
        decider: BatchDecider,
        deadlines: Deadlines,
        topics: Topics,
        partitions: int,
        accounting: Accounting,
        health: Health,
        batch_max: int,
        poll_s: float,
        gather_s: float,
        tick_interval_s: float,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        tracing: Tracing | None = None,
    ) -> None:
        self._consumer = consumer
        self._checkpoint = checkpoint
        self._restorer = restorer
        self._decider = decider
        self._topics = topics
        self._partitions = partitions
        self._accounting = accounting
        self._health = health
        self._batch_max = batch_max
        self._poll_s = poll_s
        self._gather_s = gather_s
        self._tick_interval_s = tick_interval_s
        self._clock = clock
        self._monotonic = monotonic
        self._driver = topics.call_events
        self._inputs = decider.topics
        self._store = TableStore(partitions)
        self._deadlines = deadlines
        self._wire = Wire(topics, partitions, tracing)
        self._traced = tracing is not None
        self._ready: set[int] = set()
        """Assigned and restored: their records are fetched and decided."""
        self._restoring: set[int] = set()
        """Assigned, paused until their tables are restored."""
        self._next_tick = monotonic() + tick_interval_s

    # -- the loop ----------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Poll and decide until ``stop`` is set; then settle, commit and close."""
        run_subscribed(self._consumer, [self._driver], self, stop, name="join")

    def settle(self) -> None:
        """Produce, acknowledge and commit everything decided so far."""
        self._checkpoint.settle()

    def step(self) -> None:
        """One turn: restore what was assigned, decide one batch, tick if due, commit."""
        if self._restoring:
            self._restore()
        timeout = max(0.0, min(self._poll_s, self._next_tick - self._monotonic()))
        records = self._poll(timeout)
        if records:
            self._decide(records)
        if self._monotonic() >= self._next_tick:
            self._tick()
        self._checkpoint.poll()
        self._health.beat()

    def _poll(self, timeout: float) -> list[RawRecord]:
        """The next batch (``callstream.kafka.batches.take``), of partitions that are ready."""
        messages = take(
            self._consumer, most=self._batch_max, wait_s=timeout, gather_s=self._gather_s
        )
        records, traced = [], self._traced
        for message in messages:
            error = message.error()
            if error is not None:
                self._consumer_error(error)
                continue
            # Fetched before a rebalance moved its partition: its new owner decides it.
            if message.partition() in self._ready:
                records.append(raw_record(message, traced))
        return records

    def _consumer_error(self, error: KafkaError) -> None:
        if is_fatal(error):
            raise KafkaException(error)
        log.warning("consumer_error", error=error.str(), code=error.name())

    # -- deciding ------------------------------------------------------------------

    def _decide(self, records: Sequence[RawRecord]) -> None:
        started = self._monotonic()
        now = self._clock()
        result = self._decider.run(records, self._store.read, now)
        offsets: Offsets = {}
        for record in records:
            offsets[record.topic, record.partition] = record.offset + 1
        self._write(result, offsets, now)
        self._accounting.batch(records, result, self._monotonic() - started)

    def _tick(self) -> None:
        self._next_tick = self._monotonic() + self._tick_interval_s
        owned = sorted(self._ready)
        if owned:
            now = self._clock()
            result = self._decider.tick(owned, self._store.read, now)
            if result.outputs or result.writes:
                self._write(result, {}, now)
        self._accounting.tables(self._deadlines)

    def _write(self, result: BatchResult, offsets: Offsets, now: float) -> None:
        """Outputs acknowledged, then state, then offsets (see ``checkpoint``)."""
        records = (self._wire.record(output, now) for output in result.outputs)
        outputs = [record for record in records if record is not None]
        changelog = changelog_records(self._topics, self._partitions, result.writes)
        self._checkpoint.write(outputs, changelog, offsets)
        acked = self._clock()
        self._store.apply(result.writes)
        for (table, key), value in result.writes.items():
            entry = None if value is None else result.deadlines[table, key]
            self._deadlines.record(table, key, entry)
        self._accounting.outputs(result.outputs, acked)

    # -- assignment ----------------------------------------------------------------

    def _expand(self, partitions: Iterable[int]) -> list[TopicPartition]:
        return [TopicPartition(topic, p) for p in partitions for topic in self._inputs]

    def on_assign(self, consumer: Consumer, assigned: list[TopicPartition]) -> None:
        partitions = sorted(tp.partition for tp in assigned)
        extended = self._expand(partitions)
        consumer.incremental_assign(extended)
        if extended:
            consumer.pause(extended)  # fetched only once restored
        self._restoring.update(partitions)
        self._accounting.rebalance("assigned", partitions)
        if not partitions:
            self._joined()

    def _restore(self) -> None:
        partitions = sorted(self._restoring)
        self._restoring.clear()
        self._health.set("joined", False, f"restoring partitions {partitions}")
        report = self._restorer.restore(self._store, partitions)
        for partition in partitions:
            for table in TABLE_NAMES:
                entries = (
                    (key, self._decider.deadline(table, value))
                    for key, value in self._store.entries(table, partition)
                )
                self._deadlines.rebuild(table, partition, entries)
        self._ready.update(partitions)
        self._consumer.resume(self._expand(partitions))
        self._accounting.restored(report)
        self._joined()

    def _joined(self) -> None:
        owned = sorted(self._ready)
        self._health.set("joined", True, f"owns partitions {owned}")

    def on_revoke(self, consumer: Consumer, revoked: list[TopicPartition]) -> None:
        partitions = sorted(tp.partition for tp in revoked)
        if not partitions:
            return
        extended = self._expand(partitions)
        self._checkpoint.settle([(tp.topic, tp.partition) for tp in extended])
        self._release(partitions)
        consumer.incremental_unassign(extended)
        self._accounting.rebalance("revoked", partitions)

    def on_lost(self, consumer: Consumer, lost: list[TopicPartition]) -> None:
        partitions = sorted(tp.partition for tp in lost)
        extended = self._expand(partitions)
        self._checkpoint.forget([(tp.topic, tp.partition) for tp in extended])
        self._release(partitions)
        consumer.incremental_unassign(extended)
        self._accounting.rebalance("lost", partitions)

    def _release(self, partitions: Sequence[int]) -> None:
        self._ready.difference_update(partitions)
        self._restoring.difference_update(partitions)
        self._store.drop(partitions)
        self._deadlines.drop(partitions)
        self._joined()
