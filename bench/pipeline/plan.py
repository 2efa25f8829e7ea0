"""What a load step sends, decided before it runs (pure): which event, for which call, when.

A step at ``rate`` events/s for ``duration_s`` seconds is ``rate * duration_s``
events, the n-th due ``n / rate`` seconds after the start, spread over the
live calls in turn; the kinds rotate so that every call sees every kind.
Each event's injection id is known in advance, because callstream derives it
from the cause (``callstream.ids.injection_id``), so what reached the
emulator is matched by ``command_id`` without reading any topic.

The kinds, and the path each takes to the remote:

=================  =====================================================  ===================
kind               enters as                                              path
=================  =====================================================  ===================
tool_result        a ToolResult produced to tool-results, answering a     2 hops + HTTP
                   request registered before the step
crm_event          a CRM event naming its call, produced to the CRM topic  3 hops + HTTP
crm_http           the same kind of event POSTed to ``/events/crm``       HTTP + 3 hops + HTTP
supervisor_http    a note POSTed to ``/calls/{id}/messages``              HTTP + 2 hops + HTTP
floor              a record into the floor's chain of raw relays          3 hops + HTTP
=================  =====================================================  ===================

(A hop is one produce and one consume; the CRM paths hop through
``streams.by-call`` on their way to the join.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from callstream.ids import injection_id
from ingress.identity import supervisor_message_id

Kind = Literal["tool_result", "crm_event", "crm_http", "supervisor_http", "floor"]

PIPELINE_MIX: tuple[Kind, ...] = ("tool_result", "crm_event", "crm_http", "supervisor_http")
FLOOR_MIX: tuple[Kind, ...] = ("floor",)
HTTP_KINDS: frozenset[Kind] = frozenset({"crm_http", "supervisor_http"})

KIND_LABELS: dict[Kind, str] = {
    "tool_result": "tool result (Kafka)",
    "crm_event": "CRM event (Kafka)",
    "crm_http": "CRM event (HTTP)",
    "supervisor_http": "supervisor note (HTTP)",
    "floor": "floor",
}

BENCH_TOOL = "bench_lookup"
"""A tool with no backend: the benchmark answers it on tool-results, as an enterprise service."""
CRM_SOURCE = "crm"


@dataclass(frozen=True)
class PlannedEvent:
    """One event of a step."""

    seq: int
    kind: Kind
    call: str
    cause: str
    """The id the sender gives it: request id, event id, idempotency key, floor id."""
    injection_id: str
    """The ``command_id`` it must reach the remote with."""
    offset_s: float
    """When it is due, in seconds after the step's start."""


def expected_injection_id(kind: Kind, call: str, cause: str) -> str:
    """The injection id callstream derives for this cause (``streams.decide.injections``)."""
    if kind == "tool_result":
        return injection_id("tool", cause)
    if kind in ("crm_event", "crm_http"):
        return injection_id(CRM_SOURCE, f"{cause}@{call}")
    if kind == "supervisor_http":
        return injection_id("supervisor", supervisor_message_id(call, cause))
    return injection_id("floor", cause)


def _cause(tag: str, kind: Kind, seq: int) -> str:
    letter = {"tool_result": "r", "crm_event": "e", "crm_http": "h", "supervisor_http": "m"}
    return f"{tag}-{letter.get(kind, 'f')}{seq}"


def plan_step(
    tag: str,
    calls: Sequence[str],
    *,
    rate: float,
    duration_s: float,
    mix: Sequence[Kind] = PIPELINE_MIX,
) -> list[PlannedEvent]:
    """The events of one step; ``tag`` must be unique per step (it makes every id unique)."""
    if rate <= 0 or duration_s <= 0:
        raise ValueError("rate and duration_s must be positive")
    if not calls or not mix:
        raise ValueError("a step needs at least one call and one kind")
    total = round(rate * duration_s)
    events = []
    for seq in range(total):
        call = calls[seq % len(calls)]
        # Shift the rotation every round over the calls, so each call sees every kind.
        kind = mix[(seq + seq // len(calls)) % len(mix)]
        cause = _cause(tag, kind, seq)
        events.append(
            PlannedEvent(
                seq=seq,
                kind=kind,
                call=call,
                cause=cause,
                injection_id=expected_injection_id(kind, call, cause),
                offset_s=seq / rate,
            )
        )
    return events


def tool_requests(events: Sequence[PlannedEvent]) -> list[tuple[str, str]]:
    """(call, request id) of every request the step's tool results answer."""
    return [(e.call, e.cause) for e in events if e.kind == "tool_result"]
