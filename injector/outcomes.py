"""The records an outcome becomes: a ``Delivery`` for every injection, a dead letter for failures.

Pure: builds values, sends nothing. ``latency_ms`` is end to end, from the
injection's cause (``cause_at``, else ``created_at``) to the remote's 2xx, and
only a delivered injection has one.
"""

from __future__ import annotations

from datetime import datetime

from callstream.errors import RecordError
from callstream.records import DeadLetter, Delivery, Injection, Outcome

DEAD_LETTERED: frozenset[Outcome] = frozenset({"failed", "rejected", "expired"})
"""Outcomes whose injection also goes to the DLQ (call_ended is an answer, not a failure)."""


def end_to_end_ms(injection: Injection, delivered_at: datetime) -> float:
    """Milliseconds from the injection's cause to ``delivered_at`` (never negative)."""
    start = injection.cause_at or injection.created_at
    return max(0.0, (delivered_at - start).total_seconds() * 1000.0)


def delivery_record(
    injection: Injection,
    outcome: Outcome,
    *,
    status: int | None,
    attempts: int,
    at: datetime,
    error: str | None = None,
) -> Delivery:
    """The ``deliveries`` record of one injection's final outcome."""
    return Delivery(
        injection_id=injection.injection_id,
        call_control_id=injection.call_control_id,
        outcome=outcome,
        status_code=status,
        attempts=attempts,
        latency_ms=end_to_end_ms(injection, at) if outcome == "delivered" else None,
        at=at,
        error=error,
        coalesced=injection.coalesced,
        full_messages=injection.full_messages,
    )


def dead_letter(
    *,
    reason: str,
    error: str,
    topic: str,
    partition: int,
    offset: int,
    at: datetime,
    call_control_id: str | None,
) -> DeadLetter:
    """The DLQ metadata (headers) for a record the injector gives up on."""
    return DeadLetter(
        stage="injector",
        reason=reason,
        error=error,
        topic=topic,
        partition=partition,
        offset=offset,
        at=at,
        call_control_id=call_control_id,
    )


def poison_letter(
    exc: RecordError, *, topic: str, partition: int, offset: int, at: datetime
) -> DeadLetter:
    """The DLQ metadata of a record that is not an injection at all."""
    return dead_letter(
        reason=exc.reason,
        error=exc.detail,
        topic=topic,
        partition=partition,
        offset=offset,
        at=at,
        call_control_id=None,
    )
