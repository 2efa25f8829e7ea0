"""Each endpoint's happy path: the record is on the right topic, keyed right, schema-valid.

Real broker, real HTTP: the 2xx arrives only after the broker acknowledged,
so the record is already readable when the test looks.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import httpx

from callstream.records import CallEvent, FieldMap, SupervisorMessage, ToolCall, decode
from callstream.records.sources import decode_source_event
from devkit.testing.webhooks import telnyx_signature_headers
from tests.integration.ingress.conftest import CRM_TOKEN, SIGNING_KEY, TOKEN, RunningIngress

AUTH = {"authorization": f"Bearer {TOKEN}"}


def _call_id() -> str:
    return f"v3:{uuid.uuid4().hex}"


def test_a_tool_call_is_durable_before_its_202(ingress: RunningIngress) -> None:
    """202 carries the request id of a ToolCall already on tool-calls, keyed by the call."""
    call = _call_id()
    response = httpx.post(
        f"{ingress.url}/tools/lookup_order_status",
        json={"order_id": "ORD-12345"},
        headers=AUTH | {"x-telnyx-call-control-id": call},
    )
    assert response.status_code == 202
    request_id = response.json()["request_id"]
    [record] = ingress.records(ingress.settings.topics.tool_calls, call)
    tool_call = decode(ToolCall, record.value)
    assert tool_call.request_id == request_id
    assert tool_call.tool == "lookup_order_status"
    assert tool_call.arguments == {"order_id": "ORD-12345"}


def test_a_signed_call_webhook_is_a_call_event(ingress: RunningIngress) -> None:
    """A genuinely signed call.hangup becomes a CallEvent on call-events under its call."""
    call = _call_id()
    body = json.dumps(
        {
            "data": {
                "record_type": "event",
                "id": str(uuid.uuid4()),
                "event_type": "call.hangup",
                "occurred_at": "2026-11-23T12:00:00Z",
                "payload": {
                    "call_control_id": call,
                    "hangup_cause": "normal_clearing",
                    "from": "+15551230000",
                    "to": "+15559870000",
                },
            }
        }
    ).encode()
    headers = {"content-type": "application/json"} | telnyx_signature_headers(
        SIGNING_KEY, body, timestamp=int(time.time())
    )
    response = httpx.post(f"{ingress.url}/webhooks/telnyx", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    [record] = ingress.records(ingress.settings.topics.call_events, call)
    event = decode(CallEvent, record.value)
    assert (event.event_type, event.payload.hangup_cause) == ("call.hangup", "normal_clearing")
    assert event.payload.from_ == "+15551230000"


def test_source_events_keep_their_schema_and_take_the_key_they_carry(
    ingress: RunningIngress,
) -> None:
    """By call id on crm; by phone on fraud (its own field map); bytes exactly as sent."""
    call = _call_id()
    crm_body = json.dumps(
        {
            "event_id": "crm-1",
            "type": "order.updated",
            "call_control_id": call,
            "data": {"order": "ORD-1", "status": "SHIPPED"},
        }
    ).encode()
    response = httpx.post(
        f"{ingress.url}/events/crm",
        content=crm_body,
        headers={"authorization": f"Bearer {CRM_TOKEN}", "content-type": "application/json"},
    )
    assert (response.status_code, response.json()["event_id"]) == (202, "crm-1")
    [crm] = ingress.records(ingress.settings.topics.source("crm"), call)
    assert crm.value == crm_body

    phone = f"+1555{uuid.uuid4().int % 10**7:07d}"
    fraud_body = json.dumps({"alert": {"id": 991, "kind": "fraud.alert"}, "caller": phone}).encode()
    response = httpx.post(
        f"{ingress.url}/events/fraud",
        content=fraud_body,
        headers={"authorization": f"Bearer {CRM_TOKEN}"},
    )
    assert response.status_code == 202
    [fraud] = ingress.records(ingress.settings.topics.source("fraud"), phone)
    assert fraud.value == fraud_body
    fields = FieldMap(event_id="alert.id", type="alert.kind", phone="caller")
    routed = decode_source_event("fraud", fraud.value, fields, fallback_time=datetime.now(UTC))
    assert (routed.event_id, routed.customer.phone) == ("991", phone)


def test_a_supervisor_message_reaches_the_supervisor_topic(ingress: RunningIngress) -> None:
    """The message id answered is the record's, keyed by the call in the path."""
    call = _call_id()
    response = httpx.post(
        f"{ingress.url}/calls/{call}/messages",
        json={"content": "Offer the Gold upgrade now.", "role": "system", "trigger_response": True},
        headers=AUTH,
    )
    assert response.status_code == 202
    [record] = ingress.records(ingress.settings.topics.supervisor, call)
    message = decode(SupervisorMessage, record.value)
    assert message.message_id == response.json()["message_id"]
    assert message.trigger_response is True


def test_metrics_show_the_acknowledged_publishes(ingress: RunningIngress) -> None:
    """After accepted requests the produce histogram has observations and no failures."""
    httpx.post(
        f"{ingress.url}/tools/t", json={}, headers=AUTH | {"x-telnyx-call-control-id": "v3:m"}
    )
    text = httpx.get(f"{ingress.url}/metrics").text
    assert 'callstream_ingress_produce_seconds_count{topic_role="tool-calls"}' in text
    assert "callstream_ingress_produce_failures_total{" not in text
    assert (
        'callstream_ingress_requests_total{method="POST",route="/tools/{tool_name}",status="202"}'
        in text
    )
