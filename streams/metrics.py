"""The streams worker's Prometheus metrics, on a registry passed in (never the global one).

Labels take only bounded values: topic roles and source names from the
config, dead-letter and drop reasons from a fixed set, statuses. Never a call
id, request id or any other value that grows with traffic.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# From a millisecond to a grace period and beyond: held records are injected late by design.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.02,
    0.03,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
)


class StreamsMetrics:
    """Counters, gauges and histograms of one streams worker."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.records_in = Counter(
            "callstream_streams_records_in_total",
            "Records consumed, by topic role (or source name).",
            ["topic"],
            registry=registry,
        )
        self.followups = Counter(
            "callstream_streams_followups_total",
            "Follow-up records produced, by the first cause's source and by SMS (sms, or why "
            "not: disabled, no_consent, quiet_hours, no_number).",
            ["source", "sms"],
            registry=registry,
        )
        self.injections = Counter(
            "callstream_streams_injections_total",
            "Injections produced, by source (tool, supervisor, or the source's name).",
            ["source"],
            registry=registry,
        )
        self.guardrails = Counter(
            "callstream_streams_guardrails_total",
            "Guardrail decisions, by source and kind (quoted, neutralised, truncated, "
            "coalesce_delay, rate_limited, coalesced, urgent_first, role_refused).",
            ["source", "kind"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "callstream_streams_dead_letters_total",
            "Records dead-lettered by the streams stage, by reason.",
            ["reason"],
            registry=registry,
        )
        self.dropped = Counter(
            "callstream_streams_dropped_total",
            "Inputs that produced nothing on purpose (duplicates, rules that do not inject...).",
            ["reason"],
            registry=registry,
        )
        self.misrouted = Counter(
            "callstream_streams_misrouted_total",
            "Records that arrived on another partition than their key's (re-routed).",
            ["topic"],
            registry=registry,
        )
        self.table_keys = Gauge(
            "callstream_streams_table_keys",
            "Keys in this worker's partitions of each table, by status.",
            ["table", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "callstream_streams_injection_latency_seconds",
            "From the causing record's Kafka timestamp to its injection acknowledged by Kafka.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "callstream_streams_batch_seconds",
            "Time to decide a batch and have its outputs acknowledged.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_records = Histogram(
            "callstream_streams_batch_records",
            "Records per batch.",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=registry,
        )
        self.corrupt_state = Counter(
            "callstream_streams_corrupt_state_total",
            "Stored state that could not be read and was started over.",
            registry=registry,
        )
        self.rebalances = Counter(
            "callstream_streams_rebalances_total",
            "Rebalance callbacks of the join, by event (assigned, revoked, lost).",
            ["event"],
            registry=registry,
        )
        self.restore_seconds = Histogram(
            "callstream_streams_restore_seconds",
            "Time to restore newly assigned partitions from their changelogs.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.restored_records = Counter(
            "callstream_streams_restored_records_total",
            "Changelog records read back into the tables by restores.",
            registry=registry,
        )
        self.tool_runs = Counter(
            "callstream_streams_tool_runs_total",
            "Tool backend requests finished, by tool and outcome (ok or error).",
            ["tool", "outcome"],
            registry=registry,
        )
        self.tool_seconds = Histogram(
            "callstream_streams_tool_run_seconds",
            "Time from asking a tool backend to having its outcome, retries included.",
            ["tool"],
            registry=registry,
        )
        self.registry_unavailable = Counter(
            "callstream_streams_schema_registry_unavailable_total",
            "Times a source's Schema Registry could not be asked (its records wait, none is "
            "dead-lettered), by source.",
            ["source"],
            registry=registry,
        )
        self.sources_waiting = Gauge(
            "callstream_streams_sources_waiting_for_registry",
            "1 while the sources loop is paused waiting for a Schema Registry, else 0.",
            registry=registry,
        )
