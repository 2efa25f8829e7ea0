"""Which dead letters to replay: a pure predicate over their metadata."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime

from callstream.records import DeadLetter


@dataclass(frozen=True)
class ReplayFilter:
    """All given criteria must hold; an empty criterion matches everything."""

    reasons: Set[str] = frozenset()
    stages: Set[str] = frozenset()
    call_ids: Set[str] = frozenset()
    topics: Set[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError("--since is after --until: nothing could match")

    def matches(self, letter: DeadLetter) -> bool:
        """Whether ``letter`` is one the operator asked to replay."""
        return (
            (not self.reasons or letter.reason in self.reasons)
            and (not self.stages or letter.stage in self.stages)
            and (not self.call_ids or letter.call_control_id in self.call_ids)
            and (not self.topics or letter.topic in self.topics)
            and (self.since is None or letter.at >= self.since)
            and (self.until is None or letter.at <= self.until)
        )
