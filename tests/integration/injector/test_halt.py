"""A refused API key halts consumption: readiness red, one loud line, nothing committed."""

from __future__ import annotations

import httpx
from structlog.testing import capture_logs

from callstream.kafka import KafkaConnection
from callstream.topics import Topics
from devkit.emulator import EmulatorControl, EmulatorThread
from devkit.testing.polling import wait_until
from tests.integration.injector.harness import (
    committed,
    deliveries,
    injection,
    injector_in_thread,
    produce_injections,
    settings_for,
)


def test_a_refused_key_halts_without_committing_and_stays_up(
    kafka_conn: KafkaConnection,
    topics: Topics,
    emulator: EmulatorThread,
    control: EmulatorControl,
) -> None:
    """401: readiness goes red with the reason, the process stays live, no offset moves."""
    calls = [control.start_call() for _ in range(3)]
    produce_injections(kafka_conn, topics, [injection(c, s) for c in calls for s in range(3)])
    settings = settings_for(
        kafka_conn, topics, base_url=emulator.base_url, api_key="KEY-wrong-for-this-test"
    )
    with capture_logs() as logs, injector_in_thread(settings) as app:
        base = f"http://127.0.0.1:{app.ops_port}"
        ready = wait_until(
            lambda: (
                (r := httpx.get(f"{base}/readyz")).status_code == 503
                and not r.json()["checks"]["credentials"]["ok"]
                and r
            ),
            timeout_s=60,
            what="readiness to turn red",
        )
        assert "401" in ready.json()["checks"]["credentials"]["detail"]
        assert deliveries(kafka_conn, topics, expect=0, settle_s=2.0, timeout_s=5) == []
        assert httpx.get(f"{base}/healthz").status_code == 200, "halted, but alive"
        assert "callstream_injector_halted 1.0" in httpx.get(f"{base}/metrics").text
        group = f"{topics.prefix}injector"
        assert committed(kafka_conn, group, topics.injections) == {}

    assert all(control.transcript(c)["injected"] == [] for c in calls)
    loud = [e for e in logs if e["event"] == "credentials_refused"]
    assert len(loud) == 1, "one loud line, not one per record"
    assert loud[0]["log_level"] == "error"
    assert "check TELNYX_API_KEY" in loud[0]["detail"]
    assert "KEY-wrong" not in repr(logs), "the key itself is never logged"
