"""The consumer thread hands records to the loop as they come, never waiting for a full batch."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import Any

from callstream.kafka.consumer_thread import ConsumerThread


class FakeMessage:
    def __init__(self, offset: int) -> None:
        self.offset = offset

    def error(self) -> None:
        return None


class LibrdkafkaLikeConsumer:
    """Models librdkafka's blocking rules: ``poll`` returns at the first record, while
    ``consume(n, timeout)`` keeps waiting until ``n`` records arrived or the timeout ran out.
    Rather than wait, it notes each time it would have blocked on a batch that cannot fill."""

    def __init__(self) -> None:
        self._ready: list[FakeMessage] = []
        self._arrived = threading.Condition()
        self.batch_waits: list[tuple[int, float]] = []
        self.closed = False

    def add(self, *messages: FakeMessage) -> None:
        with self._arrived:
            self._ready.extend(messages)
            self._arrived.notify_all()

    def subscribe(self, topics: list[str], **callbacks: Any) -> None:
        return None

    def poll(self, timeout: float) -> FakeMessage | None:
        with self._arrived:
            if not self._ready:
                self._arrived.wait(timeout)
            return self._ready.pop(0) if self._ready else None

    def consume(self, num_messages: int, timeout: float) -> list[FakeMessage]:
        with self._arrived:
            if timeout > 0 and len(self._ready) < num_messages:
                self.batch_waits.append((num_messages, timeout))
            taken, self._ready = self._ready[:num_messages], self._ready[num_messages:]
            return taken

    def close(self) -> None:
        self.closed = True


class Hooks:
    def __init__(self) -> None:
        self.batches: asyncio.Queue[list[Any]] = asyncio.Queue()

    def on_assigned(self, partitions: list[int]) -> None:
        return None

    def on_revoked(self, partitions: list[int]) -> Awaitable[dict[int, int]]:
        raise AssertionError("no rebalance in this test")

    def on_lost(self, partitions: list[int]) -> None:
        return None

    def on_records(self, records: list[Any]) -> None:
        self.batches.put_nowait(records)

    def on_watermarks(self, marks: dict[int, tuple[int, int]]) -> None:
        return None

    def on_consumer_failed(self, detail: str) -> None:
        raise AssertionError(detail)


def consumer_thread() -> tuple[LibrdkafkaLikeConsumer, Hooks, ConsumerThread]:
    """A thread over a fake consumer (batches of 500), not started yet."""
    consumer, hooks = LibrdkafkaLikeConsumer(), Hooks()
    thread = ConsumerThread(
        consumer,  # type: ignore[arg-type]
        topic="injections",
        hooks=hooks,
        loop=asyncio.get_running_loop(),
        revoke_timeout_s=5.0,
        name="test-consumer",
        batch_size=500,
    )
    return consumer, hooks, thread


async def test_a_lone_record_is_handed_over_without_waiting_for_the_batch_to_fill() -> None:
    """One record arriving alone reaches the loop without a blocking wait for a full batch."""
    consumer, hooks, thread = consumer_thread()
    thread.start()
    try:
        lone = FakeMessage(0)
        consumer.add(lone)
        assert await asyncio.wait_for(hooks.batches.get(), timeout=30) == [lone]
        assert consumer.batch_waits == []
    finally:
        await asyncio.wait_for(thread.close({}), timeout=30)
    assert consumer.closed


async def test_records_already_fetched_travel_together() -> None:
    """Records fetched together are handed over in one batch, in order."""
    consumer, hooks, thread = consumer_thread()
    messages = [FakeMessage(n) for n in range(3)]
    consumer.add(*messages)
    thread.start()
    try:
        assert await asyncio.wait_for(hooks.batches.get(), timeout=30) == messages
        assert consumer.batch_waits == []
    finally:
        await asyncio.wait_for(thread.close({}), timeout=30)
