"""The Kafka consumer, owned by one thread that feeds the asyncio loop.

Why a thread and not ``confluent_kafka.aio.AIOConsumer``: librdkafka consumer
calls from two threads are serialised by a gate in confluent-kafka 2.16, so a
commit or pause issued from the event loop while ``consume()`` blocks elsewhere
would stall the loop for up to the poll timeout; AIOConsumer hides the same
gate behind a thread pool. Here exactly one thread ever touches the consumer:
it consumes in batches and hands them to the loop, and runs the loop's
commands (commit, pause, resume, close) between batches. Rebalance callbacks
run in this thread too, where blocking is allowed: on a revoke it asks the
loop to finish or abandon the in-flight work of those partitions (bounded by
a deadline), then commits what is done before the partitions move.

It never decides what a record means; the service does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import structlog
from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from callstream.kafka.batches import take

log = structlog.get_logger(__name__)

WATERMARK_INTERVAL_S = 2.0


class ConsumerHooks(Protocol):
    """What the thread calls on the event loop."""

    def on_assigned(self, partitions: list[int]) -> None: ...

    def on_revoked(self, partitions: list[int]) -> Awaitable[dict[int, int]]: ...

    def on_lost(self, partitions: list[int]) -> None: ...

    def on_records(self, records: list[Message]) -> None: ...

    def on_watermarks(self, marks: dict[int, tuple[int, int]]) -> None: ...

    def on_consumer_failed(self, detail: str) -> None: ...


class ConsumerControl(Protocol):
    """What a service on the event loop asks of its consumer thread (``ConsumerThread``)."""

    def commit(self, offsets: dict[int, int]) -> None: ...

    def pause_all(self) -> None: ...

    def resume_all(self) -> None: ...

    def stop_fetching(self) -> None: ...

    async def close(self, offsets: dict[int, int]) -> None: ...


Command = Callable[[], None]


class ConsumerThread:
    """Runs ``consumer`` in a thread of its own (called ``name``), subscribed to ``topic``."""

    def __init__(
        self,
        consumer: Consumer,
        *,
        topic: str,
        hooks: ConsumerHooks,
        loop: asyncio.AbstractEventLoop,
        revoke_timeout_s: float,
        name: str,
        batch_size: int = 500,
        poll_s: float = 0.05,
    ) -> None:
        self._consumer = consumer
        self._topic = topic
        self._hooks = hooks
        self._loop = loop
        self._revoke_timeout_s = revoke_timeout_s
        self._batch_size = batch_size
        self._poll_s = poll_s
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._fetching = True
        self._paused = False
        self._closing = False
        self._assigned: set[int] = set()
        self._unpaused_new: list[int] = []
        self._closed: concurrent.futures.Future[None] = concurrent.futures.Future()

    # --- called from the event loop -------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def commit(self, offsets: dict[int, int]) -> None:
        """Commit ``offsets`` (partition -> next offset to read) asynchronously."""
        self._commands.put(lambda: self._commit(offsets, asynchronous=True))

    def pause_all(self) -> None:
        """Stop fetching every assigned partition (records already fetched still arrive)."""
        self._commands.put(self._pause_all)

    def resume_all(self) -> None:
        self._commands.put(self._resume_all)

    def stop_fetching(self) -> None:
        """Fetch nothing more; commands still run until ``close``."""
        self._commands.put(lambda: setattr(self, "_fetching", False))

    async def close(self, offsets: dict[int, int]) -> None:
        """Commit ``offsets`` synchronously, leave the group (revoking all), end the thread."""

        def closing() -> None:
            self._commit(offsets, asynchronous=False)
            self._closing = True

        if self._thread.is_alive():
            self._commands.put(closing)
        await asyncio.wrap_future(self._closed)

    # --- the consumer thread ----------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._consumer.subscribe(
                [self._topic],
                on_assign=self._assign_cb,
                on_revoke=self._revoke_cb,
                on_lost=self._lost_cb,
            )
            next_marks = time.monotonic() + WATERMARK_INTERVAL_S
            while not self._run_commands():
                if self._fetching:
                    self._hand_over(self._next_batch())
                else:
                    self._wait_for_command()
                if self._paused and self._unpaused_new:
                    self._pause(self._unpaused_new)
                self._unpaused_new = []
                if time.monotonic() >= next_marks:
                    next_marks = time.monotonic() + WATERMARK_INTERVAL_S
                    self._report_watermarks()
            self._consumer.close()
        except Exception as exc:  # any failure ends consumption, and the loop is told
            log.exception("consumer_thread_failed")
            self._closed.set_result(None)
            with contextlib.suppress(RuntimeError):  # the loop is already gone
                self._loop.call_soon_threadsafe(self._hooks.on_consumer_failed, repr(exc))
            return
        self._closed.set_result(None)

    def _next_batch(self) -> list[Message]:
        return take(self._consumer, most=self._batch_size, wait_s=self._poll_s)

    def _run_commands(self) -> bool:
        """Run every queued command; True once one of them began closing."""
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return self._closing
            command()

    def _wait_for_command(self) -> None:
        try:
            command = self._commands.get(timeout=self._poll_s)
        except queue.Empty:
            return
        command()

    def _hand_over(self, records: Sequence[Message]) -> None:
        good: list[Message] = []
        for record in records:
            error = record.error()
            if error is None:
                good.append(record)
            else:
                log.warning("consumer_error", error=str(error), fatal=error.fatal())
        if good:
            self._loop.call_soon_threadsafe(self._hooks.on_records, good)

    def _commit(self, offsets: dict[int, int], *, asynchronous: bool) -> None:
        owned = {p: o for p, o in offsets.items() if p in self._assigned}
        if not owned:
            return
        tps = [TopicPartition(self._topic, p, o) for p, o in sorted(owned.items())]
        try:
            if asynchronous:
                self._consumer.commit(offsets=tps, asynchronous=True)
            else:
                self._consumer.commit(offsets=tps, asynchronous=False)
        except KafkaException as exc:
            # Not fatal: the next commit carries a later offset; a restart re-reads a little.
            log.warning("offset_commit_failed", error=str(exc), offsets=owned)

    def _pause(self, partitions: list[int]) -> None:
        tps = [TopicPartition(self._topic, p) for p in partitions if p in self._assigned]
        if tps:
            self._consumer.pause(tps)

    def _pause_all(self) -> None:
        self._paused = True
        self._pause(sorted(self._assigned))

    def _resume_all(self) -> None:
        self._paused = False
        tps = [TopicPartition(self._topic, p) for p in sorted(self._assigned)]
        if tps:
            self._consumer.resume(tps)

    def _report_watermarks(self) -> None:
        marks: dict[int, tuple[int, int]] = {}
        tps = [TopicPartition(self._topic, p) for p in sorted(self._assigned)]
        if not tps:
            return
        try:
            positions = self._consumer.position(tps)
        except KafkaException:
            return
        for tp in positions:
            found = self._consumer.get_watermark_offsets(tp, cached=True)
            if found is not None and found[1] >= 0:
                marks[tp.partition] = (found[1], tp.offset)
        if marks:
            self._loop.call_soon_threadsafe(self._hooks.on_watermarks, marks)

    # --- rebalance callbacks (run inside consume(), on this thread) ------------------------

    def _mine(self, tps: list[TopicPartition]) -> list[int]:
        return sorted(tp.partition for tp in tps if tp.topic == self._topic)

    def _assign_cb(self, _: Any, tps: list[TopicPartition]) -> None:
        partitions = self._mine(tps)
        self._assigned.update(partitions)
        self._unpaused_new.extend(partitions)
        log.info("partitions_assigned", partitions=partitions)
        self._loop.call_soon_threadsafe(self._hooks.on_assigned, partitions)

    def _revoke_cb(self, _: Any, tps: list[TopicPartition]) -> None:
        partitions = self._mine(tps)
        if not partitions:
            return
        log.info("partitions_revoked", partitions=partitions)
        offsets: dict[int, int] = {}
        try:
            future = asyncio.run_coroutine_threadsafe(
                _await(self._hooks.on_revoked(partitions)), self._loop
            )
            offsets = future.result(timeout=self._revoke_timeout_s)
        except concurrent.futures.TimeoutError:
            log.warning(
                "revoke_grace_exceeded",
                detail="in-flight work of revoked partitions outlived the grace; abandoned",
            )
        except RuntimeError:
            log.warning("revoke_without_loop", detail="the event loop was gone; nothing committed")
        self._commit(offsets, asynchronous=False)
        self._assigned.difference_update(partitions)

    def _lost_cb(self, _: Any, tps: list[TopicPartition]) -> None:
        partitions = self._mine(tps)
        self._assigned.difference_update(partitions)
        log.warning(
            "partitions_lost",
            partitions=partitions,
            detail="their uncommitted work will be redone by their new owner",
        )
        self._loop.call_soon_threadsafe(self._hooks.on_lost, partitions)


async def _await(awaitable: Awaitable[dict[int, int]]) -> dict[int, int]:
    return await awaitable
