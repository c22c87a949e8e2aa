"""Phase 1 control limits of the X-bar-R and X-bar-S charts against worked textbook examples.

D. C. Montgomery, *Introduction to Statistical Quality Control* (6th ed.), chapter 6:

* the hard-bake flow-width example (Example 6.1): 25 subgroups of 5, grand mean 1.5056 and
  mean range 0.32521 give the X-bar chart 1.3179 … 1.6932 and the R chart 0 … 0.6876;
* the piston-ring inside-diameter example (Example 6.3): 25 subgroups of 5, grand mean 74.001
  and mean standard deviation 0.0094 give the X-bar chart 73.988 … 74.014 and the s chart
  0 … 0.0196.

The subgroups here are constructed to have exactly those grand means and mean spreads (the
means and spreads of the subgroups vary, as in the books' data); the limits must be the
published ones to the book's rounding, computed with the factors of ISO 7870-2 Table 2.
"""

from __future__ import annotations

import statistics

import pytest

from server.inspection.charts import ChartKind, compute_limits

# Offsets of five values: mean 0, range 1; scaled to a sample standard deviation of 1 below.
SHAPE = (-0.5, -0.2, 0.05, 0.15, 0.5)


def subgroups(grand_mean: float, spread: float, kind: str) -> list[list[float]]:
    """25 subgroups of 5 around different means, with ranges (or s) averaging ``spread``."""
    unit = statistics.stdev(SHAPE) if kind == "s" else max(SHAPE) - min(SHAPE)
    groups = []
    for i in range(25):
        centre = grand_mean + spread * 0.1 * (i - 12)  # the centres average the grand mean
        scale = spread * (1 + 0.02 * (i - 12)) / unit  # the spreads average ``spread``
        mean_shape = sum(SHAPE) / len(SHAPE)
        groups.append([centre + scale * (v - mean_shape) for v in SHAPE])
    return groups


def test_xbar_r_limits_of_the_flow_width_example() -> None:
    limits = compute_limits(ChartKind.XBAR_R, 5, subgroups(1.5056, 0.32521, "range"))
    assert limits.center == pytest.approx(1.5056, abs=1e-9)
    assert limits.spread_center == pytest.approx(0.32521, abs=1e-9)
    # The book multiplies by the rounded A2 = 0.577; the code by 3 / (d2 sqrt 5) = 0.57681.
    assert limits.ucl == pytest.approx(1.6932, abs=2e-4)
    assert limits.lcl == pytest.approx(1.3179, abs=2e-4)
    assert limits.spread_ucl == pytest.approx(0.6876, abs=1e-4)
    assert limits.spread_lcl == 0.0
    assert limits.sigma_within == pytest.approx(0.32521 / 2.326, rel=1e-3)
    assert limits.sigma_estimator == "R-bar / d2(5)"
    assert limits.points == 25


def test_xbar_s_limits_of_the_piston_ring_example() -> None:
    limits = compute_limits(ChartKind.XBAR_S, 5, subgroups(74.001, 0.0094, "s"))
    assert limits.center == pytest.approx(74.001, abs=1e-9)
    assert limits.spread_center == pytest.approx(0.0094, abs=1e-12)
    assert limits.ucl == pytest.approx(74.014, abs=1e-3)
    assert limits.lcl == pytest.approx(73.988, abs=1e-3)
    assert limits.spread_ucl == pytest.approx(0.0196, abs=1e-4)
    assert limits.spread_lcl == 0.0
    assert limits.sigma_within == pytest.approx(0.0094 / 0.9400, rel=1e-4)
    assert limits.sigma_estimator == "s-bar / c4(5)"


def test_a_subgroup_of_the_wrong_size_is_refused() -> None:
    groups = subgroups(74.001, 0.0094, "s")
    groups[3] = groups[3][:4]
    with pytest.raises(ValueError, match="5 values"):
        compute_limits(ChartKind.XBAR_S, 5, groups)
