"""How a source event without a call id travels through the correlation index: its route.

A route carries the event's correlation keys in the configured order, which
one is being looked up now, the phase of its resolution (``probe``, ``hold``,
``final``; ``streams.correlation.resolve`` tells the story) and a call found
ended on the way. It travels in the ``callstream.route`` header of the
``streams.by-key`` records and inside a held event.

Data and its JSON form only; it never decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Phase = Literal["probe", "hold", "final"]
"""Where a correlated source event is in its resolution (see ``streams.correlation.resolve``)."""

_PHASES: tuple[Phase, ...] = ("probe", "hold", "final")


@dataclass(frozen=True, slots=True)
class Route:
    """How a source event carrying correlation keys (no call id) is being resolved."""

    keys: tuple[str, ...]
    """Its correlation keys in the configured order (``phone:+1...``, ``customer:C-1``)."""
    hop: int = 0
    """Index of the key being looked up now."""
    phase: Phase = "probe"
    ended_call: str | None = None
    """A call found under one of its keys that has already ended."""

    @property
    def key(self) -> str:
        return self.keys[self.hop]

    def to_json(self) -> list[Any]:
        return [list(self.keys), self.hop, self.phase, self.ended_call]

    @classmethod
    def from_json(cls, data: list[Any]) -> Route:
        keys, hop, phase, ended = data
        if phase not in _PHASES:
            raise ValueError(f"unknown route phase {phase!r}")
        route = cls(tuple(str(k) for k in keys), int(hop), phase, ended)
        if not route.keys or not 0 <= route.hop < len(route.keys):
            raise ValueError("route hop out of range")
        return route
