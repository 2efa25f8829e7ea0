"""Which Kafka errors are worth another attempt."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError

from callstream.kafka.transient import is_fatal, is_transient


@pytest.mark.parametrize(
    ("code", "transient"),
    [
        (KafkaError.NOT_LEADER_FOR_PARTITION, True),  # not marked retriable by librdkafka
        (KafkaError.LEADER_NOT_AVAILABLE, True),
        (KafkaError._TRANSPORT, True),
        (KafkaError._MSG_TIMED_OUT, True),
        (KafkaError.TOPIC_AUTHORIZATION_FAILED, False),
        (KafkaError.MSG_SIZE_TOO_LARGE, False),
        (KafkaError.UNKNOWN_TOPIC_OR_PART, False),
    ],
)
def test_transient_codes(code: int, transient: bool) -> None:
    """A leader election or an absent broker is transient; a refusal or a bad record is not."""
    assert is_transient(KafkaError(code)) is transient


def test_anything_else_is_not_transient() -> None:
    """Only a KafkaError can be judged transient."""
    assert is_transient(RuntimeError("x")) is False
    assert is_transient(None) is False


@pytest.mark.parametrize(
    ("error", "fatal"),
    [
        # How librdkafka hands a consumer its fatal error (a fenced static member): the
        # code says _FATAL, the flag does not.
        (KafkaError(KafkaError._FATAL), True),
        (KafkaError(KafkaError.FENCED_INSTANCE_ID, fatal=True), True),
        (KafkaError(KafkaError._TRANSPORT), False),
        (KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION), False),
    ],
)
def test_fatal_errors_by_flag_or_by_code(error: KafkaError, fatal: bool) -> None:
    """A consumer that reports _FATAL is done for, whatever its flag says; others are not."""
    assert is_fatal(error) is fatal
