"""Which librdkafka errors are transient: the broker is away, busy, or still electing a leader.

librdkafka marks only some errors ``retriable()``; a leader that is still
being elected (``NOT_LEADER_FOR_PARTITION`` right after a topic is created or
a broker restarts) is not among them, yet asking again shortly succeeds.
Every service decides "retry or give up" with this one predicate.
"""

from __future__ import annotations

from confluent_kafka import KafkaError

TRANSIENT_CODES = frozenset(
    {
        KafkaError._MSG_TIMED_OUT,
        KafkaError._TIMED_OUT,
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NOT_ENOUGH_REPLICAS,
        KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
    }
)


def is_transient(error: object) -> bool:
    """True for a ``KafkaError`` that another attempt can cure."""
    return isinstance(error, KafkaError) and (error.code() in TRANSIENT_CODES or error.retriable())
