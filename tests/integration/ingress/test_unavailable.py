"""When Kafka does not acknowledge: 503 with Retry-After by the deadline, and a bounded queue.

These run the real producer (``build_app``) against a broker address where
nothing listens, so every record waits for an acknowledgement that never
comes, or against the real broker without the ingress's topics.
"""

from __future__ import annotations

import re
import threading
import time
import uuid

import httpx

from callstream.kafka import KafkaConnection
from callstream.testing.http import serve_in_thread
from ingress.serve import build_app
from tests.ingress_support import NO_BROKER
from tests.integration.ingress.conftest import TOKEN, running_ingress, settings_for

AUTH = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
CALL = {"x-telnyx-call-control-id": "v3:unacknowledged"}


def _queue_records(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    match = re.search(r"^callstream_ingress_producer_queue_records (\S+)$", text, re.M)
    assert match is not None
    return float(match.group(1))


def test_an_unacknowledged_publish_is_503_by_the_deadline_not_a_hang() -> None:
    """No broker: 503 kafka_unavailable with Retry-After, well within a generous bound."""
    settings = settings_for(
        NO_BROKER, f"t{uuid.uuid4().hex[:8]}.", ingress={"ack_timeout_s": 1.0, "retry_after_s": 3}
    )
    with serve_in_thread(build_app(settings)) as url:
        started = time.monotonic()
        response = httpx.post(f"{url}/tools/t", content=b"{}", headers=AUTH | CALL, timeout=60)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["retry-after"] == "3"
        assert response.json()["error"] == "kafka_unavailable"
        # The deadline is 1 s; the bound only proves "no hang" on a loaded machine.
        assert elapsed < 30
        assert httpx.get(f"{url}/readyz").status_code == 503


def test_a_full_producer_queue_sheds_at_once_with_503() -> None:
    """Queue bound 1, one record already waiting: the next request is 503 overloaded."""
    settings = settings_for(
        NO_BROKER,
        f"t{uuid.uuid4().hex[:8]}.",
        ingress={"ack_timeout_s": 6.0, "producer_queue_max_messages": 1},
    )
    with serve_in_thread(build_app(settings)) as url:
        first: list[httpx.Response] = []
        waiting = threading.Thread(
            target=lambda: first.append(
                httpx.post(f"{url}/tools/t", content=b"{}", headers=AUTH | CALL, timeout=60)
            )
        )
        waiting.start()
        deadline = time.monotonic() + 30
        while _queue_records(url) < 1:
            assert time.monotonic() < deadline, "the first record never reached the queue"
            time.sleep(0.05)
        shed = httpx.post(f"{url}/tools/t", content=b"{}", headers=AUTH | CALL, timeout=60)
        assert shed.status_code == 503
        assert shed.json()["error"] == "overloaded"
        assert "retry-after" in shed.headers
        waiting.join(timeout=60)
        assert first[0].status_code == 503


def test_readiness_names_missing_topics(module_conn: KafkaConnection) -> None:
    """The broker answers but the topics were never created: not ready, and it says which."""
    with running_ingress(module_conn, create_topics=False) as ingress:
        deadline = time.monotonic() + 60
        while True:
            checks = httpx.get(f"{ingress.url}/readyz").json()["checks"]
            if checks["topics"]["detail"] != "not probed yet":
                break
            assert time.monotonic() < deadline, "the broker watch never probed"
            time.sleep(0.05)
        assert checks["broker"]["ok"] is True
        assert checks["topics"]["ok"] is False
        assert ingress.settings.topics.tool_calls in checks["topics"]["detail"]
        assert "callstream topics create" in checks["topics"]["detail"]
