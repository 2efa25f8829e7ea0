"""The checkpoint's order: outputs acknowledged, then state produced, then offsets committed."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError

from streams.runtime.checkpoint import Checkpoint, Commit, Offsets, ProduceFailed
from streams.wire import OutRecord


class FakeProducer:
    """Records what was produced; acknowledges everything on flush, or only when told."""

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.unacked: list[tuple[str, Any]] = []
        self.refuse: set[str] = set()

    def produce(self, topic: str, value: Any, key: Any, **kwargs: Any) -> None:
        self.events.append(f"produce {topic}")
        self.unacked.append((topic, kwargs["on_delivery"]))

    def _ack_all(self) -> None:
        for topic, callback in self.unacked:
            error = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE) if topic in self.refuse else None
            callback(error, None)
        self.unacked.clear()

    def flush(self, timeout: float) -> int:
        self.events.append("flush")
        self._ack_all()
        return 0

    def poll(self, timeout: float) -> int:
        return 0

    def __len__(self) -> int:
        return len(self.unacked)


def record(topic: str) -> OutRecord:
    return OutRecord(topic, b"k", b"v", [], 0)


@pytest.fixture
def events() -> list[str]:
    return []


@pytest.fixture
def producer(events: list[str]) -> FakeProducer:
    return FakeProducer(events)


def committing_to(events: list[str], *, with_mode: bool = False) -> Commit:
    """A commit that records its offsets in ``events`` (and whether it waited, if asked)."""

    def commit(offsets: Offsets, *, asynchronous: bool) -> None:
        mode = ("async " if asynchronous else "sync ") if with_mode else ""
        events.append(f"commit {mode}{sorted(offsets.items())}")

    return commit


@pytest.fixture
def checkpoint(events: list[str], producer: FakeProducer) -> Checkpoint:
    commit = committing_to(events, with_mode=True)
    return Checkpoint(producer, commit, flush_timeout_s=1.0)  # type: ignore[arg-type]


def test_outputs_are_acknowledged_before_state_and_offsets_wait_for_the_state(
    checkpoint: Checkpoint, events: list[str]
) -> None:
    """A batch's changelog is produced after its outputs' flush; its offsets are committed
    only by the next batch's flush, which proves the changelog acknowledged."""
    checkpoint.write([record("injections")], [record("changelog")], {("in", 0): 5})
    assert events == ["produce injections", "flush", "produce changelog"]
    checkpoint.write([record("injections")], [record("changelog")], {("in", 0): 9})
    assert events[3:] == [
        "produce injections",
        "flush",
        "commit async [(('in', 0), 5)]",
        "produce changelog",
    ]


def test_an_idle_loop_commits_once_the_changelog_is_acknowledged(
    checkpoint: Checkpoint, events: list[str], producer: FakeProducer
) -> None:
    """``poll`` commits nothing while changelog records are out, and everything once in."""
    checkpoint.write([], [record("changelog")], {("in", 1): 3})
    checkpoint.poll()
    assert not any(e.startswith("commit") for e in events)
    producer._ack_all()
    checkpoint.poll()
    assert events[-1] == "commit async [(('in', 1), 3)]"


def test_settle_commits_synchronously_only_the_partitions_named(
    checkpoint: Checkpoint, events: list[str]
) -> None:
    """A revoke settles its own partitions; the others keep waiting for their commit."""
    checkpoint.write([], [record("changelog")], {("in", 0): 4, ("in", 1): 7})
    checkpoint.settle([("in", 1)])
    assert events[-1] == "commit sync [(('in', 1), 7)]"
    checkpoint.poll()
    assert events[-1] == "commit async [(('in', 0), 4)]"


def test_lost_partitions_are_never_committed(checkpoint: Checkpoint, events: list[str]) -> None:
    """Offsets of a lost partition are dropped: its new owner decides those records again."""
    checkpoint.write([], [record("changelog")], {("in", 0): 4, ("in", 1): 7})
    checkpoint.forget([("in", 0)])
    checkpoint.settle()
    assert events[-1] == "commit sync [(('in', 1), 7)]"


def test_a_refused_output_stops_everything_before_state_or_offsets(
    checkpoint: Checkpoint, events: list[str], producer: FakeProducer
) -> None:
    """Kafka refusing an output raises; the batch's changelog is never produced."""
    producer.refuse.add("injections")
    with pytest.raises(ProduceFailed, match="refused"):
        checkpoint.write([record("injections")], [record("changelog")], {("in", 0): 5})
    assert "produce changelog" not in events
    assert not any(e.startswith("commit") for e in events)


def test_offsets_are_committed_at_most_once_per_interval(
    events: list[str], producer: FakeProducer
) -> None:
    """Between two commits at least the interval passes; a revoke commits regardless."""
    now = [0.0]

    commit = committing_to(events)
    checkpoint = Checkpoint(
        producer,  # type: ignore[arg-type]
        commit,
        flush_timeout_s=1.0,
        commit_interval_s=1.0,
        monotonic=lambda: now[0],
    )
    checkpoint.write([], [record("changelog")], {("in", 0): 1})
    checkpoint.write([], [record("changelog")], {("in", 0): 2})  # commits offset 1
    now[0] = 0.5
    checkpoint.write([], [record("changelog")], {("in", 0): 3})
    checkpoint.poll()
    assert [e for e in events if e.startswith("commit")] == ["commit [(('in', 0), 1)]"]
    now[0] = 1.0
    checkpoint.poll()  # the third batch's changelog is still out: its offset waits
    assert events[-1] == "commit [(('in', 0), 2)]"
    producer._ack_all()
    checkpoint.poll()  # committable now, but the interval has not passed again
    assert events[-1] == "commit [(('in', 0), 2)]"
    checkpoint.settle([("in", 0)])
    assert events[-1] == "commit [(('in', 0), 3)]"


def test_with_a_changelog_producer_of_its_own_offsets_wait_for_its_acknowledgements(
    events: list[str],
) -> None:
    """The outputs' flush no longer proves the changelog in: only its own acks do, in order."""
    outputs, state = FakeProducer(events), FakeProducer(events)

    commit = committing_to(events)
    checkpoint = Checkpoint(
        outputs,  # type: ignore[arg-type]
        commit,
        flush_timeout_s=1.0,
        state_producer=state,  # type: ignore[arg-type]
    )
    checkpoint.write([record("injections")], [record("changelog")], {("in", 0): 1})
    checkpoint.write([record("injections")], [record("changelog")], {("in", 0): 2})
    checkpoint.poll()
    assert not any(e.startswith("commit") for e in events)
    state._ack_all()
    checkpoint.poll()
    assert events[-1] == "commit [(('in', 0), 2)]"
