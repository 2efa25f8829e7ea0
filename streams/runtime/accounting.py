"""What the loops did, as metrics and log lines an on-call engineer can read.

Counts only: nothing here changes what happens to a record. Every dead letter
is logged once with its ids and reason; injections are logged at debug
(they are many, and each is also a record on ``callstream.deliveries``).
Every guardrail decision is counted by source and kind (a coalesced
injection counts once per cause it replaced); an injection that a guardrail
changed beyond quoting (cut, neutralised, held, coalesced) is logged once, at
info, with its ids and the decisions, which its record also lists.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from callstream.records import Injection
from streams.batch import BatchResult, RawRecord
from streams.decide.outputs import DeadLetterOut, Dropped, FollowUp, Inject, Output, Refused
from streams.metrics import StreamsMetrics
from streams.runtime.restore import RestoreReport
from streams.state.deadlines import Deadlines

log = structlog.get_logger(__name__)

_ROUTINE = frozenset({"quoted"})
"""Decisions every message of data gets: counted, not logged."""

STATUS_LABELS: dict[str, tuple[str, ...]] = {
    "calls": ("unknown", "ringing", "active", "ended", "gone", "corrupt"),
    "index": ("keys", "held", "corrupt"),
}


def _ids(injection: Injection) -> dict[str, str]:
    """What every log line about an injection names."""
    return {
        "call_control_id": injection.call_control_id,
        "injection_id": injection.injection_id,
        "source": injection.source,
        "cause_id": injection.cause_id,
    }


class Accounting:
    """Records batches, outputs, rebalances and restores in ``metrics`` and the log."""

    def __init__(self, metrics: StreamsMetrics) -> None:
        self._metrics = metrics

    def batch(self, records: Sequence[RawRecord], result: BatchResult, seconds: float) -> None:
        metrics = self._metrics
        for role, count in result.consumed.items():
            metrics.records_in.labels(role).inc(count)
        for topic, count in result.misrouted.items():
            metrics.misrouted.labels(topic).inc(count)
            log.warning("misrouted", topic=topic, records=count)
        if result.corrupt_state:
            metrics.corrupt_state.inc(result.corrupt_state)
        metrics.batch_records.observe(len(records))
        metrics.batch_seconds.observe(seconds)

    def outputs(self, outputs: Sequence[Output], acked: float) -> None:
        """Count each output; ``acked`` is when Kafka acknowledged them (for the latency)."""
        metrics = self._metrics
        for output in outputs:
            match output:
                case Inject(injection=injection, origin=origin):
                    metrics.injections.labels(injection.source).inc()
                    metrics.latency.observe(max(0.0, acked - origin.timestamp))
                    if injection.guardrails:
                        self._guardrails(injection)
                    log.debug("injected", **_ids(injection))
                case DeadLetterOut():
                    metrics.dead_letters.labels(output.reason).inc()
                    log.warning(
                        "dead_lettered",
                        call_control_id=output.call_control_id,
                        reason=output.reason,
                        detail=output.error,
                        stage=output.stage,
                        topic=output.origin.topic,
                        partition=output.origin.partition,
                        offset=output.origin.offset,
                    )
                case Dropped():
                    metrics.dropped.labels(output.reason).inc()
                case Refused():
                    metrics.guardrails.labels(output.source, output.kind).inc()
                case FollowUp(followup=followup):
                    metrics.followups.labels(followup.source, followup.sms_skipped or "sms").inc()
                    log.info(
                        "followed_up",
                        call_control_id=followup.call_control_id,
                        followup_id=followup.followup_id,
                        causes=len(followup.cause_ids),
                        reason=followup.reason,
                        sms=followup.sms_skipped or "sms",
                    )
                case _:
                    pass

    def _guardrails(self, injection: Injection) -> None:
        counter = self._metrics.guardrails
        for kind in injection.guardrails:
            amount = len(injection.coalesced) if kind == "coalesced" else 1
            counter.labels(injection.source, kind).inc(amount)
        if not _ROUTINE.issuperset(injection.guardrails):
            log.info(
                "guardrails_applied",
                **_ids(injection),
                decisions=injection.guardrails,
                coalesced=injection.coalesced,
            )

    def records_in(self, label: str, count: int) -> None:
        self._metrics.records_in.labels(label).inc(count)

    def registry_unavailable(self, source: str, error: str, retry_in_s: float) -> None:
        self._metrics.registry_unavailable.labels(source).inc()
        self._metrics.sources_waiting.set(1)
        log.warning(
            "schema_registry_unavailable",
            source=source,
            error=error,
            retry_in_s=round(retry_in_s, 2),
            action="source partitions paused; nothing dead-lettered, offsets not advanced",
        )

    def registry_back(self) -> None:
        self._metrics.sources_waiting.set(0)
        log.info("schema_registry_asked_again", action="source partitions resumed")

    def tables(self, deadlines: Deadlines) -> None:
        """The table sizes by status, from the deadline index (cheap: no decoding)."""
        for table, labels in STATUS_LABELS.items():
            sizes = deadlines.sizes(table)
            for label in labels:
                self._metrics.table_keys.labels(table, label).set(sizes.get(label, 0))

    def rebalance(self, event: str, partitions: Sequence[int]) -> None:
        self._metrics.rebalances.labels(event).inc()
        if partitions:
            log.info("partitions_changed", change=event, partitions=list(partitions))

    def restored(self, report: RestoreReport) -> None:
        self._metrics.restore_seconds.observe(report.seconds)
        self._metrics.restored_records.inc(report.records)
        log.info(
            "partitions_restored",
            partitions=list(report.partitions),
            records=report.records,
            seconds=round(report.seconds, 3),
        )
