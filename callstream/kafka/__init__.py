"""Kafka plumbing shared by the services: where the broker is, client configs, topic admin."""

from callstream.kafka.admin import (
    TopicReport,
    delete_topics,
    ensure_topics,
    probe_broker,
    wait_for_broker,
)
from callstream.kafka.config import admin_config, consumer_config, producer_config
from callstream.kafka.connection import KafkaConnection, resolve_connection

__all__ = [
    "KafkaConnection",
    "TopicReport",
    "admin_config",
    "consumer_config",
    "delete_topics",
    "ensure_topics",
    "probe_broker",
    "producer_config",
    "resolve_connection",
    "wait_for_broker",
]
