"""What the streams decide to inject, and what the injector reports back."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field, NonNegativeFloat, NonNegativeInt

from callstream.ids import CallControlId, NonEmptyStr
from callstream.records.base import Record
from callstream.records.messages import Message, Priority

Outcome = Literal[
    "delivered",
    "call_ended",
    "rejected",
    "expired",
    "failed",
    "sms_sent",
    "sms_rejected",
    "sms_failed",
]
"""How a delivery ended. Only ``delivered`` reached the call. The ``sms_*`` outcomes are a
follow-up's SMS (``injection_id`` is then the follow-up's id): accepted by the messaging API,
refused by it (4xx), or given up on (retries exhausted)."""


class Injection(Record):
    """``injections``: messages for one call, with a deterministic id from their cause.

    ``cause_at`` is when the cause happened (a tool result completed, an event
    occurred); end-to-end latency is measured from it. ``priority`` is the
    configured priority of the rule that rendered it. The guardrails that
    shaped it are on the record: ``guardrails`` names each decision (``quoted``,
    ``neutralised``, ``truncated``, ``rate_limited``, ``coalesced``, ...),
    ``coalesced`` the causes of the older pending updates it replaced, and
    ``full_messages`` the messages before a size cap cut them (for audit).
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
    guardrails: list[str] = Field(default_factory=list)
    coalesced: list[str] = Field(default_factory=list)
    full_messages: list[Message] | None = None
    event_type: str | None = None
    """The cause's event type (the tool's name for tool results)."""
    facts: dict[str, Any] | None = None
    """The structured facts behind the message, carried only when the cause would be followed up
    if undelivered (``followups`` in the YAML), so the follow-up can carry them."""


class Delivery(Record):
    """``deliveries``: the final outcome of one injection.

    ``coalesced`` and ``full_messages`` are copied from the injection, so the
    audit trail of what was replaced or cut survives with the outcome.
    """

    injection_id: NonEmptyStr
    call_control_id: CallControlId
    outcome: Outcome
    status_code: int | None = None
    attempts: NonNegativeInt
    latency_ms: NonNegativeFloat | None = None
    at: AwareDatetime
    error: str | None = None
    coalesced: list[str] = Field(default_factory=list)
    full_messages: list[Message] | None = None
