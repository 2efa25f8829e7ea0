"""Two injectors in one group: partitions move mid-load and nothing is lost or doubled."""

from __future__ import annotations

from callstream.kafka import KafkaConnection
from callstream.topics import Topics
from devkit.emulator import EmulatorControl, EmulatorThread, Faults
from devkit.testing.kafka import end_offsets
from devkit.testing.polling import wait_until
from tests.integration.injector.conftest import API_KEY
from tests.integration.injector.harness import (
    committed,
    injection,
    injector_in_thread,
    outcomes_of,
    produce_injections,
    settings_for,
)

PER_CALL = 40  # at ~150 ms a message, each call's lane is busy for about six seconds


def test_partitions_move_between_injectors_without_loss_or_repeat(
    kafka_conn: KafkaConnection,
    topics: Topics,
    emulator: EmulatorThread,
    control: EmulatorControl,
) -> None:
    """A second member joins mid-load (cooperative revoke), then the first leaves: each
    call still receives each message once, in order, and everything is committed."""
    control.set_faults(Faults(latency_ms=100, latency_jitter_ms=100))
    calls = [control.start_call() for _ in range(24)]
    items = [injection(call, seq) for seq in range(PER_CALL) for call in calls]
    produce_injections(kafka_conn, topics, items)
    settings = settings_for(kafka_conn, topics, base_url=emulator.base_url, api_key=API_KEY)

    def applied() -> int:
        return sum(c["injected"] for c in control.calls() if c["call_control_id"] in calls)

    with injector_in_thread(settings) as first:
        wait_until(lambda: applied() >= len(items) // 5, timeout_s=60, what="a fifth applied")
        with injector_in_thread(settings) as second:
            wait_until(
                lambda: first.metrics is not second.metrics
                and (second.registry.get_sample_value("callstream_injector_attempts_total",
                                                      {"result": "2xx"}) or 0) > 0,
                timeout_s=60,
                what="the second member to deliver its share",
            )  # fmt: skip
            first.request_stop()
            outcomes_of(kafka_conn, topics, {i.injection_id for i in items})
            ends = end_offsets(kafka_conn, topics.injections)
            wait_until(
                lambda: (
                    committed(kafka_conn, f"{topics.prefix}injector", topics.injections) == ends
                ),
                timeout_s=60,
                what="everything committed",
            )

    for call in calls:
        texts = [e["messages"][0]["content"] for e in control.transcript(call)["injected"]]
        assert texts == [f"{call} message {seq}" for seq in range(PER_CALL)], call
