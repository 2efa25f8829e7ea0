"""KafkaPublisher on the real broker: acknowledged means readable, and nothing goes unreported."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from callstream.config.services import IngressConfig
from callstream.errors import KafkaError
from callstream.kafka import KafkaConnection, ensure_topics
from callstream.topics import TopicSpec
from devkit.testing.kafka import consume
from ingress.kafka_publisher import KafkaPublisher, ingress_producer_config
from tests.integration.ingress.conftest import wait_for_leaders


@pytest.fixture
def topic(kafka_conn: KafkaConnection, topic_prefix: str) -> str:
    name = f"{topic_prefix}publisher"
    ensure_topics(kafka_conn, [TopicSpec(name, partitions=3, replication_factor=1)])
    wait_for_leaders(kafka_conn, [name])
    return name


async def test_an_acknowledged_record_is_readable_with_its_key_and_headers(
    kafka_conn: KafkaConnection, topic: str
) -> None:
    """publish returns after the ack; the record is then on the topic as sent."""
    publisher = KafkaPublisher(ingress_producer_config(kafka_conn, IngressConfig()))
    await publisher.start()
    try:
        await publisher.publish(topic, b"v3:k", b'{"n": 1}', [("source", b"test")])
        assert topic in await publisher.list_topics(timeout_s=10)
    finally:
        await publisher.stop()
    [record] = consume(kafka_conn, [topic], expect=1)
    assert (record.key, record.value) == (b"v3:k", b'{"n": 1}')
    assert record.headers == [("source", b"test")]


async def test_an_ack_after_the_caller_gave_up_is_reported_as_late(
    kafka_conn: KafkaConnection, topic: str
) -> None:
    """A caller cancelled before the ack (answered 503) does not hide a write that landed."""
    late = asyncio.Event()
    publisher = KafkaPublisher(
        ingress_producer_config(kafka_conn, IngressConfig()), on_late_ack=late.set
    )
    await publisher.start()
    try:
        waiting = asyncio.ensure_future(publisher.publish(topic, b"v3:late", b"{}"))
        await asyncio.sleep(0)  # let it hand the record to the producer
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        await asyncio.wait_for(late.wait(), timeout=60)
    finally:
        await publisher.stop()
    assert len(consume(kafka_conn, [topic], expect=1)) == 1


async def test_a_topic_that_does_not_exist_fails_within_the_message_timeout(
    kafka_conn: KafkaConnection, topic_prefix: str
) -> None:
    """No auto-creation: the publish raises a KafkaError rather than waiting for ever."""
    publisher = KafkaPublisher(
        ingress_producer_config(kafka_conn, IngressConfig(ack_timeout_s=2.0))
    )
    await publisher.start()
    try:
        with pytest.raises(KafkaError):
            await asyncio.wait_for(
                publisher.publish(f"{topic_prefix}missing", b"k", b"{}"), timeout=60
            )
    finally:
        await publisher.stop()
