"""Record builders for tests and benchmarks of the streams worker (like ``structlog.testing``).

Importing this starts nothing. Each builder returns the record as callstream's
producers would write it, so unit tests, integration tests and the benchmark
speak about the same inputs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from callstream.records import CallEvent, CallEventPayload, SupervisorMessage, ToolCall, ToolResult

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def call_event(
    call: str,
    event_type: str,
    *,
    event_id: str | None = None,
    when: datetime = T0,
    **payload: Any,
) -> CallEvent:
    """A lifecycle event; ``payload`` takes ``from_``, ``to``, ``customer_id``, ``direction``..."""
    fields = {("from" if name == "from_" else name): value for name, value in payload.items()}
    return CallEvent(
        event_id=event_id or f"{call}/{event_type}",
        event_type=event_type,
        call_control_id=call,
        occurred_at=when,
        payload=CallEventPayload.model_validate(fields),
    )


def tool_call(
    call: str, request_id: str, tool: str, when: datetime = T0, **arguments: Any
) -> ToolCall:
    return ToolCall(
        request_id=request_id,
        tool=tool,
        call_control_id=call,
        arguments=arguments,
        received_at=when,
    )


def tool_result(
    call: str,
    request_id: str,
    tool: str,
    result: Any = None,
    *,
    error: str | None = None,
    when: datetime = T0,
) -> ToolResult:
    return ToolResult(
        request_id=request_id,
        call_control_id=call,
        tool=tool,
        status="error" if error else "ok",
        result=result,
        error=error,
        completed_at=when,
    )


def supervisor(
    call: str, message_id: str, content: str, *, trigger_response: bool = False
) -> SupervisorMessage:
    return SupervisorMessage(
        message_id=message_id,
        call_control_id=call,
        content=content,
        trigger_response=trigger_response,
        created_at=T0,
    )


def source_event(
    event_id: str,
    event_type: str,
    data: dict[str, Any] | None = None,
    *,
    call: str | None = None,
    phone: str | None = None,
    customer_id: str | None = None,
    when: datetime = T0,
) -> bytes:
    """A source event in the default field layout (``customer.phone``, ``customer.id``)."""
    record: dict[str, Any] = {
        "event_id": event_id,
        "type": event_type,
        "occurred_at": when.isoformat(),
        "data": data or {},
    }
    if call is not None:
        record["call_control_id"] = call
    customer = {"phone": phone, "id": customer_id}
    if any(customer.values()):
        record["customer"] = {k: v for k, v in customer.items() if v is not None}
    return json.dumps(record).encode()
