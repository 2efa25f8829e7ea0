"""Which librdkafka errors are transient: the broker is away, busy, or still electing a leader.

librdkafka marks only some errors ``retriable()``; a leader that is still
being elected (``NOT_LEADER_FOR_PARTITION`` right after a topic is created or
a broker restarts) is not among them, yet asking again shortly succeeds.
Every service decides "retry or give up" with this one predicate, and "the
client is done for" with ``is_fatal``.
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


def is_fatal(error: KafkaError) -> bool:
    """True when the client that reported ``error`` can do no more and must be replaced.

    librdkafka reports a consumer's fatal error (a static member fenced by
    another with its ``group.instance.id``, as after its session expired while
    the group coordinator moved to another broker) as an error whose code is
    ``_FATAL`` but whose own ``fatal()`` flag is not set; both mean the same.
    """
    return error.fatal() or error.code() == KafkaError._FATAL
