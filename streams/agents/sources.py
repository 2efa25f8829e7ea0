"""The source agent: enterprise topics (any partition count, any key) into the worker's own.

Stateless: each record is routed (``decide.sources``) to the partition of its
call or of its first correlation key, or dead-lettered; the batch's outputs
are acknowledged by Kafka before the inputs are.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from streams.agents.records import raw_record
from streams.agents.send import OutputSender
from streams.batch import RawRecord
from streams.decide.rules import Rules
from streams.decide.sources import route_source_record
from streams.metrics import StreamsMetrics
from streams.state.held import Origin


class SourceAgent:
    """The faust agent body for the configured source topics."""

    def __init__(
        self,
        *,
        rules: Rules,
        source_of_topic: Mapping[str, str],
        sender: OutputSender,
        metrics: StreamsMetrics,
        batch_max: int,
        batch_window_s: float,
    ) -> None:
        self._rules = rules
        self._source_of = source_of_topic
        self._sender = sender
        self._metrics = metrics
        self._batch_max = batch_max
        self._window = batch_window_s

    async def __call__(self, stream: Any) -> None:
        async for events in stream.take_events(self._batch_max, self._window):
            await self.process([raw_record(event.message) for event in events])

    async def process(self, records: Sequence[RawRecord]) -> None:
        config = self._rules.streams
        outputs = []
        for record in records:
            source = self._source_of.get(record.topic, "")
            self._metrics.records_in.labels(source or record.topic).inc()
            origin = Origin(record.topic, record.partition, record.offset, record.timestamp, source)
            outputs.append(
                route_source_record(
                    record.value,
                    record.key,
                    origin,
                    sources=self._rules.sources,
                    order=config.correlation_keys,
                    region=config.default_region,
                )
            )
        await self._sender.send(outputs, time.time())
