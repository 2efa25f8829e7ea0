"""Writing outcomes to Kafka: ``deliveries`` for every injection, ``dlq`` for failures.

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
from callstream.tracing import TraceParent


@dataclass(frozen=True)
class DeadLetterWrite:
    """The original record, and why it is dead-lettered."""

    key: bytes | None
    value: bytes | None
    letter: DeadLetter


class Recorder(AckedProducer):
    """Produces outcome records and calls back once each outcome is acknowledged."""

    def __init__(
        self,
        producer: ProducerLike,
        *,
        deliveries_topic: str,
        dlq_topic: str,
        on_failure: Callable[[str], None],
    ) -> None:
        super().__init__(producer, on_failure=on_failure)
        self._deliveries = deliveries_topic
        self._dlq = dlq_topic

    def record(
        self,
        delivery: Delivery | None,
        dead_letter: DeadLetterWrite | None,
        on_recorded: Callable[[], None],
        *,
        trace: TraceParent | None = None,
    ) -> None:
        """Write the outcome (and the dead letter, if any); call ``on_recorded`` once both land.

        ``trace``: the injection's W3C context, which both records carry on.
        """
        traced = None if trace is None else trace.headers()
        writes: list[Write] = []
        if delivery is not None:
            key = delivery.call_control_id.encode()
            writes.append(Write(self._deliveries, key, encode(delivery), traced))
        if dead_letter is not None:
            headers = dead_letter.letter.headers() + (traced or [])
            writes.append(Write(self._dlq, dead_letter.key, dead_letter.value, headers))
        if not writes:
            raise ValueError("an outcome is recorded as a delivery, a dead letter, or both")
        self.write(writes, on_recorded)
