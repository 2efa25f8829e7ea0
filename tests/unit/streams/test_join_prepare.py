"""The join agent finishes its preparation (learning the changelogs) before its first batch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from streams.agents.join import JoinAgent


class Stream:
    """A faust stream that notes whether the agent was prepared when it began taking events."""

    def __init__(self, prepared: list[str]) -> None:
        self._prepared = prepared
        self.prepared_when_taken: list[str] | None = None

    async def take_events(self, max_: int, within: float) -> AsyncIterator[list[Any]]:
        self.prepared_when_taken = list(self._prepared)
        for _ in ():
            yield []


def agent(prepare: Any) -> JoinAgent:
    unused: Any = object()  # the agent never reaches them: the stream brings no batch
    return JoinAgent(
        decider=unused,
        tables=unused,
        deadlines=unused,
        sender=unused,
        metrics=unused,
        health=unused,
        ticks_topic="ticks",
        generation=lambda: 0,
        owned=lambda: (),
        batch_max=10,
        batch_window_s=0.01,
        prepare=prepare,
    )


async def test_preparation_completes_before_the_stream_is_read() -> None:
    """The changelogs' partitions are learned before the first table write could happen."""
    prepared: list[str] = []

    async def prepare() -> None:
        prepared.append("changelogs")

    stream = Stream(prepared)
    await agent(prepare)(stream)
    assert stream.prepared_when_taken == ["changelogs"]


async def test_without_a_preparation_the_stream_is_read_at_once() -> None:
    """No preparation given: the agent reads its stream straight away."""
    stream = Stream([])
    await agent(None)(stream)
    assert stream.prepared_when_taken == []
