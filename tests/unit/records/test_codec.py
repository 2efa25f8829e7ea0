"""Every record on callstream's topics survives the wire, and bad bytes become typed errors."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callstream.errors import RecordError
from callstream.records import (
    CallEvent,
    CallEventPayload,
    Delivery,
    Injection,
    Message,
    Record,
    SupervisorMessage,
    ToolCall,
    ToolResult,
    decode,
    encode,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CALL = "v3:abc123"

EXAMPLES: list[Record] = [
    ToolCall(
        request_id="r1",
        tool="lookup_order_status",
        call_control_id=CALL,
        arguments={"order_id": "ORD-12345", "nested": {"n": 1}},
        received_at=T0,
    ),
    ToolResult(
        request_id="r1",
        call_control_id=CALL,
        tool="lookup_order_status",
        status="ok",
        result={"status": "SHIPPED", "tracking": "1Z999"},
        completed_at=T0,
    ),
    ToolResult(
        request_id="r2",
        call_control_id=CALL,
        tool="check_loyalty_points",
        status="error",
        error="backend timed out",
        completed_at=T0,
    ),
    CallEvent(
        event_id="e1",
        event_type="call.initiated",
        call_control_id=CALL,
        occurred_at=T0,
        payload=CallEventPayload.model_validate({"from": "+15551230000", "to": "+15559870000"}),
    ),
    SupervisorMessage(
        message_id="m1",
        call_control_id=CALL,
        content="Offer the 20% accessories promotion.",
        created_at=T0,
    ),
    Injection(
        injection_id="i1",
        call_control_id=CALL,
        messages=[Message(role="system", content="[ORDER LOOKUP COMPLETE]\nOrder ORD-12345")],
        trigger_response=True,
        source="tool",
        cause_id="r1",
        created_at=T0,
        expires_at=T0 + timedelta(minutes=5),
        cause_at=T0,
    ),
    Delivery(
        injection_id="i1",
        call_control_id=CALL,
        outcome="delivered",
        status_code=200,
        attempts=1,
        latency_ms=12.5,
        at=T0,
    ),
]


@pytest.mark.parametrize("record", EXAMPLES, ids=lambda r: type(r).__name__)
def test_json_round_trip(record: Record) -> None:
    """Encoding then decoding yields an equal record."""
    assert decode(type(record), encode(record)) == record


def test_call_event_uses_from_on_the_wire() -> None:
    """The payload's ``from_`` attribute is written as ``from``, the name on the wire."""
    assert b'"from":"+15551230000"' in encode(EXAMPLES[3])


def test_unknown_fields_are_ignored() -> None:
    """A newer producer's extra fields do not break an older consumer."""
    raw = encode(EXAMPLES[0])[:-1] + b',"added_later":true}'
    assert decode(ToolCall, raw) == EXAMPLES[0]


@pytest.mark.parametrize(
    ("raw", "reason", "mentions"),
    [
        (b"not json", "invalid_json", "not valid"),
        (b"\xff\xfe\x00", "invalid_json", "not valid"),
        (b"[1, 2]", "schema", "ToolCall"),
        (b"{}", "schema", "request_id"),
        (
            b'{"request_id": "r", "tool": "t", "call_control_id": "a/b", "arguments": {},'
            b' "received_at": "2026-11-23T12:00:00Z"}',
            "schema",
            "call_control_id",
        ),
        (
            b'{"request_id": "r", "tool": "t", "call_control_id": "c", "arguments": {},'
            b' "received_at": "2026-11-23T12:00:00"}',
            "schema",
            "received_at",
        ),
        (None, "schema", "no value"),
        (b" " * (1024 * 1024 + 1), "too_large", "exceeds"),
    ],
)
def test_invalid_records_raise_record_error(raw: bytes | None, reason: str, mentions: str) -> None:
    """Bad bytes are a ``RecordError`` whose reason and text say what is wrong."""
    with pytest.raises(RecordError) as caught:
        decode(ToolCall, raw)
    assert caught.value.reason == reason
    assert mentions in caught.value.detail


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"status": "ok", "error": "boom"}, "must not carry 'error'"),
        ({"status": "error"}, "must say what went wrong"),
        ({"status": "maybe"}, "status"),
    ],
)
def test_tool_result_status_must_match_payload(fields: dict[str, str], problem: str) -> None:
    """A result's status and its result/error fields agree."""
    base = {
        "request_id": "r",
        "call_control_id": CALL,
        "tool": "t",
        "completed_at": "2026-11-23T12:00:00Z",
    }
    with pytest.raises(RecordError, match=problem):
        decode(ToolResult, json.dumps(base | fields).encode())


def test_injection_needs_a_message() -> None:
    """An injection with no messages is refused."""
    raw = encode(EXAMPLES[5]).replace(b'"messages":[', b'"messages":[],"x":[', 1)
    with pytest.raises(RecordError, match="messages"):
        decode(Injection, raw)


@given(st.binary(max_size=2048))
@pytest.mark.parametrize("model", [type(r) for r in EXAMPLES], ids=lambda m: m.__name__)
def test_arbitrary_bytes_only_raise_record_error(model: type[Record], raw: bytes) -> None:
    """Whatever arrives on a topic, decoding either succeeds or raises ``RecordError``."""
    with contextlib.suppress(RecordError):
        decode(model, raw)
