"""Writing outcomes to Kafka: ``deliveries`` for every injection, ``dlq`` for failures, and
``undelivered`` (the injection unchanged) when it ended ``call_ended`` or ``expired``, for
the streams worker's follow-ups.

An injection's outcome counts as recorded only when the broker has
acknowledged every write it needs; only then is ``on_recorded`` called and may
its offset be committed (``callstream.kafka.acked`` does the producing and
the acknowledging). A write the broker refuses for good is reported through
``on_failure`` and its offset is never committed: the record is processed
again after a restart, rather than lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callstream.kafka.acked import AckedProducer, ProducerLike, Write
from callstream.records import DeadLetter, Delivery, encode
from callstream.records.followups import UndeliveredReason, undelivered_headers
from callstream.tracing import TraceParent


@dataclass(frozen=True)
class DeadLetterWrite:
    """The original record, and why it is dead-lettered."""

    key: bytes | None
    value: bytes | None
    letter: DeadLetter


@dataclass(frozen=True)
class UndeliveredWrite:
    """The original injection record, which its call never heard."""

    key: bytes | None
    value: bytes | None
    reason: UndeliveredReason


class Recorder(AckedProducer):
    """Produces outcome records and calls back once each outcome is acknowledged."""

    def __init__(
        self,
        producer: ProducerLike,
        *,
        deliveries_topic: str,
        dlq_topic: str,
        on_failure: Callable[[str], None],
        undelivered_topic: str | None = None,
    ) -> None:
        super().__init__(producer, on_failure=on_failure)
        self._deliveries = deliveries_topic
        self._dlq = dlq_topic
        self._undelivered = undelivered_topic

    def record(
        self,
        delivery: Delivery | None,
        dead_letter: DeadLetterWrite | None,
        on_recorded: Callable[[], None],
        *,
        trace: TraceParent | None = None,
        undelivered: UndeliveredWrite | None = None,
    ) -> None:
        """Write the outcome (and the dead letter and the undelivered record, if any); call
        ``on_recorded`` once all of them land.

        ``trace``: the injection's W3C context, which every one of them carries on.
        """
        traced = None if trace is None else trace.headers()
        writes: list[Write] = []
        if delivery is not None:
            key = delivery.call_control_id.encode()
            writes.append(Write(self._deliveries, key, encode(delivery), traced))
        if dead_letter is not None:
            headers = dead_letter.letter.headers() + (traced or [])
            writes.append(Write(self._dlq, dead_letter.key, dead_letter.value, headers))
        if undelivered is not None and self._undelivered is not None:
            headers = undelivered_headers(undelivered.reason) + (traced or [])
            writes.append(Write(self._undelivered, undelivered.key, undelivered.value, headers))
        if not writes:
            raise ValueError("an outcome is recorded as a delivery, a dead letter, or both")
        self.write(writes, on_recorded)
