"""Call lifecycle events, normalised from call-control webhooks."""

from __future__ import annotations

from pydantic import AwareDatetime, ConfigDict, Field

from callstream.ids import CallControlId, NonEmptyStr
from callstream.records.base import Record


class CallEventPayload(Record):
    """The normalised facts of a lifecycle event that the join needs.

    Extra fields from the webhook are kept, so nothing the sender said is lost.
    """

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    direction: str | None = None
    customer_id: str | None = None
    client_state: str | None = None
    hangup_cause: str | None = None


class CallEvent(Record):
    """``call-events``: one call-control webhook (``call.initiated``, ``call.hangup``, ...)."""

    event_id: NonEmptyStr
    event_type: NonEmptyStr
    call_control_id: CallControlId
    occurred_at: AwareDatetime
    payload: CallEventPayload = CallEventPayload()
