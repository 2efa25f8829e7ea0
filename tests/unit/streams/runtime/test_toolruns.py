"""The tool runner commits requests in arrival order, however they finish, and bounds its work.

``handle`` (the real one calls the backend) is replaced by one whose completion
each test controls; a fake consumer records what would be committed and paused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from callstream.kafka.acked import Write
from callstream.topics import Topics
from streams.batch import RawRecord
from streams.decide.rules import Rules
from streams.metrics import StreamsMetrics
from streams.runtime.toolruns import ToolRuns
from streams.wire import Wire


class FakeMessage:
    def __init__(self, partition: int, offset: int) -> None:
        self._partition, self._offset = partition, offset

    def topic(self) -> str:
        return "t.streams.tool-runs"

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_000)

    def key(self) -> bytes:
        return b"v3:call"

    def value(self) -> bytes:
        return b"{}"

    def headers(self) -> None:
        return None

    def error(self) -> None:
        return None


class FakeConsumer:
    def __init__(self) -> None:
        self.paused = 0
        self.resumed = 0
        self.closed_with: dict[int, int] | None = None

    def commit(self, offsets: dict[int, int]) -> None: ...

    def pause_all(self) -> None:
        self.paused += 1

    def resume_all(self) -> None:
        self.resumed += 1

    def stop_fetching(self) -> None: ...

    async def close(self, offsets: dict[int, int]) -> None:
        self.closed_with = offsets


class InstantProducer:
    """Kafka acknowledging every outcome at once."""

    def write(self, writes: list[Write], on_written: Callable[[], None]) -> None:
        on_written()

    async def run(self) -> None:
        await asyncio.Event().wait()

    async def drain(self, timeout_s: float) -> bool:
        return True


class Controlled(ToolRuns):
    """A tool runner whose requests finish when the test says (or fail when it says)."""

    def __init__(self, concurrency: int, joined: Callable[[], None] = lambda: None) -> None:
        super().__init__(
            runner=None,  # type: ignore[arg-type]
            rules=Rules(),
            results_topic="t.tool-results",
            wire=Wire(Topics(prefix="t."), 4),
            producer=InstantProducer(),  # type: ignore[arg-type]
            metrics=StreamsMetrics(CollectorRegistry()),
            concurrency=concurrency,
            grace_s=0.05,
            joined=joined,
        )
        self.gates: dict[int, asyncio.Future[list[Write]]] = {}

    async def handle(self, record: RawRecord) -> list[Write]:
        gate = self.gates.setdefault(record.offset, asyncio.get_running_loop().create_future())
        return await gate

    def finish(self, offset: int) -> None:
        self.gates.setdefault(offset, asyncio.get_running_loop().create_future()).set_result(
            [Write("t.tool-results", b"k", b"v")]
        )


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def started(runs: Controlled, consumer: FakeConsumer) -> asyncio.Task[Any]:
    task = asyncio.create_task(runs.run(consumer))  # type: ignore[arg-type]
    await settle()
    return task


async def test_requests_finishing_out_of_order_are_committed_in_arrival_order() -> None:
    """Only the finished prefix of a partition is committable: never past a running request."""
    runs, consumer = Controlled(concurrency=8), FakeConsumer()
    task = await started(runs, consumer)
    runs.on_assigned([0])
    runs.on_records([FakeMessage(0, n) for n in range(3)])  # type: ignore[list-item]
    runs.finish(2)
    await settle()
    assert await runs.on_revoked([0]) == {}  # 0 and 1 still running: nothing to commit
    runs.on_assigned([0])
    runs.on_records([FakeMessage(0, n) for n in range(3, 6)])  # type: ignore[list-item]
    runs.finish(3)
    runs.finish(5)
    await settle()
    assert await runs.on_revoked([0]) == {0: 4}
    runs.request_stop()
    await task


async def test_consumption_pauses_at_the_concurrency_bound_and_resumes_at_half() -> None:
    """With ``concurrency`` requests unfinished nothing more is fetched until half are done."""
    runs, consumer = Controlled(concurrency=4), FakeConsumer()
    task = await started(runs, consumer)
    runs.on_assigned([0])
    runs.on_records([FakeMessage(0, n) for n in range(4)])  # type: ignore[list-item]
    assert consumer.paused == 1
    runs.finish(0)
    await settle()
    assert consumer.resumed == 0
    runs.finish(1)
    await settle()
    assert consumer.resumed == 1
    runs.request_stop()
    await task


async def test_a_request_that_fails_unexpectedly_stops_the_runner_uncommitted() -> None:
    """A bug in one request stops the runner; its offset and those after it stay open."""
    runs, consumer = Controlled(concurrency=8), FakeConsumer()
    task = await started(runs, consumer)
    runs.on_assigned([0])
    runs.on_records([FakeMessage(0, n) for n in range(2)])  # type: ignore[list-item]
    runs.gates.setdefault(0, asyncio.get_running_loop().create_future()).set_exception(
        RuntimeError("boom")
    )
    runs.finish(1)
    await asyncio.wait_for(task, 5)
    assert "boom" in (runs.failure or "")
    assert consumer.closed_with == {}


def test_the_runner_needs_room_for_one_request() -> None:
    """A concurrency below one is refused when built."""
    with pytest.raises(ValueError, match="at least 1"):
        Controlled(concurrency=0)


async def test_the_runner_reports_itself_joined_at_its_first_assignment() -> None:
    """Readiness waits for the group: the ``joined`` callback fires on assignment, not before."""
    joins: list[bool] = []
    runs, consumer = Controlled(concurrency=2, joined=lambda: joins.append(True)), FakeConsumer()
    task = await started(runs, consumer)
    assert joins == []
    runs.on_assigned([])  # an empty assignment still means the group has the runner
    assert joins == [True]
    runs.request_stop()
    await task
