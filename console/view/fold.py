"""Folding one Kafka record into the view: decode it, make its timeline entry, update the call.

``fold`` takes a ``RawRecord`` (what the follower read, not yet decoded) and
the ``Board``; it never raises for what a topic holds: a record that does not
decode is counted in ``board.unreadable`` and skipped (the stage that should
have read it dead-letters it, and the Dead letters page shows that).
Contents of the inputs named in ``hide_contents`` are replaced by a note
before anything is kept, so they never reach a page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from pydantic import ValidationError

from callstream.config import ConsoleConfig
from callstream.errors import RecordError
from callstream.records import (
    CallEvent,
    DeadLetter,
    Delivery,
    FieldMap,
    Injection,
    SupervisorMessage,
    ToolCall,
    ToolResult,
    decode,
    decode_source_event,
)
from callstream.tracing import trace_of
from console.view.board import Board, DeadLetterView
from console.view.entries import Entry, Kind

ENDING = frozenset({"call.hangup", "call.conversation.ended"})
"""Lifecycle events after which a call is over (as the streams worker reads them)."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read from a topic, with the role of that topic."""

    role: str
    topic: str
    partition: int
    offset: int
    timestamp: datetime
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()
    source: str | None = None
    """For role ``source``: the configured source the topic belongs to."""

    @property
    def where(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


@dataclass(frozen=True)
class Rules:
    """What folding needs from the configuration."""

    console: ConsoleConfig
    fields: Mapping[str, FieldMap]
    """Field map per configured source."""
    region: str = "US"
    """Where national phone numbers are read (``streams.default_region``)."""

    def hidden(self, who: str) -> bool:
        return who in self.console.hide_contents


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _shown(rules: Rules, who: str, text: str) -> str:
    return f"(contents of {who} hidden by configuration)" if rules.hidden(who) and text else text


def _phone(raw: str | None, region: str) -> str | None:
    """``raw`` in E.164, so a number written nationally finds its call; None if not a number."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fold(board: Board, raw: RawRecord, rules: Rules) -> None:
    """Apply one record to ``board``."""
    context = trace_of(raw.headers)
    trace = None if context is None else context.trace_id
    try:
        match raw.role:
            case "call-events":
                _call_event(board, decode(CallEvent, raw.value), raw, rules, trace)
            case "tool-calls":
                _tool_call(board, decode(ToolCall, raw.value), raw, rules, trace)
            case "tool-results":
                _tool_result(board, decode(ToolResult, raw.value), raw, rules, trace)
            case "supervisor":
                _supervisor(board, decode(SupervisorMessage, raw.value), raw, rules, trace)
            case "injections":
                _injection(board, decode(Injection, raw.value), raw, rules, trace)
            case "deliveries":
                _delivery(board, decode(Delivery, raw.value), raw, trace)
            case "dlq":
                _dead_letter(board, raw, trace)
            case "source" if raw.source in rules.fields:
                _source_event(board, raw, rules, trace)
            case _:
                board.unreadable += 1
    except (RecordError, ValidationError, ValueError, KeyError):
        board.unreadable += 1


def _call_event(
    board: Board, event: CallEvent, raw: RawRecord, rules: Rules, trace: str | None
) -> None:
    view = board.call(event.call_control_id, event.occurred_at)
    if view is None:
        return
    payload = event.payload
    view.caller = view.caller or payload.from_
    view.callee = view.callee or payload.to
    view.customer_id = view.customer_id or payload.customer_id
    direction = (payload.direction or "").lower()
    outbound = direction.startswith(("outgoing", "outbound"))
    customer_side = payload.to if outbound else payload.from_
    board.index(view, phone=_phone(customer_side, rules.region), customer_id=payload.customer_id)
    detail = [f"{payload.from_ or '?'} -> {payload.to or '?'}"]
    if event.event_type in ENDING:
        view.ended_at = min(view.ended_at or event.occurred_at, event.occurred_at)
        view.hangup_cause = view.hangup_cause or payload.hangup_cause
        view.pending.clear()
        detail.append(f"hangup cause: {payload.hangup_cause or '-'}")
    entry = Entry(
        at=event.occurred_at,
        kind="webhook",
        title=event.event_type,
        text="; ".join(detail),
        ids=(("event", event.event_id), ("record", raw.where)),
        trace_id=trace,
    )
    board.add(view, entry)


def _tool_call(
    board: Board, call: ToolCall, raw: RawRecord, rules: Rules, trace: str | None
) -> None:
    view = board.call(call.call_control_id, call.received_at)
    if view is None:
        return
    if view.live and call.request_id not in view.answered:
        view.pending[call.request_id] = call.tool
    entry = Entry(
        at=call.received_at,
        kind="tool call",
        title=f"{call.tool} asked",
        text=_shown(rules, "tool", _text(call.arguments)),
        ids=(("request", call.request_id), ("record", raw.where)),
        trace_id=trace,
    )
    board.add(view, entry)


def _tool_result(
    board: Board, result: ToolResult, raw: RawRecord, rules: Rules, trace: str | None
) -> None:
    view = board.call(result.call_control_id, result.completed_at)
    if view is None:
        return
    view.pending.pop(result.request_id, None)
    view.answered.add(result.request_id)
    body = result.error if result.status == "error" else _text(result.result)
    entry = Entry(
        at=result.completed_at,
        kind="tool result",
        title=f"{result.tool} {result.status}",
        text=_shown(rules, "tool", body or ""),
        ids=(("request", result.request_id), ("record", raw.where)),
        trace_id=trace,
    )
    board.add(view, entry)


def _supervisor(
    board: Board, note: SupervisorMessage, raw: RawRecord, rules: Rules, trace: str | None
) -> None:
    view = board.call(note.call_control_id, note.created_at)
    if view is None:
        return
    entry = Entry(
        at=note.created_at,
        kind="supervisor",
        title=f"supervisor note ({note.role})",
        text=_shown(rules, "supervisor", note.content),
        ids=(("message", note.message_id), ("record", raw.where)),
        trace_id=trace,
    )
    board.add(view, entry)


def _source_event(board: Board, raw: RawRecord, rules: Rules, trace: str | None) -> None:
    source = raw.source or ""
    event = decode_source_event(
        source, raw.value, rules.fields[source], fallback_time=raw.timestamp
    )
    entry = Entry(
        at=event.occurred_at,
        kind="event",
        title=f"{source} {event.type}",
        text=_shown(rules, source, _text(event.data) if event.data else ""),
        ids=(("event", event.event_id), ("record", raw.where)),
        trace_id=trace,
    )
    phone = _phone(event.customer.phone, rules.region)
    call_id = (
        event.call_control_id
        or board.call_caused_by(source, event.event_id)
        or board.by_key(phone=phone, customer_id=event.customer.id, at=event.occurred_at)
    )
    view = board.call(call_id, event.occurred_at) if call_id else None
    if view is None:
        board.hold_unplaced(source, event.event_id, entry)
        return
    # An event that knows the caller by number and by id teaches the console both, as it
    # teaches the streams worker's correlation index.
    board.index(view, phone=phone, customer_id=event.customer.id)
    view.customer_id = view.customer_id or event.customer.id
    board.add(view, entry)


def _decisions(injection: Injection) -> str:
    made = [f"priority {injection.priority}"]
    if "rate_limited" in injection.guardrails:
        made.append("held by the call's rate limit")
    if injection.coalesced:
        made.append(f"coalesced {len(injection.coalesced)} older update(s)")
    made += [g for g in injection.guardrails if g not in ("rate_limited", "coalesced")]
    return ", ".join(made)


def _injection(
    board: Board, injection: Injection, raw: RawRecord, rules: Rules, trace: str | None
) -> None:
    view = board.call(injection.call_control_id, injection.created_at)
    if view is None:
        return
    for cause in (injection.cause_id, *injection.coalesced):
        board.caused(injection.source, cause, injection.call_control_id)
        placed = board.take_unplaced(injection.source, cause)
        if placed is not None:
            board.add(view, placed)
    text = "\n\n".join(message.content for message in injection.messages)
    ids = [("injection", injection.injection_id), ("cause", injection.cause_id)]
    ids += [("coalesced", cause) for cause in injection.coalesced]
    entry = Entry(
        at=injection.created_at,
        kind="injected",
        title=f"injected from {injection.source}: {_decisions(injection)}",
        text=_shown(rules, injection.source, text),
        ids=(*ids, ("record", raw.where)),
        trace_id=trace,
    )
    view.injected[injection.injection_id] = entry
    waiting = view.awaiting_text.pop(injection.injection_id, None)
    if waiting is not None:
        waiting.text = entry.text
    board.add(view, entry)


def _delivery(board: Board, delivery: Delivery, raw: RawRecord, trace: str | None) -> None:
    view = board.call(delivery.call_control_id, delivery.at)
    if view is None:
        return
    sent = view.injected.get(delivery.injection_id)
    retried = f" after {delivery.attempts} attempts" if delivery.attempts > 1 else ""
    status = f" (HTTP {delivery.status_code})" if delivery.status_code is not None else ""
    kind: Kind
    if delivery.outcome == "delivered":
        view.delivered += 1
        if delivery.latency_ms is not None:
            board.delivered(delivery.at, delivery.latency_ms)
        kind, title = "delivered", f"delivered{retried}{status}"
        text = sent.text if sent is not None else "(its injection record was not read yet)"
    elif delivery.outcome == "sms_sent":  # a follow-up's SMS (its id in injection_id)
        kind, title = "delivered", f"follow-up SMS sent{retried}{status}"
        text = delivery.error or ""
    else:
        kind, title = "not delivered", f"{delivery.outcome}{retried}{status}"
        text = delivery.error or ""
    entry = Entry(
        at=delivery.at,
        kind=kind,
        title=title,
        text=text,
        ids=(("injection", delivery.injection_id), ("record", raw.where)),
        trace_id=trace,
        latency_ms=delivery.latency_ms if delivery.outcome == "delivered" else None,
    )
    if sent is None and delivery.outcome == "delivered":
        view.awaiting_text[delivery.injection_id] = entry
    board.add(view, entry)


def _dead_letter(board: Board, raw: RawRecord, trace: str | None) -> None:
    letter = DeadLetter.from_headers(raw.headers)
    board.dead_lettered(
        DeadLetterView(
            partition=raw.partition,
            offset=raw.offset,
            at=letter.at,
            stage=letter.stage,
            reason=letter.reason,
            error=letter.error,
            topic=letter.topic,
            call_control_id=letter.call_control_id,
            trace_id=trace,
        )
    )
    if letter.call_control_id is None:
        return
    view = board.call(letter.call_control_id, letter.at)
    if view is None:
        return
    entry = Entry(
        at=letter.at,
        kind="dead-lettered",
        title=f"dead-lettered by {letter.stage}: {letter.reason}",
        text=letter.error,
        ids=(("from", f"{letter.topic}:{letter.partition}:{letter.offset}"), ("record", raw.where)),
        trace_id=trace,
    )
    board.add(view, entry)
