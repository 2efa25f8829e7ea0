"""How a source topic's values are encoded, and the Schema Registry that describes them.

``json`` (the default) is plain JSON, or Kafka Connect's JSON-with-schema
envelope (``{"schema": ..., "payload": ...}``). ``avro``, ``protobuf`` and
``json_schema`` are values in the Confluent wire format (magic byte 0, a
4-byte schema id, the encoded record) whose schemas live in a Schema Registry.

Credentials are named by environment variable, never written here: the
settings resolve them once, at start.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, field_validator, model_validator

SourceFormat = Literal["json", "avro", "protobuf", "json_schema"]
"""How a source topic's values are encoded (README, "Source formats")."""

REGISTRY_FORMATS: frozenset[str] = frozenset({"avro", "protobuf", "json_schema"})
"""The formats whose values name a schema in a Schema Registry."""

_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def check_env_name(value: str | None, *, field: str, example: str) -> str | None:
    """``value`` if it can name an environment variable; ``ValueError`` naming ``field``."""
    if value is not None and not _ENV_NAME.fullmatch(value):
        raise ValueError(f"{field} must be an environment variable name like {example}")
    return value


class SchemaRegistrySpec(BaseModel):
    """A Confluent-compatible Schema Registry (Confluent, Apicurio's ccompat API, Karapace)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(
        description="http(s)://host:port[/path]; several, comma-separated, are tried in turn"
    )
    basic_auth_env: str | None = Field(
        default=None,
        description="environment variable holding the registry's 'user:password' (basic auth)",
    )
    ca_location: str | None = Field(
        default=None, description="CA bundle (file or directory) that signs the registry's TLS"
    )
    timeout_s: PositiveFloat = Field(default=10.0, description="per request to the registry")
    retry_initial_s: PositiveFloat = Field(
        default=1.0, description="first wait before asking an unreachable registry again"
    )
    retry_max_s: PositiveFloat = Field(
        default=30.0, description="longest wait between attempts while it stays unreachable"
    )

    @field_validator("url")
    @classmethod
    def _registry_urls(cls, value: str) -> str:
        for url in (part.strip() for part in value.split(",")):
            parts = urlsplit(url)
            # mock:// is confluent-kafka's in-memory registry (one per process): tests only.
            if parts.scheme not in ("http", "https", "mock") or not parts.netloc:
                raise ValueError(f"{url!r} is not an http(s):// URL of a Schema Registry")
            if "@" in parts.netloc:
                raise ValueError(
                    "credentials do not belong in the URL: name an environment variable "
                    "holding 'user:password' in basic_auth_env"
                )
        return value

    @field_validator("basic_auth_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        return check_env_name(value, field="basic_auth_env", example="SR_AUTH")

    @model_validator(mode="after")
    def _backoff_in_order(self) -> SchemaRegistrySpec:
        if self.retry_initial_s > self.retry_max_s:
            raise ValueError("retry_initial_s is longer than retry_max_s")
        return self


def check_format(format_: SourceFormat, registry: SchemaRegistrySpec | None) -> None:
    """``ValueError`` unless a registry is named exactly when ``format_`` needs one."""
    if format_ in REGISTRY_FORMATS and registry is None:
        raise ValueError(f"format {format_} needs schema_registry: {{url: ...}}")
    if format_ not in REGISTRY_FORMATS and registry is not None:
        raise ValueError(
            "format json reads plain JSON (or Kafka Connect's envelope) and uses no registry; "
            "for JSON Schema values in the Confluent wire format say format: json_schema"
        )
