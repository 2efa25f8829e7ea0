"""The sources loop: enterprise topics (any partition count, any key) into the worker's own.

Stateless: each record is routed (``streams.correlation.sources``) to the partition of its
call (``streams.by-call``) or of its first correlation key
(``streams.by-key``), or dead-lettered; a batch's outputs are acknowledged
by Kafka before its offsets are committed (``checkpoint`` with no state).
It runs in a thread of its own with its own consumer, in the worker's
consumer group, so the enterprise topics are shared among the workers
however many partitions they have.

A source whose values are schema'd (Avro, Protobuf, JSON Schema) is decoded
here, at the edge (``streams.schemas``), to the JSON record the rest of the
worker reads; a value that cannot be decoded is dead-lettered ``schema`` with
its original bytes. A record marked JSON (``content-type: application/json``:
what the ingress publishes, what ``dlq replay`` re-drives) is read as JSON.

When the Schema Registry cannot be asked, the batch stops at that record:
what came before it is written and committed, every partition is rewound to
its first record not yet routed and paused, and the loop asks again after a
backoff (doubling up to the registry's ``retry_max_s``) — the records wait,
nothing is dead-lettered.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import structlog
from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from callstream.errors import RecordError
from callstream.kafka.batches import take
from callstream.kafka.transient import is_fatal
from callstream.records.sources import json_marked
from streams.correlation.sources import route_source_record
from streams.decide.outputs import DeadLetterOut, Output
from streams.decide.rules import Rules
from streams.errors import SchemaRegistryUnavailable
from streams.runtime.accounting import Accounting
from streams.runtime.checkpoint import Checkpointing, Offsets
from streams.runtime.records import raw_record
from streams.runtime.subscribed import run_subscribed
from streams.schemas.decoders import RegistryDecoder
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
        gather_s: float,
        decoders: Mapping[str, RegistryDecoder] | None = None,
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
        self._gather_s = gather_s
        self._decoders = dict(decoders or {})
        self._joined = joined
        self._clock = clock
        self._backoff = {
            name: (spec.schema_registry.retry_initial_s, spec.schema_registry.retry_max_s)
            for name, spec in rules.sources.items()
            if spec.schema_registry is not None
        }
        self._waiting_until: float | None = None
        """While the registry is away: when to resume the paused partitions."""
        self._wait_s = 0.0

    def run(self, stop: threading.Event) -> None:
        """Route until ``stop`` is set; then commit and close."""
        run_subscribed(self._consumer, sorted(set(self._source_of)), self, stop, name="sources")

    def settle(self) -> None:
        """Produce, acknowledge and commit everything decided so far."""
        self._checkpoint.settle()

    def step(self) -> None:
        if self._waiting_until is not None:
            self._maybe_resume()
        batch = take(
            self._consumer, most=self._batch_max, wait_s=self._poll_s, gather_s=self._gather_s
        )
        if not batch:
            self._checkpoint.poll()
            return
        outputs: list[Output] = []
        offsets: Offsets = {}
        for index, message in enumerate(batch):
            error = message.error()
            if error is not None:
                if is_fatal(error):
                    raise KafkaException(error)
                log.warning("consumer_error", error=error.str(), code=error.name())
                continue
            topic, partition = message.topic() or "", message.partition() or 0
            offset = message.offset() or 0
            try:
                outputs.append(self._route(message))
            except SchemaRegistryUnavailable as exc:
                self._wait_for_registry(self._source_of.get(topic, ""), exc, batch[index:])
                break
            offsets[topic, partition] = offset + 1
        if offsets:
            now = self._clock()
            records = [r for r in (self._wire.record(output, now) for output in outputs) if r]
            self._checkpoint.write(records, (), offsets)
            self._accounting.outputs(outputs, self._clock())
        self._checkpoint.poll()

    def _route(self, message: Message) -> Output:
        """The one output for ``message`` (``SchemaRegistryUnavailable``: ask again later)."""
        raw = raw_record(message, traced=self._wire.tracing is not None)
        topic, key, value, headers = raw.topic, raw.key, raw.value, raw.headers
        source = self._source_of.get(topic, "")
        trace = () if raw.trace is None else (raw.trace,)
        origin = Origin(topic, raw.partition, raw.offset, raw.timestamp, source, trace)
        decoder = self._decoders.get(source)
        if decoder is not None and json_marked(headers):
            decoder = None  # posted to the ingress as JSON: nothing to ask the registry
        record = value
        if decoder is not None:
            try:
                record = decoder(value, topic, headers)
            except RecordError as exc:
                self._accounting.records_in(source or topic, 1)
                return DeadLetterOut(
                    value, origin, exc.reason, exc.detail, key=key, json_value=False
                )
            self._wait_s = 0.0  # the registry answered: the next outage backs off afresh
        self._accounting.records_in(source or topic, 1)
        config = self._rules.streams
        output = route_source_record(
            record,
            key,
            origin,
            sources=self._rules.sources,
            order=config.correlation_keys,
            region=config.default_region,
        )
        if isinstance(output, DeadLetterOut) and record is not value:
            # A dead letter carries the bytes that arrived, not callstream's reading of them.
            output = dataclasses.replace(output, raw=value, json_value=False)
        return output

    def _wait_for_registry(
        self, source: str, exc: SchemaRegistryUnavailable, unrouted: Sequence[Message]
    ) -> None:
        """Rewind every partition to its first unrouted record, pause them all, back off."""
        rewind: dict[tuple[str, int], int] = {}
        for message in unrouted:
            if message.error() is None:
                place = (message.topic() or "", message.partition() or 0)
                rewind.setdefault(place, message.offset() or 0)
        for (topic, partition), offset in rewind.items():
            try:
                self._consumer.seek(TopicPartition(topic, partition, offset))
            except KafkaException as err:  # revoked meanwhile: its next owner reads it afresh
                log.info("rewind_skipped", topic=topic, partition=partition, error=str(err))
        self._consumer.pause(self._consumer.assignment())
        first, longest = self._backoff[source]  # only a source with a registry asks one
        self._wait_s = min(longest, self._wait_s * 2) if self._wait_s else first
        self._waiting_until = self._clock() + self._wait_s
        self._accounting.registry_unavailable(source, str(exc), self._wait_s)

    def _maybe_resume(self) -> None:
        if self._waiting_until is not None and self._clock() >= self._waiting_until:
            self._waiting_until = None
            self._consumer.resume(self._consumer.assignment())
            self._accounting.registry_back()

    def on_assign(self, _: Consumer, assigned: list[TopicPartition]) -> None:
        self._joined()  # the first assignment (even an empty one) means the group has us

    def on_revoke(self, _: Consumer, revoked: list[TopicPartition]) -> None:
        self._checkpoint.settle([(tp.topic, tp.partition) for tp in revoked])

    def on_lost(self, _: Consumer, lost: list[TopicPartition]) -> None:
        self._checkpoint.forget([(tp.topic, tp.partition) for tp in lost])
