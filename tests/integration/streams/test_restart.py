"""SIGKILL mid-stream, restart: state comes back from the changelog, nothing is lost."""

from __future__ import annotations

from collections import Counter

from streams import testing as build
from tests.integration.streams.conftest import StreamsEnv, Tail

CALLS = 30


def call_id(i: int) -> str:
    return f"v3:restart-{i}"


def test_a_killed_worker_is_replaced_without_losing_or_changing_an_injection(
    streams_env: StreamsEnv, tail: Tail
) -> None:
    """Requests decided by the first worker are joined by the second with their results."""
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
    print(f"repeated injections after SIGKILL: {sum(counts.values()) - len(counts)}")  # noqa: T201
    assert tail.on(t.dlq) == [], [d.dead_letter() for d in tail.on(t.dlq)]
    assert second.stop() == 0
