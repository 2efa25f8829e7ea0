"""The bytes each planned event is sent as (pure): records for Kafka, requests for HTTP.

Records are built with callstream's own schemas (``callstream.records``), so the
services read exactly what a real producer would write. An event's time
fields carry its due time, so the services' own cause-to-delivery metrics
agree with what the benchmark measures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from bench.pipeline.plan import BENCH_TOOL, CRM_SOURCE, PlannedEvent
from callstream.records import ToolCall, ToolResult, encode

CRM_EVENT_TYPE = "profile.updated"
"""A CRM event type the demo configuration renders (``sources.crm.events``)."""


def _at(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def tool_call_record(call: str, request_id: str, at_s: float) -> bytes:
    """The request a step's tool result answers, as the ingress would have published it."""
    return encode(
        ToolCall(
            request_id=request_id,
            tool=BENCH_TOOL,
            call_control_id=call,
            arguments={"account": request_id},
            received_at=_at(at_s),
        )
    )


def tool_result_record(event: PlannedEvent, due_s: float) -> bytes:
    return encode(
        ToolResult(
            request_id=event.cause,
            call_control_id=event.call,
            tool=BENCH_TOOL,
            status="ok",
            result={"balance": 100 + event.seq % 900, "currency": "USD", "seq": event.seq},
            completed_at=_at(due_s),
        )
    )


def crm_event_body(event: PlannedEvent, due_s: float) -> bytes:
    """A CRM event naming its call, in the default field layout."""
    return json.dumps(
        {
            "event_id": event.cause,
            "type": CRM_EVENT_TYPE,
            "occurred_at": _at(due_s).isoformat(),
            "call_control_id": event.call,
            "data": {"tier": "Gold", "note": f"profile change {event.seq}"},
        },
        separators=(",", ":"),
    ).encode()


def floor_record(event: PlannedEvent) -> bytes:
    """What travels the floor's relays: just enough for the last one to make its request."""
    return json.dumps(
        {"call": event.call, "command_id": event.injection_id, "seq": event.seq},
        separators=(",", ":"),
    ).encode()


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def raw(self, host: str) -> bytes:
        """The request as HTTP/1.1 bytes on a keep-alive connection."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def http_request(event: PlannedEvent, due_s: float, token: str) -> HttpRequest:
    """The ingress request of an HTTP kind (``crm_http``, ``supervisor_http``)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if event.kind == "crm_http":
        return HttpRequest("POST", f"/events/{CRM_SOURCE}", headers, crm_event_body(event, due_s))
    if event.kind == "supervisor_http":
        body = json.dumps({"content": f"Supervisor: bench note {event.seq}."}).encode()
        path = f"/calls/{quote(event.call, safe='')}/messages"
        return HttpRequest("POST", path, headers | {"Idempotency-Key": event.cause}, body)
    raise ValueError(f"{event.kind} is not sent over HTTP")
