"""Latency summaries, ratios and the cost arithmetic of the benchmark."""

from __future__ import annotations

import pytest

from devkit.stats import Latency, per_thousand, ratio


def test_percentiles_are_nearest_rank_in_milliseconds() -> None:
    """p50/p95/p99 pick the nearest-rank value of the durations, converted to ms."""
    seconds = [n / 1000 for n in range(1, 101)]  # 1 ms .. 100 ms
    summary = Latency.of(seconds)
    assert summary == Latency(count=100, p50_ms=50.0, p95_ms=95.0, p99_ms=99.0, max_ms=100.0)


def test_the_order_of_the_durations_does_not_matter() -> None:
    """The summary of shuffled durations is the summary of sorted ones."""
    assert Latency.of([0.003, 0.001, 0.002]) == Latency.of([0.001, 0.002, 0.003])


def test_no_durations_summarise_to_nothing() -> None:
    """An empty step has a count of zero and no percentiles (not zeros)."""
    assert Latency.of([]) == Latency(0, None, None, None, None)


def test_one_duration_is_every_percentile() -> None:
    """With a single event, every percentile is that event."""
    assert Latency.of([0.0125]) == Latency(1, 12.5, 12.5, 12.5, 12.5)


@pytest.mark.parametrize(
    ("value", "floor", "expected"),
    [
        (30.0, 10.0, 3.0),
        (10.0, 30.0, 0.33),
        (5.0, None, None),
        (None, 5.0, None),
        (5.0, 0.0, None),
    ],
)
def test_ratio_to_the_floor(
    value: float | None, floor: float | None, expected: float | None
) -> None:
    """A ratio needs both figures and a positive floor; it is rounded to two places."""
    assert ratio(value, floor) == expected


@pytest.mark.parametrize(
    ("cpu_s", "delivered", "expected"),
    [(2.5, 5000, 0.5), (0.0, 100, 0.0), (1.0, 0, None)],
)
def test_cpu_per_thousand_delivered(cpu_s: float, delivered: int, expected: float | None) -> None:
    """CPU seconds scale to 1,000 deliveries; nothing delivered means no figure."""
    assert per_thousand(cpu_s, delivered) == expected
