"""``callstream injector`` as a real process: SIGKILL mid-load, restart, exactly once in effect."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from callstream.kafka import KafkaConnection
from callstream.topics import Topics
from devkit.emulator import EmulatorControl, EmulatorThread, Faults
from devkit.stack import Stack
from devkit.testing.kafka import end_offsets
from devkit.testing.polling import wait_until
from tests.integration.injector.conftest import API_KEY
from tests.integration.injector.harness import (
    committed,
    deliveries,
    injection,
    injector_service,
    outcomes_of,
    produce_injections,
    settings_for,
)

log = logging.getLogger(__name__)

CALLS = 30
PER_CALL = 30


def test_sigkill_mid_load_then_restart_delivers_each_injection_once_in_effect(
    kafka_conn: KafkaConnection,
    topics: Topics,
    emulator: EmulatorThread,
    control: EmulatorControl,
    tmp_path: Path,
) -> None:
    """After a SIGKILL and a restart every call holds each of its messages once, in order;
    a SIGTERM then stops the process with exit status 0 and everything committed."""
    control.set_faults(Faults(latency_ms=40, latency_jitter_ms=80))
    calls = [control.start_call() for _ in range(CALLS)]
    items = [injection(call, seq) for seq in range(PER_CALL) for call in calls]
    produce_injections(kafka_conn, topics, items)
    settings = settings_for(kafka_conn, topics, base_url=emulator.base_url, api_key=API_KEY)
    config = tmp_path / "callstream.yaml"

    def recorded() -> int:
        return sum(end_offsets(kafka_conn, topics.deliveries).values())

    with Stack(tmp_path / "logs") as stack:
        first = stack.start(injector_service(settings, config))
        wait_until(lambda: recorded() >= len(items) // 4, timeout_s=120, what="a quarter delivered")
        stack.kill("injector")
        at_kill = recorded()
        assert at_kill < len(items), "the kill came before the end of the load"

        second = stack.restart("injector")
        assert second.pid != first.pid
        outcomes_of(kafka_conn, topics, {i.injection_id for i in items})
        group = f"{topics.prefix}injector"
        ends = end_offsets(kafka_conn, topics.injections)
        wait_until(
            lambda: committed(kafka_conn, group, topics.injections) == ends,
            timeout_s=60,
            what="the restarted injector to commit everything",
        )
        assert stack.terminate("injector") == 0, "SIGTERM ends the injector cleanly"

    raw_requests = 0
    for call in calls:
        transcript = control.transcript(call)
        texts = [e["messages"][0]["content"] for e in transcript["injected"]]
        assert texts == [f"{call} message {seq}" for seq in range(PER_CALL)], call
        raw_requests += len(transcript["requests"])
    final = deliveries(kafka_conn, topics, expect=recorded(), settle_s=1.0)
    outcomes = Counter(d.outcome for d in final)
    assert set(outcomes) == {"delivered"}
    repeats = len(final) - len({d.injection_id for d in final})
    log.warning(
        "crash test: %d injections, %d effective, %d raw requests, %d delivery records "
        "(%d repeats after the restart), %d recorded at the kill",
        len(items), len(items), raw_requests, len(final), repeats, at_kill,
    )  # fmt: skip
    assert raw_requests >= len(items)
