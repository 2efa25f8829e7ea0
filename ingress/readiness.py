"""Readiness of the ingress: the broker answers, the ingress's topics exist, the producer is sound.

A background task asks the cluster for metadata every
``broker_probe_interval_s`` and records three named checks in a
``callstream.ops.Health``; ``/readyz`` reads them and ``/healthz`` reads the
task's heartbeat. The probe never publishes anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import structlog

from callstream.errors import KafkaError
from callstream.ops import Health
from ingress.publisher import Publisher

log = structlog.get_logger(__name__)


class BrokerWatch:
    """Probes the cluster periodically and keeps the readiness checks current."""

    def __init__(
        self,
        publisher: Publisher,
        health: Health,
        *,
        topics: Iterable[str],
        interval_s: float,
    ) -> None:
        self._publisher = publisher
        self._health = health
        self._topics = frozenset(topics)
        self._interval_s = interval_s
        # Not ready until the first probe has answered.
        for check in ("producer", "broker", "topics"):
            health.set(check, False, "not probed yet")

    async def run(self) -> None:
        """Probe until cancelled; a crash stops the heartbeat, so /healthz reports it."""
        try:
            while True:
                await self.probe()
                await asyncio.sleep(self._interval_s)
        except Exception:
            log.exception("broker_watch_crashed")
            raise

    async def probe(self) -> None:
        """One round: producer state, a metadata request, the topics it lists."""
        self._health.beat()
        fatal = self._publisher.fatal_error
        self._health.set("producer", fatal is None, fatal or "")
        try:
            # Short, so a probe of an absent broker never holds up shutdown for long.
            present = await self._publisher.list_topics(timeout_s=min(self._interval_s, 2.0))
        except KafkaError as exc:
            if self._health.report().checks["broker"]["detail"] != str(exc):
                log.warning("kafka_unreachable", error=str(exc))
            self._health.set("broker", False, str(exc))
            self._health.set("topics", False, "unknown while the broker does not answer")
            return
        self._health.set("broker", True)
        missing = sorted(self._topics - present)
        detail = (
            f"missing (run `callstream topics create`): {', '.join(missing)}" if missing else ""
        )
        self._health.set("topics", not missing, detail)
