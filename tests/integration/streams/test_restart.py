"""SIGKILL mid-stream, restart: state comes back from the changelog, nothing is lost."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from confluent_kafka import Consumer, TopicPartition

from callstream.kafka import consumer_config
from streams import testing as build
from tests.integration.streams.conftest import PARTITIONS, StreamsEnv, Tail, wait_for

CALLS = 30


def call_id(i: int) -> str:
    return f"v3:restart-{i}"


@pytest.mark.parametrize(
    "streams_env",
    [{"guarantee": "at_least_once"}, {"guarantee": "exactly_once"}],
    indirect=True,
    ids=["at_least_once", "exactly_once"],
)
def test_a_killed_worker_is_replaced_without_losing_or_changing_an_injection(
    streams_env: StreamsEnv, tail: Tail
) -> None:
    """Requests decided by the first worker are joined by the second with their results;
    under ``exactly_once`` a read_committed reader sees no injection twice."""
    t = streams_env.topics
    first = streams_env.worker("first")
    first.wait_ready()
    for i in range(CALLS):
        streams_env.send(
            t.call_events, build.call_event(call_id(i), "call.initiated", from_=f"+1555000{i:04d}")
        )
        streams_env.send(
            t.tool_calls,
            build.tool_call(call_id(i), f"r-{i}", "lookup_order_status", order_id=f"ORD-{i}"),
        )

    def answer(calls: range) -> None:
        for i in calls:
            streams_env.send(
                t.tool_results,
                build.tool_result(call_id(i), f"r-{i}", "lookup_order_status", {"n": i}),
                build.tool_result(call_id(i), f"r-{i}", "lookup_order_status", {"n": i}),
            )
            streams_env.send(t.supervisor, build.supervisor(call_id(i), f"m-{i}", f"note {i}"))

    answer(range(10))
    tail.wait(t.injections, 6)
    first.kill()  # mid-stream: some of those answers are not decided yet
    answer(range(10, 20))  # while no worker runs
    second = streams_env.worker("second")
    second.wait_ready(timeout_s=120)
    answer(range(20, CALLS))

    expected = {f"r-{i}" for i in range(CALLS)} | {f"m-{i}" for i in range(CALLS)}
    seen = tail.wait(t.injections, len(expected), timeout_s=120)
    tail.settle(4)  # past the 3 s grace: a result whose request was lost would be refused
    seen = tail.on(t.injections)
    injections = [record.injection() for record in seen]
    counts = Counter(i.cause_id for i in injections)
    assert set(counts) == expected
    # A repeat is possible only for a batch whose outputs were acknowledged and whose state
    # was not yet written when the process died; it is then the very same injection.
    by_id: dict[str, list[object]] = {}
    for injection in injections:
        by_id.setdefault(injection.injection_id, []).append(
            (injection.messages, injection.trigger_response, injection.cause_id)
        )
    assert all(len(set(map(repr, copies))) == 1 for copies in by_id.values())
    repeats = sum(counts.values()) - len(counts)
    print(f"repeated injections after SIGKILL: {repeats}")  # noqa: T201
    if streams_env.guarantee == "exactly_once":
        assert repeats == 0
    assert tail.on(t.dlq) == [], [d.dead_letter() for d in tail.on(t.dlq)]
    assert second.stop() == 0


def committed(env: StreamsEnv, topic: str) -> int:
    """The worker group's committed offsets on ``topic``, summed (0 while none)."""
    group = {"group.id": f"{env.prefix}streams"}
    consumer = Consumer(consumer_config(env.conn, "streams-test-offsets", group["group.id"]))
    try:
        offsets = consumer.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], 10)
    finally:
        consumer.close()
    return sum(max(0, tp.offset) for tp in offsets)


@pytest.mark.parametrize("start", ["restart", "fresh"])
def test_records_arriving_while_a_worker_recovers_are_all_decided(
    streams_env: StreamsEnv, tail: Tail, start: str
) -> None:
    """Supervisor notes keep arriving while a worker starts with a backlog, and while it
    restores; every one is injected.

    ``restart``: a worker that has committed offsets is SIGKILLed and replaced by another
    (a new member: its partitions move once the group gives the dead one up); records
    keep arriving through the kill, the wait and the restore. ``fresh``: the first worker
    ever starts with a backlog and nothing committed. (faust lost records in both: the
    README's "Why not faust" tells how.)
    """
    t = streams_env.topics
    calls = [call_id(i) for i in range(8)]
    for call in calls:
        streams_env.send(t.call_events, build.call_event(call, "call.initiated"))
        streams_env.send(t.call_events, build.call_event(call, "call.answered"))
    sent: list[str] = []
    stop, backlog = threading.Event(), threading.Event()

    def notes() -> None:
        """A steady 50 notes a second, round the calls, until told to stop."""
        while not stop.wait(0.02):
            n = len(sent)
            streams_env.send(t.supervisor, build.supervisor(calls[n % 8], f"n-{n}", f"note {n}"))
            sent.append(f"n-{n}")
            if n == 150:
                backlog.set()

    if start == "restart":
        first = streams_env.worker("first")
        first.wait_ready()
    sender = threading.Thread(target=notes, daemon=True)
    sender.start()
    try:
        if start == "restart":
            tail.wait(t.injections, 25)
            wait_for(lambda: committed(streams_env, t.supervisor), 30, lambda: "no commit")
            first.kill()
        else:
            assert backlog.wait(30), "the sender never built a backlog"
        worker = streams_env.worker("recovering")
        worker.wait_ready(timeout_s=120)
        tail.wait(t.injections, len(sent) + 50, timeout_s=60)  # it keeps up after recovery
    finally:
        stop.set()
        sender.join(timeout=30)
    seen = tail.wait(t.injections, len(sent), timeout_s=120)
    lost = set(sent) - {record.injection().cause_id for record in seen}
    assert lost == set(), f"{len(lost)} of {len(sent)} notes lost"
    assert worker.stop() == 0
