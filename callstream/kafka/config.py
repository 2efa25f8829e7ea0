"""librdkafka (confluent-kafka) configuration for producers, consumers and admin clients.

Production defaults live here once: durable producers (``acks=all``,
idempotence), consumers that commit only what the caller says is done.
Callers pass overrides for what is theirs to decide.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from callstream.kafka.connection import KafkaConnection
from callstream.throttle import LogThrottle

# librdkafka reports every reconnect attempt (several a second while a broker is
# away); each kind of report is logged once per interval, with how often it repeated.
REPEAT_LOG_INTERVAL_S = 30.0


class LibrdkafkaLog:
    """librdkafka's ``logger``: its lines into Python logging, each facility once an interval.

    confluent-kafka calls ``log(level, "%s [%s] %s", facility, client, text)``.
    Through logging the lines get the service's format and the secret redactor;
    the throttle keeps a broker outage from filling a terminal (hundreds of
    ``FAIL`` lines a minute otherwise).
    """

    def __init__(
        self,
        interval_s: float = REPEAT_LOG_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logging.getLogger("librdkafka")
        self._throttle = LogThrottle(interval_s, clock)

    def log(self, level: int, message: str, *args: object) -> None:
        facility = str(args[0]) if args else message
        held = self._throttle.admit(facility)
        if held is None:
            return
        self._logger.log(level, message, *args, extra={"repeats": held} if held else None)


def base_config(conn: KafkaConnection, client_id: str) -> dict[str, Any]:
    """Bootstrap, identity and security settings every client shares."""
    config: dict[str, Any] = {
        "bootstrap.servers": conn.bootstrap_servers,
        "client.id": client_id,
        "security.protocol": conn.security_protocol,
        # librdkafka's own log lines go through Python logging (so the JSON
        # renderer and the secret redactor see them), rate-limited, never raw stderr.
        "logger": LibrdkafkaLog(),
    }
    if conn.sasl_mechanism:
        config["sasl.mechanism"] = conn.sasl_mechanism
    if conn.sasl_username:
        config["sasl.username"] = conn.sasl_username
    if conn.sasl_password:
        config["sasl.password"] = conn.sasl_password.get_secret_value()
    optional_paths = {
        "ssl.ca.location": conn.ssl_ca_location,
        "ssl.certificate.location": conn.ssl_certificate_location,
        "ssl.key.location": conn.ssl_key_location,
    }
    config.update({key: str(path) for key, path in optional_paths.items() if path})
    if conn.ssl_key_password:
        config["ssl.key.password"] = conn.ssl_key_password.get_secret_value()
    return config


def producer_config(
    conn: KafkaConnection, client_id: str, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A durable producer: every write acknowledged by all in-sync replicas, no duplicates."""
    config = base_config(conn, client_id) | {
        "acks": "all",
        "enable.idempotence": True,
        "compression.type": "lz4",
        # A lone webhook must not wait for a batch to fill; under load the
        # queue itself forms batches.
        "linger.ms": 1,
        # The Java client's key hash (murmur2), not librdkafka's default (crc32):
        # the streams worker joins topics written by this producer and by Java
        # services, and a call's records must
        # land on the same partition number whoever wrote them.
        "partitioner": "murmur2_random",
    }
    return config | dict(overrides or {})


def consumer_config(
    conn: KafkaConnection,
    client_id: str,
    group_id: str,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A group consumer that commits only when told and rebalances incrementally."""
    config = base_config(conn, client_id) | {
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "isolation.level": "read_committed",
    }
    return config | dict(overrides or {})


def admin_config(conn: KafkaConnection, client_id: str) -> dict[str, Any]:
    """An admin client (topic creation, metadata)."""
    return base_config(conn, client_id)
