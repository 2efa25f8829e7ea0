"""The injector's Prometheus metrics, registered on a registry passed in (never the global one).

No label carries a call id, an injection id or anything unbounded: outcomes,
attempt results and partition numbers only.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from callstream.records import Outcome
from injector.policy import Reply, Result

OUTCOMES: tuple[Outcome, ...] = ("delivered", "call_ended", "rejected", "expired", "failed")
ATTEMPT_RESULTS = ("2xx", "4xx", "429", "5xx", "other", "timeout", "connection")

# Remote round trips: a realistic API answers in 50-300 ms; a timeout is seconds.
_REMOTE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0)
# Cause to delivery: tool lookups and retries make this seconds to minutes.
_E2E_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def attempt_result(result: Result) -> str:
    """The bounded label of one attempt's result."""
    if not isinstance(result, Reply):
        return result.kind
    status = result.status
    if status == 429:
        return "429"
    if 200 <= status < 300:
        return "2xx"
    if 400 <= status < 500:
        return "4xx"
    if status >= 500:
        return "5xx"
    return "other"


class InjectorMetrics:
    """Every metric the injector exports."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "callstream_injector_deliveries_total",
            "Injections by final outcome (skips without a request included)",
            ["outcome"],
            registry=registry,
        )
        self.attempts = Counter(
            "callstream_injector_attempts_total",
            "Add Messages requests by result",
            ["result"],
            registry=registry,
        )
        self.skipped = Counter(
            "callstream_injector_skipped_total",
            "Injections recorded without a request: already delivered, or call already ended",
            ["why"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "callstream_injector_dead_letters_total",
            "Records written to the DLQ by reason",
            ["reason"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "callstream_injector_in_flight_requests",
            "Add Messages requests awaiting a reply",
            registry=registry,
        )
        self.buffered = Gauge(
            "callstream_injector_buffered_records",
            "Records received and not yet finished (consumption pauses at max_buffered)",
            registry=registry,
        )
        self.remote_latency = Histogram(
            "callstream_injector_remote_latency_seconds",
            "Duration of one Add Messages request",
            buckets=_REMOTE_BUCKETS,
            registry=registry,
        )
        self.end_to_end_latency = Histogram(
            "callstream_injector_end_to_end_latency_seconds",
            "From the injection's cause to the remote's 2xx",
            buckets=_E2E_BUCKETS,
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "callstream_injector_consumer_lag_records",
            "Records in the partition not yet finished by this consumer",
            ["partition"],
            registry=registry,
        )
        self.halted = Gauge(
            "callstream_injector_halted",
            "1 while consumption is halted because the remote refused the credentials",
            registry=registry,
        )
        self.ledger_ids = Gauge(
            "callstream_injector_ledger_ids",
            "Delivered injection ids remembered",
            registry=registry,
        )
        for outcome in OUTCOMES:
            self.deliveries.labels(outcome)
        for result in ATTEMPT_RESULTS:
            self.attempts.labels(result)
