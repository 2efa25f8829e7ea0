"""Async webhook tools the assistant may fire, and where their answers come from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, PositiveFloat, PositiveInt

from callstream.config.messages import MessageSpec


class BackendSpec(BaseModel):
    """An HTTP backend the tool runner calls with the tool's arguments."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: HttpUrl
    timeout_s: PositiveFloat = 10.0
    max_attempts: PositiveInt = 3


class ToolSpec(BaseModel):
    """One async tool: its backend (if callstream runs it) and how its result is rendered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    backend: BackendSpec | None = Field(
        default=None,
        description="null: an enterprise service answers on the tool-results topic",
    )
    message: MessageSpec = Field(
        default_factory=MessageSpec,
        description="how its result is rendered (speaks now unless set)",
    )
    pending_timeout_s: PositiveFloat = Field(
        default=120.0, description="how long a request waits for its result before it is given up"
    )
