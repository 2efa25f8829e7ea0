"""The tool-runner agent acknowledges requests in arrival order, however they finish.

A fake faust stream stands in for faust: it yields the events and records
which offsets the agent acknowledges. ``handle`` (the real one calls the
backend) is replaced by one whose completion each test controls.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from streams.agents.runner import RunnerAgent
from streams.batch import RawRecord


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    tp: tuple[str, int]
    timestamp: float = 0.0
    key: bytes | None = None
    value: bytes | None = None
    headers: Sequence[tuple[str, bytes]] = ()


@dataclass(frozen=True)
class Event:
    message: Message


def event(partition: int, offset: int) -> Event:
    return Event(Message("tool-runs", partition, offset, ("tool-runs", partition)))


class Progress:
    """What the agent did so far; a test waits on it instead of polling."""

    def __init__(self) -> None:
        self.changed = asyncio.Condition()
        self.started: list[tuple[int, int]] = []
        self.finished: list[tuple[int, int]] = []
        self.acked: list[tuple[int, int]] = []
        self.running = 0
        self.most_running = 0

    async def note(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (at most 5 s: a hang fails the test) until ``condition()`` holds."""
        async with asyncio.timeout(5), self.changed:
            await self.changed.wait_for(condition)


class Stream:
    """faust's stream as the agent uses it: ``noack``, ``events``, ``ack``."""

    def __init__(self, events: list[Event], progress: Progress) -> None:
        self._events = events
        self._progress = progress
        self.manual = False

    def noack(self) -> Stream:
        self.manual = True
        return self

    async def events(self) -> AsyncIterator[Event]:
        for each in self._events:
            yield each

    async def ack(self, event: Event) -> bool:
        self._progress.acked.append((event.message.partition, event.message.offset))
        await self._progress.note()
        return True


class Runner(RunnerAgent):
    """``handle`` waits until the test lets that offset finish (or makes it fail)."""

    def __init__(self, concurrency: int, progress: Progress | None = None) -> None:
        unused: Any = object()
        super().__init__(
            runner=unused,
            rules=unused,
            results_topic="tool-results",
            sender=unused,
            metrics=unused,
            concurrency=concurrency,
        )
        self.progress = progress or Progress()
        self.gates: dict[tuple[int, int], asyncio.Event] = {}
        self.failing: set[tuple[int, int]] = set()

    def gate(self, partition: int, offset: int) -> asyncio.Event:
        return self.gates.setdefault((partition, offset), asyncio.Event())

    async def handle(self, record: RawRecord) -> None:
        key, progress = (record.partition, record.offset), self.progress
        progress.started.append(key)
        progress.running += 1
        progress.most_running = max(progress.most_running, progress.running)
        await progress.note()
        await self.gate(*key).wait()
        progress.running -= 1
        if key in self.failing:
            raise RuntimeError(f"request at {key} failed unexpectedly")
        progress.finished.append(key)
        await progress.note()


def start(events: list[Event], concurrency: int) -> tuple[Runner, asyncio.Task[None]]:
    runner = Runner(concurrency)
    stream = Stream(events, runner.progress)
    return runner, asyncio.create_task(runner(stream))


async def test_a_request_finished_early_is_acknowledged_after_the_one_before_it() -> None:
    """Offsets 1 and 2 finish while 0 is still running: nothing is acknowledged until 0 is."""
    runner, agent = start([event(0, 0), event(0, 1), event(0, 2)], concurrency=3)
    progress = runner.progress
    await progress.until(lambda: len(progress.started) == 3)
    runner.gate(0, 1).set()
    runner.gate(0, 2).set()
    await progress.until(lambda: sorted(progress.finished) == [(0, 1), (0, 2)])
    assert progress.acked == []
    runner.gate(0, 0).set()
    await agent
    assert progress.acked == [(0, 0), (0, 1), (0, 2)]


async def test_a_slow_request_holds_back_only_its_own_partition() -> None:
    runner, agent = start([event(0, 7), event(1, 3)], concurrency=2)
    progress = runner.progress
    runner.gate(1, 3).set()
    await progress.until(lambda: progress.acked == [(1, 3)])
    runner.gate(0, 7).set()
    await agent
    assert progress.acked == [(1, 3), (0, 7)]


async def test_no_more_requests_run_at_once_than_the_concurrency() -> None:
    runner, agent = start([event(0, n) for n in range(4)], concurrency=2)
    progress = runner.progress
    await progress.until(lambda: len(progress.started) == 2)
    runner.gate(0, 0).set()
    await progress.until(lambda: len(progress.started) == 3)
    for offset in range(4):
        runner.gate(0, offset).set()
    await agent
    assert progress.most_running == 2
    assert progress.acked == [(0, n) for n in range(4)]


async def test_an_unexpected_failure_ends_the_agent_and_is_never_acknowledged() -> None:
    """The worker crashes (its supervisor sees the error); the failed request and the
    ones after it stay unacknowledged, so a restart runs them again."""
    runner, agent = start([event(0, 0), event(0, 1)], concurrency=2)
    runner.failing.add((0, 0))
    runner.gate(0, 1).set()
    runner.gate(0, 0).set()
    with pytest.raises(ExceptionGroup) as raised:
        await agent
    assert raised.group_contains(RuntimeError, match="failed unexpectedly")
    assert runner.progress.acked == []


def test_a_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Runner(concurrency=0)
