"""What each planned event is sent as: records callstream's consumers accept, HTTP requests."""

from __future__ import annotations

import json

import pytest

from bench.pipeline.plan import BENCH_TOOL, PlannedEvent
from bench.pipeline.wire import (
    crm_event_body,
    floor_record,
    http_request,
    tool_call_record,
    tool_result_record,
)
from callstream.records import ToolCall, ToolResult, decode, source_event_from_raw
from devkit.dev.config import demo_config

DUE = 1_795_000_000.25


def event(kind: str, seq: int = 7) -> PlannedEvent:
    return PlannedEvent(seq, kind, "v3:call-1", f"cause-{seq}", f"inj-{seq}", 0.0)  # type: ignore[arg-type]


def test_a_tool_request_and_its_result_decode_as_callstreams_records() -> None:
    """The registered request and the result that answers it share call and request id."""
    request = decode(ToolCall, tool_call_record("v3:call-1", "cause-7", DUE))
    result = decode(ToolResult, tool_result_record(event("tool_result"), DUE))
    assert (request.call_control_id, request.request_id, request.tool) == (
        "v3:call-1",
        "cause-7",
        BENCH_TOOL,
    )
    assert (result.call_control_id, result.request_id, result.status) == (
        "v3:call-1",
        "cause-7",
        "ok",
    )
    assert result.completed_at.timestamp() == DUE


def test_a_crm_event_names_its_call_in_the_configured_layout() -> None:
    """The CRM body maps through the source's field map to the call, event id and due time."""
    spec = demo_config().sources["crm"]
    raw = json.loads(crm_event_body(event("crm_event"), DUE))
    found = source_event_from_raw("crm", raw, spec.fields)
    assert found.call_control_id == "v3:call-1"
    assert found.event_id == "cause-7"
    assert found.type in spec.events
    assert found.occurred_at.timestamp() == DUE


def test_the_floor_record_carries_what_its_last_hop_needs() -> None:
    """The floor's sender learns the call and the command id from the record alone."""
    assert json.loads(floor_record(event("floor"))) == {
        "call": "v3:call-1",
        "command_id": "inj-7",
        "seq": 7,
    }


def test_a_supervisor_note_carries_its_idempotency_key_and_an_encoded_call_id() -> None:
    """The note goes to /calls/<percent-encoded id>/messages with the cause as its key."""
    request = http_request(event("supervisor_http"), DUE, "tok")
    assert request.path == "/calls/v3%3Acall-1/messages"
    assert request.headers["Idempotency-Key"] == "cause-7"
    assert request.headers["Authorization"] == "Bearer tok"


def test_raw_requests_are_well_formed_http_1_1() -> None:
    """The raw bytes carry the request line, the host, the length and the body."""
    request = http_request(event("crm_http"), DUE, "tok")
    raw = request.raw("127.0.0.1:8000")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /events/crm HTTP/1.1"
    assert "Host: 127.0.0.1:8000" in lines
    assert f"Content-Length: {len(body)}" in lines
    assert body == request.body


@pytest.mark.parametrize("kind", ["tool_result", "crm_event", "floor"])
def test_kafka_kinds_have_no_http_request(kind: str) -> None:
    """Only the HTTP kinds are turned into requests."""
    with pytest.raises(ValueError, match="not sent over HTTP"):
        http_request(event(kind), DUE, "tok")
