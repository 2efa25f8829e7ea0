"""Topic administration and broker reachability, over confluent-kafka's AdminClient."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from confluent_kafka import KafkaError as RdKafkaError
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

# The documented home of NewTopic is confluent_kafka.admin, but its stubs do not
# re-export it; the class itself is defined (and typed) in cimpl.
from confluent_kafka.cimpl import NewTopic

from callstream.errors import ConfigError, KafkaUnavailable, TopicError
from callstream.kafka.config import admin_config
from callstream.kafka.connection import KafkaConnection
from callstream.kafka.refusals import client_refusal, refusal
from callstream.topics import TopicSpec


@dataclass
class TopicReport:
    """What ``ensure_topics`` found and did."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    mismatched: dict[str, int] = field(default_factory=dict)
    """Existing topics whose partition count differs from the requested one, with the count
    they have (left as they are: Kafka cannot shrink a topic, and growing one re-homes keys)."""


# How long a broker that is there may take to answer before ``wait_for_broker`` says that
# it is waiting: a reachable broker costs no line of output.
QUIET_WAIT_S = 1.0


def wait_for_broker(
    conn: KafkaConnection, timeout_s: float = 30.0, *, say: Callable[[str], None] | None = None
) -> None:
    """Return once the cluster answers a metadata request; ``KafkaUnavailable`` otherwise.

    With ``say``, a cluster that has not answered within ``QUIET_WAIT_S`` is
    announced once (what is awaited, for how long), so a command never sits
    silent in front of an unreachable broker. A cluster that refuses the
    credentials or the TLS set-up is a ``ConfigError`` at once (``probe_broker``).
    """
    last = probe_broker(conn, timeout_s, say=say)
    if last is not None:
        raise KafkaUnavailable(
            f"Kafka at {conn.describe()} did not answer within {timeout_s:g} s ({last})"
        )


def probe_broker(
    conn: KafkaConnection, timeout_s: float, *, say: Callable[[str], None] | None = None
) -> str | None:
    """None once the cluster answers a metadata request; librdkafka's last error if it has not
    within ``timeout_s``. ``ConfigError``, naming the variable, as soon as the cluster refuses
    this client (``callstream.kafka.refusals``): waiting would not change that."""
    refused: list[str] = []
    secrets = conn.secret_values()

    def _on_error(error: RdKafkaError) -> None:
        line = refusal(error.code(), error.str(), secrets)
        if line is not None:
            refused.append(line)

    try:
        # Quiet (log_level 0): what the probe met is its own result, in one line; polling
        # would otherwise serve librdkafka's connection log lines as well.
        probe = {"error_cb": _on_error, "log_level": 0}
        admin = AdminClient(admin_config(conn, "callstream-probe") | probe)
    except KafkaException as exc:
        raise ConfigError(client_refusal(_error_text(exc), secrets)) from None
    started = time.monotonic()
    deadline = started + timeout_s
    last = "no answer"
    while (now := time.monotonic()) < deadline:
        if say is not None and now - started >= QUIET_WAIT_S:
            say(f"waiting up to {timeout_s:g} s for Kafka at {conn.describe()}")
            say = None
        # Short steps: a refusal arrives through error_cb, served between them.
        step = QUIET_WAIT_S
        try:
            admin.list_topics(timeout=max(0.5, min(step, deadline - now)))
        except KafkaException as exc:
            last = _error_text(exc)
            admin.poll(0)
            if refused:
                raise ConfigError(refused[0]) from None
            continue
        return None
    return last


def _error_text(exc: KafkaException) -> str:
    error = exc.args[0] if exc.args else None
    return error.str() if isinstance(error, RdKafkaError) else str(exc)


def ensure_topics(
    conn: KafkaConnection, specs: Sequence[TopicSpec], timeout_s: float = 30.0
) -> TopicReport:
    """Create each topic in ``specs`` that does not exist; idempotent."""
    admin = AdminClient(admin_config(conn, "callstream-admin"))
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(f"Kafka at {conn.describe()} did not answer: {exc}") from exc
    report = TopicReport()
    wanted = []
    for spec in specs:
        found = metadata.topics.get(spec.name)
        if found is None or found.error is not None:
            wanted.append(spec)
            continue
        report.existing.append(spec.name)
        if len(found.partitions) != spec.partitions:
            report.mismatched[spec.name] = len(found.partitions)
    if not wanted:
        return report
    futures = admin.create_topics(
        [
            NewTopic(
                s.name,
                num_partitions=s.partitions,
                replication_factor=s.replication_factor,
                config=dict(s.config),
            )
            for s in wanted
        ],
        operation_timeout=timeout_s,
        request_timeout=timeout_s,
    )
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if (
                isinstance(error, RdKafkaError)
                and error.code() == RdKafkaError.TOPIC_ALREADY_EXISTS
            ):
                report.existing.append(name)  # created by someone else meanwhile
                continue
            raise TopicError(f"could not create topic {name!r}: {exc}") from exc
        report.created.append(name)
    _await_leaders(admin, report.created, timeout_s)
    return report


def delete_topics(conn: KafkaConnection, names: Sequence[str], timeout_s: float = 30.0) -> None:
    """Delete ``names`` (a run's own topics, when it leaves a cluster that outlives it)."""
    admin = AdminClient(admin_config(conn, "callstream-admin"))
    futures = admin.delete_topics(
        list(names), operation_timeout=timeout_s, request_timeout=timeout_s
    )
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            raise TopicError(f"could not delete topic {name!r}: {exc}") from exc


def _await_leaders(admin: AdminClient, names: Sequence[str], timeout_s: float) -> None:
    """Return once every partition of ``names`` has a leader: a new topic is usable only then.

    Without this, a consumer started right after ``topics create`` can meet
    ``NOT_LEADER_FOR_PARTITION`` while the controller is still electing.
    """
    deadline = time.monotonic() + timeout_s
    pending = set(names)
    while pending:
        metadata = admin.list_topics(timeout=max(0.5, deadline - time.monotonic()))
        for name in list(pending):
            topic = metadata.topics.get(name)
            if (
                topic is not None
                and topic.error is None
                and topic.partitions
                and all(p.leader >= 0 and p.error is None for p in topic.partitions.values())
            ):
                pending.discard(name)
        if pending and time.monotonic() >= deadline:
            raise TopicError(f"no leader elected within {timeout_s:.0f} s for: {sorted(pending)}")
        if pending:
            time.sleep(0.1)  # polling the controller's election, a condition
