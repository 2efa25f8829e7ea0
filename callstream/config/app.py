"""The YAML configuration file: tools, sources, templates and service tuning.

``load_config`` reads and validates it once, at a process's entry point; every
error names the file and the field (``sources.crm.topic: ...``), all at once,
so a bad deploy fails on its first line of output rather than at 3 a.m.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from callstream.config.console import ConsoleConfig
from callstream.config.followups import DEFAULT_FOLLOWED, FollowupsConfig
from callstream.config.guardrails import GuardrailsConfig
from callstream.config.services import (
    IngressConfig,
    InjectorConfig,
    StreamsConfig,
    TopicsConfig,
)
from callstream.config.sources import SourceSpec
from callstream.config.tools import ToolSpec
from callstream.errors import ConfigError

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _check_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{value!r}: names are 1-64 letters, digits, '_' or '-'")
    return value


Name = Annotated[str, AfterValidator(_check_name)]


class AppConfig(BaseModel):
    """Everything in ``CALLSTREAM_CONFIG``; each section has production defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topics: TopicsConfig = TopicsConfig()
    ingress: IngressConfig = IngressConfig()
    streams: StreamsConfig = StreamsConfig()
    injector: InjectorConfig = InjectorConfig()
    console: ConsoleConfig = ConsoleConfig()
    guardrails: GuardrailsConfig = GuardrailsConfig()
    tools: dict[Name, ToolSpec] = Field(
        default_factory=dict,
        description="declared tools; when empty, the ingress accepts any tool name",
    )
    sources: dict[Name, SourceSpec] = Field(default_factory=dict)
    followups: FollowupsConfig = FollowupsConfig()

    @model_validator(mode="after")
    def _followups_name_known_sources(self) -> Self:
        # The defaults name fraud, which a configuration without that source never sees (and
        # a configuration written back out carries the defaults as if they had been set).
        known = {"tool", "supervisor", *DEFAULT_FOLLOWED, *self.sources}
        unknown = [name for name in self.followups.sources if name not in known]
        if unknown:
            raise ValueError(
                f"followups.sources: {', '.join(map(repr, unknown))} is not a configured source "
                f"(known: tool, supervisor, {', '.join(self.sources) or 'no sources'})"
            )
        return self

    @model_validator(mode="after")
    def _one_source_per_topic(self) -> Self:
        seen: dict[str, str] = {}
        for name, spec in self.sources.items():
            if spec.topic in seen:
                raise ValueError(
                    f"sources {seen[spec.topic]!r} and {name!r} both read topic {spec.topic!r}"
                )
            seen[spec.topic] = name
        return self

    @model_validator(mode="after")
    def _hidden_inputs_exist(self) -> Self:
        unknown = [
            name
            for name in self.console.hide_contents
            if name not in ("tool", "supervisor") and name not in self.sources
        ]
        if unknown:
            raise ValueError(
                f"console.hide_contents: {unknown} name no configured source "
                "(nor 'tool' or 'supervisor')"
            )
        return self

    @model_validator(mode="after")
    def _roles_within_policy(self) -> Self:
        policy = self.guardrails
        problems = [
            f"guardrails.roles.{who}: no source of that name is configured"
            for who in policy.roles
            if who not in ("tool", "supervisor", "sources") and who not in self.sources
        ]
        for name, tool in self.tools.items():
            if tool.message.role not in policy.roles_for("tool"):
                problems.append(
                    f"tools.{name}.message.role: {tool.message.role!r} is not among the roles "
                    f"tool results may use (guardrails.roles.tool: {policy.roles_for('tool')})"
                )
        for name, source in self.sources.items():
            if name in ("tool", "supervisor"):
                problems.append(f"sources.{name}: the name is taken by callstream's own inputs")
            allowed = policy.roles_for(name)
            rules = {f"events.{kind}": rule for kind, rule in source.events.items()}
            rules["default"] = source.default
            for where, rule in rules.items():
                if rule.inject and rule.role not in allowed:
                    key = name if name in policy.roles else "sources"
                    problems.append(
                        f"sources.{name}.{where}.role: {rule.role!r} is not among the roles "
                        f"this source may use (guardrails.roles.{key}: {allowed})"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def default_config_text() -> str:
    """The packaged default configuration (the three demo sources, no declared tools)."""
    return resources.files("callstream.config").joinpath("default.yaml").read_text()


def parse_config(text: str, *, origin: str) -> AppConfig:
    """Validate YAML ``text``; ``origin`` names where it came from in error messages."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{origin}: not valid YAML{where}: {problem}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: the top level must be a mapping of sections")
    try:
        return AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(origin, exc)) from exc


def load_config(path: Path | None) -> AppConfig:
    """Read the config file at ``path``, or the packaged default when ``path`` is None."""
    if path is None:
        return parse_config(default_config_text(), origin="default config")
    origin = f"CALLSTREAM_CONFIG={path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{origin}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{origin}: cannot be read: {exc}") from exc
    return parse_config(text, origin=origin)


def format_validation_error(origin: str, exc: ValidationError) -> str:
    """One line per bad field: ``origin: a.b.c: what is wrong``."""
    lines = [f"{origin}: {exc.error_count()} invalid setting(s)"]
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)
