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
from devkit.testing.http import serve_in_thread
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
        # A budget longer than the ack timeout: only the producer's queue may shed here.
        ingress={"ack_timeout_s": 6.0, "producer_queue_max_messages": 1, "max_queue_wait_s": 60},
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


def test_requests_past_the_wait_budget_are_shed_at_once() -> None:
    """No broker: once the oldest request has waited past the budget, new ones are answered
    503 overloaded with Retry-After at once, not after the ack timeout; nothing is lost that
    was accepted, since nothing was."""
    settings = settings_for(
        NO_BROKER,
        f"t{uuid.uuid4().hex[:8]}.",
        ingress={"ack_timeout_s": 8.0, "max_queue_wait_s": 0.5, "retry_after_s": 3},
    )
    answers: list[tuple[float, httpx.Response]] = []
    lock = threading.Lock()

    def post(url: str) -> None:
        started = time.monotonic()
        response = httpx.post(f"{url}/tools/t", content=b"{}", headers=AUTH | CALL, timeout=60)
        with lock:
            answers.append((time.monotonic() - started, response))

    def shed() -> list[tuple[float, httpx.Response]]:
        with lock:
            return [(s, r) for s, r in answers if r.json()["error"] == "overloaded"]

    with serve_in_thread(build_app(settings)) as url:
        senders: list[threading.Thread] = []
        deadline = time.monotonic() + 30
        # One request at a time, each left waiting on the silent broker, until one is shed.
        while not shed():
            assert time.monotonic() < deadline, "no request was shed within 30 s"
            sender = threading.Thread(target=post, args=(url,))
            sender.start()
            senders.append(sender)
            sender.join(timeout=0.1)  # a shed answer comes back at once; a waiting one does not
        [(seconds, response)] = shed()[:1]
        for sender in senders:
            sender.join(timeout=60)
    assert seconds < 8.0, "answered before the ack timeout"
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    assert "over the 0.5 s budget" in response.json()["detail"]
    waited = [r for _, r in answers if r.json()["error"] == "kafka_unavailable"]
    assert waited, "the requests admitted before it waited for the broker and were refused"


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
