"""The streams worker's view of the cluster: faust's broker settings, and the topics it needs.

faust speaks to Kafka through aiokafka, so callstream's connection (bootstrap
servers, SASL, TLS) is translated here into faust's broker URLs and
credentials. Before the worker starts, ``check_topics`` makes sure every topic
exists and that the co-partitioned ones really are (same partition count):
the joins are only correct if a call's records all land on one partition
number, so a mismatch is a configuration error, never a warning.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import faust
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from callstream.errors import ConfigError, KafkaUnavailable
from callstream.kafka import KafkaConnection, admin_config
from callstream.topics import Topics


def broker_urls(conn: KafkaConnection) -> list[str]:
    """faust's broker list (``kafka://host:port`` each)."""
    return [f"kafka://{server.strip()}" for server in conn.bootstrap_servers.split(",")]


def _ssl_context(conn: KafkaConnection) -> ssl.SSLContext:
    context = ssl.create_default_context(
        cafile=str(conn.ssl_ca_location) if conn.ssl_ca_location else None
    )
    if conn.ssl_certificate_location:
        password = conn.ssl_key_password.get_secret_value() if conn.ssl_key_password else None
        context.load_cert_chain(
            str(conn.ssl_certificate_location),
            str(conn.ssl_key_location) if conn.ssl_key_location else None,
            password,
        )
    return context


def credentials(conn: KafkaConnection) -> faust.types.auth.CredentialsT | None:
    """faust credentials for ``conn``'s security protocol (``None`` for PLAINTEXT)."""
    protocol = conn.security_protocol
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return faust.SSLCredentials(_ssl_context(conn))
    return faust.SASLCredentials(
        username=conn.sasl_username,
        password=conn.sasl_password.get_secret_value() if conn.sasl_password else None,
        mechanism=conn.sasl_mechanism,
        ssl_context=_ssl_context(conn) if protocol == "SASL_SSL" else None,
    )


@dataclass(frozen=True)
class TopicLayout:
    """What the worker found on the cluster."""

    partitions: int
    """The partition count every co-partitioned topic shares."""
    source_partitions: dict[str, int]


def copartitioned(topics: Topics) -> list[str]:
    """The topics the join reads or writes by call id / correlation key, which must agree."""
    core = topics.core()
    return [
        core["call-events"],
        core["tool-calls"],
        core["tool-results"],
        core["supervisor"],
        *topics.internal().values(),
    ]


def check_topics(conn: KafkaConnection, topics: Topics, timeout_s: float = 30.0) -> TopicLayout:
    """Every needed topic exists and the co-partitioned ones agree; else ``ConfigError``."""
    admin = AdminClient(admin_config(conn, "callstream-streams-check"))
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(f"Kafka at {conn.describe()} did not answer: {exc}") from exc
    counts = {
        name: len(found.partitions)
        for name, found in metadata.topics.items()
        if found.error is None
    }
    needed = [*copartitioned(topics), topics.injections, topics.dlq, *topics.sources.values()]
    missing = sorted(name for name in needed if name not in counts)
    if missing:
        raise ConfigError(
            "the streams worker needs topics that do not exist: "
            + ", ".join(missing)
            + " (run `callstream topics create`)"
        )
    shared = {name: counts[name] for name in copartitioned(topics)}
    if len(set(shared.values())) > 1:
        detail = ", ".join(f"{name}={count}" for name, count in sorted(shared.items()))
        raise ConfigError(
            "these topics must have the same number of partitions, so that one call's "
            f"records meet on one partition: {detail}"
        )
    sources = {name: counts[topic] for name, topic in topics.sources.items()}
    return TopicLayout(partitions=next(iter(shared.values())), source_partitions=sources)
