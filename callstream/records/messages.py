"""The conversation message shape the Add Messages API takes."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from callstream.records.base import Record

Role = Literal["system", "user", "assistant", "tool", "developer"]
"""Roles the remote accepts; ``system`` is the one for results and guidance."""

Priority = Literal["low", "normal", "high", "urgent"]
"""How pressing a message is, as its rule in the config says."""


class Message(Record):
    """One message added to a live conversation (the official SDK's message shapes)."""

    role: Role
    content: str = Field(min_length=1)
    tool_call_id: str | None = Field(default=None, min_length=1, max_length=256)
    """The tool call a ``tool`` message answers; the remote refuses a tool message without it."""

    @model_validator(mode="after")
    def _tool_messages_name_their_call(self) -> Self:
        check_tool_call_id(self.role, self.tool_call_id)
        return self


def check_tool_call_id(role: Role, tool_call_id: str | None) -> None:
    """``ValueError`` unless a ``tool`` message names its tool call and no other message does
    (the official SDK's ``ToolMessageParam`` requires it; the other roles have no such field)."""
    if role == "tool" and tool_call_id is None:
        raise ValueError("a message with role 'tool' must carry the tool_call_id it answers")
    if role != "tool" and tool_call_id is not None:
        raise ValueError("only a message with role 'tool' carries a tool_call_id")
