"""Control-chart constants for subgroup sizes 2 to 25 (ISO 7870-2, Table 2).

Everything follows from three numbers of the normal distribution per subgroup size ``n``:

* ``d2``: the mean of the range of ``n`` standard normal values, ``E[W] = d2 * sigma``;
* ``d3``: the standard deviation of that range;
* ``c4``: the mean of the sample standard deviation, ``E[s] = c4 * sigma``.

``c4`` has a closed form (gamma functions) and is computed. ``d2`` and ``d3`` are integrals
of the normal distribution; :data:`RANGE_MOMENTS` holds them to five decimals, computed by
numerical integration (trapezoid rule on two grids, Richardson-extrapolated; the tests in
tests/inspection/test_constants.py integrate d2 again and check the whole
table against the published three-decimal values). The chart factors are the usual
combinations (3-sigma limits):

* ``A2 = 3 / (d2 sqrt n)``, ``D3 = max(0, 1 - 3 d3 / d2)``, ``D4 = 1 + 3 d3 / d2`` (X-bar-R);
* ``A3 = 3 / (c4 sqrt n)``, ``B3 = max(0, 1 - 3 sqrt(1 - c4^2) / c4)``,
  ``B4 = 1 + 3 sqrt(1 - c4^2) / c4`` (X-bar-S);
* individuals use the moving range of two points: ``d2(2)``, ``D4(2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

__all__ = ["MAX_SUBGROUP", "RANGE_MOMENTS", "ChartConstants", "c4", "constants"]

MAX_SUBGROUP = 25

RANGE_MOMENTS: dict[int, tuple[float, float]] = {
    2: (1.12838, 0.85250),
    3: (1.69257, 0.88837),
    4: (2.05875, 0.87981),
    5: (2.32593, 0.86408),
    6: (2.53441, 0.84804),
    7: (2.70436, 0.83321),
    8: (2.84720, 0.81983),
    9: (2.97003, 0.80783),
    10: (3.07751, 0.79705),
    11: (3.17287, 0.78732),
    12: (3.25846, 0.77848),
    13: (3.33598, 0.77042),
    14: (3.40676, 0.76302),
    15: (3.47183, 0.75621),
    16: (3.53198, 0.74991),
    17: (3.58788, 0.74405),
    18: (3.64006, 0.73859),
    19: (3.68896, 0.73348),
    20: (3.73495, 0.72869),
    21: (3.77834, 0.72417),
    22: (3.81938, 0.71992),
    23: (3.85832, 0.71589),
    24: (3.89535, 0.71207),
    25: (3.93063, 0.70844),
}
"""``n -> (d2, d3)`` for the range of ``n`` independent standard normal values."""


def c4(n: int) -> float:
    """``sqrt(2 / (n - 1)) * Gamma(n / 2) / Gamma((n - 1) / 2)``."""
    if n < 2:
        raise ValueError("c4 needs a subgroup of at least 2")
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


@dataclass(frozen=True, slots=True)
class ChartConstants:
    n: int
    d2: float
    d3: float
    c4: float
    A2: float
    A3: float
    B3: float
    B4: float
    D3: float
    D4: float


@cache
def constants(n: int) -> ChartConstants:
    """The constants for subgroup size ``n`` (2 to :data:`MAX_SUBGROUP`)."""
    if n not in RANGE_MOMENTS:
        raise ValueError(f"subgroup size must be between 2 and {MAX_SUBGROUP}, not {n}")
    d2, d3 = RANGE_MOMENTS[n]
    cn = c4(n)
    spread_s = 3.0 * math.sqrt(1.0 - cn * cn) / cn
    return ChartConstants(
        n=n,
        d2=d2,
        d3=d3,
        c4=cn,
        A2=3.0 / (d2 * math.sqrt(n)),
        A3=3.0 / (cn * math.sqrt(n)),
        B3=max(0.0, 1.0 - spread_s),
        B4=1.0 + spread_s,
        D3=max(0.0, 1.0 - 3.0 * d3 / d2),
        D4=1.0 + 3.0 * d3 / d2,
    )
