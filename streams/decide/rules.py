"""Everything from the configuration that the decisions need, gathered once.

Built at start-up from ``Settings`` and passed to every decision; decisions
never read settings themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from callstream.config import (
    AppConfig,
    FollowupsConfig,
    GuardrailsConfig,
    MessageSpec,
    SourceSpec,
    StreamsConfig,
    ToolSpec,
)
from streams.render.messages import Renderer

DEFAULT_TOOL = ToolSpec()
"""How an undeclared tool's result is handled (the ingress accepts any tool when none are)."""


@dataclass(frozen=True)
class Rules:
    """The streams' configuration, as the pure decisions see it."""

    streams: StreamsConfig = field(default_factory=StreamsConfig)
    tools: Mapping[str, ToolSpec] = field(default_factory=dict)
    sources: Mapping[str, SourceSpec] = field(default_factory=dict)
    guardrails: GuardrailsConfig = field(default_factory=GuardrailsConfig)
    renderer: Renderer = field(default_factory=Renderer)
    followups: FollowupsConfig = field(default_factory=FollowupsConfig)

    @classmethod
    def from_config(cls, config: AppConfig) -> Rules:
        return cls(
            streams=config.streams,
            tools=config.tools,
            sources=config.sources,
            guardrails=config.guardrails,
            renderer=Renderer(limit=config.guardrails.message_limit),
            followups=config.followups,
        )

    def tool(self, name: str) -> ToolSpec:
        return self.tools.get(name, DEFAULT_TOOL)

    def source_rule(self, source: str, event_type: str) -> MessageSpec:
        spec = self.sources.get(source)
        if spec is None:
            return MessageSpec(inject=False)
        return spec.rule_for(event_type)

    def known_type(self, source: str, event_type: str) -> bool:
        """Whether ``event_type`` has a rule of its own (so it is configuration, not data)."""
        spec = self.sources.get(source)
        return spec is not None and event_type in spec.events
