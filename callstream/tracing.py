"""W3C trace context through callstream, with OpenTelemetry's SDK, its propagator and OTLP/HTTP.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``)
is set: ``start_tracing`` then returns ``None``, every call site skips its
tracing branch, and the SDK is never imported. On, each service builds one
``Tracing`` at its entry point and passes it down.

A record's context travels in the standard W3C Kafka headers, ``traceparent``
and ``tracestate`` when there is one; ``TraceParent`` is that pair as a value
(the streams worker keeps it with an input it holds or queues, so the
decision made minutes later still continues the cause's trace). The headers
are read and written by OpenTelemetry's ``TraceContextTextMapPropagator``
only: what is not a valid context is ignored, never repaired.

This module never logs a header's value; the trace id alone goes into log lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanContext, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from callstream import __version__

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from callstream.settings import Settings

log = structlog.get_logger(__name__)

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

_W3C = TraceContextTextMapPropagator()

Headers = list[tuple[str, bytes]]
RecordHeaders = Sequence[tuple[str, str | bytes | None]] | Mapping[str, str | bytes | None] | None
"""A record's headers as confluent-kafka types them (``None`` when it has none)."""


@dataclass(frozen=True, slots=True)
class TraceParent:
    """One W3C trace context: the ``traceparent`` value, and ``tracestate`` ("" when none)."""

    traceparent: str
    tracestate: str = ""

    @property
    def trace_id(self) -> str:
        """The 32 hex digits every span of the trace shares (for log lines and the console)."""
        return self.traceparent[3:35]

    def carrier(self) -> dict[str, str]:
        """As HTTP headers (the remote receives ``traceparent`` on the Add Messages request)."""
        if self.tracestate:
            return {TRACEPARENT: self.traceparent, TRACESTATE: self.tracestate}
        return {TRACEPARENT: self.traceparent}

    def headers(self) -> Headers:
        """As Kafka record headers."""
        return [(name, value.encode()) for name, value in self.carrier().items()]

    def span_context(self) -> SpanContext:
        return trace.get_current_span(self.context()).get_span_context()

    def context(self) -> Context:
        """An OpenTelemetry context whose (remote) span is this one, to start children in."""
        return _W3C.extract(self.carrier())

    def to_json(self) -> str | list[str]:
        return [self.traceparent, self.tracestate] if self.tracestate else self.traceparent

    @classmethod
    def from_json(cls, data: Any) -> TraceParent:
        if isinstance(data, str):
            return cls(data)
        traceparent, tracestate = data
        return cls(str(traceparent), str(tracestate))


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", errors="replace")
    return value or ""


def from_carrier(carrier: Mapping[str, str]) -> TraceParent | None:
    """The valid context in ``carrier`` as the propagator re-writes it, or ``None``."""
    context = _W3C.extract(carrier)
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    written: dict[str, str] = {}
    _W3C.inject(written, context=context)
    return TraceParent(written[TRACEPARENT], written.get(TRACESTATE, ""))


def trace_of(headers: RecordHeaders) -> TraceParent | None:
    """The W3C context in a Kafka record's headers; ``None`` when absent or not valid.

    Called per record only where tracing is on.
    """
    found: dict[str, str] = {}
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    for name, value in pairs:
        if name in (TRACEPARENT, TRACESTATE):
            found[name] = _text(value)
    return from_carrier(found) if TRACEPARENT in found else None


def from_span(span: Span) -> TraceParent | None:
    """``span``'s own context (to hand to whatever it causes), or ``None`` for a non-span."""
    if not span.get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier, context=trace.set_span_in_context(span))
    return TraceParent(carrier[TRACEPARENT], carrier.get(TRACESTATE, ""))


class Tracing:
    """One process's tracer and the spans callstream makes with it."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("callstream", __version__)

    @contextmanager
    def span(
        self,
        name: str,
        *,
        parent: TraceParent | None = None,
        links: Sequence[TraceParent] = (),
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Mapping[str, AttributeValue] | None = None,
        start_ns: int | None = None,
    ) -> Iterator[Span]:
        """A span, current inside the block: the child of ``parent`` when given, else of
        the current span (FastAPI's request span in the ingress; none elsewhere: a new trace).

        ``links`` point at further causes (an injection that replaced older ones).
        An exception leaving the block is recorded on the span and marks it failed.
        """
        with self._tracer.start_as_current_span(
            name,
            context=None if parent is None else parent.context(),
            kind=kind,
            attributes=attributes,
            links=[Link(cause.span_context()) for cause in links],
            start_time=start_ns,
        ) as span:
            yield span

    def shutdown(self) -> None:
        """Export what is still buffered and stop (also done at interpreter exit)."""
        self.provider.shutdown()


def start_tracing(settings: Settings, service: str) -> Tracing | None:
    """The process's tracing, exporting over OTLP/HTTP, or ``None`` when it is off.

    On when ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
    is set (and ``OTEL_SDK_DISABLED`` is not true). The exporter, the batch
    processor and the sampler read the other standard variables themselves;
    ``OTEL_SERVICE_NAME`` defaults to ``callstream-{service}``.
    """
    env = settings.env
    endpoint = env.otel_exporter_otlp_traces_endpoint or env.otel_exporter_otlp_endpoint
    if env.otel_sdk_disabled or not endpoint:
        return None
    # Imported here: a process with tracing off never loads the SDK or the exporter.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = env.otel_service_name or f"callstream-{service}"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    # Where to, without what a URL may carry besides (credentials in its userinfo or query).
    where = urlsplit(endpoint)
    log.info(
        "tracing_on",
        exporter="otlp/http",
        endpoint=f"{where.scheme}://{where.netloc.rpartition('@')[2]}",
        service_name=name,
    )
    return Tracing(provider)
