"""``callstream ingress`` as a real process: it announces its address, serves, and stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from callstream.kafka import KafkaConnection, ensure_topics
from callstream.records import ToolCall, decode
from callstream.testing.kafka import consume
from callstream.topics import Topics, topic_specs
from ingress.testing import wait_for_line
from tests.integration.ingress.conftest import TOKEN, wait_for_leaders

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+) \(2 workers")


def test_two_workers_serve_one_address_and_stop_on_sigterm(
    kafka_conn: KafkaConnection, topic_prefix: str, tmp_path: Path
) -> None:
    """--port 0 --workers 2: the announced URL accepts a tool call that lands on Kafka."""
    config = tmp_path / "callstream.yaml"
    config.write_text("sources: {}\ntopics: {partitions: 3}\n")
    topics = Topics(prefix=topic_prefix)
    ensure_topics(kafka_conn, topic_specs(topics, partitions=3, replication_factor=1))
    wait_for_leaders(kafka_conn, [topics.tool_calls])
    env = os.environ | {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_conn.bootstrap_servers,
        "CALLSTREAM_TOPIC_PREFIX": topic_prefix,
        "CALLSTREAM_CONFIG": str(config),
        "CALLSTREAM_INGRESS_TOKEN": TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "callstream", "ingress", "--port", "0", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = wait_for_line(process, LISTENING, timeout_s=120).group(1)
        call = f"v3:{uuid.uuid4().hex}"
        response = httpx.post(
            f"{url}/tools/lookup_order_status",
            json={"order_id": "ORD-7"},
            headers={"authorization": f"Bearer {TOKEN}", "x-telnyx-call-control-id": call},
            timeout=120,  # the workers may still be starting; the socket queues the request
        )
        assert response.status_code == 202, response.text
        [record] = consume(kafka_conn, [topics.tool_calls], expect=1, timeout_s=60)
        assert record.key == call.encode()
        assert decode(ToolCall, record.value).request_id == response.json()["request_id"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
        sys.stderr.write(stderr)  # shown by pytest when the test fails
    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert TOKEN not in stderr
    assert '"event": "tool_call_accepted"' in stderr, "workers log JSON lines with the ids"
