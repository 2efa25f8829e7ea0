"""Operational settings of each service, with production defaults."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    field_validator,
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
    max_queue_wait_s: PositiveFloat = Field(
        default=1.0,
        description=(
            "admission budget: while the oldest request waiting on the process (body received, "
            "not yet answered) has waited longer, new requests are shed with 503 overloaded"
        ),
    )
    max_in_flight_requests: PositiveInt = Field(
        default=4096,
        description=(
            "hard bound on requests in progress (probes aside), a memory bound that a burst of "
            "2,000 webhooks fits in; beyond, 503 overloaded at once"
        ),
    )
    max_in_flight_body_bytes: PositiveInt = Field(
        default=64 * 1024 * 1024,
        description=(
            "hard bound on the bodies of the requests in progress, by Content-Length (the "
            "largest body limit when chunked); beyond, 503 overloaded at once"
        ),
    )
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

    @model_validator(mode="after")
    def _largest_body_fits(self) -> Self:
        # Otherwise a request at the body limit could never be admitted, even alone.
        largest = max(self.max_body_bytes, self.max_webhook_body_bytes)
        if self.max_in_flight_body_bytes < largest:
            raise ValueError(
                f"max_in_flight_body_bytes ({self.max_in_flight_body_bytes}) must be at least "
                f"the largest body limit ({largest})"
            )
        return self


CorrelationKeyKind = Literal["phone", "customer_id"]

ProcessingGuarantee = Literal["at_least_once", "exactly_once"]


def _default_correlation_keys() -> list[CorrelationKeyKind]:
    return ["phone", "customer_id"]


class StreamsConfig(BaseModel):
    """The join and render worker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ops_host: str = "127.0.0.1"
    ops_port: int = Field(default=8001, ge=0, le=65535, description="/healthz, /readyz, /metrics")

    grace_period_s: PositiveFloat = Field(
        default=30.0,
        description=(
            "how long an input for a call (or tool request) not yet known is held before it is "
            "dead-lettered unknown_call (unknown_request)"
        ),
    )
    ended_call_retention_s: PositiveFloat = Field(
        default=3600.0,
        description=(
            "how long an ended call keeps its full record and its correlation keys, so late "
            "events are dead-lettered call_ended rather than unknown_call"
        ),
    )
    dedupe_ttl_s: PositiveFloat = Field(
        default=24 * 3600.0,
        description=(
            "how long after its end a call id stays dead and remembers the ids it has seen, so "
            "a replayed input neither revives the call nor renders twice (at least "
            "ended_call_retention_s)"
        ),
    )
    max_call_idle_s: PositiveFloat = Field(
        default=4 * 3600.0,
        description="a live call with no input for this long is taken as ended (lost hangup)",
    )
    injection_ttl_s: PositiveFloat = Field(
        default=300.0, description="an injection not delivered within this is expired"
    )
    default_region: str = Field(
        default="US", description="region for phone numbers written without a country code"
    )
    correlation_keys: list[CorrelationKeyKind] = Field(
        default_factory=_default_correlation_keys,
        min_length=1,
        description=(
            "the order in which a source event's correlation keys are tried; it is held under "
            "the first one it carries"
        ),
    )
    max_seen_ids_per_call: PositiveInt = Field(
        default=1024, description="bound on the input ids one call remembers for de-duplication"
    )
    tick_interval_s: PositiveFloat = Field(
        default=1.0, description="how often expiry (grace, retention, idle) is checked"
    )
    batch_max_events: PositiveInt = Field(
        default=500, description="most input records decided together before their outputs"
    )
    batch_gather_s: float = Field(
        default=0.005,
        ge=0.0,
        le=0.1,
        description=(
            "when records are queued behind a batch's first one (the worker is busy), how long "
            "it waits for more before deciding them, so a flush and a commit serve many "
            "records rather than a few (0: never; a lone record never waits)"
        ),
    )
    producer_linger_s: float = Field(
        default=0.005,
        ge=0.0,
        le=0.1,
        description="how long the worker's producer gathers records into one request",
    )
    commit_interval_s: float = Field(
        default=1.0,
        ge=0.0,
        le=60.0,
        description=(
            "at_least_once: how often input offsets are committed (a restart reads up to this "
            "much again; what it reads again is recognised as already decided)"
        ),
    )
    processing_guarantee: ProcessingGuarantee = Field(
        default="at_least_once",
        description=(
            "at_least_once: a batch's outputs are acknowledged before its state and offsets, "
            "and a crash may repeat an injection (same id; the injector drops it); "
            "exactly_once: outputs, state and offsets in one Kafka transaction per batch"
        ),
    )
    tool_runner_concurrency: PositiveInt = Field(
        default=512,
        description=(
            "tool backend requests in flight at once per worker (and connections kept to the "
            "backends); a burst of lookups beyond it waits its turn"
        ),
    )
    tool_response_max_bytes: PositiveInt = Field(
        default=64 * 1024, description="a larger backend answer becomes an error result"
    )
    session_timeout_s: float = Field(
        default=6.0,
        ge=6.0,
        le=300.0,
        description=(
            "how soon the group gives a silent worker up and hands its partitions over (a "
            "worker restarted under its --worker-id within this keeps them, with no rebalance)"
        ),
    )

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        # Imported here: only processes that load a streams config pay for the metadata.
        import phonenumbers

        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region code phonenumbers knows (e.g. US, GB)")
        return region

    @field_validator("correlation_keys")
    @classmethod
    def _distinct_keys(cls, value: list[CorrelationKeyKind]) -> list[CorrelationKeyKind]:
        if len(set(value)) != len(value):
            raise ValueError("each correlation key may be listed once")
        return value

    @model_validator(mode="after")
    def _dedupe_outlives_retention(self) -> Self:
        if self.dedupe_ttl_s < self.ended_call_retention_s:
            raise ValueError("dedupe_ttl_s must be at least ended_call_retention_s")
        return self


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

    group_id: str | None = Field(
        default=None,
        min_length=1,
        description="consumer group; null means '<topic prefix>injector'",
    )
    max_in_flight: PositiveInt = Field(
        default=1000, description="Add Messages requests in flight at once (calls in parallel)"
    )
    max_buffered: PositiveInt = Field(
        default=10_000,
        description="records held in memory before consumption pauses (resumes at half)",
    )
    request_timeout_s: PositiveFloat = 5.0
    http_client: Literal["aiohttp", "httpx"] = Field(
        default="aiohttp",
        description=(
            "HTTP stack of the delivery client; aiohttp measured several times faster than "
            "httpx's pool at 1,000 concurrent calls (see the README's benchmark)"
        ),
    )
    retry: RetrySchedule = RetrySchedule()
    ledger_size: PositiveInt = Field(
        default=1_000_000, description="delivered injection ids remembered (oldest forgotten)"
    )
    ledger_horizon_s: PositiveFloat = Field(
        default=24 * 3600.0, description="how far back the ledger is rebuilt from deliveries"
    )
    ended_calls_size: PositiveInt = Field(
        default=100_000, description="ended calls remembered, so later injections skip the call"
    )
    shutdown_grace_s: PositiveFloat = Field(
        default=10.0,
        description="on SIGTERM or a revoke, how long in-flight requests may take to finish",
    )
    session_timeout_s: float = Field(
        default=10.0,
        ge=6.0,
        le=300.0,
        description=(
            "how soon the group gives a crashed injector's partitions to another "
            "(Kafka's default is 45 s: too long for messages into live calls)"
        ),
    )
