"""Injections a call has decided but not yet sent: paced by its rate limit, coalesced by subject.

Each entry keeps the rendered injection, the original bytes and origin of its
(newest) cause — so a call that ends while it waits can dead-letter exactly
what arrived — its coalescing subject, its priority rank and when it may go.

This module holds data and its JSON form only; ``streams.decide.pacing`` decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callstream.records import Injection, Priority
from streams.state.held import Origin

RANKS: dict[Priority, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
URGENT = RANKS["urgent"]


@dataclass(frozen=True, slots=True)
class Queued:
    """One injection waiting for its turn on its call."""

    injection: Injection
    raw: bytes
    origin: Origin
    subject: str | None
    """Source, type and subject of an event; a newer one with the same subject replaces it.
    ``None``: never coalesced (tool results, supervisor messages)."""
    due: float
    """The earliest time it may go (a low-priority update waits for newer facts until then)."""

    @property
    def rank(self) -> int:
        return RANKS[self.injection.priority]

    def to_json(self) -> list[Any]:
        return [
            self.injection.model_dump(mode="json"),
            self.raw.decode(),
            self.origin.to_json(),
            self.subject,
            self.due,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> Queued:
        injection, raw, origin, subject, due = data
        return cls(
            injection=Injection.model_validate(injection),
            raw=str(raw).encode(),
            origin=Origin.from_json(origin),
            subject=None if subject is None else str(subject),
            due=float(due),
        )
