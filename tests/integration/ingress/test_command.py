"""``callstream ingress`` as a real process: it announces its address, serves, and stops cleanly."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from callstream.kafka import KafkaConnection
from callstream.records import ToolCall, decode
from devkit.testing.kafka import consume
from tests.integration.ingress.conftest import TOKEN, ingress_process


def test_two_workers_serve_one_address_and_stop_on_sigterm(
    kafka_conn: KafkaConnection, topic_prefix: str, tmp_path: Path
) -> None:
    """--port 0 --workers 2: the announced URL accepts a tool call that lands on Kafka."""
    config = "sources: {}\ntopics: {partitions: 3}\n"
    with ingress_process(kafka_conn, topic_prefix, config, tmp_path, workers=2) as ingress:
        assert "(2 workers" in ingress.announced
        call = f"v3:{uuid.uuid4().hex}"
        response = httpx.post(
            f"{ingress.url}/tools/lookup_order_status",
            json={"order_id": "ORD-7"},
            headers={"authorization": f"Bearer {TOKEN}", "x-telnyx-call-control-id": call},
            timeout=120,  # the workers may still be starting; the socket queues the request
        )
        assert response.status_code == 202, response.text
        [record] = consume(kafka_conn, [ingress.topics.tool_calls], expect=1, timeout_s=60)
        assert record.key == call.encode()
        assert decode(ToolCall, record.value).request_id == response.json()["request_id"]
    assert ingress.returncode == 0
    assert "Traceback" not in ingress.log
    assert TOKEN not in ingress.log
    assert '"event": "tool_call_accepted"' in ingress.log, "workers log JSON lines with the ids"
