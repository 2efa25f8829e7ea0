"""The ingress with tracing on: the caller's traceparent continues into the record it publishes."""

from __future__ import annotations

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from callstream.tracing import Tracing, trace_of
from ingress.app import create_app
from ingress.testing import MemoryPublisher
from tests.ingress_support import make_settings

CALL = "v3:abc-123"
TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"


async def _served(headers: dict[str, str]) -> tuple[MemoryPublisher, InMemorySpanExporter, int]:
    """POST one tool call and GET /healthz on an app tracing in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    publisher = MemoryPublisher()
    app = create_app(make_settings(), publisher, tracing=Tracing(provider))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ingress") as client,
    ):
        answer = await client.post(
            "/tools/lookup_order_status",
            json={"order_id": "ORD-1"},
            headers={"x-telnyx-call-control-id": CALL} | headers,
        )
        await client.get("/healthz")
    provider.shutdown()
    return publisher, exporter, answer.status_code


async def test_the_record_continues_the_callers_trace() -> None:
    """Caller's traceparent -> FastAPI's request span -> ``ingress accept`` -> the record."""
    traceparent = f"00-{TRACE}-{CALLER_SPAN}-01"
    publisher, exporter, status = await _served({"traceparent": traceparent})
    assert status == 202
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"POST /tools/{tool_name}", "ingress accept"}  # probes untraced
    server, accept = spans["POST /tools/{tool_name}"], spans["ingress accept"]
    assert server.parent is not None
    assert server.parent.span_id == int(CALLER_SPAN, 16)
    assert accept.parent is not None
    assert accept.parent.span_id == server.context.span_id
    assert accept.kind == SpanKind.PRODUCER
    assert accept.attributes is not None
    assert accept.attributes["callstream.call_control_id"] == CALL
    [record] = publisher.records
    context = trace_of(record.headers)
    assert context is not None
    assert context.traceparent == f"00-{TRACE}-{accept.context.span_id:016x}-01"


async def test_without_a_traceparent_the_ingress_starts_the_trace() -> None:
    """No traceparent from the caller: a new trace, whose id the record carries."""
    publisher, exporter, _ = await _served({})
    [record] = publisher.records
    context = trace_of(record.headers)
    assert context is not None
    [server] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert server.parent is None
    assert context.trace_id == f"{server.context.trace_id:032x}" != TRACE
