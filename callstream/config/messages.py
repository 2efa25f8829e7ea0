"""How one kind of input becomes a message: template, role, priority, whether it speaks now."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from callstream.config.guardrails import Speak
from callstream.records.messages import Priority, Role

__all__ = ["MessageSpec", "Priority"]

_MAX_OPERATOR_LINE = 400  # headline and instruction stay short: the data needs the room


class MessageSpec(BaseModel):
    """Rendering rule for one kind of input (a tool's result, a source event type)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inject: bool = Field(default=True, description="false drops this kind of input silently")
    headline: str | None = Field(
        default=None,
        max_length=120,
        description="bracketed first line, e.g. ORDER LOOKUP COMPLETE",
    )
    instruction: str | None = Field(
        default=None,
        max_length=_MAX_OPERATOR_LINE,
        description="closing line telling the assistant what to do with the facts",
    )
    template: str | None = Field(
        default=None,
        description="sandboxed Jinja2 template for the message body; null uses the default",
    )
    role: Role = "system"
    speak: Speak | None = Field(
        default=None,
        description=(
            "now: the assistant answers at once (trigger_response: true, may interrupt); "
            "silent: context for its next turn. Unset: now for tool results and urgent events, "
            "silent for other events"
        ),
    )
    trigger_response: bool | None = Field(
        default=None, description="the older spelling of speak (true = now, false = silent)"
    )
    priority: Priority = "normal"
    coalesce_by: list[str] = Field(
        default_factory=list,
        description=(
            "dotted paths in the event's data that name its subject (e.g. order_id): a newer "
            "pending update of the same source, type and subject replaces an older one"
        ),
    )
    trusted: list[str] = Field(
        default_factory=list,
        description=(
            "fields of the data (dotted, as rendered: shipping.carrier) vouched for by the "
            "operator and rendered inline, outside the data block; every other field is data"
        ),
    )

    @model_validator(mode="after")
    def _one_answer_to_speak(self) -> Self:
        told = self.trigger_response
        if self.speak is not None and told is not None and (self.speak == "now") != told:
            raise ValueError(
                f"speak: {self.speak} contradicts trigger_response: {str(told).lower()}; "
                "set only speak"
            )
        return self

    def speaks_now(self, *, default: bool) -> bool:
        """Whether this rule's message triggers a response (``default`` when the rule is silent
        on it)."""
        if self.speak is not None:
            return self.speak == "now"
        if self.trigger_response is not None:
            return self.trigger_response
        return default

    @field_validator("template")
    @classmethod
    def _template_compiles(cls, value: str | None) -> str | None:
        if value is None:
            return value
        # Imported here so that reading the config does not pull the renderer's
        # module graph into processes that never render (the injector).
        from jinja2 import TemplateSyntaxError
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        try:
            ImmutableSandboxedEnvironment().parse(value)
        except TemplateSyntaxError as exc:
            raise ValueError(
                f"template does not compile (line {exc.lineno}): {exc.message}"
            ) from exc
        return value
