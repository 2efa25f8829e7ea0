"""``create_app``: the ingress's FastAPI application, built from settings and a publisher.

Nothing is built at import time. The lifespan starts the publisher and the
broker watch and stops them in reverse; the caller owns the settings, the
publisher (``KafkaPublisher`` in production, ``MemoryPublisher`` in tests
that are not about Kafka) and the metrics registry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import structlog
from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CollectorRegistry

from callstream import __version__
from callstream.ops import Health
from callstream.settings import Settings
from callstream.topics import Topics
from callstream.tracing import Tracing
from ingress.access import access_warnings
from ingress.admission import AdmissionMiddleware, Limits
from ingress.logcontext import RequestLogContext
from ingress.metrics import IngressMetrics, RequestMetricsMiddleware
from ingress.openapi import install_openapi
from ingress.problems import install_error_handlers
from ingress.publisher import Publisher
from ingress.readiness import BrokerWatch
from ingress.routes import events, ops, supervisor, tools, webhooks
from ingress.service import IngressService
from ingress.signatures import WebhookVerifier

# Probes and scrapes: frequent, and no record's story.
_UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})

log = structlog.get_logger(__name__)

_DESCRIPTION = """\
The front door of callstream: async webhook tools, Telnyx call-control webhooks,
enterprise events and supervisor messages. Every 2xx is sent only after Kafka
acknowledged the record (acks=all); nothing is published for a rejected request.
Errors are `{"error": code, "detail": text}`.
"""


def ingress_topics(topics: Topics) -> list[str]:
    """Every topic the ingress writes to (the readiness check wants them all to exist)."""
    return [topics.tool_calls, topics.call_events, topics.supervisor, *topics.sources.values()]


def _verifier(settings: Settings) -> WebhookVerifier | None:
    key = settings.env.telnyx_public_key
    ingress = settings.config.ingress
    if key is None or not ingress.verify_signatures:
        return None
    return WebhookVerifier(key, tolerance_s=ingress.signature_tolerance_s)


def _telemetry(tracing: Tracing | None) -> TelemetryConfig:
    """FastAPI's own OpenTelemetry hooks: off, unless tracing is on; then only its request
    span, whose parent is the caller's ``traceparent`` (the ``ingress accept`` span's parent).

    Off, because they ask for the global providers on every request (measured:
    bench/ingress); callstream exports Prometheus metrics instead.
    """
    if tracing is None:
        return {"tracing": False, "metrics": False, "logs": False}
    return {
        "tracing": True,
        "tracer_provider": tracing.provider,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "exclude": lambda scope: scope.get("path") in _UNTRACED,
    }


def create_app(
    settings: Settings,
    publisher: Publisher,
    *,
    metrics: IngressMetrics | None = None,
    clock: Callable[[], float] = time.time,
    tracing: Tracing | None = None,
) -> FastAPI:
    """The ingress application; ``clock`` (unix seconds) is injectable for signature tests;
    ``tracing`` (``callstream.tracing``) when tracing is on."""
    metrics = metrics or IngressMetrics.create(CollectorRegistry())
    interval_s = settings.config.ingress.broker_probe_interval_s
    # Live while the watch keeps probing; a probe waits at most one interval.
    health = Health(stall_after_s=3 * interval_s + 10)
    service = IngressService(
        settings=settings,
        publisher=publisher,
        metrics=metrics,
        health=health,
        verifier=_verifier(settings),
        clock=clock,
        tracing=tracing,
    )
    metrics.producer_queue.set_function(publisher.queue_length)
    watch = BrokerWatch(
        publisher, health, topics=ingress_topics(settings.topics), interval_s=interval_s
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for warning in access_warnings(settings):
            log.warning("ingress_access", detail=warning)
        await publisher.start()
        probing = asyncio.create_task(watch.run(), name="broker-watch")
        try:
            yield
        finally:
            probing.cancel()
            await asyncio.gather(probing, return_exceptions=True)
            await publisher.stop()

    app = FastAPI(
        title="callstream ingress",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        telemetry=_telemetry(tracing),
    )
    app.state.ingress = service
    install_error_handlers(app)
    for module in (tools, webhooks, events, supervisor, ops):
        app.include_router(module.router)
    ingress = settings.config.ingress
    # Added first, so it runs inside the metrics middleware: shed requests are counted too.
    app.add_middleware(
        AdmissionMiddleware,
        limits=Limits(
            max_queue_wait_s=ingress.max_queue_wait_s,
            max_in_flight_requests=ingress.max_in_flight_requests,
            max_in_flight_body_bytes=ingress.max_in_flight_body_bytes,
        ),
        largest_body=max(ingress.max_body_bytes, ingress.max_webhook_body_bytes),
        retry_after_s=ingress.retry_after_s,
        shed=metrics.shed,
    )
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    # Added last, so it is outermost: the ids a route binds are gone once its answer is sent.
    app.add_middleware(RequestLogContext)
    install_openapi(app, settings)
    return app
