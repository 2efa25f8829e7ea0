"""The seam between the routes and Kafka: publish a record, learn when it is durable.

A ``Publisher``'s ``publish`` returns only once the broker has acknowledged
the record (``acks=all``) and raises otherwise: ``ProducerQueueFull`` when its
bounded local queue is full, ``KafkaUnavailable`` when the broker is away,
``PublishFailed`` when the record was refused. It never acknowledges on
enqueue and never buffers without bound. The caller owns the deadline (it
cancels ``publish``); an implementation must tolerate that cancellation.
``KafkaPublisher`` is the production implementation,
``ingress.testing.MemoryPublisher`` the one for tests that are not about Kafka.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Headers = Sequence[tuple[str, bytes]]


class Publisher(Protocol):
    """Durable publication to Kafka, as the ingress needs it."""

    async def start(self) -> None:
        """Connect (lazily is fine) and begin serving acknowledgements."""

    async def stop(self) -> None:
        """Wait (bounded) for outstanding acknowledgements, then release everything."""

    async def publish(self, topic: str, key: bytes, value: bytes, headers: Headers = ()) -> None:
        """Return once the broker has acknowledged the record; raise a ``KafkaError`` if not."""

    async def list_topics(self, timeout_s: float) -> frozenset[str]:
        """The topics the cluster has (a metadata round trip); ``KafkaUnavailable`` if none."""

    @property
    def fatal_error(self) -> str | None:
        """Why the producer can never publish again (it must be restarted), or ``None``."""

    def queue_length(self) -> int:
        """Records handed over and not yet acknowledged or failed."""
