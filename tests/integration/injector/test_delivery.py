"""The injector against a real broker and the emulator over real HTTP: delivery and order."""

from __future__ import annotations

import random
from collections import Counter

from callstream.kafka import KafkaConnection
from callstream.topics import Topics
from devkit.emulator import EmulatorControl, EmulatorThread, Faults
from devkit.testing.kafka import end_offsets
from devkit.testing.polling import wait_until
from tests.integration.injector.conftest import API_KEY
from tests.integration.injector.harness import (
    committed,
    deliveries,
    injection,
    injector_in_thread,
    produce_injections,
    settings_for,
)


def test_every_call_gets_its_messages_once_and_in_order(
    kafka_conn: KafkaConnection,
    topics: Topics,
    emulator: EmulatorThread,
    control: EmulatorControl,
) -> None:
    """40 calls x 8 messages with shuffled remote latencies: each call's transcript is exact."""
    control.set_faults(Faults(latency_ms=2, latency_jitter_ms=40))
    calls = [control.start_call() for _ in range(40)]
    items = [injection(call, seq) for seq in range(8) for call in calls]
    random.Random(5).shuffle(calls)  # interleave calls; each call's own order is kept
    produce_injections(kafka_conn, topics, items)
    settings = settings_for(
        kafka_conn, topics, base_url=emulator.base_url, api_key=API_KEY, max_in_flight=16
    )
    with injector_in_thread(settings) as app:
        found = deliveries(kafka_conn, topics, expect=len(items), settle_s=1.0)
        group = settings.config.injector.group_id or f"{topics.prefix}injector"
        ends = end_offsets(kafka_conn, topics.injections)
        wait_until(
            lambda: committed(kafka_conn, group, topics.injections) == ends,
            timeout_s=30,
            what="offsets committed up to the end of every partition",
        )
        wait_until(
            lambda: all(
                app.registry.get_sample_value(
                    "callstream_injector_consumer_lag_records", {"partition": str(p)}
                )
                == 0
                for p in ends
            ),
            timeout_s=30,
            what="the lag metric to report every partition caught up",
        )

    assert len(found) == len(items), "one delivery record per injection"
    assert Counter(d.outcome for d in found) == {"delivered": len(items)}
    assert all(d.attempts == 1 and d.status_code == 200 for d in found)
    assert all(d.latency_ms is not None and d.latency_ms >= 0 for d in found)
    for call in calls:
        transcript = control.transcript(call)
        texts = [entry["messages"][0]["content"] for entry in transcript["injected"]]
        assert texts == [f"{call} message {seq}" for seq in range(8)], call
        assert all(entry["requests"] == 1 for entry in transcript["injected"])
