"""The product's one percentile: nearest rank, as every reported figure uses it."""

from __future__ import annotations

import pytest

from callstream.stats import percentile


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.5, 3.0),  # ceil(2.5) = 3rd
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0),  # exactly half: the 2nd, not the 3rd
        ([float(n) for n in range(1, 1001)], 0.999, 999.0),  # not 1000 by float noise
        ([float(n) for n in range(1, 101)], 0.99, 99.0),
        ([7.0], 0.0, 7.0),
        ([3.0, 1.0, 2.0], 1.0, 3.0),
        ([], 0.5, None),
    ],
)
def test_percentile_is_nearest_rank(
    values: list[float], share: float, expected: float | None
) -> None:
    """The smallest value with at least ``share`` of the values at or below it."""
    assert percentile(values, share) == expected
