"""Producing sets of records from asyncio, and hearing once each whole set is acknowledged.

A set counts as written only when the broker has acknowledged every record
in it (``acks=all``, idempotent producer); only then is its ``on_written``
called, and only then may the input it answers be committed. The producer's
delivery callbacks are served by a task polling it on the event loop's own
thread, so the bookkeeping they do needs no locks.

A write the broker refuses for good is reported through ``on_failure`` and
its set's ``on_written`` is never called: the input stays uncommitted and is
processed again after a restart, rather than lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# librdkafka's local queue is full: give it a moment to drain, a bounded number of times.
_FULL_QUEUE_WAIT_S = 0.05
_FULL_QUEUE_TRIES = 200


class ProducerLike(Protocol):
    """The part of ``confluent_kafka.Producer`` used here."""

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


@dataclass(frozen=True, slots=True)
class Write:
    """One record to produce."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] | None = None


class _Pending:
    __slots__ = ("failed", "on_written", "remaining")

    def __init__(self, remaining: int, on_written: Callable[[], None]) -> None:
        self.remaining = remaining
        self.failed = False
        self.on_written = on_written


class AckedProducer:
    """Produces sets of records and calls back once each set is acknowledged."""

    def __init__(self, producer: ProducerLike, *, on_failure: Callable[[str], None]) -> None:
        self._producer = producer
        self._on_failure = on_failure
        self._outstanding = 0
        self._wake = asyncio.Event()
        self._closed = False

    @property
    def outstanding(self) -> int:
        """Writes produced and not yet acknowledged (or refused)."""
        return self._outstanding

    def write(self, writes: Sequence[Write], on_written: Callable[[], None]) -> None:
        """Produce ``writes``; call ``on_written`` once every one of them is acknowledged."""
        if not writes:
            raise ValueError("a write set holds at least one record")
        pending = _Pending(len(writes), on_written)
        for write in writes:
            self._produce(write, pending)
        self._wake.set()

    def _produce(self, write: Write, pending: _Pending) -> None:
        def acknowledged(error: Any, message: Any) -> None:
            self._outstanding -= 1
            if error is not None:
                if not pending.failed:
                    pending.failed = True
                    self._on_failure(f"write to {write.topic} refused: {error}")
                return
            pending.remaining -= 1
            if pending.remaining == 0 and not pending.failed:
                pending.on_written()

        for _ in range(_FULL_QUEUE_TRIES):
            try:
                self._producer.produce(
                    write.topic,
                    write.value,
                    write.key,
                    headers=write.headers,
                    on_delivery=acknowledged,
                )
            except BufferError:
                # The local queue is full: serve acknowledgements to make room.
                self._producer.poll(_FULL_QUEUE_WAIT_S)
                continue
            self._outstanding += 1
            return
        pending.failed = True
        self._on_failure(f"write to {write.topic} impossible: the producer's queue stayed full")

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
