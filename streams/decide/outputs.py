"""What a decision can produce, as plain values; ``streams.wire`` turns them into Kafka records.

The decisions never send anything: they return these, in the order they must
reach Kafka, and the agent around them sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from callstream.records import Followup, Injection, Stage
from callstream.records.deadletter import Reason
from streams.correlation.route import Route
from streams.state.held import InputKind, Origin

IndexOp = Literal["add", "end", "remove"]

DeadLetterReason = Reason
"""Why the streams stage dead-letters a record: one of the reasons every stage shares
(``callstream.records.deadletter``), which ``dlq replay --reason`` offers."""

DropReason = Literal["duplicate", "not_injected", "lifecycle_after_end", "request_timeout"]
"""Why an input produced nothing, without being an error (counted, not dead-lettered)."""


@dataclass(frozen=True, slots=True)
class Inject:
    """An injection for the ``injections`` topic."""

    injection: Injection
    origin: Origin


@dataclass(frozen=True, slots=True)
class DeadLetterOut:
    """A record for the ``dlq`` topic: the original bytes, with the reason in headers."""

    raw: bytes | None
    origin: Origin
    reason: str
    error: str
    call_control_id: str | None = None
    key: str | bytes | None = None
    """The Kafka key to write it under (call id, correlation key, or the original key)."""
    stage: Stage = "streams"
    json_value: bool = True
    """A source record's value is JSON (as every source record is past the sources loop):
    the dead letter is marked so. False for the bytes of a schema'd record as they arrived."""


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """Tell the correlation index that ``key`` belongs to a call that is live, ended, or gone."""

    key: str
    call_control_id: str
    op: IndexOp


@dataclass(frozen=True, slots=True)
class ForwardToCall:
    """Send a record on to the partition of its call (a resolved source event, or a record that
    arrived on the wrong partition)."""

    call_control_id: str
    kind: InputKind
    raw: bytes
    origin: Origin


@dataclass(frozen=True, slots=True)
class ForwardToKey:
    """Send a source event on to the partition of the correlation key it is to be looked up by."""

    route: Route
    raw: bytes
    origin: Origin


@dataclass(frozen=True, slots=True)
class RunTool:
    """Ask the tool runner to call the backend of an accepted tool request."""

    call_control_id: str
    request_id: str
    raw: bytes
    origin: Origin


@dataclass(frozen=True, slots=True)
class Dropped:
    """An input that produced nothing, on purpose (counted and logged, never sent)."""

    reason: DropReason
    kind: InputKind
    call_control_id: str | None


@dataclass(frozen=True, slots=True)
class Refused:
    """A guardrail refused an input outright (its dead letter goes out beside this); counted
    by source and kind with the decisions that shaped injections, never sent."""

    source: str
    kind: Literal["role_refused", "rate_limited"]


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A record for the ``followups`` topic: what a call never heard."""

    followup: Followup


Output = (
    Inject
    | FollowUp
    | DeadLetterOut
    | IndexUpdate
    | ForwardToCall
    | ForwardToKey
    | RunTool
    | Dropped
    | Refused
)
