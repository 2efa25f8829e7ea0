"""The Kafka edge: read every topic the console shows, from the look-back on, into the board.

One consumer, owned by one thread, with partitions *assigned* (no consumer
group: it never commits, never rebalances, and every console replica reads
everything). On start each partition is positioned at its first record at or
after ``now - lookback_s`` (``offsets_for_times``), so a restarted console
rebuilds its view from the topics. Topics that do not exist yet are looked
for again every ``RECHECK_S``. The board is only touched under ``lock``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from confluent_kafka import (
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)
from prometheus_client import CollectorRegistry, Counter, Gauge

from callstream.kafka import KafkaConnection, consumer_config
from console.view.board import Board
from console.view.fold import RawRecord, Rules, fold

log = structlog.get_logger(__name__)

RECHECK_S = 10.0
RETRY_S = 1.0
PRUNE_EVERY_S = 1.0
BATCH = 500


@dataclass(frozen=True)
class Followed:
    """A topic to follow: its role, and for a source topic the source's name."""

    topic: str
    role: str
    source: str | None = None


def followed_topics(core: Mapping[str, str], sources: Mapping[str, str]) -> list[Followed]:
    """The console's topics: callstream's own (not the streams worker's internals) and the
    configured source topics."""
    wanted = ("call-events", "tool-calls", "tool-results", "supervisor", "injections")
    found = [Followed(core[role], role) for role in (*wanted, "deliveries", "dlq")]
    return found + [Followed(topic, "source", name) for name, topic in sorted(sources.items())]


def record_time(timestamp_ms: int | None) -> datetime:
    """A Kafka record timestamp as an aware datetime (now when the record has none)."""
    if not timestamp_ms or timestamp_ms < 0:
        return datetime.now(UTC)
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


def _headers(message: Message) -> list[tuple[str, bytes | None]]:
    raw = message.headers() or []
    pairs = list(raw.items()) if isinstance(raw, dict) else raw
    return [(name, value.encode() if isinstance(value, str) else value) for name, value in pairs]


class FollowerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "callstream_console_records",
            "Records folded into the view",
            ["role"],
            registry=registry,
        )
        self.calls = Gauge(
            "callstream_console_calls", "Calls in the view", ["state"], registry=registry
        )
        self.unreadable = Gauge(
            "callstream_console_unreadable_records",
            "Records that did not decode (skipped; their stage dead-letters them)",
            registry=registry,
        )


class Follower:
    """Feeds ``board`` from Kafka in a thread of its own until ``stop``."""

    def __init__(
        self,
        conn: KafkaConnection,
        *,
        topics: list[Followed],
        board: Board,
        rules: Rules,
        lock: threading.Lock,
        metrics: FollowerMetrics,
    ) -> None:
        self._conn = conn
        self._topics = {t.topic: t for t in topics}
        self._board = board
        self._rules = rules
        self._lock = lock
        self._metrics = metrics
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="console-follower", daemon=True)
        self._assigned: set[str] = set()
        self._catching_up: dict[tuple[str, int], int] = {}
        self.caught_up = threading.Event()
        """Set once every followed partition was read up to its end as of the start."""
        self.failure: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    @property
    def missing(self) -> list[str]:
        """Followed topics not found (yet)."""
        return sorted(set(self._topics) - self._assigned)

    def _run(self) -> None:
        consumer = Consumer(
            consumer_config(
                self._conn,
                "callstream-console",
                # Required by the client, never joined: partitions are assigned, nothing commits.
                group_id=f"callstream-console-{uuid.uuid4()}",
                # End-of-partition events tell when the look-back is read: a transaction's
                # commit marker can hold the last offset, and no record ever arrives at it.
                overrides={"enable.auto.offset.store": False, "enable.partition.eof": True},
            )
        )
        try:
            self._loop(consumer)
        except KafkaException as exc:
            self.failure = str(exc)
            log.exception("console_follower_failed")
        finally:
            consumer.close()

    def _loop(self, consumer: Consumer) -> None:
        next_check = 0.0
        next_prune = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_check and self.missing:
                try:
                    self._assign(consumer)
                    next_check = now + RECHECK_S
                except KafkaException as exc:
                    # Leaders move while topics are new or brokers restart: ask again soon.
                    log.warning("console_assign_retry", error=str(exc), retry_s=RETRY_S)
                    next_check = now + RETRY_S
            messages = consumer.consume(BATCH, timeout=0.2)
            if messages:
                self._fold(messages)
            if now >= next_prune:
                with self._lock:
                    self._board.prune(datetime.now(UTC))
                    self._gauges()
                next_prune = now + PRUNE_EVERY_S

    def _assign(self, consumer: Consumer) -> None:
        """Assign the partitions of every followed topic that exists and is not assigned yet."""
        since_ms = int((time.time() - self._rules.console.lookback_s) * 1000)
        wanted: list[TopicPartition] = []
        for topic in self.missing:
            metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
            if metadata is None or metadata.error is not None or not metadata.partitions:
                continue
            wanted += [TopicPartition(topic, p, since_ms) for p in metadata.partitions]
        if not wanted:
            self._note_missing()
            return
        positioned = consumer.offsets_for_times(wanted, timeout=10)
        for tp in positioned:
            # No record at or after the look-back: start at the end (only new records).
            if tp.offset < 0:
                tp.offset = OFFSET_END
            _, high = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), 10)
            if tp.offset != OFFSET_END and tp.offset < high:
                self._catching_up[(tp.topic, tp.partition)] = high
        consumer.incremental_assign(positioned)
        self._assigned |= {tp.topic for tp in positioned}
        log.info(
            "console_following",
            topics=sorted({tp.topic for tp in positioned}),
            partitions=len(positioned),
            lookback_s=self._rules.console.lookback_s,
        )
        self._note_missing()

    def _note_missing(self) -> None:
        if self.missing:
            log.warning("console_topics_missing", topics=self.missing, recheck_s=RECHECK_S)
        elif not self._catching_up:
            self.caught_up.set()

    def _fold(self, messages: list[Message]) -> None:
        with self._lock:
            for message in messages:
                error = message.error()
                partition, offset = message.partition() or 0, message.offset() or 0
                if error is not None and error.code() == KafkaError._PARTITION_EOF:
                    self._read_to(message.topic() or "", partition, None)
                    continue
                if error is not None:
                    log.warning("console_read_error", error=str(error))
                    continue
                followed = self._topics[message.topic() or ""]
                _, timestamp_ms = message.timestamp()
                raw = RawRecord(
                    role=followed.role,
                    source=followed.source,
                    topic=followed.topic,
                    partition=partition,
                    offset=offset,
                    timestamp=record_time(timestamp_ms),
                    value=message.value(),
                    headers=_headers(message),
                )
                fold(self._board, raw, self._rules)
                self._metrics.records.labels(followed.role).inc()
                self._read_to(followed.topic, partition, offset)

    def _read_to(self, topic: str, partition: int, offset: int | None) -> None:
        """Note progress through the look-back: up to ``offset``, or the end (None)."""
        end = self._catching_up.get((topic, partition))
        if end is not None and (offset is None or offset + 1 >= end):
            del self._catching_up[(topic, partition)]
            if not self._catching_up and not self.missing:
                self.caught_up.set()

    def _gauges(self) -> None:
        live = sum(1 for view in self._board.calls.values() if view.live)
        self._metrics.calls.labels("live").set(live)
        self._metrics.calls.labels("ended").set(len(self._board.calls) - live)
        self._metrics.unreadable.set(self._board.unreadable)
