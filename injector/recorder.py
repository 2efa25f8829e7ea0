"""Writing outcomes to Kafka: ``deliveries`` for every injection, ``dlq`` for failures.

A record's outcome counts as recorded only when the broker has acknowledged
every write it needs (``acks=all``, idempotent producer); only then is
``on_recorded`` called and may its offset be committed. The producer's
delivery callbacks are served by a task polling the producer on the event
loop's own thread, so the bookkeeping they do needs no locks.

A write the broker refuses for good is reported through ``on_failure`` and its
offset is never committed: the record will be processed again after a restart,
rather than lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from callstream.records import DeadLetter, Delivery, encode

# librdkafka's local queue is full: give it a moment to drain, a bounded number of times.
_FULL_QUEUE_WAIT_S = 0.05
_FULL_QUEUE_TRIES = 200


class ProducerLike(Protocol):
    """The part of ``confluent_kafka.Producer`` the recorder uses."""

    def produce(  # noqa: PLR0917 - mirrors confluent_kafka.Producer.produce exactly
        self,
        topic: str,
        value: str | bytes | None = ...,
        key: str | bytes | None = ...,
        partition: int = ...,
        callback: Any = ...,
        on_delivery: Any = ...,
        timestamp: int = ...,
        headers: Any = ...,
    ) -> None: ...

    def poll(self, timeout: float = ...) -> int: ...

    def flush(self, timeout: float = ...) -> int: ...

    def close(self) -> bool: ...


@dataclass(frozen=True)
class DeadLetterWrite:
    """The original record, and why it is dead-lettered."""

    key: bytes | None
    value: bytes | None
    letter: DeadLetter


class _Pending:
    __slots__ = ("failed", "on_recorded", "remaining")

    def __init__(self, remaining: int, on_recorded: Callable[[], None]) -> None:
        self.remaining = remaining
        self.failed = False
        self.on_recorded = on_recorded


class Recorder:
    """Produces outcome records and calls back once each set is acknowledged."""

    def __init__(
        self,
        producer: ProducerLike,
        *,
        deliveries_topic: str,
        dlq_topic: str,
        on_failure: Callable[[str], None],
    ) -> None:
        self._producer = producer
        self._deliveries = deliveries_topic
        self._dlq = dlq_topic
        self._on_failure = on_failure
        self._outstanding = 0
        self._wake = asyncio.Event()
        self._closed = False

    @property
    def outstanding(self) -> int:
        """Writes produced and not yet acknowledged (or refused)."""
        return self._outstanding

    def record(
        self,
        delivery: Delivery | None,
        dead_letter: DeadLetterWrite | None,
        on_recorded: Callable[[], None],
    ) -> None:
        """Write the outcome (and the dead letter, if any); call ``on_recorded`` once both land."""
        writes: list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]] | None]] = []
        if delivery is not None:
            writes.append(
                (self._deliveries, delivery.call_control_id.encode(), encode(delivery), None)
            )
        if dead_letter is not None:
            writes.append(
                (self._dlq, dead_letter.key, dead_letter.value, dead_letter.letter.headers())
            )
        if not writes:
            raise ValueError("an outcome is recorded as a delivery, a dead letter, or both")
        pending = _Pending(len(writes), on_recorded)
        for topic, key, value, headers in writes:
            self._produce(topic, key, value, headers, pending)
        self._wake.set()

    def _produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None,
        pending: _Pending,
    ) -> None:
        def acknowledged(error: Any, message: Any) -> None:
            self._outstanding -= 1
            if error is not None:
                if not pending.failed:
                    pending.failed = True
                    self._on_failure(f"write to {topic} refused: {error}")
                return
            pending.remaining -= 1
            if pending.remaining == 0 and not pending.failed:
                pending.on_recorded()

        for _ in range(_FULL_QUEUE_TRIES):
            try:
                self._producer.produce(topic, value, key, headers=headers, on_delivery=acknowledged)
            except BufferError:
                # The local queue is full: serve acknowledgements to make room.
                self._producer.poll(_FULL_QUEUE_WAIT_S)
                continue
            self._outstanding += 1
            return
        pending.failed = True
        self._on_failure(f"write to {topic} impossible: the producer's local queue stayed full")

    async def run(self) -> None:
        """Serve acknowledgements until ``close``; idle while nothing is outstanding."""
        while not self._closed:
            if self._outstanding == 0:
                self._wake.clear()
                await self._wake.wait()
                continue
            served = self._producer.poll(0)
            # Callbacks came in: look again at once; none yet: yield briefly.
            await asyncio.sleep(0 if served else 0.002)

    async def drain(self, timeout_s: float) -> bool:
        """Wait until every write is acknowledged or ``timeout_s`` passes; True if drained."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._outstanding and loop.time() < deadline:
            self._producer.poll(0)
            await asyncio.sleep(0.005)
        return self._outstanding == 0

    def close(self, timeout_s: float) -> None:
        """Stop the polling task, flush what is left and close the producer (at shutdown)."""
        self._closed = True
        self._wake.set()
        self._producer.flush(timeout_s)
        self._producer.close()
