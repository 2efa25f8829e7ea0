"""One trace from the ingress to the remote, exported over OTLP/HTTP to a real Collector.

Every service runs as its own process with ``OTEL_EXPORTER_OTLP_ENDPOINT``
pointing at an OpenTelemetry Collector (built from the Go module proxy by
``make otelcol``) whose file exporter the test decodes with
``opentelemetry-proto``; the emulator records the ``traceparent`` each Add
Messages request arrived with.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devkit import otelcol
from devkit.dev import scenario
from devkit.dev.pipeline import LocalPipeline
from devkit.emulator import EmulatorControl
from devkit.testing.broker import BrokerHandle
from devkit.testing.otlp import Collector, ReceivedSpan, running_collector
from devkit.testing.polling import wait_until
from devkit.testing.skips import missing_prerequisite
from tests.integration.e2e.conftest import running_pipeline

SERVER, CLIENT, PRODUCER = 2, 3, 4  # OTLP span kinds


@pytest.fixture(scope="module")
def traced(
    kafka_broker: BrokerHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalPipeline, Collector]]:
    """Every service running with tracing on, exporting to a collector of the test's own."""
    binary = otelcol.binary()
    if not binary.exists():
        missing_prerequisite(f"no OpenTelemetry Collector at {binary}: run `make otelcol`")
    with running_collector(binary, Path(tmp_path_factory.mktemp("otelcol"))) as collector:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within 0.1 s, not the default 5 s
        }
        state = Path(tmp_path_factory.mktemp("traced"))
        with running_pipeline(kafka_broker, state, env) as pipeline:
            yield pipeline, collector


def _delivered(control: EmulatorControl, call: str, count: int) -> dict[str, Any]:
    """The call's transcript once ``count`` messages reached it."""

    def arrived() -> dict[str, Any] | None:
        transcript = control.transcript(call)
        return transcript if len(transcript["injected"]) >= count else None

    found: dict[str, Any] = wait_until(arrived, timeout_s=60, what=f"{count} message(s) on {call}")
    return found


def _traceparent(transcript: dict[str, Any], command_id: str) -> tuple[str, str]:
    """(trace id, parent span id) of the applied request that delivered ``command_id``."""
    [request] = [
        r for r in transcript["requests"] if r["command_id"] == command_id and r["applied"]
    ]
    assert request["traceparent"], "the remote received no traceparent header"
    version, trace_id, span_id, _ = str(request["traceparent"]).split("-")
    assert version == "00"
    return trace_id, span_id


def _one(spans: list[ReceivedSpan], name: str, **attributes: Any) -> ReceivedSpan:
    found = [
        span
        for span in spans
        if span.name == name and all(span.attributes.get(k) == v for k, v in attributes.items())
    ]
    assert len(found) == 1, f"{len(found)} spans {name} {attributes} in {spans}"
    return found[0]


def _persona(n: int) -> scenario.Persona:
    return scenario.Persona.numbered(9000 + n)


def test_a_tool_result_continues_the_callers_trace_to_the_remote(
    traced: tuple[LocalPipeline, Collector],
) -> None:
    """The assistant's traceparent on a tool call: its server span, ingress accept, the
    lookup, the decision and the attempt are one trace, and the remote gets the attempt's."""
    pipeline, collector = traced
    persona = _persona(1)
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    with EmulatorControl(pipeline.emulator_url) as control:
        call = control.start_call(from_number=persona.caller, to_number=scenario.ASSISTANT_NUMBER)
        tool, arguments = scenario.tools(persona)[0]
        answer = httpx.post(
            f"{pipeline.ingress_url}/tools/{tool}",
            json=arguments,
            headers={
                "authorization": f"Bearer {pipeline.token}",
                "x-telnyx-call-control-id": call,
                "idempotency-key": str(uuid.uuid4()),
                "traceparent": f"00-{trace_id}-{caller_span}-01",
            },
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
        request_id = answer.json()["request_id"]
        transcript = _delivered(control, call, 1)
        control.hang_up(call)
    [injected] = transcript["injected"]
    injection_id = injected["command_id"]
    remote_trace, remote_parent = _traceparent(transcript, injection_id)
    assert remote_trace == trace_id

    names = {"ingress accept", "tool runner lookup", "streams decision", "injector attempt"}
    spans = collector.wait_for_trace(trace_id, names)
    server = _one(spans, "POST /tools/{tool_name}")
    accept = _one(spans, "ingress accept", **{"callstream.topic_role": "tool-calls"})
    lookup = _one(spans, "tool runner lookup", **{"callstream.request_id": request_id})
    decision = _one(spans, "streams decision", **{"callstream.injection_id": injection_id})
    attempt = _one(spans, "injector attempt", **{"callstream.injection_id": injection_id})
    assert (server.service, server.kind, server.parent_span_id) == (
        "callstream-ingress",
        SERVER,
        caller_span,
    )
    assert (accept.kind, accept.parent_span_id) == (PRODUCER, server.span_id)
    assert (lookup.service, lookup.parent_span_id) == ("callstream-streams", accept.span_id)
    assert lookup.attributes["callstream.tool_status"] == "ok"
    assert (decision.service, decision.parent_span_id) == ("callstream-streams", lookup.span_id)
    assert decision.attributes["callstream.cause_ids"] == [request_id]
    assert (attempt.service, attempt.kind) == ("callstream-injector", CLIENT)
    assert attempt.parent_span_id == decision.span_id
    assert attempt.attributes["http.response.status_code"] == 200
    assert remote_parent == attempt.span_id


def test_a_crm_event_starts_a_trace_that_reaches_the_remote_linking_what_it_coalesced(
    traced: tuple[LocalPipeline, Collector],
) -> None:
    """CRM updates POSTed without a traceparent each start a trace at the ingress; the one
    injection they coalesce into continues the newest one's, links the older ones', and
    the remote receives the attempt's context."""
    pipeline, collector = traced
    persona = _persona(2)
    with EmulatorControl(pipeline.emulator_url) as control:
        call = control.start_call(from_number=persona.caller, to_number=scenario.ASSISTANT_NUMBER)
        events = scenario.crm_events(persona, uuid.uuid4().hex[:8], datetime.now(UTC))
        for event in events:
            answer = httpx.post(
                f"{pipeline.ingress_url}/events/crm",
                json=event,
                headers={"authorization": f"Bearer {pipeline.token}"},
                timeout=30,
            )
            assert answer.status_code == 202, answer.text
        transcript = _delivered(control, call, 1)
        control.hang_up(call)
    [injected] = transcript["injected"]
    injection_id = injected["command_id"]
    trace_id, remote_parent = _traceparent(transcript, injection_id)

    names = {"ingress accept", "streams decision", "injector attempt"}
    spans = collector.wait_for_trace(trace_id, names)
    accept = _one(spans, "ingress accept", **{"callstream.topic_role": "source:crm"})
    decision = _one(spans, "streams decision", **{"callstream.injection_id": injection_id})
    attempt = _one(spans, "injector attempt", **{"callstream.injection_id": injection_id})
    server = _one(spans, "POST /events/{source}")
    assert server.parent_span_id == ""  # no traceparent came with it: a new trace
    assert accept.parent_span_id == server.span_id
    assert (decision.parent_span_id, attempt.parent_span_id) == (accept.span_id, decision.span_id)
    assert remote_parent == attempt.span_id
    causes = decision.attributes["callstream.cause_ids"]
    assert sorted(causes) == sorted(event["event_id"] for event in events)
    # Each older update began a trace of its own; the decision links to their accept spans.
    assert len(decision.links) == len(events) - 1

    def linked_accepts() -> set[tuple[str, str]]:
        accepts = {(s.trace_id, s.span_id) for s in collector.spans() if s.name == "ingress accept"}
        return set(decision.links) & accepts

    wait_until(
        lambda: linked_accepts() == set(decision.links),
        timeout_s=30,
        what="the accept spans of the coalesced updates",
    )
    assert trace_id not in {linked_trace for linked_trace, _ in decision.links}
