"""The step search for the highest sustainable rate (pure): which rate to offer next.

A step passes when its p99 stays under the bound and nothing was lost or
refused (``passes``). The search climbs geometrically from ``start`` while
steps pass, then bisects between the best pass and the lowest failure until
the two are within ``resolution`` of each other; when even the first step
fails it halves down towards ``floor``. It stops after ``max_steps`` whatever
happens, so a run is bounded in time however noisy the machine is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Tried:
    """One step of the search: the offered rate and whether it passed."""

    rate: float
    passed: bool


@dataclass(frozen=True)
class SearchPolicy:
    """How the search moves; validated when built."""

    start: float = 500.0
    growth: float = 1.6
    ceiling: float = 5000.0
    floor: float = 50.0
    resolution: float = 0.15
    """Stop when (lowest failure - best pass) / best pass is at most this."""
    max_steps: int = 6
    quantum: float = 50.0
    """Rates are rounded to a multiple of this, so tables read cleanly."""

    def __post_init__(self) -> None:
        if not 0 < self.floor <= self.start <= self.ceiling:
            raise ValueError("need 0 < floor <= start <= ceiling")
        if self.growth <= 1 or self.resolution <= 0 or self.max_steps < 1 or self.quantum <= 0:
            raise ValueError("growth must exceed 1; resolution, max_steps, quantum be positive")

    def _round(self, rate: float) -> float:
        """To the nearest multiple of ``quantum``, halves up (never below one quantum)."""
        return max(self.quantum, math.floor(rate / self.quantum + 0.5) * self.quantum)


def passes(*, p99_ms: float | None, lost: int, refused: int, bound_ms: float) -> bool:
    """A step passes when every event arrived, none was refused, and p99 < ``bound_ms``."""
    return p99_ms is not None and p99_ms < bound_ms and lost == 0 and refused == 0


def next_rate(policy: SearchPolicy, tried: Sequence[Tried]) -> float | None:
    """The rate to offer next, or None when the search is done."""
    if not tried:
        return policy._round(policy.start)
    if len(tried) >= policy.max_steps:
        return None
    rates = {t.rate for t in tried}
    best = sustained(tried)
    failures = [t.rate for t in tried if not t.passed]
    lowest_failure = min(failures) if failures else None
    if lowest_failure is None:
        assert best is not None
        candidate = policy._round(min(best * policy.growth, policy.ceiling))
    elif best is None:
        candidate = policy._round(lowest_failure / 2)
        if candidate < policy.floor:
            return None
    else:
        if (lowest_failure - best) / best <= policy.resolution:
            return None
        candidate = policy._round((best + lowest_failure) / 2)
    return None if candidate in rates else candidate


def sustained(tried: Sequence[Tried]) -> float | None:
    """The highest passing rate below every failing one (a pass above a failure is noise)."""
    failures = [t.rate for t in tried if not t.passed]
    limit = min(failures) if failures else float("inf")
    passing = [t.rate for t in tried if t.passed and t.rate < limit]
    return max(passing) if passing else None
