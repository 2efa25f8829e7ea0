"""What the streams decide to inject, and what the injector reports back."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, NonNegativeFloat, NonNegativeInt

from callstream.ids import CallControlId, NonEmptyStr
from callstream.records.base import Record
from callstream.records.messages import Message, Priority

Outcome = Literal["delivered", "call_ended", "rejected", "expired", "failed"]
"""How a delivery ended. Only ``delivered`` reached the call."""


class Injection(Record):
    """``injections``: messages for one call, with a deterministic id from their cause.

    ``cause_at`` is when the cause happened (a tool result completed, an event
    occurred); end-to-end latency is measured from it. ``priority`` is the
    configured priority of the rule that rendered it.
    """

    injection_id: NonEmptyStr
    call_control_id: CallControlId
    messages: list[Message] = Field(min_length=1)
    trigger_response: bool = False
    source: NonEmptyStr
    cause_id: NonEmptyStr
    created_at: AwareDatetime
    expires_at: AwareDatetime
    cause_at: AwareDatetime | None = None
    priority: Priority = "normal"


class Delivery(Record):
    """``deliveries``: the final outcome of one injection."""

    injection_id: NonEmptyStr
    call_control_id: CallControlId
    outcome: Outcome
    status_code: int | None = None
    attempts: NonNegativeInt
    latency_ms: NonNegativeFloat | None = None
    at: AwareDatetime
    error: str | None = None
