"""Guidance a person or monitoring system posts for one live call."""

from __future__ import annotations

from typing import Self

from pydantic import AwareDatetime, Field, model_validator

from callstream.ids import CallControlId, NonEmptyStr
from callstream.records.base import Record, utcnow
from callstream.records.messages import Role, check_tool_call_id

MAX_CONTENT_CHARS = 16_000


class SupervisorMessage(Record):
    """``supervisor``: one message to inject into one call."""

    message_id: NonEmptyStr
    call_control_id: CallControlId
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    role: Role = "system"
    tool_call_id: str | None = Field(default=None, min_length=1, max_length=256)
    """Required by the remote for role ``tool``; the streams refuse a tool message without it."""
    trigger_response: bool = False
    created_at: AwareDatetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _tool_messages_name_their_call(self) -> Self:
        check_tool_call_id(self.role, self.tool_call_id)
        return self
