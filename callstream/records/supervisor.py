"""Guidance a person or monitoring system posts for one live call."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from callstream.ids import CallControlId, NonEmptyStr
from callstream.records.base import Record, utcnow
from callstream.records.messages import Role

MAX_CONTENT_CHARS = 16_000


class SupervisorMessage(Record):
    """``supervisor``: one message to inject into one call."""

    message_id: NonEmptyStr
    call_control_id: CallControlId
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    role: Role = "system"
    trigger_response: bool = False
    created_at: AwareDatetime = Field(default_factory=utcnow)
