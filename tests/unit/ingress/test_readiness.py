"""Readiness: not ready until probed, then as the broker, the topics and the producer are."""

from __future__ import annotations

from callstream.errors import KafkaUnavailable
from callstream.ops import Health
from ingress.readiness import BrokerWatch
from ingress.testing import MemoryPublisher

TOPICS = ["t.tool-calls", "t.call-events"]


def _watch(publisher: MemoryPublisher) -> tuple[BrokerWatch, Health]:
    health = Health()
    return BrokerWatch(publisher, health, topics=TOPICS, interval_s=1.0), health


async def test_nothing_is_ready_before_the_first_probe() -> None:
    """A fresh watch reports every check as not probed yet."""
    _, health = _watch(MemoryPublisher(topics=frozenset(TOPICS)))
    report = health.report()
    assert report.ready is False
    assert {c["detail"] for c in report.checks.values()} == {"not probed yet"}


async def test_a_probe_that_finds_everything_makes_the_service_ready() -> None:
    """Broker answers, both topics listed, producer sound: ready."""
    watch, health = _watch(MemoryPublisher(topics=frozenset([*TOPICS, "other"])))
    await watch.probe()
    assert health.report().ready is True


async def test_an_unreachable_broker_is_not_ready_and_says_why() -> None:
    """The metadata error is the broker check's detail; topics are unknown."""
    watch, health = _watch(MemoryPublisher(fail_with=KafkaUnavailable("no metadata: _TRANSPORT")))
    await watch.probe()
    checks = health.report().checks
    assert checks["broker"] == {"ok": False, "detail": "no metadata: _TRANSPORT"}
    assert checks["topics"]["ok"] is False
    assert health.report().ready is False


async def test_recovery_is_noticed_by_the_next_probe() -> None:
    """Topics created after start: the next probe turns the service ready."""
    publisher = MemoryPublisher(topics=frozenset())
    watch, health = _watch(publisher)
    await watch.probe()
    assert "t.call-events, t.tool-calls" in health.report().checks["topics"]["detail"]
    publisher.topics = frozenset(TOPICS)
    await watch.probe()
    assert health.report().ready is True
