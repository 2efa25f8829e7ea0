"""Transient faults at the remote: bursts of 5xx, lost replies, 429 with Retry-After, timeouts."""

from __future__ import annotations

from callstream.kafka import KafkaConnection
from callstream.topics import Topics
from devkit.emulator import EmulatorControl, EmulatorThread, FaultRule, Faults
from tests.integration.injector.conftest import API_KEY
from tests.integration.injector.harness import (
    deliveries,
    injection,
    injector_in_thread,
    produce_injections,
    settings_for,
)


def test_transient_faults_end_in_one_effective_delivery_each_in_order(
    kafka_conn: KafkaConnection,
    topics: Topics,
    emulator: EmulatorThread,
    control: EmulatorControl,
) -> None:
    """Every message lands exactly once, in order, however many raw attempts it took."""
    burst, lost, limited, slow = (control.start_call() for _ in range(4))

    def only(call: str) -> frozenset[str]:
        return frozenset({call})

    control.set_faults(
        Faults(
            rules=(
                FaultRule(status=503, count=3, call_control_ids=only(burst)),
                FaultRule(status=502, count=1, apply_first=True, call_control_ids=only(lost)),
                FaultRule(status=429, count=1, retry_after="1", call_control_ids=only(limited)),
                FaultRule(hang_s=3.0, count=1, call_control_ids=only(slow)),
            )
        )
    )
    items = [injection(call, seq) for call in (burst, lost, limited, slow) for seq in range(4)]
    produce_injections(kafka_conn, topics, items)
    settings = settings_for(kafka_conn, topics, base_url=emulator.base_url, api_key=API_KEY)
    with injector_in_thread(settings):
        found = deliveries(kafka_conn, topics, expect=len(items), settle_s=1.0)

    assert control.fault_hits() == [3, 1, 1, 1], "every fault fired as set"
    attempts = {d.injection_id: d.attempts for d in found}
    assert {d.outcome for d in found} == {"delivered"}
    assert len(attempts) == len(found) == len(items)
    for call in (burst, lost, limited, slow):
        transcript = control.transcript(call)
        texts = [e["messages"][0]["content"] for e in transcript["injected"]]
        assert texts == [f"{call} message {seq}" for seq in range(4)], "once each, in order"
    first = {call: injection(call, 0).injection_id for call in (burst, lost, limited, slow)}
    assert attempts[first[burst]] == 4, "three 503s, then accepted"
    assert attempts[first[lost]] == 2
    assert control.transcript(lost)["injected"][0]["requests"] == 2, "the retry was deduped"
    assert attempts[first[limited]] == 2
    limited_requests = control.transcript(limited)["requests"]
    waited = limited_requests[1]["at"] - limited_requests[0]["at"]
    assert waited >= 1.0, f"Retry-After: 1 was honoured (waited {waited:.2f}s)"
    assert attempts[first[slow]] == 2, "the request that hung timed out and was retried"
