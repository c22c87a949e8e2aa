"""Control limits (ISO 7870-2) from a Phase 1 baseline, and the plotted statistic of a subgroup.

Three charts:

* ``imr``: individuals and moving range (subgroup size 1). Within sigma = mean moving range
  of consecutive baseline points / d2(2); limits CL +- 3 sigma; MR chart 0 .. D4(2) * MR-bar.
* ``xbar_r``: subgroup means and ranges. Within sigma = R-bar / d2(n); limits
  X-double-bar +- A2 R-bar; R chart D3 R-bar .. D4 R-bar.
* ``xbar_s``: subgroup means and standard deviations. Within sigma = s-bar / c4(n); limits
  X-double-bar +- A3 s-bar; S chart B3 s-bar .. B4 s-bar.

Points excluded from the baseline (an assignable cause, recorded with its reason) count in
neither the centre line nor the spread; for I-MR a moving range is taken between consecutive
kept points.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum

from server.inspection.constants import constants

__all__ = ["ChartKind", "Limits", "SubgroupStat", "compute_limits", "subgroup_stat"]


class ChartKind(StrEnum):
    IMR = "imr"
    XBAR_R = "xbar_r"
    XBAR_S = "xbar_s"


@dataclass(frozen=True, slots=True)
class Limits:
    chart: ChartKind
    subgroup_size: int
    center: float
    ucl: float
    lcl: float
    spread_center: float
    spread_ucl: float
    spread_lcl: float
    sigma_within: float
    sigma_estimator: str
    points: int

    @property
    def point_sigma(self) -> float:
        """Sigma of the plotted statistic: a third of the distance from CL to UCL."""
        return (self.ucl - self.center) / 3.0

    def z(self, value: float) -> float:
        sigma = self.point_sigma
        return (value - self.center) / sigma if sigma > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        doc = asdict(self)
        doc["chart"] = self.chart.value
        return doc


@dataclass(frozen=True, slots=True)
class SubgroupStat:
    """What one subgroup plots: its location (mean) and spread (range, s or moving range)."""

    location: float
    spread: float | None


def subgroup_stat(
    chart: ChartKind, values: Sequence[float], previous: float | None
) -> SubgroupStat:
    """The plotted point of a complete subgroup; ``previous`` is the last individual (I-MR)."""
    if chart is ChartKind.IMR:
        x = values[0]
        return SubgroupStat(x, None if previous is None else abs(x - previous))
    mean = math.fsum(values) / len(values)
    if chart is ChartKind.XBAR_R:
        return SubgroupStat(mean, max(values) - min(values))
    return SubgroupStat(mean, statistics.stdev(values))


def compute_limits(
    chart: ChartKind, subgroup_size: int, subgroups: Sequence[Sequence[float]]
) -> Limits:
    """Phase 1 limits from the kept baseline subgroups (each of ``subgroup_size`` values)."""
    if chart is ChartKind.IMR:
        xs = [g[0] for g in subgroups]
        if len(xs) < 2:
            raise ValueError("an individuals chart needs at least 2 baseline points")
        mrs = [abs(b - a) for a, b in itertools.pairwise(xs)]
        mr_bar = math.fsum(mrs) / len(mrs)
        k = constants(2)
        sigma = mr_bar / k.d2
        center = math.fsum(xs) / len(xs)
        return Limits(
            chart, 1, center, center + 3 * sigma, center - 3 * sigma,
            mr_bar, k.D4 * mr_bar, k.D3 * mr_bar, sigma, "MR-bar / d2(2)", len(xs),
        )  # fmt: skip
    if not subgroups:
        raise ValueError("the baseline has no complete subgroup")
    for g in subgroups:
        if len(g) != subgroup_size:
            raise ValueError(f"every baseline subgroup must have {subgroup_size} values")
    k = constants(subgroup_size)
    means = [math.fsum(g) / len(g) for g in subgroups]
    center = math.fsum(means) / len(means)
    if chart is ChartKind.XBAR_R:
        r_bar = math.fsum(max(g) - min(g) for g in subgroups) / len(subgroups)
        return Limits(
            chart, subgroup_size, center, center + k.A2 * r_bar, center - k.A2 * r_bar,
            r_bar, k.D4 * r_bar, k.D3 * r_bar, r_bar / k.d2, f"R-bar / d2({subgroup_size})",
            len(subgroups),
        )  # fmt: skip
    s_bar = math.fsum(statistics.stdev(g) for g in subgroups) / len(subgroups)
    return Limits(
        chart, subgroup_size, center, center + k.A3 * s_bar, center - k.A3 * s_bar,
        s_bar, k.B4 * s_bar, k.B3 * s_bar, s_bar / k.c4, f"s-bar / c4({subgroup_size})",
        len(subgroups),
    )  # fmt: skip
