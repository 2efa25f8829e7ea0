"""Backpressure: pause at max_buffered, resume at half, never while frozen."""

from __future__ import annotations

import asyncio

from callstream.kafka.backlog import Backlog


def make(max_buffered: int = 4) -> tuple[Backlog, list[str]]:
    calls: list[str] = []
    backlog = Backlog(
        max_buffered=max_buffered,
        pause=lambda: calls.append("pause"),
        resume=lambda: calls.append("resume"),
    )
    backlog.offsets.assign([0])
    return backlog, calls


def test_pauses_when_full_and_resumes_at_half() -> None:
    """Four records buffered pauses; finishing down to two resumes, once each."""
    backlog, calls = make()
    generations = [backlog.receive(0, offset) for offset in range(4)]
    backlog.after_receiving()
    assert calls == ["pause"]
    backlog.start(0)
    backlog.finish(0, generations[0] or 0, 0)
    assert calls == ["pause"], "three buffered: still above half"
    backlog.start(0)
    backlog.finish(0, generations[1] or 0, 1)
    assert calls == ["pause", "resume"]
    assert backlog.offsets.committable() == {0: 2}


def test_frozen_never_resumes() -> None:
    """Once halted or stopping, draining the buffer does not resume consumption."""
    backlog, calls = make(max_buffered=2)
    for offset in range(2):
        backlog.receive(0, offset)
    backlog.after_receiving()
    backlog.frozen = True
    backlog.drop()
    backlog.drop()
    assert calls == ["pause"]


def test_records_of_a_leaving_partition_are_refused() -> None:
    """After leave(), new records of that partition are not taken in; release commits the rest."""
    backlog, _ = make()
    generation = backlog.receive(0, 10)
    assert generation is not None
    backlog.start(0)
    backlog.leave([0])
    assert backlog.receive(0, 11) is None
    assert not backlog.owns(0, generation)
    assert not backlog.idle([0])
    backlog.finish(0, generation, 10)
    assert backlog.idle([0])
    assert backlog.release([0]) == {0: 11}


class CommitRecorder:
    """A consumer control that records commits and wakes the test at the first one."""

    def __init__(self) -> None:
        self.commits: list[dict[int, int]] = []
        self.committed = asyncio.Event()

    def commit(self, offsets: dict[int, int]) -> None:
        self.commits.append(offsets)
        self.committed.set()


async def test_finished_work_is_committed_periodically_and_only_once() -> None:
    """What finished is committed at the next turn; a turn with nothing new commits nothing."""
    backlog, _ = make()
    generation = backlog.receive(0, 0) or 0
    backlog.start(0)
    backlog.finish(0, generation, 0)
    consumer, turns, three_turns = CommitRecorder(), [0], asyncio.Event()

    def turn() -> None:
        turns[0] += 1
        if turns[0] == 3:
            three_turns.set()

    task = asyncio.create_task(
        backlog.commit_periodically(consumer, 0.01, turn)  # type: ignore[arg-type]
    )
    await asyncio.wait_for(consumer.committed.wait(), 5)
    await asyncio.wait_for(three_turns.wait(), 5)  # two more turns, with nothing new finished
    task.cancel()
    assert consumer.commits == [{0: 1}]
