"""The sources loop and a Schema Registry that goes away: records wait in order, none is lost
or dead-lettered, and each registry failure is counted.

A real broker and real HTTP: the loop is driven step by step in the test's thread, on its
own consumer, producer and topics; the registry is devkit's HTTP test double over
confluent-kafka's in-memory registry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from callstream.config import AppConfig, SchemaRegistrySpec, SourceSpec
from callstream.errors import RecordError
from callstream.kafka import KafkaConnection, consumer_config, ensure_topics, producer_config
from callstream.topics import Topics, topic_specs
from devkit.stack import free_port
from devkit.testing.http import serve_in_thread
from devkit.testing.kafka import consume
from devkit.testing.polling import wait_until
from devkit.testing.schemaregistry import RegistryState, create_registry_app
from streams.decide.rules import Rules
from streams.errors import SchemaRegistryUnavailable
from streams.metrics import StreamsMetrics
from streams.runtime.accounting import Accounting
from streams.runtime.checkpoint import Checkpoint, consumer_commit
from streams.runtime.sources import SourcesLoop
from streams.schemas.registry import source_decoders
from streams.wire import Wire

AUTH = "callstream:registry-test-secret"
SCHEMA = {
    "type": "record",
    "name": "Ticket",
    "fields": [
        {"name": "event_id", "type": "string"},
        {"name": "type", "type": "string"},
        {"name": "call_control_id", "type": "string"},
    ],
}


@pytest.fixture
def registry() -> Iterator[tuple[RegistryState, str]]:
    state = RegistryState(credentials=AUTH)
    with serve_in_thread(create_registry_app(state)) as url:
        yield state, url


def _spec(topic: str, url: str) -> SourceSpec:
    registry = SchemaRegistrySpec(
        url=url, basic_auth_env="SR_AUTH", retry_initial_s=0.05, retry_max_s=0.2
    )
    return SourceSpec(topic=topic, format="avro", schema_registry=registry)


def _values(url: str, topic: str) -> dict[str, bytes]:
    """Three tickets, A and C under one schema id, B under a second (a new field)."""
    context = SerializationContext(topic, MessageField.VALUE)
    conf = {"subject.name.strategy.type": "TOPIC"}
    v2 = {
        **SCHEMA,
        "fields": [*SCHEMA["fields"], {"name": "note", "type": "string", "default": ""}],
    }
    with SchemaRegistryClient({"url": url, "basic.auth.user.info": AUTH}) as client:
        first = AvroSerializer(client, json.dumps(SCHEMA), conf=conf)
        second = AvroSerializer(client, json.dumps(v2), conf=conf)
        values = {
            "A": first({"event_id": "A", "type": "t", "call_control_id": "v3:a"}, context),
            "B": second(
                {"event_id": "B", "type": "t", "call_control_id": "v3:a", "note": "n"}, context
            ),
            "C": first({"event_id": "C", "type": "t", "call_control_id": "v3:a"}, context),
        }
    return {name: value for name, value in values.items() if value is not None}


def test_the_loop_waits_for_the_registry_in_order_and_loses_nothing(
    kafka_conn: KafkaConnection, topic_prefix: str, registry: tuple[RegistryState, str]
) -> None:
    """A routed; the registry answers 503 for B's new schema id: B and C wait (C, whose
    schema is known, does not overtake B), A's offset alone is committed, each failed ask
    is counted; once the registry answers, B then C are routed; no dead letter."""
    state, url = registry
    topic = f"{topic_prefix}tickets"
    topics = Topics(prefix=topic_prefix, sources={"ticketing": topic})
    ensure_topics(kafka_conn, topic_specs(topics, partitions=1, replication_factor=1))
    config = AppConfig(sources={"ticketing": _spec(topic, url)})
    values = _values(url, topic)
    metrics_registry = CollectorRegistry()
    metrics = StreamsMetrics(metrics_registry)
    group = f"{topic_prefix}streams"
    consumer = Consumer(consumer_config(kafka_conn, "test-sources", group))
    producer = Producer(producer_config(kafka_conn, "test-sources"))
    decoders = source_decoders(config.sources, {"ticketing": SecretStr(AUTH)})
    loop = SourcesLoop(
        consumer=consumer,
        checkpoint=Checkpoint(producer, consumer_commit(consumer), flush_timeout_s=30),
        rules=Rules.from_config(config),
        source_of_topic={topic: "ticketing"},
        wire=Wire(topics, 1),
        accounting=Accounting(metrics),
        batch_max=10,
        poll_s=0.1,
        gather_s=0.0,
        decoders=decoders.by_source,
    )
    consumer.subscribe([topic], on_assign=loop.on_assign, on_revoke=loop.on_revoke)

    def produce(*names: str) -> None:
        for name in names:
            producer.produce(topic, value=values[name])
        assert producer.flush(10) == 0

    reader = Consumer(consumer_config(kafka_conn, "test-reader", f"{group}-reader"))
    reader.assign([TopicPartition(topics.streams_by_call, 0, OFFSET_BEGINNING)])
    seen: list[str] = []

    def routed() -> list[str]:
        """The event ids forwarded to the call partitions so far, in order."""
        batch = reader.consume(100, 0.2)
        seen.extend(json.loads(m.value() or b"")["event_id"] for m in batch if m.error() is None)
        return seen

    def unavailable() -> float:
        value = metrics_registry.get_sample_value(
            "callstream_streams_schema_registry_unavailable_total", {"source": "ticketing"}
        )
        return value or 0.0

    def step_until(condition: Callable[[], object], what: str) -> None:
        def stepped() -> bool:
            loop.step()
            return bool(condition())

        wait_until(stepped, timeout_s=60, what=what)

    try:
        produce("A")
        step_until(lambda: loop.settle() or routed() == ["A"], "A routed")
        state.unavailable = True
        produce("B", "C")
        step_until(lambda: unavailable() >= 3, "three failed asks of the registry")
        loop.settle()
        assert routed() == ["A"]
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        assert committed[0].offset == 1, "the partition advanced past a record that waits"
        state.unavailable = False
        step_until(lambda: loop.settle() or routed() == ["A", "B", "C"], "B then C routed")
    finally:
        state.unavailable = False
        consumer.close()
        reader.close()
        decoders.close()
    assert consume(kafka_conn, [topics.dlq], expect=1, timeout_s=2) == []
    assert metrics_registry.get_sample_value("callstream_streams_sources_waiting_for_registry") == 0


def test_an_unreachable_registry_is_unavailable_and_credentials_refused_too() -> None:
    """Nothing listening (connection refused) and a 401 are the registry's fault, retried;
    an unknown schema id (404) is the record's."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    spec = SourceSpec(topic="t", format="avro", schema_registry=SchemaRegistrySpec(url=nowhere))
    decoders = source_decoders({"crm": spec}, {})
    try:
        with pytest.raises(SchemaRegistryUnavailable, match="cannot be reached"):
            decoders.by_source["crm"](b"\x00\x00\x00\x00\x07\x02", "t", None)
    finally:
        decoders.close()
    state = RegistryState(credentials=AUTH)
    with serve_in_thread(create_registry_app(state)) as url:
        registry = SchemaRegistrySpec(url=url, basic_auth_env="SR_AUTH")
        spec = SourceSpec(topic="t", format="avro", schema_registry=registry)
        for auth, raised in [("callstream:wrong", SchemaRegistryUnavailable), (AUTH, RecordError)]:
            decoders = source_decoders({"crm": spec}, {"crm": SecretStr(auth)})
            try:
                with pytest.raises(raised):
                    decoders.by_source["crm"](b"\x00\x00\x00\x00\x07\x02", "t", None)
            finally:
                decoders.close()
