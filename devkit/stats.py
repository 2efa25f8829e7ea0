"""Latency summaries in milliseconds, and ratios beside a floor (pure).

``percentile`` is the product's one definition (``callstream.stats``, nearest
rank), re-exported here so every benchmark, the fault suite and the console's
latency panel compute the same figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callstream.stats import percentile

__all__ = ["Latency", "per_thousand", "percentile", "ratio"]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


@dataclass(frozen=True)
class Latency:
    """How long a set of events took: count and percentiles in ms (None when there were none)."""

    count: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        """The summary of ``seconds`` (one duration per event)."""
        return cls(
            count=len(seconds),
            p50_ms=_ms(percentile(seconds, 0.50)),
            p95_ms=_ms(percentile(seconds, 0.95)),
            p99_ms=_ms(percentile(seconds, 0.99)),
            max_ms=_ms(max(seconds)) if seconds else None,
        )


def ratio(value: float | None, floor: float | None) -> float | None:
    """``value / floor`` to two places; None when either is missing or the floor is zero."""
    if value is None or floor is None or floor <= 0:
        return None
    return round(value / floor, 2)


def per_thousand(cpu_s: float, delivered: int) -> float | None:
    """CPU seconds per 1,000 delivered messages; None when nothing was delivered."""
    if delivered <= 0:
        return None
    return round(cpu_s * 1000 / delivered, 3)
