"""The producer is configured bounded and timed to give up before the caller is answered."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError as RdKafkaError

from callstream.config.services import IngressConfig
from callstream.errors import KafkaUnavailable, PublishFailed
from callstream.kafka import KafkaConnection
from ingress.kafka_publisher import delivery_error, ingress_producer_config, message_timeout_ms


@pytest.mark.parametrize(
    ("ack_timeout_s", "expected_ms"),
    [(5.0, 4000), (30.0, 29000), (1.5, 750), (1.0, 500), (0.2, 100), (0.001, 10)],
)
def test_librdkafka_gives_up_before_the_deadline(ack_timeout_s: float, expected_ms: int) -> None:
    """message.timeout.ms leaves librdkafka's ~1 s scan (at most half) before the deadline."""
    assert message_timeout_ms(ack_timeout_s) == expected_ms


def test_the_producer_is_durable_and_bounded() -> None:
    """acks=all and idempotence from the shared config; queue bounds and timeouts from ours."""
    config = ingress_producer_config(
        KafkaConnection("b:9092"),
        IngressConfig(
            ack_timeout_s=2.0, producer_queue_max_messages=500, producer_queue_max_kbytes=1024
        ),
    )
    assert config["acks"] == "all"
    assert config["enable.idempotence"] is True
    assert config["queue.buffering.max.messages"] == 500
    assert config["queue.buffering.max.kbytes"] == 1024
    assert config["message.timeout.ms"] == 1000
    assert config["request.timeout.ms"] == 1000


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (RdKafkaError._MSG_TIMED_OUT, KafkaUnavailable),
        (RdKafkaError._ALL_BROKERS_DOWN, KafkaUnavailable),
        (RdKafkaError.NOT_ENOUGH_REPLICAS, KafkaUnavailable),
        (RdKafkaError.UNKNOWN_TOPIC_OR_PART, PublishFailed),
        (RdKafkaError.MSG_SIZE_TOO_LARGE, PublishFailed),
        (RdKafkaError.TOPIC_AUTHORIZATION_FAILED, PublishFailed),
    ],
)
def test_delivery_failures_are_sorted_into_retryable_or_not(code: int, kind: type) -> None:
    """A broker away or busy is KafkaUnavailable; a refused record is PublishFailed."""
    error = delivery_error(RdKafkaError(code))
    assert type(error) is kind
    assert RdKafkaError(code).name() in str(error)
