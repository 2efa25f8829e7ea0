"""Sending a batch's outputs to Kafka and waiting until Kafka has all of them.

Every output of a batch is handed to the producer in decision order (per
partition, aiokafka keeps that order), then all acknowledgements are awaited
together: one round trip per batch, not per record. Only after that may the
batch's state be written (see ``streams.agents.join``). A send that fails
raises: the worker crashes rather than move on without its outputs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog

from streams.decide.outputs import DeadLetterOut, Dropped, Inject, Output
from streams.metrics import StreamsMetrics
from streams.wire import OutRecord, Wire

log = structlog.get_logger(__name__)

ProducerSource = Callable[[], Awaitable[Any]]
"""Returns faust's started producer."""


class OutputSender:
    """Turns outputs into records, produces them, awaits their acknowledgements, counts them."""

    def __init__(self, producer: ProducerSource, wire: Wire, metrics: StreamsMetrics) -> None:
        self._producer = producer
        self._wire = wire
        self._metrics = metrics

    async def send(self, outputs: Sequence[Output], now: float) -> None:
        pairs = [(output, self._wire.record(output, now)) for output in outputs]
        records = [record for _, record in pairs if record is not None]
        await self.send_records(records)
        acked = time.time()
        for output, _ in pairs:
            self._count(output, acked)

    async def send_records(self, records: Sequence[OutRecord]) -> None:
        """Produce ``records`` in order and return once Kafka acknowledged every one."""
        if not records:
            return
        producer = await self._producer()
        pending = [
            await producer.send(r.topic, r.key, r.value, r.partition, None, r.headers)
            for r in records
        ]
        await asyncio.gather(*pending)

    def _count(self, output: Output, acked: float) -> None:
        metrics = self._metrics
        match output:
            case Inject(injection=injection, origin=origin):
                metrics.injections.labels(injection.source).inc()
                metrics.latency.observe(max(0.0, acked - origin.timestamp))
                log.debug(
                    "streams.injected",
                    call_control_id=injection.call_control_id,
                    injection_id=injection.injection_id,
                    source=injection.source,
                    cause_id=injection.cause_id,
                )
            case DeadLetterOut():
                metrics.dead_letters.labels(output.reason).inc()
                log.warning(
                    "streams.dead_lettered",
                    call_control_id=output.call_control_id,
                    reason=output.reason,
                    error=output.error,
                    topic=output.origin.topic,
                    partition=output.origin.partition,
                    offset=output.origin.offset,
                )
            case Dropped():
                metrics.dropped.labels(output.reason).inc()
            case _:
                pass
