"""Two workers in one group split the partitions; every injection appears exactly once."""

from __future__ import annotations

from collections import Counter

from streams import testing as build
from tests.integration.streams.conftest import PARTITIONS, StreamsEnv, Tail, wait_for

CALLS = 24


def test_two_workers_split_the_partitions_and_the_work(streams_env: StreamsEnv, tail: Tail) -> None:
    """Calls, lookups, supervisor notes and CRM events by phone (a hop across workers)."""
    t = streams_env.topics
    one, two = streams_env.worker("one"), streams_env.worker("two")
    one.wait_ready()
    two.wait_ready()

    def split() -> tuple[list[int], list[int]] | None:
        a, b = one.partitions(), two.partitions()
        if a and b and not set(a) & set(b) and sorted(a + b) == list(range(PARTITIONS)):
            return a, b
        return None

    wait_for(split, 90, lambda: f"partitions not split: {one.partitions()} {two.partitions()}")

    for i in range(CALLS):
        call, phone = f"v3:pair-{i}", f"+1555100{i:04d}"
        streams_env.send(t.call_events, build.call_event(call, "call.initiated", from_=phone))
        streams_env.send(
            t.tool_calls, build.tool_call(call, f"r-{i}", "lookup_order_status", order_id=str(i))
        )
        streams_env.send(
            t.tool_results, build.tool_result(call, f"r-{i}", "lookup_order_status", {"i": i})
        )
        streams_env.send(t.supervisor, build.supervisor(call, f"m-{i}", "note"))
        crm = build.source_event(f"CRM-{i}", "profile.updated", {"i": i}, phone=phone)
        streams_env.send(t.source("crm"), (phone.encode(), crm))

    expected = {f"{kind}-{i}" for i in range(CALLS) for kind in ("r", "m", "CRM")}
    tail.wait(t.injections, len(expected), timeout_s=90)
    tail.settle(3)
    injections = [record.injection() for record in tail.on(t.injections)]
    counts = Counter(i.cause_id for i in injections)
    assert set(counts) == expected
    assert max(counts.values()) == 1  # no rebalance during the run: nothing doubled
    assert tail.on(t.dlq) == []
    for worker in (one, two):
        assert worker.metric("callstream_streams_records_in_total", topic="call-events") > 0
    assert one.stop() == 0
    assert two.stop() == 0
