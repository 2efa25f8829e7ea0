"""Enterprise event sources (CRM, fraud, ticketing): topic, schema mapping, routing rules."""

from __future__ import annotations

import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from callstream.config.messages import MessageSpec
from callstream.config.schemas import (
    SchemaRegistrySpec,
    SourceFormat,
    check_env_name,
    check_format,
)
from callstream.records.sources import FieldMap

_TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")


class SourceSpec(BaseModel):
    """One source of enterprise events and what callstream does with each event type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    token_env: str | None = Field(
        default=None,
        description=(
            "environment variable holding this source's bearer token for POST /events/{source}; "
            "unset falls back to CALLSTREAM_INGRESS_TOKEN"
        ),
    )
    format: SourceFormat = Field(
        default="json",
        description="how the topic's values are encoded: json (or a Connect envelope), "
        "avro, protobuf, json_schema (the last three from a Schema Registry)",
    )
    schema_registry: SchemaRegistrySpec | None = None
    fields: FieldMap = FieldMap()
    events: dict[str, MessageSpec] = Field(default_factory=dict, description="rule per event type")
    default: MessageSpec = Field(
        default=MessageSpec(inject=False),
        description="rule for event types not listed in events (default: not injected)",
    )

    @field_validator("topic")
    @classmethod
    def _legal_topic(cls, value: str) -> str:
        if not _TOPIC_NAME.fullmatch(value) or value in {".", ".."}:
            raise ValueError("a Kafka topic name is 1-249 characters of letters, digits, . _ -")
        return value

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        return check_env_name(value, field="token_env", example="CRM_TOKEN")

    @model_validator(mode="after")
    def _registry_when_needed(self) -> Self:
        check_format(self.format, self.schema_registry)
        return self

    def rule_for(self, event_type: str) -> MessageSpec:
        """The rendering rule for ``event_type`` (its own, or the source's default)."""
        return self.events.get(event_type, self.default)
