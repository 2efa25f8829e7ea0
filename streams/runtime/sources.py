"""The sources loop: enterprise topics (any partition count, any key) into the worker's own.

Stateless: each record is routed (``streams.correlation.sources``) to the partition of its
call (``streams.by-call``) or of its first correlation key
(``streams.by-key``), or dead-lettered; a batch's outputs are acknowledged
by Kafka before its offsets are committed (``checkpoint`` with no state).
It runs in a thread of its own with its own consumer, in the worker's
consumer group, so the enterprise topics are shared among the workers
however many partitions they have.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

import structlog
from confluent_kafka import Consumer, KafkaException, TopicPartition

from callstream.kafka.transient import is_fatal
from streams.correlation.sources import route_source_record
from streams.decide.rules import Rules
from streams.runtime.accounting import Accounting
from streams.runtime.checkpoint import Checkpointing, Offsets
from streams.runtime.subscribed import run_subscribed
from streams.state.held import Origin
from streams.wire import Wire

log = structlog.get_logger(__name__)


class SourcesLoop:
    """Routes records of the configured source topics to the join's partitions."""

    def __init__(
        self,
        *,
        consumer: Consumer,
        checkpoint: Checkpointing,
        rules: Rules,
        source_of_topic: Mapping[str, str],
        wire: Wire,
        accounting: Accounting,
        batch_max: int,
        poll_s: float,
        joined: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._consumer = consumer
        self._checkpoint = checkpoint
        self._rules = rules
        self._source_of = dict(source_of_topic)
        self._wire = wire
        self._accounting = accounting
        self._batch_max = batch_max
        self._poll_s = poll_s
        self._joined = joined
        self._clock = clock

    def run(self, stop: threading.Event) -> None:
        """Route until ``stop`` is set; then commit and close."""
        run_subscribed(self._consumer, sorted(set(self._source_of)), self, stop, name="sources")

    def settle(self) -> None:
        """Produce, acknowledge and commit everything decided so far."""
        self._checkpoint.settle()

    def step(self) -> None:
        first = self._consumer.poll(self._poll_s)
        if first is None:
            self._checkpoint.poll()
            return
        config = self._rules.streams
        outputs = []
        offsets: Offsets = {}
        for message in [first, *self._consumer.consume(self._batch_max - 1, 0)]:
            error = message.error()
            if error is not None:
                if is_fatal(error):
                    raise KafkaException(error)
                log.warning("consumer_error", error=error.str(), code=error.name())
                continue
            topic, partition = message.topic() or "", message.partition() or 0
            offset = message.offset() or 0
            source = self._source_of.get(topic, "")
            self._accounting.records_in(source or topic, 1)
            _, timestamp_ms = message.timestamp()
            origin = Origin(topic, partition, offset, max(0, timestamp_ms) / 1000.0, source)
            key, value = message.key(), message.value()
            outputs.append(
                route_source_record(
                    value.encode() if isinstance(value, str) else value,
                    key.encode() if isinstance(key, str) else key,
                    origin,
                    sources=self._rules.sources,
                    order=config.correlation_keys,
                    region=config.default_region,
                )
            )
            offsets[topic, partition] = offset + 1
        now = self._clock()
        records = [r for r in (self._wire.record(output, now) for output in outputs) if r]
        self._checkpoint.write(records, (), offsets)
        self._accounting.outputs(outputs, self._clock())
        self._checkpoint.poll()

    def on_assign(self, _: Consumer, assigned: list[TopicPartition]) -> None:
        self._joined()  # the first assignment (even an empty one) means the group has us

    def on_revoke(self, _: Consumer, revoked: list[TopicPartition]) -> None:
        self._checkpoint.settle([(tp.topic, tp.partition) for tp in revoked])

    def on_lost(self, _: Consumer, lost: list[TopicPartition]) -> None:
        self._checkpoint.forget([(tp.topic, tp.partition) for tp in lost])
