"""``callstream dlq replay`` as a real process: dry run writes nothing, --execute re-drives."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from callstream.kafka import KafkaConnection, ensure_topics
from callstream.records import DeadLetter
from callstream.records.deadletter import HEADER_PREFIX
from callstream.topics import Topics, topic_specs
from devkit.testing.broker import BrokerHandle
from devkit.testing.kafka import consume, end_offsets, produce


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callstream_cli", "dlq", "replay", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dry_run_then_execute_replays_only_the_chosen_records(
    kafka_broker: BrokerHandle, kafka_conn: KafkaConnection, topic_prefix: str
) -> None:
    """Records go back, unchanged, to their original topics; others stay; nothing in a dry run."""
    topics = Topics(prefix=topic_prefix)
    ensure_topics(kafka_conn, topic_specs(topics, partitions=3, replication_factor=1))
    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def letter(reason: str, topic: str, call: str) -> list[tuple[str, str | bytes | None]]:
        meta = DeadLetter(stage="injector", reason=reason, error="e", topic=topic, at=at,
                          call_control_id=call)  # fmt: skip
        return [("origin-trace", b"abc"), *meta.headers()]

    produce(kafka_conn, topics.dlq, [(b"v3:a", b'{"n": 1}')],
            headers=letter("failed", topics.injections, "v3:a"))  # fmt: skip
    produce(kafka_conn, topics.dlq, [(b"v3:b", b'{"n": 2}')],
            headers=letter("failed", topics.injections, "v3:b"))  # fmt: skip
    produce(kafka_conn, topics.dlq, [(b"v3:c", b'{"n": 3}')],
            headers=letter("unknown_call", topics.tool_results, "v3:c"))  # fmt: skip
    produce(kafka_conn, topics.dlq, [(b"x", b"not ours")])  # no callstream headers
    env = os.environ | {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "CALLSTREAM_TOPIC_PREFIX": topic_prefix,
    }

    dry = _run(env, "--reason", "failed")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would replay") == 2
    assert "scanned 4, matched 2 (failed: 2), unreadable 1; dry run" in dry.stdout
    assert sum(end_offsets(kafka_conn, topics.injections).values()) == 0

    done = _run(env, "--reason", "failed", "--call-id", "v3:b", "--execute")
    assert done.returncode == 0, done.stderr
    assert "replayed 1" in done.stdout
    [replayed] = consume(kafka_conn, [topics.injections], expect=1, settle_s=1.0)
    assert (replayed.key, replayed.value) == (b"v3:b", b'{"n": 2}')
    names = [name for name, _ in replayed.headers]
    assert "origin-trace" in names
    assert f"{HEADER_PREFIX}replayed-from" in names
    assert f"{HEADER_PREFIX}reason" not in names
    assert sum(end_offsets(kafka_conn, topics.tool_results).values()) == 0


def test_bad_time_filter_is_a_usage_error(kafka_broker: BrokerHandle, topic_prefix: str) -> None:
    """A malformed --since exits 2 and says the expected format."""
    env = os.environ | {"KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap}
    result = _run(env, "--since", "yesterday")
    assert result.returncode == 2
    assert "ISO 8601" in result.stderr
