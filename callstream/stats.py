"""The one percentile definition (nearest rank) every figure callstream reports uses.

The console's latency panel, the benchmarks and the fault suite all compute
their percentiles here, so their figures compare. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank ``share`` quantile (0..1) of ``values``: the smallest value with at
    least that share of ``values`` at or below it. None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    # The epsilon keeps float noise (0.999 * 1000 = 999.0000000000001) from moving a rank up.
    rank = math.ceil(share * len(ordered) - 1e-9)
    return ordered[min(len(ordered), max(1, rank)) - 1]
