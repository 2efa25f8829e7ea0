"""``followups``: what a call never heard, for the systems that follow up after it ended.

One record per follow-up, keyed by call id. ``followup_id`` is derived from
the call and the first cause of the follow-up's window, so a replay or a
redelivery yields the same id (consumers keep the newest record per id).
The per-cause lists (``cause_ids``, ``sources``, ``event_types``,
``reasons``, ``messages``, ``facts``) are parallel: entry *i* of each is
about cause *i*, in the order the causes were undelivered.

``sms``, when present, is the text the injector sends to the caller through
the messaging API (idempotency key: ``followup_id``); ``sms_skipped`` says why
there is none (``disabled``, ``no_consent``, ``quiet_hours``, ``no_number``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast, get_args

from pydantic import AwareDatetime, Field

from callstream.errors import RecordError
from callstream.ids import CallControlId, NonEmptyStr
from callstream.records.base import Record
from callstream.records.messages import Message

UndeliveredReason = Literal["call_ended", "expired"]
"""Why a cause never reached its call."""

OUTCOME_HEADER = "callstream.outcome"
"""On ``undelivered``: the injector's outcome for the injection the record carries unchanged."""


def undelivered_headers(reason: UndeliveredReason) -> list[tuple[str, bytes]]:
    """The headers of an ``undelivered`` record."""
    return [(OUTCOME_HEADER, reason.encode())]


def undelivered_reason(headers: Sequence[tuple[str, bytes | None]] | None) -> UndeliveredReason:
    """The outcome an ``undelivered`` record names (``RecordError`` when it names none)."""
    for name, value in headers or ():
        if name == OUTCOME_HEADER:
            text = (value or b"").decode(errors="replace")
            if text in get_args(UndeliveredReason):
                return cast(UndeliveredReason, text)
            raise RecordError("schema", f"undelivered: outcome {text!r} is not call_ended/expired")
    raise RecordError("schema", f"undelivered: no {OUTCOME_HEADER} header")


SmsSkipped = Literal["disabled", "no_consent", "quiet_hours", "no_number"]


class FollowupCause(Record):
    """One undelivered result or event, as the streams worker keeps it until its window closes."""

    source: NonEmptyStr
    cause_id: NonEmptyStr
    event_type: NonEmptyStr
    reason: UndeliveredReason
    at: float
    """When it was undelivered (the record's time, epoch seconds): decides its window."""
    message: Message
    facts: dict[str, Any] = Field(default_factory=dict)
    sms_allowed: bool | None = None
    """``True``: its source may be texted and the consent its rule asks for was given;
    ``False``: consent missing; ``None``: its source is never texted."""


class Sms(Record):
    """The text message to send: from the configured number to the caller."""

    from_: NonEmptyStr = Field(alias="from")
    to: NonEmptyStr
    text: str = Field(min_length=1)


class Followup(Record):
    """``followups``: the undelivered results of one call within one window, with the call's
    numbers and customer as the registry knew them."""

    followup_id: NonEmptyStr
    call_control_id: CallControlId
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    caller: str | None = None
    """The customer's number in E.164 (the caller on inbound calls, the callee on outbound)."""
    customer_id: str | None = None
    source: NonEmptyStr
    """The first cause's source (``sources`` has each cause's)."""
    cause_ids: list[str] = Field(min_length=1)
    sources: list[str]
    event_types: list[str]
    reasons: list[UndeliveredReason]
    reason: UndeliveredReason
    """``call_ended`` if any cause found the call over, else ``expired``."""
    messages: list[Message]
    facts: list[dict[str, Any]]
    call_ended_at: AwareDatetime | None = None
    created_at: AwareDatetime
    sms: Sms | None = None
    sms_skipped: SmsSkipped | None = None
