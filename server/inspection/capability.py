"""Process capability and performance (ISO 22514-2), with confidence intervals and normality.

* ``Cp = (USL - LSL) / (6 sigma_within)``, ``Cpk = min(USL - mean, mean - LSL) / (3 sigma_within)``,
  with sigma_within from the chart (MR-bar/d2, R-bar/d2 or s-bar/c4);
* ``Pp`` and ``Ppk`` the same with the overall sample standard deviation of all values;
* 95 % confidence intervals: for Cp and Pp from the chi-square distribution with ``N - 1``
  degrees of freedom; for Cpk and Ppk Bissell's normal approximation,
  ``C * (1 +- z sqrt(1 / (9 N C^2) + 1 / (2 (N - 1))))``;
* normality: the Anderson-Darling statistic with Stephens' small-sample factor and the
  p-value of D'Agostino and Stephens (1986); under p < 0.05 the indices are flagged as
  resting on a normality assumption the data do not support.

With a single specification limit, Cp and Pp are not defined and Cpk/Ppk are one-sided.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

__all__ = ["Capability", "Interval", "anderson_darling", "capability", "chi2_quantile"]

_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Capability:
    n: int
    mean: float
    sigma_within: float | None
    sigma_within_estimator: str | None
    sigma_overall: float
    cp: float | None
    cpk: float | None
    pp: float | None
    ppk: float | None
    cp_ci: Interval | None
    cpk_ci: Interval | None
    pp_ci: Interval | None
    ppk_ci: Interval | None
    anderson_darling: float | None
    normality_p: float | None
    normal: bool | None
    out_of_spec: int
    confidence: float


def _lower_gamma_regularized(a: float, x: float) -> float:
    """P(a, x) by its series (x < a + 1) or continued fraction (Numerical Recipes, 6.2)."""
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(10_000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return total * math.exp(log_front)
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return 1.0 - math.exp(log_front) * h


def chi2_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of the chi-square distribution with ``df`` degrees of freedom."""
    low, high = 0.0, max(1.0, df + 20.0 * math.sqrt(2.0 * df))
    for _ in range(200):
        mid = (low + high) / 2
        if _lower_gamma_regularized(df / 2.0, mid / 2.0) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


# A*^2 from which the normality p-value is reported as 0 (exp(1.2937 - 5.709 a + ...) < 1e-20).
_AD_P_FLOOR = 10.0


def anderson_darling(values: Sequence[float]) -> tuple[float, float]:
    """``(A*^2, p)``: Anderson-Darling against a normal with estimated mean and sigma."""
    n = len(values)
    mean = statistics.fmean(values)
    sd = statistics.stdev(values)
    if sd <= 0:
        return math.inf, 0.0
    xs = sorted(values)
    total = 0.0
    for i, x in enumerate(xs, start=1):
        f_low = min(max(_NORMAL.cdf((x - mean) / sd), 1e-300), 1 - 1e-16)
        f_high = min(max(_NORMAL.cdf((xs[n - i] - mean) / sd), 1e-300), 1 - 1e-16)
        total += (2 * i - 1) * (math.log(f_low) + math.log(1 - f_high))
    a2 = -n - total / n
    a = a2 * (1 + 0.75 / n + 2.25 / (n * n))
    if not math.isfinite(a) or a >= _AD_P_FLOOR:
        # The fitted p-value curves are only defined on their fitting range; past it the
        # quadratic turns upwards again (and overflows). p is already below 1e-20 there.
        p = 0.0
    elif a >= 0.6:
        p = math.exp(1.2937 - 5.709 * a + 0.0186 * a * a)
    elif a >= 0.34:
        p = math.exp(0.9177 - 4.279 * a - 1.38 * a * a)
    elif a >= 0.2:
        p = 1 - math.exp(-8.318 + 42.796 * a - 59.938 * a * a)
    else:
        p = 1 - math.exp(-13.436 + 101.14 * a - 223.73 * a * a)
    return a, min(max(p, 0.0), 1.0)


def _ratio_interval(value: float | None, n: int, confidence: float) -> Interval | None:
    if value is None or n < 2:
        return None
    alpha = 1 - confidence
    df = n - 1
    return Interval(
        value * math.sqrt(chi2_quantile(alpha / 2, df) / df),
        value * math.sqrt(chi2_quantile(1 - alpha / 2, df) / df),
    )


def _bissell(value: float | None, n: int, confidence: float) -> Interval | None:
    if value is None or n < 2 or value == 0:
        return None
    z = _NORMAL.inv_cdf(1 - (1 - confidence) / 2)
    half = z * math.sqrt(1 / (9 * n * value * value) + 1 / (2 * (n - 1)))
    return Interval(value * (1 - half), value * (1 + half))


def _finite(value: float | None) -> float | None:
    """None where a figure is not a finite number (a sigma so small the index overflows)."""
    return value if value is not None and math.isfinite(value) else None


def _indices(
    mean: float, sigma: float | None, lsl: float | None, usl: float | None
) -> tuple[float | None, float | None]:
    if sigma is None or sigma <= 0:
        return None, None
    spread = (usl - lsl) / (6 * sigma) if lsl is not None and usl is not None else None
    sides = []
    if usl is not None:
        sides.append((usl - mean) / (3 * sigma))
    if lsl is not None:
        sides.append((mean - lsl) / (3 * sigma))
    return _finite(spread), _finite(min(sides) if sides else None)


def current_indices(
    n: int,
    mean: float | None,
    sigma_overall: float | None,
    sigma_within: float | None,
    lsl: float | None,
    usl: float | None,
) -> tuple[float | None, float | None]:
    """``(Cpk, Ppk)`` from a sample's size, mean and standard deviation; None below 2 values."""
    if n < 2 or mean is None:
        return None, None
    return _indices(mean, sigma_within, lsl, usl)[1], _indices(mean, sigma_overall, lsl, usl)[1]


def capability(
    values: Sequence[float],
    lsl: float | None,
    usl: float | None,
    sigma_within: float | None = None,
    sigma_within_estimator: str | None = None,
    confidence: float = 0.95,
) -> Capability:
    """Capability of ``values`` against the specification; needs at least 2 values."""
    n = len(values)
    if n < 2:
        raise ValueError("capability needs at least 2 values")
    mean = statistics.fmean(values)
    overall = statistics.stdev(values)
    cp, cpk = _indices(mean, sigma_within, lsl, usl)
    pp, ppk = _indices(mean, overall, lsl, usl)
    ad, p = anderson_darling(values) if n >= 8 else (None, None)
    # Identical values: A*^2 is infinite (certainly not normal); report no statistic, p = 0.
    ad = _finite(ad)
    outside = sum(
        1 for v in values if (lsl is not None and v < lsl) or (usl is not None and v > usl)
    )
    return Capability(
        n=n, mean=mean, sigma_within=sigma_within,
        sigma_within_estimator=sigma_within_estimator if sigma_within is not None else None,
        sigma_overall=overall, cp=cp, cpk=cpk, pp=pp, ppk=ppk,
        cp_ci=_ratio_interval(cp, n, confidence), cpk_ci=_bissell(cpk, n, confidence),
        pp_ci=_ratio_interval(pp, n, confidence), ppk_ci=_bissell(ppk, n, confidence),
        anderson_darling=ad, normality_p=p, normal=None if p is None else p >= 0.05,
        out_of_spec=outside, confidence=confidence,
    )  # fmt: skip
