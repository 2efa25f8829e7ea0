"""Records of one synthetic call, as the console reads them (like ``structlog.testing``).

For the console's unit tests and its memory measurement (``bench/console``):
a call with a webhook, two lookups, a CRM event by phone, a supervisor note,
their injections and deliveries (one retried), a hangup and a late dead letter.
Importing this starts nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from callstream.ids import injection_id
from callstream.records import (
    CallEvent,
    CallEventPayload,
    DeadLetter,
    Delivery,
    Injection,
    Message,
    Record,
    SupervisorMessage,
    ToolCall,
    ToolResult,
    encode,
)
from console.view.fold import RawRecord

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Recorder:
    """Numbers records per topic as a broker would, and returns them as ``RawRecord``s."""

    def __init__(self) -> None:
        self._offsets: dict[str, int] = {}

    def raw(
        self,
        role: str,
        record: Record | bytes,
        at: datetime,
        *,
        source: str | None = None,
        headers: Sequence[tuple[str, bytes | None]] | None = None,
    ) -> RawRecord:
        topic = "crm.events" if role == "source" else f"callstream.{role}"
        offset = self._offsets.get(topic, 0)
        self._offsets[topic] = offset + 1
        value = record if isinstance(record, bytes) else encode(record)
        return RawRecord(
            role=role,
            topic=topic,
            partition=0,
            offset=offset,
            timestamp=at,
            value=value,
            headers=headers if headers is not None else [("traceparent", TRACEPARENT.encode())],
            source=source,
        )


def _injection(call: str, source: str, cause: str, text: str, at: datetime) -> Injection:
    return Injection(
        injection_id=injection_id(source, cause),
        call_control_id=call,
        messages=[Message(role="system", content=text)],
        source=source,
        cause_id=cause,
        created_at=at,
        expires_at=at + timedelta(seconds=60),
        cause_at=at,
    )


def _delivered(injection: Injection, at: datetime, latency_ms: float, attempts: int) -> Delivery:
    return Delivery(
        injection_id=injection.injection_id,
        call_control_id=injection.call_control_id,
        outcome="delivered",
        status_code=200,
        attempts=attempts,
        latency_ms=latency_ms,
        at=at,
    )


def call_records(
    recorder: Recorder,
    call: str,
    *,
    start: datetime = T0,
    caller: str = "+15551230000",
    customer_id: str = "C-1001",
    crm_note: str = "prefers email",
    ended: bool = True,
) -> list[RawRecord]:
    """Every record of one call, in the order the topics would hold them."""

    def t(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    payload = CallEventPayload.model_validate(
        {"from": caller, "to": "+15559870000", "direction": "incoming", "customer_id": customer_id}
    )
    out = [
        recorder.raw(
            "call-events",
            CallEvent(
                event_id=f"{call}-init",
                event_type="call.initiated",
                call_control_id=call,
                occurred_at=t(0),
                payload=payload,
            ),
            t(0),
        )
    ]
    for n, tool in enumerate(("lookup_order_status", "check_loyalty_points")):
        request = f"{call}-req-{n}"
        asked = ToolCall(
            request_id=request,
            tool=tool,
            call_control_id=call,
            arguments={"n": n},
            received_at=t(1),
        )
        out.append(recorder.raw("tool-calls", asked, t(1)))
        result = ToolResult(
            request_id=request,
            call_control_id=call,
            tool=tool,
            status="ok",
            result={"status": "shipped", "n": n},
            completed_at=t(2 + n),
        )
        out.append(recorder.raw("tool-results", result, t(2 + n)))
        injection = _injection(call, "tool", request, f"[{tool}] shipped {n}", t(2 + n))
        out.append(recorder.raw("injections", injection, t(2 + n)))
        out.append(
            recorder.raw("deliveries", _delivered(injection, t(2.1 + n), 80 + n, 1 + n), t(3))
        )
    crm = (
        b'{"event_id":"' + f"{call}-crm".encode() + b'","type":"profile_updated",'
        b'"occurred_at":"' + t(4).isoformat().encode() + b'",'
        b'"customer":{"phone":"'
        + caller.encode()
        + b'"},"data":{"note":'
        + json.dumps(crm_note).encode()
        + b"}}"
    )
    out.append(recorder.raw("source", crm, t(4), source="crm"))
    injection = _injection(call, "crm", f"{call}-crm", f"CRM update: {crm_note}", t(4))
    out.append(recorder.raw("injections", injection, t(4)))
    out.append(recorder.raw("deliveries", _delivered(injection, t(4.2), 150, 1), t(4.2)))
    note = SupervisorMessage(
        message_id=f"{call}-sup", call_control_id=call, content="Offer a callback", created_at=t(5)
    )
    out.append(recorder.raw("supervisor", note, t(5)))
    if ended:
        hangup = CallEvent(
            event_id=f"{call}-hangup",
            event_type="call.hangup",
            call_control_id=call,
            occurred_at=t(6),
            payload=CallEventPayload(hangup_cause="normal_clearing"),
        )
        out.append(recorder.raw("call-events", hangup, t(6)))
        letter = DeadLetter(
            stage="streams",
            reason="call_ended",
            error="the call has ended (normal_clearing)",
            topic="ticketing.events",
            partition=0,
            offset=7,
            at=t(7),
            call_control_id=call,
        )
        out.append(recorder.raw("dlq", b'{"late":true}', t(7), headers=letter.headers()))
    return out
