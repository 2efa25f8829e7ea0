"""Schemas of every record on callstream's topics (README, *Kafka topics*), and their codec."""

from callstream.records.base import MAX_RECORD_BYTES, Record, decode, encode, utcnow
from callstream.records.calls import CallEvent, CallEventPayload
from callstream.records.deadletter import DeadLetter, Stage
from callstream.records.followups import Followup, FollowupCause, Sms
from callstream.records.injections import Delivery, Injection, Outcome
from callstream.records.messages import Message, Priority, Role
from callstream.records.sources import (
    CustomerRef,
    FieldMap,
    SourceEvent,
    decode_source_event,
    source_event_from_raw,
)
from callstream.records.supervisor import SupervisorMessage
from callstream.records.tools import ToolCall, ToolResult

__all__ = [
    "MAX_RECORD_BYTES",
    "CallEvent",
    "CallEventPayload",
    "CustomerRef",
    "DeadLetter",
    "Delivery",
    "FieldMap",
    "Followup",
    "FollowupCause",
    "Injection",
    "Message",
    "Outcome",
    "Priority",
    "Record",
    "Role",
    "Sms",
    "SourceEvent",
    "Stage",
    "SupervisorMessage",
    "ToolCall",
    "ToolResult",
    "decode",
    "decode_source_event",
    "encode",
    "source_event_from_raw",
    "utcnow",
]
