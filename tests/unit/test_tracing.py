"""W3C trace context: the Kafka header helpers, the origin that keeps it, the spans made from it.

Spans are collected with the SDK's in-memory exporter; the real OTLP export,
across real processes, is tests/integration/e2e/test_tracing.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog.testing
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr

from callstream.config import AppConfig
from callstream.errors import ConfigError
from callstream.settings import Environment, Settings, load_settings
from callstream.topics import Topics
from callstream.tracing import TraceParent, Tracing, from_span, start_tracing, trace_of
from injector.client import AddMessagesClient, HttpxSender
from streams.decide.outputs import DeadLetterOut, Inject
from streams.state.held import Origin
from streams.wire import Wire
from tests.unit.injector.factories import make_injection

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = f"00-{TRACE}-b7ad6b7169203331-01"
OLDER = "00-11111111111111111111111111111111-2222222222222222-01"


@pytest.fixture
def spans() -> Iterator[tuple[Tracing, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield Tracing(provider), exporter
    provider.shutdown()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("traceparent", PARENT.encode())], TraceParent(PARENT)),
        (
            [("x", b"y"), ("traceparent", PARENT.encode()), ("tracestate", b"vendor=a")],
            TraceParent(PARENT, "vendor=a"),
        ),
        ({"traceparent": PARENT}, TraceParent(PARENT)),
        ([("tracestate", b"vendor=a")], None),
        ([("traceparent", b"00-not-a-context-01")], None),
        ([("traceparent", f"00-{'0' * 32}-b7ad6b7169203331-01".encode())], None),
        ([("traceparent", None)], None),
        (None, None),
        ([], None),
    ],
)
def test_trace_of_reads_only_a_valid_context(headers: Any, expected: TraceParent | None) -> None:
    """A record's W3C headers become a context; anything the propagator refuses is ignored."""
    assert trace_of(headers) == expected


def test_a_context_round_trips_as_headers_and_json() -> None:
    """Kafka headers and the origin's JSON both give the same context back."""
    context = TraceParent(PARENT, "vendor=a")
    assert trace_of(context.headers()) == context
    assert TraceParent.from_json(context.to_json()) == context
    assert TraceParent.from_json(TraceParent(PARENT).to_json()) == TraceParent(PARENT)
    assert context.trace_id == TRACE


def test_an_origin_keeps_its_trace_and_reads_what_was_written_without_one() -> None:
    """Stored state from before tracing (five fields) still reads; a traced origin round-trips,
    and one that replaced an older cause lists the older context after its own."""
    plain = Origin("t", 1, 2, 3.0, "crm")
    assert plain.to_json() == ["t", 1, 2, 3.0, "crm"]
    assert Origin.from_json(plain.to_json()) == plain
    traced = Origin("t", 1, 2, 3.0, "crm", (TraceParent(PARENT, "v=1"),))
    assert Origin.from_json(traced.to_json()) == traced
    older = Origin("t", 1, 1, 2.0, "crm", (TraceParent(OLDER),))
    assert traced.replacing(older).trace == (TraceParent(PARENT, "v=1"), TraceParent(OLDER))
    assert traced.replacing(plain) is traced


def _settings(**env: Any) -> Settings:
    return Settings(env=Environment(**env), config=AppConfig())


def test_tracing_is_off_without_an_endpoint_or_when_disabled() -> None:
    """No OTLP endpoint (or OTEL_SDK_DISABLED): no tracing object, so no span anywhere."""
    assert start_tracing(_settings(), "streams") is None
    endpoint = "http://127.0.0.1:9"
    assert (
        start_tracing(_settings(otel_exporter_otlp_endpoint=endpoint, otel_sdk_disabled=True), "x")
        is None
    )


def test_tracing_is_on_with_an_endpoint_named_after_the_service() -> None:
    """An endpoint turns it on; the service is ``callstream-{service}`` unless named."""
    endpoint = "http://127.0.0.1:9"
    for env, name in [
        ({"otel_exporter_otlp_traces_endpoint": f"{endpoint}/v1/traces"}, "callstream-injector"),
        ({"otel_exporter_otlp_endpoint": endpoint, "otel_service_name": "inj-1"}, "inj-1"),
    ]:
        tracing = start_tracing(_settings(**env), "injector")
        assert tracing is not None
        try:
            assert tracing.provider.resource.attributes["service.name"] == name
        finally:
            tracing.shutdown()


def test_the_start_line_names_the_endpoint_without_what_its_url_carries() -> None:
    """Credentials in the endpoint's userinfo or query never reach the log line."""
    endpoint = "https://svc:TOKEN-in-url@otel.example:4318/v1/traces?key=KEY-in-url"
    with structlog.testing.capture_logs() as logs:
        tracing = start_tracing(_settings(otel_exporter_otlp_traces_endpoint=endpoint), "x")
    assert tracing is not None
    tracing.shutdown()
    [line] = [entry for entry in logs if entry["event"] == "tracing_on"]
    assert line["endpoint"] == "https://otel.example:4318"
    assert "in-url" not in repr(logs)


def test_a_grpc_protocol_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """callstream ships the OTLP/HTTP exporter only: asking for gRPC is a one-line error."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    with pytest.raises(ConfigError, match=r"OTEL_EXPORTER_OTLP_PROTOCOL: .*http/protobuf"):
        load_settings()


def test_exporter_headers_are_secrets() -> None:
    """OTEL_EXPORTER_OTLP_HEADERS (a vendor's API key) is redacted from every log line."""
    settings = _settings(otel_exporter_otlp_headers=SecretStr("api-key=s3cret"))
    assert "api-key=s3cret" in settings.secret_values()
    assert "s3cret" not in repr(settings.env)


def _finished(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    [span] = [s for s in exporter.get_finished_spans() if s.name == name]
    return span


def test_an_injection_record_carries_its_decision_span(
    spans: tuple[Tracing, InMemorySpanExporter],
) -> None:
    """The decision is a child of its cause, linked to the causes it replaced, with the ids;
    the injection record carries the decision's context."""
    tracing, exporter = spans
    injection = make_injection(cause="crm-3", coalesced=["crm-1", "crm-2"])
    origin = Origin("crm", 0, 5, 1.0, "crm", (TraceParent(PARENT), TraceParent(OLDER)))
    record = Wire(Topics(prefix="p."), 4, tracing).record(Inject(injection, origin), 2.0)
    assert record is not None
    decision = _finished(exporter, "streams decision")
    context = trace_of(record.headers)
    assert context is not None
    assert context.traceparent == f"00-{TRACE}-{decision.context.span_id:016x}-01"
    assert decision.parent is not None
    assert decision.parent.span_id == int("b7ad6b7169203331", 16)
    assert [f"{link.context.trace_id:032x}" for link in decision.links] == ["1" * 32]
    assert decision.attributes is not None
    assert decision.attributes["callstream.injection_id"] == injection.injection_id
    assert decision.attributes["callstream.cause_ids"] == ("crm-3", "crm-1", "crm-2")
    assert decision.start_time == 2_000_000_000


def test_without_tracing_records_carry_no_trace_headers() -> None:
    """Tracing off: the injection record has no headers at all, as before."""
    origin = Origin("crm", 0, 5, 1.0, "crm", (TraceParent(PARENT),))
    record = Wire(Topics(prefix="p."), 4).record(Inject(make_injection(), origin), 2.0)
    assert record is not None
    assert record.headers == []


def test_a_dead_letter_carries_its_causes_context() -> None:
    """The dead-letter topic shows which trace a rejected record belonged to."""
    origin = Origin("crm", 0, 5, 1.0, "crm", (TraceParent(PARENT, "v=1"),))
    dead = DeadLetterOut(b"{}", origin, "schema", "bad", key=b"k")
    record = Wire(Topics(prefix="p."), 4).record(dead, 2.0)
    assert record is not None
    assert trace_of(record.headers) == TraceParent(PARENT, "v=1")


async def test_the_remote_receives_the_attempts_traceparent() -> None:
    """Add Messages carries ``traceparent`` (and ``tracestate``) when an attempt is traced."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"result": "ok"}})

    sender = HttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    client = AddMessagesClient(base_url="http://remote/v2", api_key=SecretStr("k"), sender=sender)
    await client.send(make_injection(), TraceParent(PARENT, "vendor=a"))
    await client.send(make_injection())
    await client.aclose()
    assert (seen[0].headers["traceparent"], seen[0].headers["tracestate"]) == (PARENT, "vendor=a")
    assert "traceparent" not in seen[1].headers


def test_a_span_is_current_inside_its_block(spans: tuple[Tracing, InMemorySpanExporter]) -> None:
    """Inside ``span`` the context is the span's (what the ingress hands to the record)."""
    tracing, _ = spans
    with tracing.span("x", parent=TraceParent(PARENT)) as span:
        inside = from_span(trace.get_current_span())
    assert inside is not None
    assert inside.trace_id == TRACE
    assert inside.traceparent.split("-")[2] == f"{span.get_span_context().span_id:016x}"
    assert from_span(trace.get_current_span()) is None
