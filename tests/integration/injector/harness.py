"""Running the injector beside a test: in a thread of this process, or as a real process
(through devkit's ``Stack``)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

from callstream.config import AppConfig
from callstream.ids import injection_id
from callstream.kafka import KafkaConnection, ensure_topics
from callstream.records import Delivery, Injection, Message, decode, encode, utcnow
from callstream.settings import Environment, Settings
from callstream.topics import Topics, topic_specs
from devkit.stack import Service, services
from devkit.testing.kafka import Consumed, consume, produce
from devkit.testing.polling import wait_until
from injector.main import InjectorApp

PARTITIONS = 4

# Small waits, so retries happen within a test's patience; the shape is production's.
TEST_INJECTOR_CONFIG: dict[str, Any] = {
    "ops_port": 0,
    "request_timeout_s": 1.0,
    "shutdown_grace_s": 5.0,
    "session_timeout_s": 6.0,
    "retry": {
        "initial_s": 0.05,
        "max_backoff_s": 0.5,
        "floor_s": 0.2,
        "max_attempts": 6,
        "max_age_s": 30,
    },
}


def make_topics(conn: KafkaConnection, prefix: str) -> Topics:
    topics = Topics(prefix=prefix)
    ensure_topics(conn, topic_specs(topics, partitions=PARTITIONS, replication_factor=1))
    return topics


def injection(call: str, seq: int, *, expires_in_s: float = 300.0, **extra: Any) -> Injection:
    cause = f"{call}/{seq}"
    now = utcnow()
    return Injection(
        injection_id=injection_id("test", cause),
        call_control_id=call,
        messages=[Message(role="system", content=f"{call} message {seq}")],
        trigger_response=False,
        source="test",
        cause_id=cause,
        created_at=now,
        expires_at=now + timedelta(seconds=expires_in_s),
        cause_at=now,
        **extra,
    )


def produce_injections(conn: KafkaConnection, topics: Topics, items: list[Injection]) -> None:
    produce(conn, topics.injections, [(i.call_control_id.encode(), encode(i)) for i in items])


def deliveries(conn: KafkaConnection, topics: Topics, *, expect: int, settle_s: float = 0.0,
               timeout_s: float = 90.0) -> list[Delivery]:  # fmt: skip
    found = consume(conn, [topics.deliveries], expect=expect, timeout_s=timeout_s,
                    settle_s=settle_s)  # fmt: skip
    return [decode(Delivery, record.value) for record in found]


def outcomes_of(
    conn: KafkaConnection, topics: Topics, ids: set[str], *, timeout_s: float = 180.0
) -> list[Delivery]:
    """Every delivery record, read until each of ``ids`` has at least one."""
    from confluent_kafka import Consumer

    from callstream.kafka import consumer_config

    consumer = Consumer(
        consumer_config(conn, "callstream-test-outcomes", f"test-outcomes-{time.time_ns()}")
    )
    consumer.subscribe([topics.deliveries])
    found: list[Delivery] = []
    missing = set(ids)
    deadline = time.monotonic() + timeout_s
    try:
        while missing and time.monotonic() < deadline:
            for message in consumer.consume(500, timeout=0.2):
                if message.error() is None:
                    record = decode(Delivery, message.value())
                    found.append(record)
                    missing.discard(record.injection_id)
    finally:
        consumer.close()
    assert not missing, f"{len(missing)} injections have no outcome after {timeout_s:.0f}s"
    return found


def dead_letters(conn: KafkaConnection, topics: Topics, *, expect: int) -> list[Consumed]:
    return consume(conn, [topics.dlq], expect=expect, timeout_s=60.0)


def settings_for(
    conn: KafkaConnection, topics: Topics, *, base_url: str, api_key: str, **injector: Any
) -> Settings:
    env = Environment(
        kafka_bootstrap_servers=conn.bootstrap_servers,
        telnyx_api_key=SecretStr(api_key),
        telnyx_base_url=base_url,  # type: ignore[arg-type]
        callstream_topic_prefix=topics.prefix,
    )
    config = AppConfig.model_validate({"injector": TEST_INJECTOR_CONFIG | injector})
    return Settings(env=env, config=config)


@contextmanager
def injector_in_thread(settings: Settings) -> Iterator[InjectorApp]:
    """The injector served from a thread (its own loop); stopped gracefully at the end."""
    app = InjectorApp(settings)
    app.prepare()
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            asyncio.run(app.serve(install_signals=False))
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            failure.append(exc)

    thread = threading.Thread(target=serve, name="injector-under-test", daemon=True)
    thread.start()
    try:
        yield app
    finally:
        wait_until(lambda: app.serving or not thread.is_alive(), timeout_s=30,
                   what="the injector to start serving")  # fmt: skip
        app.request_stop()
        thread.join(60)
        app.close()
    assert not thread.is_alive(), "the injector did not stop within a minute"
    assert not failure, f"the injector failed: {failure[0]!r}"


def injector_service(settings: Settings, config_path: Path) -> Service:
    """``callstream injector`` as a real process with ``settings`` (for devkit's ``Stack``)."""
    config_path.write_text(yaml.safe_dump(settings.config.model_dump(mode="json")))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "TELNYX_"))}
    assert settings.env.telnyx_api_key is not None
    env |= {
        "KAFKA_BOOTSTRAP_SERVERS": settings.env.kafka_bootstrap_servers or "",
        "TELNYX_API_KEY": settings.env.telnyx_api_key.get_secret_value(),
        "TELNYX_BASE_URL": str(settings.env.telnyx_base_url),
        "CALLSTREAM_TOPIC_PREFIX": settings.env.callstream_topic_prefix,
        "CALLSTREAM_CONFIG": str(config_path),
        "CALLSTREAM_LOG_FORMAT": "json",
    }
    return services.injector(env)


def committed(conn: KafkaConnection, group: str, topic: str) -> dict[int, int]:
    """The offsets ``group`` has committed on ``topic`` (partition -> offset; absent if none)."""
    from confluent_kafka import Consumer, TopicPartition

    from callstream.kafka import consumer_config

    consumer = Consumer(consumer_config(conn, "callstream-test-committed", group))
    try:
        found = consumer.committed(
            [TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10
        )
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in found if tp.offset >= 0}
