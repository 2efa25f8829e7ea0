"""``callstream topics create`` as a real process against the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from confluent_kafka.admin import AdminClient, ConfigResource

from callstream.kafka import KafkaConnection
from devkit.testing.broker import BrokerHandle


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callstream_cli", "topics", "create", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_creates_every_topic_once_then_reports_them_existing(
    kafka_broker: BrokerHandle, kafka_conn: KafkaConnection, topic_prefix: str, tmp_path: Path
) -> None:
    """First run creates the core, internal and source topics; the second creates none."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "sources:\n"
        f"  crm: {{topic: {topic_prefix}crm.events}}\n"
        f"  fraud: {{topic: {topic_prefix}fraud.alerts}}\n"
    )
    env = os.environ | {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "CALLSTREAM_TOPIC_PREFIX": topic_prefix,
        "CALLSTREAM_CONFIG": str(config),
    }

    first = _run(env, "--partitions", "4")
    assert first.returncode == 0, first.stderr
    assert "16 created, 0 already existed" in first.stdout
    second = _run(env, "--partitions", "4")
    assert second.returncode == 0, second.stderr
    assert "0 created, 16 already existed" in second.stdout
    reshaped = _run(env, "--partitions", "8")
    assert reshaped.returncode == 0, reshaped.stderr
    assert f"warning: {topic_prefix}dlq has 4 partitions, not 8; left unchanged" in reshaped.stderr

    admin = AdminClient({"bootstrap.servers": kafka_conn.bootstrap_servers})
    metadata = admin.list_topics(timeout=10)
    ours = {name: t for name, t in metadata.topics.items() if name.startswith(topic_prefix)}
    assert set(ours) == {
        f"{topic_prefix}{suffix}"
        for suffix in (
            "tool-calls", "tool-results", "call-events", "supervisor", "injections",
            "deliveries", "followups", "undelivered", "dlq", "crm.events", "fraud.alerts",
            "streams.by-call", "streams.by-key", "streams.tool-runs",
            "streams-calls-changelog", "streams-index-changelog",
        )
    }  # fmt: skip
    assert all(len(t.partitions) == 4 for t in ours.values())
    resource = ConfigResource(ConfigResource.Type.TOPIC, f"{topic_prefix}dlq")
    configs = admin.describe_configs([resource])[resource].result(timeout=10)
    assert configs["cleanup.policy"].value == "delete"
    assert configs["retention.ms"].value == str(30 * 24 * 3600 * 1000)
    changelog = ConfigResource(ConfigResource.Type.TOPIC, f"{topic_prefix}streams-calls-changelog")
    configs = admin.describe_configs([changelog])[changelog].result(timeout=10)
    assert configs["cleanup.policy"].value == "compact"
