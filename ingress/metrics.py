"""The ingress's Prometheus metrics, and the ASGI middleware that counts requests.

Requests are labelled by route *template* (``/tools/{tool_name}``), never by
raw path, and by a closed set of methods, so no caller can grow the label set:
no call id, tool name, token or other unbounded value is ever a label. The
registry is passed in (never the global default), so a test can build several
apps in one process.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED_ROUTE = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Acks on a healthy co-located broker take 1-5 ms; the tail up to the 5 s deadline matters too.
_PRODUCE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class IngressMetrics:
    """Every metric the ingress exports, registered in one registry."""

    registry: CollectorRegistry
    requests: Counter
    in_flight: Gauge
    producer_queue: Gauge
    produce_seconds: Histogram
    produce_failures: Counter
    late_acks: Counter
    webhooks_ignored: Counter
    shed: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> IngressMetrics:
        return cls(
            registry=registry,
            requests=Counter(
                "callstream_ingress_requests",
                "HTTP requests answered, by route template, method and status",
                ["route", "method", "status"],
                registry=registry,
            ),
            in_flight=Gauge(
                "callstream_ingress_in_flight_requests",
                "HTTP requests being handled right now",
                registry=registry,
            ),
            producer_queue=Gauge(
                "callstream_ingress_producer_queue_records",
                "records handed to the producer and not yet acknowledged or failed",
                registry=registry,
            ),
            produce_seconds=Histogram(
                "callstream_ingress_produce_seconds",
                "time from handing a record to the producer until the broker acknowledged it",
                ["topic_role"],
                buckets=_PRODUCE_BUCKETS,
                registry=registry,
            ),
            produce_failures=Counter(
                "callstream_ingress_produce_failures",
                "records not acknowledged (answered 503), by reason",
                ["topic_role", "reason"],
                registry=registry,
            ),
            late_acks=Counter(
                "callstream_ingress_late_acks",
                "records the broker acknowledged after their caller had been answered 503",
                registry=registry,
            ),
            webhooks_ignored=Counter(
                "callstream_ingress_webhooks_ignored",
                "verified webhooks acknowledged without publishing, by reason",
                ["reason"],
                registry=registry,
            ),
            shed=Counter(
                "callstream_ingress_shed_requests",
                "requests answered 503 overloaded at once: too many others were in progress",
                registry=registry,
            ),
        )


def _route_template(scope: Scope) -> str:
    """The template of the route that served ``scope``, else ``UNMATCHED_ROUTE``.

    FastAPI's own routes record themselves in the scope; the plain Starlette
    routes it adds (``/docs``, ``/openapi.json``) do not, so those are found by
    matching the app's routes again. ``path_format`` is the template without
    converters ("{id}", not "{id:path}").
    """
    template = getattr(scope.get("route"), "path_format", None)
    if template is not None:
        return str(template)
    for route in getattr(scope.get("app"), "routes", ()):
        if isinstance(route, Route) and route.matches(scope)[0] == Match.FULL:
            return route.path_format
    return UNMATCHED_ROUTE


class RequestMetricsMiddleware:
    """Counts every HTTP request by route template, method and status; tracks in-flight."""

    def __init__(self, app: ASGIApp, metrics: IngressMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = 500  # what the caller sees if the app dies before starting a response

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self._metrics.in_flight.inc()
        try:
            await self._app(scope, receive, send_and_watch)
        finally:
            self._metrics.in_flight.dec()
            route = _route_template(scope)
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            self._metrics.requests.labels(route, method, str(status)).inc()
