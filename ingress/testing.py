"""Test helper for the ingress: an in-memory ``Publisher``.

Like ``structlog.testing``: shipped with the package, starts nothing. The
``MemoryPublisher`` keeps what it was asked to publish and can be told to fail
or to never acknowledge, so a test can check the routes' error paths and
deadlines without a broker; tests about durability use the real broker.
Signing webhooks as Telnyx does is devkit's (``devkit.testing.webhooks``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from callstream.errors import KafkaError
from ingress.publisher import Headers


@dataclass(frozen=True)
class Published:
    """One record a ``MemoryPublisher`` acknowledged."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


@dataclass
class MemoryPublisher:
    """Acknowledges every record at once, unless told to fail or to hang."""

    topics: frozenset[str] = frozenset()
    """What ``list_topics`` reports."""
    fail_with: KafkaError | None = None
    """Raised by ``publish`` instead of acknowledging."""
    hang: bool = False
    """``publish`` never returns (until cancelled), like a broker that never answers."""
    fatal_error: str | None = None
    records: list[Published] = field(default_factory=list)
    started: bool = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def publish(self, topic: str, key: bytes, value: bytes, headers: Headers = ()) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if self.hang:
            await asyncio.Event().wait()
        self.records.append(Published(topic, key, value, tuple(headers)))

    async def list_topics(self, timeout_s: float) -> frozenset[str]:
        if self.fail_with is not None:
            raise self.fail_with
        return self.topics

    def queue_length(self) -> int:
        return 0
