"""One line of a call's timeline, and the shapes of what the console keeps per call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Kind = Literal[
    "webhook",
    "tool call",
    "tool result",
    "event",
    "supervisor",
    "injected",
    "delivered",
    "not delivered",
    "dead-lettered",
]
"""Inputs (webhook .. supervisor), the streams' decision (injected) and the outcomes."""

Tone = Literal["input", "decision", "ok", "bad"]

_STEP: dict[Tone, int] = {"input": 0, "decision": 1, "ok": 2, "bad": 2}
"""Entries at the same instant read in the pipeline's order: input, decision, outcome."""

TONES: dict[Kind, Tone] = {
    "webhook": "input",
    "tool call": "input",
    "tool result": "input",
    "event": "input",
    "supervisor": "input",
    "injected": "decision",
    "delivered": "ok",
    "not delivered": "bad",
    "dead-lettered": "bad",
}


@dataclass(slots=True)
class Entry:
    """Something that happened to a call: an input, a decision or an outcome."""

    at: datetime
    kind: Kind
    title: str
    text: str = ""
    """The full text: a message as the remote received it, an event's data, an error."""
    ids: tuple[tuple[str, str], ...] = ()
    """(name, value) pairs: request id, event id, injection id, topic:partition:offset."""
    trace_id: str | None = None
    latency_ms: float | None = None

    @property
    def tone(self) -> Tone:
        return TONES[self.kind]

    @property
    def order(self) -> tuple[datetime, int]:
        """Where it sits on the timeline: by time, then input before decision before outcome."""
        return self.at, _STEP[TONES[self.kind]]


@dataclass(slots=True)
class CallView:
    """What the console knows of one call."""

    call_control_id: str
    first_at: datetime
    last_at: datetime
    caller: str | None = None
    callee: str | None = None
    customer_id: str | None = None
    ended_at: datetime | None = None
    hangup_cause: str | None = None
    pending: dict[str, str] = field(default_factory=dict)
    """Tool requests asked and not yet answered: request id -> tool."""
    answered: set[str] = field(default_factory=set)
    """Request ids already answered (a result read before its request is not pending)."""
    delivered: int = 0
    entries: list[Entry] = field(default_factory=list)
    dropped_entries: int = 0
    """Entries beyond the per-call bound: counted, not kept."""
    injected: dict[str, Entry] = field(default_factory=dict)
    """Injection id -> its entry, so a delivery can show the text that was sent."""
    awaiting_text: dict[str, Entry] = field(default_factory=dict)
    """Deliveries read before their injection: given its text when it is read."""

    @property
    def live(self) -> bool:
        return self.ended_at is None
