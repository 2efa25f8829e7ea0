"""Call-control webhooks become CallEvents keyed by call id; events without a call are ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from callstream.records import CallEvent, decode, encode
from ingress.errors import RequestRejected
from ingress.telnyx_events import Ignored, body_event_id, normalise_call_webhook

RECEIVED = datetime(2026, 11, 23, 12, 0, 5, tzinfo=UTC)
BODY = b"{}"  # only used for the fallback event id


def _webhook(event_type: str = "call.initiated", **payload: Any) -> dict[str, Any]:
    return {
        "data": {
            "record_type": "event",
            "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
            "event_type": event_type,
            "occurred_at": "2026-11-23T12:00:00.000000Z",
            "payload": payload,
        },
        "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks/telnyx"},
    }


def test_call_initiated_keeps_the_facts_the_join_needs() -> None:
    """Type, id, call id, time and the from/to/direction/client_state are normalised."""
    event = normalise_call_webhook(
        _webhook(
            call_control_id="v3:abc-123",
            call_leg_id="leg-1",
            call_session_id="sess-1",
            **{"from": "+15551230000"},
            to="+15559870000",
            direction="incoming",
            client_state="aGVsbG8=",
            state="parked",
        ),
        body=BODY,
        received_at=RECEIVED,
    )
    assert isinstance(event, CallEvent)
    assert event.event_id == "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0"
    assert event.event_type == "call.initiated"
    assert event.call_control_id == "v3:abc-123"
    assert event.occurred_at == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert event.payload.from_ == "+15551230000"
    assert event.payload.to == "+15559870000"
    assert event.payload.direction == "incoming"
    assert event.payload.client_state == "aGVsbG8="
    wire = decode(CallEvent, encode(event))
    assert wire == event
    assert wire.payload.model_extra == {
        "call_control_id": "v3:abc-123",
        "call_leg_id": "leg-1",
        "call_session_id": "sess-1",
        "state": "parked",
    }, "nothing Telnyx said is lost"


def test_hangup_carries_its_cause() -> None:
    """call.hangup keeps hangup_cause for the registry."""
    event = normalise_call_webhook(
        _webhook("call.hangup", call_control_id="v3:x", hangup_cause="normal_clearing"),
        body=BODY,
        received_at=RECEIVED,
    )
    assert isinstance(event, CallEvent)
    assert event.payload.hangup_cause == "normal_clearing"


@pytest.mark.parametrize(
    "payload",
    [{}, {"call_control_id": None}, {"call_control_id": ""}, {"message_id": "m-1"}],
)
def test_an_event_without_a_call_is_ignored_not_refused(payload: dict[str, Any]) -> None:
    """Telnyx retries errors forever, so a callless event is acknowledged and dropped."""
    outcome = normalise_call_webhook(
        _webhook("message.received", **payload), body=BODY, received_at=RECEIVED
    )
    assert outcome == Ignored("no_call_control_id", "message.received")


def test_missing_id_and_time_fall_back_to_stable_values() -> None:
    """No data.id: the body's digest (a redelivery gets the same); no occurred_at: arrival."""
    envelope = {"data": {"event_type": "call.answered", "payload": {"call_control_id": "v3:a"}}}
    body = b'{"data": "as received"}'
    event = normalise_call_webhook(envelope, body=body, received_at=RECEIVED)
    assert isinstance(event, CallEvent)
    assert event.event_id == body_event_id(body)
    assert body_event_id(body) == body_event_id(bytes(body))
    assert body_event_id(body) != body_event_id(body + b" ")
    assert event.occurred_at == RECEIVED


@pytest.mark.parametrize(
    ("envelope", "code", "mentions"),
    [
        ({}, "schema", "'data' object"),
        ({"data": [1]}, "schema", "'data' object"),
        ({"data": {"payload": {"call_control_id": "v3:a"}}}, "schema", "event_type"),
        ({"data": {"event_type": "x", "payload": "nope"}}, "schema", "data.payload"),
        (
            {"data": {"event_type": "x", "payload": {"call_control_id": 7}}},
            "schema",
            "call_control_id",
        ),
        (
            {"data": {"event_type": "x", "payload": {"call_control_id": "v3:..admin"}}},
            "invalid_call_control_id",
            "'..'",
        ),
        (
            {"data": {"event_type": "x", "payload": {"call_control_id": "v3/a"}}},
            "invalid_call_control_id",
            "ASCII",
        ),
        (
            {
                "data": {
                    "event_type": "x",
                    "occurred_at": "yesterday",
                    "payload": {"call_control_id": "v3:a"},
                }
            },
            "schema",
            "data.occurred_at",
        ),
        (
            {"data": {"event_type": "x", "payload": {"call_control_id": "v3:a", "to": 5}}},
            "schema",
            "data.payload.to",
        ),
    ],
)
def test_malformed_envelopes_are_400_naming_the_field(
    envelope: dict[str, Any], code: str, mentions: str
) -> None:
    """Not a Telnyx event, or an unsafe call id: refused with the field named."""
    with pytest.raises(RequestRejected) as caught:
        normalise_call_webhook(envelope, body=BODY, received_at=RECEIVED)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert mentions in caught.value.detail
