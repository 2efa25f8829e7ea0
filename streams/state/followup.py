"""A call's open follow-up: the undelivered causes gathered in one window, until it closes.

This module holds data and its JSON form only; ``streams.decide.followups`` decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callstream.records import FollowupCause


@dataclass(frozen=True, slots=True)
class Draft:
    """Causes undelivered within one window of a call, the first one naming the follow-up."""

    first: str
    """``{source}:{cause_id}`` of the cause that opened the window (its follow-up's id comes
    from it, so a replay that gathers the same window makes the same id)."""
    closes_at: float
    causes: tuple[FollowupCause, ...]

    def holds(self, source: str, cause_id: str) -> bool:
        return any(c.source == source and c.cause_id == cause_id for c in self.causes)

    def to_json(self) -> list[Any]:
        return [self.first, self.closes_at, [c.model_dump(mode="json") for c in self.causes]]

    @classmethod
    def from_json(cls, data: list[Any]) -> Draft:
        first, closes_at, causes = data
        return cls(
            first=str(first),
            closes_at=float(closes_at),
            causes=tuple(FollowupCause.model_validate(c) for c in causes),
        )
