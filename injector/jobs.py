"""A consumed record as a unit of work, the per-call lanes that order them, and what each becomes.

A ``Job`` is one record of ``injections`` with where it came from (partition,
offset, and the assignment generation it was received under). Jobs of one call
wait in that call's ``Lane`` and are delivered strictly one after another;
different calls' lanes run concurrently. ``writes_for`` turns a finished job
into the records that report it — pure, so the mapping from outcome to
``deliveries``/``dlq`` writes is unit-tested without Kafka.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from callstream.records import DeadLetter, Delivery, Injection
from callstream.tracing import TraceParent
from injector.delivery import Finished
from injector.outcomes import DEAD_LETTERED, dead_letter, delivery_record
from injector.recorder import DeadLetterWrite, UndeliveredWrite


@dataclass(slots=True)
class Job:
    """One received record of ``injections``."""

    partition: int
    offset: int
    generation: int
    key: bytes | None
    value: bytes | None
    injection: Injection
    trace: TraceParent | None = None
    """The W3C context of the decision that made it (read only where tracing is on)."""


@dataclass(slots=True)
class Lane:
    """The jobs of one call, in arrival order, and the task working through them."""

    call_control_id: str
    jobs: deque[Job] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None


def undelivered_for(job: Job, ending: Finished) -> UndeliveredWrite | None:
    """The injection, unchanged, for the streams worker's follow-ups, when its call will never
    hear it (``call_ended``, ``expired``)."""
    match ending.outcome:
        case "call_ended" | "expired" as reason:
            return UndeliveredWrite(job.key, job.value, reason)
        case _:
            return None


def writes_for(
    job: Job, ending: Finished, *, topic: str
) -> tuple[Delivery, DeadLetterWrite | None]:
    """The ``deliveries`` record of a finished job, and its dead letter when it failed."""
    injection = job.injection
    delivery = delivery_record(
        injection,
        ending.outcome,
        status=ending.status,
        attempts=ending.attempts,
        at=ending.at,
        error=ending.reason or None,
    )
    if ending.outcome not in DEAD_LETTERED:
        return delivery, None
    letter: DeadLetter = dead_letter(
        reason=ending.outcome,
        error=ending.reason,
        topic=topic,
        partition=job.partition,
        offset=job.offset,
        at=ending.at,
        call_control_id=injection.call_control_id,
    )
    return delivery, DeadLetterWrite(job.key, job.value, letter)
