"""Guardrails: how much, how often, as which role and how loudly data may reach a live call.

The threat: text from outside the company (a CRM note, a ticket description,
a tool backend's answer) reaching the assistant as an instruction. The
settings here bound what the streams worker's pure core does about it (the
README's "Guardrails" section): data is always quoted, roles are policy,
sizes are capped, bursts per call are paced and coalesced.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from callstream.records.messages import Role

Speak = Literal["now", "silent"]
"""``now``: the assistant answers at once (``trigger_response: true``); ``silent``: context only."""

# What one spoken turn can carry is a few hundred characters; the assistant's
# context can take more, but a message several turns long is noise on a call.
DEFAULT_MAX_MESSAGE_CHARS = 1500
_LEAST_MESSAGE_CHARS = 1000  # room for the headline, the data preface, an instruction and data


def _default_roles() -> dict[str, list[Role]]:
    return {"tool": ["system"], "sources": ["system"], "supervisor": ["system", "developer"]}


def _both_speaks() -> list[Speak]:
    return ["now", "silent"]


class RateLimit(BaseModel):
    """At most ``max_injections`` per call per ``window_s``; beyond, updates wait and coalesce."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_injections: PositiveInt = Field(
        default=5,
        description="injections one call may receive per window (urgent ones always go, and count)",
    )
    window_s: PositiveFloat = Field(default=10.0, description="the sliding window, per call")
    coalesce_delay_s: float = Field(
        default=2.0,
        ge=0.0,
        le=60.0,
        description=(
            "a low-priority update waits this long for newer facts about its subject, which "
            "replace it (five CRM profile updates in two seconds become one message)"
        ),
    )


class GuardrailsConfig(BaseModel):
    """Size caps, per-call pacing and the role policy (``guardrails:`` in the YAML)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_message_chars: int = Field(
        default=DEFAULT_MAX_MESSAGE_CHARS,
        ge=_LEAST_MESSAGE_CHARS,
        le=32_000,
        description="longest message; longer data is cut with a visible marker, kept for audit",
    )
    max_injection_chars: int = Field(
        default=2 * DEFAULT_MAX_MESSAGE_CHARS,
        ge=_LEAST_MESSAGE_CHARS,
        le=64_000,
        description=(
            "longest injection, all its messages together (each injection carries one message "
            "today, so the lower of the two caps applies)"
        ),
    )
    rate: RateLimit | None = Field(
        default_factory=RateLimit,
        description="per-call pacing and coalescing; null turns both off (benchmarks, fault suite)",
    )
    roles: dict[str, list[Role]] = Field(
        default_factory=_default_roles,
        description=(
            "roles each kind of input may inject as: tool, supervisor, sources (every source) "
            "or a source's own name; event data never chooses the role"
        ),
    )
    supervisor_speak: list[Speak] = Field(
        default_factory=_both_speaks,
        min_length=1,
        description="what a supervisor's message may ask for: now (trigger_response) and/or silent",
    )

    @field_validator("roles", mode="before")
    @classmethod
    def _over_the_defaults(cls, value: Any) -> Any:
        # Listing one kind keeps the safe defaults of the others.
        return _default_roles() | value if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _sound(self) -> Self:
        for who, allowed in self.roles.items():
            if not allowed:
                raise ValueError(f"roles.{who}: list at least one role")
            if "tool" in allowed and who != "supervisor":
                raise ValueError(
                    f"roles.{who}: 'tool' needs the tool_call_id the remote requires, which only "
                    "a supervisor's message can carry"
                )
        return self

    @property
    def message_limit(self) -> int:
        """The cap one rendered message is held to (one message per injection)."""
        return min(self.max_message_chars, self.max_injection_chars)

    def supervisor_refusal(self, role: Role, trigger_response: bool) -> str | None:
        """Why the policy refuses a supervisor's message (``None``: it does not)."""
        allowed = self.roles_for("supervisor")
        if role not in allowed:
            return f"role {role!r} is not allowed for supervisor messages (allowed: {allowed})"
        speak = "now" if trigger_response else "silent"
        if speak not in self.supervisor_speak:
            return (
                f"trigger_response {str(trigger_response).lower()} (speak {speak!r}) is not "
                f"allowed for supervisor messages (allowed: {self.supervisor_speak})"
            )
        return None

    def roles_for(self, kind: str) -> list[Role]:
        """The roles ``kind`` (``tool``, ``supervisor`` or a source's name) may inject as."""
        return self.roles.get(kind) or self.roles["sources"]
