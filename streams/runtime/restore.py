"""Reading a partition's tables back from their compacted changelogs, in bulk.

When the join is assigned partitions, their input partitions stay paused
until this has loaded the ``calls`` and ``index`` changelog partitions of the
same numbers from their start to their end, as they were when the restore
began (nobody else writes them then: the previous owner was revoked, or is
dead). A dedicated consumer, never in a group, reads with ``consume`` in
batches of thousands, so a restore runs at the speed of a bare consumer
rather than record by record through the decisions.

Transient errors (a leader still being elected, a broker away for a moment)
are retried; a changelog that cannot be read within ``timeout_s`` raises
``RestoreFailed``: the worker stops rather than process a partition with
half its state.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from callstream.errors import CallstreamError
from callstream.kafka.transient import is_fatal, is_transient
from callstream.topics import Topics
from streams.batch import TableName
from streams.runtime.store import TABLE_NAMES, TableStore

log = structlog.get_logger(__name__)

BATCH = 10_000
PROGRESS_INTERVAL_S = 5.0


class RestoreFailed(CallstreamError):
    """A changelog could not be read to its end; the worker cannot own the partition."""


@dataclass(frozen=True)
class RestoreReport:
    """What a restore read."""

    partitions: tuple[int, ...]
    records: int
    seconds: float


class Restorer:
    """Loads changelog partitions into a ``TableStore`` through an assign-only consumer."""

    def __init__(
        self,
        consumer: Consumer,
        topics: Topics,
        *,
        timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._consumer = consumer
        self._table_of: dict[str, TableName] = {
            topics.streams_changelog(table): table for table in TABLE_NAMES
        }
        self._timeout_s = timeout_s
        self._clock = clock
        self._sleep = sleep

    def restore(self, store: TableStore, partitions: Sequence[int]) -> RestoreReport:
        """Load every table of ``partitions`` into ``store``; return once each is complete."""
        started = self._clock()
        for partition in partitions:
            store.open(partition)
        ends = self._ends(partitions)
        total = sum(high - low for low, high in ends.values())
        if not ends:
            return RestoreReport(tuple(partitions), 0, self._clock() - started)
        self._consumer.assign([TopicPartition(t, p, low) for (t, p), (low, _) in ends.items()])
        try:
            records = self._read(store, ends, total, started)
        finally:
            self._consumer.unassign()
        return RestoreReport(tuple(partitions), records, self._clock() - started)

    def _ends(self, partitions: Sequence[int]) -> dict[tuple[str, int], tuple[int, int]]:
        """The non-empty changelog partitions to read, with their low and high offsets."""
        deadline = self._clock() + self._timeout_s
        ends = {}
        for topic in self._table_of:
            for partition in partitions:
                low, high = self._watermarks(TopicPartition(topic, partition), deadline)
                if high > low:
                    ends[topic, partition] = (low, high)
        return ends

    def _watermarks(self, tp: TopicPartition, deadline: float) -> tuple[int, int]:
        """The partition's low and high offsets, asking again while the error is transient."""
        wait = 0.05
        while True:
            left = deadline - self._clock()
            try:
                low, high = self._consumer.get_watermark_offsets(tp, timeout=max(0.1, left))
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if not is_transient(error) or left <= 0:
                    raise RestoreFailed(
                        f"cannot read the end of {tp.topic}[{tp.partition}]: {exc}"
                    ) from exc
                log.info("restore_retry", topic=tp.topic, partition=tp.partition, error=str(exc))
                self._sleep(min(wait, max(0.0, left)))  # backing off a transient broker error
                wait = min(wait * 2, 1.0)
                continue
            return low, high

    def _read(
        self,
        store: TableStore,
        ends: dict[tuple[str, int], tuple[int, int]],
        total: int,
        started: float,
    ) -> int:
        pending = set(ends)
        read = 0
        deadline = started + self._timeout_s
        next_progress = started + PROGRESS_INTERVAL_S
        while pending:
            now = self._clock()
            if now > deadline:
                missing = ", ".join(f"{t}[{p}]" for t, p in sorted(pending))
                raise RestoreFailed(
                    f"changelogs not read to their end within {self._timeout_s:g} s: {missing}"
                )
            if now >= next_progress:
                next_progress = now + PROGRESS_INTERVAL_S
                log.info("restore_progress", records=read, of=total)
            batch: dict[tuple[str, int], list[tuple[str, bytes | None]]] = defaultdict(list)
            for message in self._consumer.consume(BATCH, timeout=0.2):
                error = message.error()
                where = (message.topic() or "", message.partition() or 0)
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        pending.discard(where)
                    elif is_fatal(error):
                        raise RestoreFailed(f"reading {where[0]}[{where[1]}]: {error.str()}")
                    else:
                        log.warning("restore_read_error", topic=where[0], error=error.str())
                    continue
                key = message.key()
                if key is None:
                    continue  # not ours: every changelog record has a key
                batch[where].append((key.decode(errors="replace"), message.value()))
                offset = message.offset() or 0
                if offset + 1 >= ends[where][1]:
                    pending.discard(where)
            for (topic, partition), entries in batch.items():
                store.load(self._table_of[topic], partition, entries)
                read += len(entries)
        return read
