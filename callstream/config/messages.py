"""How one kind of input becomes a message: template, role, and whether to speak at once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from callstream.records.messages import Priority, Role

__all__ = ["MessageSpec", "Priority"]


class MessageSpec(BaseModel):
    """Rendering rule for one kind of input (a tool's result, a source event type)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inject: bool = Field(default=True, description="false drops this kind of input silently")
    headline: str | None = Field(
        default=None, description="bracketed first line, e.g. ORDER LOOKUP COMPLETE"
    )
    instruction: str | None = Field(
        default=None,
        description="closing line telling the assistant what to do with the facts",
    )
    template: str | None = Field(
        default=None,
        description="sandboxed Jinja2 template for the message body; null uses the default",
    )
    role: Role = "system"
    trigger_response: bool = False
    priority: Priority = "normal"

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
