"""Partitions move between workers with their state, and stay put on a quick restart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from callstream.kafka import KafkaConnection
from streams import testing as build
from tests.integration.streams.conftest import (
    PARTITIONS,
    StreamsEnv,
    Tail,
    Worker,
    make_env,
    stop_workers,
    wait_for,
)

CALLS = 16


def call_id(i: int) -> str:
    return f"v3:move-{i}"


def _split(one: Worker, two: Worker) -> tuple[list[int], list[int]] | None:
    a, b = one.partitions(), two.partitions()
    if a and b and not set(a) & set(b) and sorted(a + b) == list(range(PARTITIONS)):
        return a, b
    return None


def _open_requests(env: StreamsEnv) -> None:
    """Sixteen live calls, each with a lookup waiting for its result."""
    t = env.topics
    for i in range(CALLS):
        env.send(t.call_events, build.call_event(call_id(i), "call.answered"))
        env.send(
            t.tool_calls, build.tool_call(call_id(i), f"r-{i}", "lookup_order_status", n=str(i))
        )


def _answer(env: StreamsEnv) -> None:
    for i in range(CALLS):
        env.send(
            env.topics.tool_results,
            build.tool_result(call_id(i), f"r-{i}", "lookup_order_status", {"n": i}),
        )


def test_a_joining_worker_takes_partitions_with_their_state(
    streams_env: StreamsEnv, tail: Tail
) -> None:
    """Scale-out: the new worker restores the moved partitions' pending requests from the
    changelogs, so results arriving after the move are joined (not held, not refused); the
    first worker gives up only the partitions that moved."""
    t = streams_env.topics
    one = streams_env.worker("one")
    assert one.wait_ready() == list(range(PARTITIONS))
    _open_requests(streams_env)
    wait_for(
        lambda: one.metric("callstream_streams_records_in_total", topic="tool-calls") >= CALLS,
        30,
        lambda: "the first worker did not decide the requests",
    )
    two = streams_env.worker("two")
    kept, moved = wait_for(lambda: _split(one, two), 90, lambda: "partitions not split")
    assert two.metric("callstream_streams_restored_records_total") > 0
    assert one.metric("callstream_streams_rebalances_total", event="lost") == 0

    _answer(streams_env)
    tail.wait(t.injections, CALLS, timeout_s=60)
    tail.settle(4)  # past the 3 s grace: a result whose request was not restored is refused
    counts = Counter(record.injection().cause_id for record in tail.on(t.injections))
    assert counts == Counter({f"r-{i}": 1 for i in range(CALLS)})
    assert tail.on(t.dlq) == [], [d.dead_letter() for d in tail.on(t.dlq)]
    assert sorted(kept + moved) == list(range(PARTITIONS))
    assert one.stop() == 0
    assert two.stop() == 0


@pytest.fixture
def patient_env(
    kafka_conn: KafkaConnection, topic_prefix: str, tmp_path: Path
) -> Iterator[StreamsEnv]:
    """A deployment whose group waits 30 s before giving a silent worker up."""
    env = make_env(kafka_conn, topic_prefix, tmp_path, session_timeout=30.0)
    yield env
    stop_workers(env)


def test_a_worker_restarted_under_its_id_takes_its_partitions_back_without_a_rebalance(
    patient_env: StreamsEnv, tail: Tail
) -> None:
    """Static membership: SIGKILL one of two workers and start it again under the same id
    well within the session timeout; the other worker sees no rebalance at all, and the
    restarted one restores its partitions and joins the results of requests decided
    before the kill."""
    env = patient_env
    t = env.topics
    one, two = env.worker("one"), env.worker("two")
    wait_for(lambda: _split(one, two), 90, lambda: "partitions not split")
    owned_before = one.partitions()
    _open_requests(env)
    wait_for(
        lambda: (
            one.metric("callstream_streams_records_in_total", topic="tool-calls")
            + two.metric("callstream_streams_records_in_total", topic="tool-calls")
            >= CALLS
        ),
        30,
        lambda: "the requests were not decided",
    )
    rebalances = two.metric("callstream_streams_rebalances_total")
    one.kill()
    again = env.worker("one")
    assert again.wait_ready(timeout_s=25) == owned_before
    _answer(env)
    tail.wait(t.injections, CALLS, timeout_s=60)
    tail.settle(4)
    counts = Counter(record.injection().cause_id for record in tail.on(t.injections))
    assert set(counts) == {f"r-{i}" for i in range(CALLS)}
    assert tail.on(t.dlq) == []
    assert two.metric("callstream_streams_rebalances_total") == rebalances
    assert again.stop() == 0
    assert two.stop() == 0
