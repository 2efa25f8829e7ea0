"""Operational settings of each service, with production defaults."""

from __future__ import annotations

from typing import Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    model_validator,
)


class TopicsConfig(BaseModel):
    """Shape of the topics ``callstream topics create`` makes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partitions: PositiveInt = 12
    replication_factor: PositiveInt = 1


# A request body becomes one Kafka record; half of Kafka's default 1 MiB message
# limit leaves room for the record's envelope (ids, timestamps, headers).
_MAX_INGRESS_BODY_BYTES = 512 * 1024


class IngressConfig(BaseModel):
    """The HTTP front door."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: PositiveInt = 1
    max_body_bytes: PositiveInt = Field(
        default=64 * 1024,
        le=_MAX_INGRESS_BODY_BYTES,
        description="largest body of /tools, /events and /calls/*/messages; larger is a 413",
    )
    max_webhook_body_bytes: PositiveInt = Field(
        default=_MAX_INGRESS_BODY_BYTES,
        le=_MAX_INGRESS_BODY_BYTES,
        description=(
            "largest body of /webhooks/telnyx: call.conversation.ended carries the transcript, "
            "and a refused webhook is retried by Telnyx, never shortened"
        ),
    )
    ack_timeout_s: PositiveFloat = Field(
        default=5.0, description="longest wait for the broker's acknowledgement before a 503"
    )
    retry_after_s: PositiveInt = Field(default=2, description="Retry-After sent with every 503")
    verify_signatures: bool = Field(
        default=True, description="false only for local development; logged loudly at start"
    )
    signature_tolerance_s: PositiveInt = 300
    producer_queue_max_messages: PositiveInt = Field(
        default=100_000, description="records the producer may hold unacknowledged; beyond, 503"
    )
    producer_queue_max_kbytes: PositiveInt = Field(
        default=64 * 1024, description="bytes (KiB) the producer may hold unacknowledged"
    )
    broker_probe_interval_s: PositiveFloat = Field(
        default=5.0,
        description="how often /readyz's broker check asks the cluster for metadata",
    )


class StreamsConfig(BaseModel):
    """The join and render worker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ops_host: str = "127.0.0.1"
    ops_port: int = Field(default=8001, ge=0, le=65535, description="/healthz, /readyz, /metrics")

    grace_period_s: PositiveFloat = 30.0
    ended_call_retention_s: PositiveFloat = 3600.0
    dedupe_ttl_s: PositiveFloat = 24 * 3600.0
    injection_ttl_s: PositiveFloat = Field(
        default=300.0, description="an injection not delivered within this is expired"
    )
    default_region: str = Field(
        default="US", description="region for phone numbers written without a country code"
    )


class RetrySchedule(BaseModel):
    """Exponential backoff with jitter, bounded by attempts and by age."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    initial_s: PositiveFloat = 0.2
    multiplier: float = Field(default=2.0, ge=1.0)
    max_backoff_s: PositiveFloat = 10.0
    jitter: float = Field(default=0.2, ge=0.0, le=1.0)
    max_attempts: PositiveInt = 8
    max_age_s: PositiveFloat = 120.0
    floor_s: NonNegativeFloat = Field(
        default=1.0, description="least wait after a 429 or a timeout, whatever Retry-After says"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.initial_s > self.max_backoff_s:
            raise ValueError("initial_s must not exceed max_backoff_s")
        return self


class InjectorConfig(BaseModel):
    """The delivery worker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ops_host: str = "127.0.0.1"
    ops_port: int = Field(default=8002, ge=0, le=65535, description="/healthz, /readyz, /metrics")

    max_in_flight: PositiveInt = 1000
    request_timeout_s: PositiveFloat = 5.0
    retry: RetrySchedule = RetrySchedule()
    ledger_size: PositiveInt = 1_000_000
    ledger_horizon_s: PositiveFloat = 24 * 3600.0
    shutdown_grace_s: PositiveFloat = 10.0
