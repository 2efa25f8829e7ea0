"""The inputs the join decides on: one decoded record each, with its bytes and origin.

Every input keeps its original bytes and origin so that any decision — hold
it, inject it, dead-letter it — can be made without going back to Kafka, and a
dead letter carries exactly the bytes that arrived. ``decode_input`` turns
bytes into an input and raises only ``RecordError`` (whose reason is the
dead-letter reason); it is also how a held record is revived when its call
appears.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from callstream.config import SourceSpec
from callstream.errors import RecordError
from callstream.ids import check_call_control_id
from callstream.records import (
    CallEvent,
    SourceEvent,
    SupervisorMessage,
    ToolCall,
    ToolResult,
    decode,
    decode_source_event,
)
from streams.state.held import InputKind, Origin


@dataclass(frozen=True, slots=True)
class CallEventIn:
    record: CallEvent
    raw: bytes
    origin: Origin
    kind: InputKind = "call_event"

    @property
    def call_control_id(self) -> str:
        return self.record.call_control_id


@dataclass(frozen=True, slots=True)
class ToolCallIn:
    record: ToolCall
    raw: bytes
    origin: Origin
    kind: InputKind = "tool_call"

    @property
    def call_control_id(self) -> str:
        return self.record.call_control_id


@dataclass(frozen=True, slots=True)
class ToolResultIn:
    record: ToolResult
    raw: bytes
    origin: Origin
    kind: InputKind = "tool_result"

    @property
    def call_control_id(self) -> str:
        return self.record.call_control_id


@dataclass(frozen=True, slots=True)
class SupervisorIn:
    record: SupervisorMessage
    raw: bytes
    origin: Origin
    kind: InputKind = "supervisor"

    @property
    def call_control_id(self) -> str:
        return self.record.call_control_id


@dataclass(frozen=True, slots=True)
class SourceIn:
    """A source event and the call it was resolved to (its own, or one found by correlation)."""

    record: SourceEvent
    call: str
    raw: bytes
    origin: Origin
    kind: InputKind = "source"

    @property
    def call_control_id(self) -> str:
        return self.call


Input = CallEventIn | ToolCallIn | ToolResultIn | SupervisorIn | SourceIn


def decode_input(
    kind: InputKind,
    raw: bytes | None,
    origin: Origin,
    sources: Mapping[str, SourceSpec],
    *,
    call_control_id: str | None = None,
) -> Input:
    """Decode ``raw`` as an input of ``kind``; ``RecordError`` if it is not one.

    ``call_control_id`` names the call a source event was resolved to; a source
    event that names its own call must name that one.
    """
    if kind == "call_event":
        return CallEventIn(decode(CallEvent, raw), _bytes(raw), origin)
    if kind == "tool_call":
        return ToolCallIn(decode(ToolCall, raw), _bytes(raw), origin)
    if kind == "tool_result":
        return ToolResultIn(decode(ToolResult, raw), _bytes(raw), origin)
    if kind == "supervisor":
        return SupervisorIn(decode(SupervisorMessage, raw), _bytes(raw), origin)
    return _decode_source(raw, origin, sources, call_control_id)


def _decode_source(
    raw: bytes | None,
    origin: Origin,
    sources: Mapping[str, SourceSpec],
    call_control_id: str | None,
) -> SourceIn:
    name = origin.source or ""
    spec = sources.get(name)
    if spec is None:
        raise RecordError("unknown_source", f"no source named {name!r} is configured")
    fallback = datetime.fromtimestamp(origin.timestamp, UTC)
    event = decode_source_event(name, raw, spec.fields, fallback_time=fallback)
    call = call_control_id or event.call_control_id
    if call is None:
        raise RecordError("schema", f"{event.source} event {event.event_id}: no call to route to")
    try:
        check_call_control_id(call)
    except ValueError as exc:
        raise RecordError("schema", f"{event.source} event: {exc}") from exc
    if event.call_control_id is not None and event.call_control_id != call:
        raise RecordError(
            "schema", f"{event.source} event {event.event_id} names another call than its route"
        )
    return SourceIn(event, call, _bytes(raw), origin)


def _bytes(raw: bytes | None) -> bytes:
    # decode() has already refused None; this only narrows the type.
    assert raw is not None
    return raw
