"""Tool calls fired by the assistant, and their results from a backend or service."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import AwareDatetime, JsonValue, model_validator

from callstream.ids import CallControlId, NonEmptyStr
from callstream.records.base import Record


class ToolCall(Record):
    """``tool-calls``: one async webhook tool invocation accepted by the ingress."""

    request_id: NonEmptyStr
    tool: NonEmptyStr
    call_control_id: CallControlId
    arguments: dict[str, Any]
    received_at: AwareDatetime


class ToolResult(Record):
    """``tool-results``: the outcome of one tool request, success or failure."""

    request_id: NonEmptyStr
    call_control_id: CallControlId
    tool: NonEmptyStr
    status: Literal["ok", "error"]
    result: JsonValue = None
    error: str | None = None
    completed_at: AwareDatetime

    @model_validator(mode="after")
    def _status_matches_payload(self) -> Self:
        if self.status == "ok" and self.error is not None:
            raise ValueError("a result with status 'ok' must not carry 'error'")
        if self.status == "error" and not self.error:
            raise ValueError("a result with status 'error' must say what went wrong in 'error'")
        return self
