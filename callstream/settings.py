"""Process settings: the environment (README, *Configuration*) plus the YAML config, read once.

``load_settings()`` is called at a process's entry point and the result is
passed down; nothing deeper reads ``os.environ``. Every problem is reported
at once, each line naming the environment variable or config field at fault.
Secrets are ``SecretStr`` and stay so until the one call that needs them.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, HttpUrl, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from callstream.config import AppConfig, load_config
from callstream.errors import ConfigError
from callstream.paths import default_cache_dir, default_kafka_dir
from callstream.topics import Topics, check_prefix

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

# One bootstrap entry as librdkafka reads it: an optional ``scheme://``, a host name,
# IPv4 address or bracketed IPv6 address, and an optional port (librdkafka's default: 9092).
_BOOTSTRAP_ENTRY = re.compile(
    r"(?:[A-Za-z_]+://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?"
)


def check_bootstrap_servers(value: str) -> str:
    """``value`` if it is a comma-separated list of ``host[:port]``; ``ValueError`` naming the
    first entry that is not, so a typo is refused at once instead of waited on."""
    for entry in value.split(","):
        found = _BOOTSTRAP_ENTRY.fullmatch(entry.strip())
        port = found and found["port"]
        if found is None or (port is not None and not 0 < int(port) < 65536):
            raise ValueError(
                f"{entry.strip()!r} is not host:port (a comma-separated list, "
                "e.g. broker1:9092,broker2:9092)"
            )
    return value


class Environment(BaseSettings):
    """The environment variables callstream reads, each validated."""

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, env_ignore_empty=True
    )

    kafka_bootstrap_servers: str | None = None
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_location: Path | None = None
    kafka_ssl_certificate_location: Path | None = None
    kafka_ssl_key_location: Path | None = None
    kafka_ssl_key_password: SecretStr | None = None

    telnyx_api_key: SecretStr | None = None
    telnyx_base_url: HttpUrl = HttpUrl("https://api.telnyx.com/v2")
    telnyx_public_key: str | None = None

    callstream_config: Path | None = None
    callstream_topic_prefix: str = "callstream."
    callstream_ingress_token: SecretStr | None = None
    callstream_console_token: SecretStr | None = None
    callstream_console_replay_token: SecretStr | None = None
    callstream_log_level: LogLevel = "INFO"
    callstream_kafka_wait_s: float = Field(default=30.0, gt=0)
    callstream_log_format: Literal["json", "console"] = "json"
    callstream_kafka_dir: Path | None = None
    callstream_cache_dir: Path | None = None
    callstream_emulator_signing_key: SecretStr | None = None
    java_home: Path | None = None

    # OpenTelemetry's standard variables, as far as callstream decides on them (README,
    # "Tracing"); the SDK reads the rest (OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_BSP_*, ...) itself.
    otel_exporter_otlp_endpoint: str | None = None
    otel_exporter_otlp_traces_endpoint: str | None = None
    otel_exporter_otlp_protocol: str | None = None
    otel_exporter_otlp_traces_protocol: str | None = None
    otel_exporter_otlp_headers: SecretStr | None = None
    otel_exporter_otlp_traces_headers: SecretStr | None = None
    otel_service_name: str | None = None
    otel_sdk_disabled: bool = False

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _bootstrap(cls, value: str | None) -> str | None:
        return value if value is None else check_bootstrap_servers(value)

    @field_validator(
        "kafka_ssl_ca_location", "kafka_ssl_certificate_location", "kafka_ssl_key_location"
    )
    @classmethod
    def _tls_file(cls, value: Path | None) -> Path | None:
        # Named here, at start-up, rather than as an OpenSSL error from deep in librdkafka.
        if value is not None and not value.exists():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("callstream_log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("callstream_topic_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return check_prefix(value)

    @field_validator("telnyx_public_key")
    @classmethod
    def _ed25519_key(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            raw = base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError("must be the account's public key in base64") from exc
        if len(raw) != 32:
            raise ValueError(f"decodes to {len(raw)} bytes; an ED25519 public key is 32")
        return value

    @field_validator("otel_exporter_otlp_protocol", "otel_exporter_otlp_traces_protocol")
    @classmethod
    def _otlp_http(cls, value: str | None) -> str | None:
        if value is not None and value != "http/protobuf":
            raise ValueError(
                f"{value!r}: callstream exports traces over OTLP/HTTP only; "
                "set http/protobuf (the collector's port 4318) or unset it"
            )
        return value

    @model_validator(mode="after")
    def _sasl_complete(self) -> Self:
        uses_sasl = self.kafka_security_protocol.startswith("SASL_")
        if uses_sasl and not (
            self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "KAFKA_SECURITY_PROTOCOL is SASL_*: set KAFKA_SASL_MECHANISM, "
                "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    @model_validator(mode="after")
    def _client_certificate_complete(self) -> Self:
        cert, key = self.kafka_ssl_certificate_location, self.kafka_ssl_key_location
        if cert is not None and key is None:
            raise ValueError(
                "KAFKA_SSL_KEY_LOCATION is not set but KAFKA_SSL_CERTIFICATE_LOCATION is: "
                "a client certificate needs its private key"
            )
        if key is not None and cert is None:
            raise ValueError(
                "KAFKA_SSL_CERTIFICATE_LOCATION is not set but KAFKA_SSL_KEY_LOCATION is: "
                "a private key needs its client certificate"
            )
        return self


@dataclass(frozen=True)
class Settings:
    """Everything a callstream process is configured with."""

    env: Environment
    config: AppConfig
    source_tokens: Mapping[str, SecretStr] = field(default_factory=dict)
    """Bearer token per source for ``POST /events/{source}``; absent means none is accepted."""
    registry_auth: Mapping[str, SecretStr] = field(default_factory=dict)
    """Schema Registry ``user:password`` per source whose registry names ``basic_auth_env``."""

    @property
    def kafka_dir(self) -> Path:
        """The local development broker's data dir."""
        return self.env.callstream_kafka_dir or default_kafka_dir()

    @property
    def cache_dir(self) -> Path:
        """Where fetched artefacts such as the Kafka jars are cached."""
        return self.env.callstream_cache_dir or default_cache_dir()

    @property
    def topics(self) -> Topics:
        return Topics(
            prefix=self.env.callstream_topic_prefix,
            sources={name: spec.topic for name, spec in self.config.sources.items()},
        )

    def secret_values(self) -> list[str]:
        """Every secret's value, for the log redactor (never for display)."""
        candidates = [
            self.env.kafka_sasl_password,
            self.env.kafka_ssl_key_password,
            self.env.telnyx_api_key,
            self.env.callstream_ingress_token,
            self.env.callstream_console_token,
            self.env.callstream_console_replay_token,
            self.env.callstream_emulator_signing_key,
            self.env.otel_exporter_otlp_headers,
            self.env.otel_exporter_otlp_traces_headers,
            *self.source_tokens.values(),
            *self.registry_auth.values(),
        ]
        return [s.get_secret_value() for s in candidates if s is not None]


def _env_error(faults: list[str]) -> ConfigError:
    """One line for one fault; a heading and a line each for several."""
    if len(faults) == 1:
        return ConfigError(f"environment: {faults[0]}")
    lines = [f"environment: {len(faults)} invalid variable(s)"]
    lines.extend(f"  {fault}" for fault in faults)
    return ConfigError("\n".join(lines))


def _faults(exc: ValidationError) -> list[str]:
    faults = []
    for err in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in err["loc"]).upper()
        if not name:  # a check across variables: its message names them
            faults.append(err["msg"].removeprefix("Value error, "))
            continue
        faults.append(f"{name}: {err['msg']}")
    return faults


def _set_but_empty(environ: Mapping[str, str]) -> list[str]:
    """Variables whose empty value would silently mean something else than the user meant."""
    if environ.get("KAFKA_BOOTSTRAP_SERVERS") == "":
        return [
            "KAFKA_BOOTSTRAP_SERVERS: set but empty; name the brokers (host:port), "
            "or unset it to use the local broker"
        ]
    return []


def load_settings() -> Settings:
    """Read and validate the environment and the config file; ``ConfigError`` lists every fault.

    This is the only place ``os.environ`` is read.
    """
    faults = _set_but_empty(os.environ)
    try:
        env = Environment()
    except ValidationError as exc:
        raise _env_error(faults + _faults(exc)) from exc
    if faults:
        raise _env_error(faults)
    config = load_config(env.callstream_config)
    tokens: dict[str, SecretStr] = {}
    for name, spec in config.sources.items():
        value = os.environ.get(spec.token_env, "") if spec.token_env else ""
        if value:
            tokens[name] = SecretStr(value)
        elif env.callstream_ingress_token is not None:
            tokens[name] = env.callstream_ingress_token
    registry_auth = _registry_auth(config, os.environ)
    return Settings(env=env, config=config, source_tokens=tokens, registry_auth=registry_auth)


def _registry_auth(config: AppConfig, environ: Mapping[str, str]) -> dict[str, SecretStr]:
    """Each schema'd source's registry credentials, from the variable its config names."""
    found: dict[str, SecretStr] = {}
    faults = []
    for name, spec in config.sources.items():
        variable = spec.schema_registry.basic_auth_env if spec.schema_registry else None
        if variable is None:
            continue
        where = f"{variable} (sources.{name}.schema_registry.basic_auth_env)"
        value = environ.get(variable, "")
        if not value:
            faults.append(f"{where}: not set; it holds the registry's user:password")
        elif ":" not in value:
            faults.append(f"{where}: must be user:password")
        else:
            found[name] = SecretStr(value)
    if faults:
        raise _env_error(faults)
    return found
