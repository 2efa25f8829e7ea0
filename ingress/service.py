"""What every route shares: settings, the publisher, metrics, the clock, the durable publish.

``IngressService.publish`` is the one way a route writes to Kafka. It waits
for the broker's acknowledgement for at most ``ack_timeout_s`` and turns every
failure into a 503 with ``Retry-After``: the caller is never answered before
its record is durable, and never kept waiting past the deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from opentelemetry.trace import SpanKind
from structlog.contextvars import bind_contextvars

from callstream.errors import KafkaError, KafkaUnavailable, ProducerQueueFull
from callstream.ops import Health
from callstream.settings import Settings
from callstream.throttle import LogThrottle
from callstream.topics import Topics
from callstream.tracing import Tracing, from_span
from ingress.errors import RequestRejected
from ingress.metrics import IngressMetrics
from ingress.publisher import Headers, Publisher
from ingress.signatures import WebhookVerifier

log = structlog.get_logger(__name__)

# During an outage every request fails alike; one line per kind every 10 s, the metric counts all.
_FAILURE_LOG = LogThrottle(10.0)


@dataclass(frozen=True)
class IngressService:
    """The collaborators of the routes, built once by ``create_app``."""

    settings: Settings
    publisher: Publisher
    metrics: IngressMetrics
    health: Health
    verifier: WebhookVerifier | None
    """None when no public key is configured (or verification is off)."""
    clock: Callable[[], float] = time.time
    tracing: Tracing | None = None
    """None when tracing is off (``callstream.tracing``)."""

    @property
    def topics(self) -> Topics:
        return self.settings.topics

    async def publish(
        self, topic_role: str, topic: str, key: str, value: bytes, headers: Headers = ()
    ) -> None:
        """Publish durably or raise ``RequestRejected`` (503, ``Retry-After``).

        ``topic_role`` (``tool-calls``, ``source:crm``, ...) labels the metrics;
        it is bounded by configuration, unlike the topic's records. With tracing on, the
        publication is the ``ingress accept`` span (a child of the request's, so of the
        caller's ``traceparent`` when it sent one) and the record carries its context.
        """
        if self.tracing is None:
            await self._publish(topic_role, topic, key, value, headers)
            return
        attributes = {
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "callstream.topic_role": topic_role,
        }
        if not topic_role.startswith("source:"):  # keyed by the call (a source's key may be PII)
            attributes["callstream.call_control_id"] = key
        with self.tracing.span(
            "ingress accept", kind=SpanKind.PRODUCER, attributes=attributes
        ) as span:
            context = from_span(span)
            if context is not None:
                bind_contextvars(trace_id=context.trace_id)  # for this request's log lines
                headers = [*headers, *context.headers()]
            await self._publish(topic_role, topic, key, value, headers)

    async def _publish(
        self, topic_role: str, topic: str, key: str, value: bytes, headers: Headers
    ) -> None:
        ingress = self.settings.config.ingress
        started = time.perf_counter()
        try:
            async with asyncio.timeout(ingress.ack_timeout_s):
                await self.publisher.publish(topic, key.encode(), value, headers)
        except TimeoutError as exc:
            raise self._unavailable(
                topic_role,
                "timeout",
                KafkaUnavailable(f"Kafka did not acknowledge within {ingress.ack_timeout_s:g} s"),
            ) from exc
        except ProducerQueueFull as exc:
            raise self._unavailable(topic_role, "queue_full", exc) from exc
        except KafkaUnavailable as exc:
            raise self._unavailable(topic_role, "unavailable", exc) from exc
        except KafkaError as exc:
            raise self._unavailable(topic_role, "failed", exc) from exc
        self.metrics.produce_seconds.labels(topic_role).observe(time.perf_counter() - started)

    def _unavailable(self, topic_role: str, reason: str, exc: KafkaError) -> RequestRejected:
        self.metrics.produce_failures.labels(topic_role, reason).inc()
        repeats = _FAILURE_LOG.admit(f"{topic_role}/{reason}")
        if repeats is not None:
            log.warning(
                "publish_failed",
                topic_role=topic_role,
                reason=reason,
                error=str(exc),
                repeats=repeats,
            )
        code = "overloaded" if reason == "queue_full" else "kafka_unavailable"
        retry_after = self.settings.config.ingress.retry_after_s
        return RequestRejected(
            503,
            code,
            f"not accepted; retry in {retry_after} s: {exc}",
            headers={"Retry-After": str(retry_after)},
        )
