"""What has been received and not yet finished: offsets, in-flight counts, and backpressure.

The service asks the backlog whether a record is still its own (its partition
may have been revoked meanwhile), tells it when work starts, finishes or is
abandoned, and waits on it for partitions to go idle. The backlog decides
when consumption must pause (``max_buffered`` reached) and when it may resume
(half drained), calling back to the consumer; it never resumes while frozen
(halted or shutting down).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable

from callstream.kafka.consumer_thread import ConsumerControl
from callstream.kafka.offsets import OffsetTracker


class Backlog:
    """Received-but-unfinished records of the current assignment."""

    def __init__(
        self,
        *,
        max_buffered: int,
        pause: Callable[[], None],
        resume: Callable[[], None],
        on_change: Callable[[int], None] = lambda _: None,
    ) -> None:
        self.offsets = OffsetTracker()
        self._max = max_buffered
        self._pause = pause
        self._resume = resume
        self._on_change = on_change
        self._active: Counter[int] = Counter()
        self._leaving: set[int] = set()
        self._buffered = 0
        self._paused = False
        self.frozen = False
        """Set when halted or stopping: consumption is never resumed again."""
        self._progress = asyncio.Event()

    @property
    def buffered(self) -> int:
        return self._buffered

    @property
    def in_flight(self) -> int:
        """Records being delivered or recorded right now."""
        return sum(self._active.values())

    def owns(self, partition: int, generation: int) -> bool:
        """Whether a record of this partition and generation is still ours to work on."""
        return partition not in self._leaving and self.offsets.owns(partition, generation)

    def receive(self, partition: int, offset: int) -> int | None:
        """Take a record in; its generation, or None when its partition is not ours (any more)."""
        if partition in self._leaving or self.offsets.generation(partition) is None:
            return None
        generation = self.offsets.add(partition, offset)
        self._buffered += 1
        return generation

    def after_receiving(self) -> None:
        """Pause consumption when the buffer is full (called once per batch)."""
        self._on_change(self._buffered)
        if self._buffered >= self._max and not self._paused:
            self._paused = True
            self._pause()

    def start(self, partition: int) -> None:
        self._active[partition] += 1

    def abandon(self, partition: int) -> None:
        """Work started and given up (shutdown, revoke): not finished, no longer buffered."""
        self._active[partition] -= 1
        self.drop()

    def finish(self, partition: int, generation: int, offset: int) -> None:
        """The record's outcome is recorded: its offset may be committed."""
        if self.offsets.finish(partition, generation, offset):
            self._active[partition] -= 1
        self.drop()

    def drop(self) -> None:
        """A record leaves the buffer without being finished (or after it was)."""
        self._buffered -= 1
        self._on_change(self._buffered)
        self._progress.set()
        if self._paused and not self.frozen and self._buffered <= self._max // 2:
            self._paused = False
            self._resume()

    def leave(self, partitions: Iterable[int]) -> None:
        """Start no new work for ``partitions`` (they are being revoked or were lost)."""
        self._leaving.update(partitions)

    def release(self, partitions: list[int]) -> dict[int, int]:
        """Forget ``partitions``; return the offsets to commit for them."""
        offsets = self.offsets.release(partitions)
        self._leaving.difference_update(partitions)
        for partition in partitions:
            self._active.pop(partition, None)
        return offsets

    def idle(self, partitions: Iterable[int] | None = None) -> bool:
        """No work in flight (for ``partitions``, or at all)."""
        if partitions is None:
            return self.in_flight == 0
        return all(self._active[p] == 0 for p in partitions)

    async def wait(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until ``condition()`` holds, re-checked whenever work ends; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), min(remaining, 0.1))
            except TimeoutError:
                continue
        return True

    async def commit_periodically(
        self,
        consumer: ConsumerControl,
        interval_s: float,
        each_turn: Callable[[], None] = lambda: None,
    ) -> None:
        """Commit what has finished every ``interval_s``, until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            each_turn()
            offsets = self.offsets.commits()
            if offsets:
                consumer.commit(offsets)
