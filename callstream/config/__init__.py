"""The YAML configuration (``CALLSTREAM_CONFIG``): its schema, defaults and loader."""

from callstream.config.app import (
    AppConfig,
    default_config_text,
    load_config,
    parse_config,
)
from callstream.config.console import ConsoleConfig
from callstream.config.followups import FollowupRule, FollowupsConfig, QuietHours, SmsConfig
from callstream.config.guardrails import GuardrailsConfig, RateLimit, Speak
from callstream.config.messages import MessageSpec, Priority
from callstream.config.schemas import SchemaRegistrySpec, SourceFormat
from callstream.config.services import (
    IngressConfig,
    InjectorConfig,
    RetrySchedule,
    StreamsConfig,
    TopicsConfig,
)
from callstream.config.sources import SourceSpec
from callstream.config.tools import BackendSpec, ToolSpec

__all__ = [
    "AppConfig",
    "BackendSpec",
    "ConsoleConfig",
    "FollowupRule",
    "FollowupsConfig",
    "GuardrailsConfig",
    "IngressConfig",
    "InjectorConfig",
    "MessageSpec",
    "Priority",
    "QuietHours",
    "RateLimit",
    "RetrySchedule",
    "SchemaRegistrySpec",
    "SmsConfig",
    "SourceFormat",
    "SourceSpec",
    "Speak",
    "StreamsConfig",
    "ToolSpec",
    "TopicsConfig",
    "default_config_text",
    "load_config",
    "parse_config",
]
