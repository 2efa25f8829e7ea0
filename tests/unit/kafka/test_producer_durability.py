"""Every producer is durable: what a replicated topic's promise rests on (README, Replication)."""

from __future__ import annotations

from callstream.kafka import KafkaConnection, producer_config


def test_a_producer_waits_for_every_in_sync_replica_and_never_duplicates() -> None:
    """``acks=all`` with idempotence, whatever else a caller overrides (linger, timeouts)."""
    conn = KafkaConnection(bootstrap_servers="127.0.0.1:9092")
    for overrides in (None, {"linger.ms": 5}, {"transactional.id": "t", "message.timeout.ms": 9}):
        config = producer_config(conn, "test", overrides)
        assert config["acks"] == "all"
        assert config["enable.idempotence"] is True
