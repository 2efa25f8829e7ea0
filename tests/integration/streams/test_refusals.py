"""The worker refuses to start on topics that would break its joins, and says why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from callstream.kafka import KafkaConnection, ensure_topics
from callstream.topics import Topics, topic_specs


def test_topics_with_different_partition_counts_are_a_configuration_error(
    kafka_conn: KafkaConnection, topic_prefix: str, tmp_path: Path
) -> None:
    """Exit status 2 and one line naming the topics and their counts; nothing is consumed."""
    topics = Topics(prefix=topic_prefix)
    specs = topic_specs(topics, partitions=4, replication_factor=1)
    odd = {topics.streams_changelog("index")}
    ensure_topics(
        kafka_conn,
        [s if s.name not in odd else type(s)(s.name, 2, 1, s.config) for s in specs],
    )
    config = tmp_path / "c.yaml"
    config.write_text("sources: {}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLSTREAM_", "KAFKA_"))}
    env |= {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_conn.bootstrap_servers,
        "CALLSTREAM_TOPIC_PREFIX": topic_prefix,
        "CALLSTREAM_CONFIG": str(config),
    }
    done = subprocess.run(
        [sys.executable, "-m", "callstream_cli", "streams", "--ops-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "same number of partitions" in done.stderr
    assert f"{topic_prefix}streams-index-changelog=2" in done.stderr


def test_missing_topics_are_named(
    kafka_conn: KafkaConnection, topic_prefix: str, tmp_path: Path
) -> None:
    """Without `callstream topics create` the worker says which topics are missing."""
    config = tmp_path / "c.yaml"
    config.write_text("sources: {}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLSTREAM_", "KAFKA_"))}
    env |= {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_conn.bootstrap_servers,
        "CALLSTREAM_TOPIC_PREFIX": topic_prefix,
        "CALLSTREAM_CONFIG": str(config),
    }
    done = subprocess.run(
        [sys.executable, "-m", "callstream_cli", "streams"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "run `callstream topics create`" in done.stderr
    assert f"{topic_prefix}tool-calls" in done.stderr
