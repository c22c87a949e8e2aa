"""Capability indices, their confidence intervals and the normality check, against textbooks.

Worked examples: D. C. Montgomery, Introduction to Statistical Quality Control, 6th ed.
(Wiley, 2009), Section 8.3.5:

* Example 8.5: USL = 62, LSL = 38, n = 20, s = 1.75, mean centred; Cp = 2.29 and the 95 %
  interval 1.57 <= Cp <= 3.01 (chi-square 8.91 and 32.85 with 19 degrees of freedom);
* Example 8.6: n = 20, Cpk = 1.33; Bissell's approximate 95 % interval 0.88 <= Cpk <= 1.78.

And the chi-square quantiles themselves against the table in the same book (Appendix III).
"""

from __future__ import annotations

import random
import statistics

import pytest

from server.inspection.capability import anderson_darling, capability, chi2_quantile


def with_moments(n: int, mean: float, sd: float) -> list[float]:
    """``n`` values with exactly this mean and sample standard deviation."""
    base = [(-1) ** i * (1 + (i // 2) * 0.1) for i in range(n)]
    m, s = statistics.fmean(base), statistics.stdev(base)
    return [mean + (b - m) / s * sd for b in base]


def test_chi_square_quantiles_match_the_table() -> None:
    assert chi2_quantile(0.025, 19) == pytest.approx(8.91, abs=0.005)
    assert chi2_quantile(0.975, 19) == pytest.approx(32.85, abs=0.005)
    assert chi2_quantile(0.05, 10) == pytest.approx(3.94, abs=0.005)
    assert chi2_quantile(0.95, 1) == pytest.approx(3.84, abs=0.005)


def test_montgomery_example_8_5_cp_and_its_interval() -> None:
    values = with_moments(20, 50.0, 1.75)
    result = capability(values, 38.0, 62.0, sigma_within=1.75, sigma_within_estimator="s")
    assert result.cp == pytest.approx(2.29, abs=0.005)
    assert result.cp_ci is not None
    # The book rounds Cp to 2.29 before multiplying: 2.29 * sqrt(8.91/19) = 1.568.
    assert result.cp_ci.low == pytest.approx(1.57, abs=0.006)
    assert result.cp_ci.high == pytest.approx(3.01, abs=0.006)
    assert result.pp == pytest.approx(result.cp)  # s is the overall sd here too
    assert result.out_of_spec == 0


def test_montgomery_example_8_6_cpk_interval() -> None:
    # Cpk = 1.33 with n = 20: mean 54, s = 2, USL 62 (one-sided, Cpk = (62 - 54) / 6).
    values = with_moments(20, 54.0, 2.0)
    result = capability(values, 38.0, 62.0, sigma_within=2.0)
    assert result.cpk == pytest.approx(1.3333, abs=1e-4)
    assert result.cpk_ci is not None
    assert result.cpk_ci.low == pytest.approx(0.88, abs=0.006)
    assert result.cpk_ci.high == pytest.approx(1.78, abs=0.006)


def test_one_sided_specification_gives_only_cpk() -> None:
    values = with_moments(30, 10.0, 1.0)
    result = capability(values, None, 16.0, sigma_within=1.0)
    assert result.cp is None
    assert result.pp is None
    assert result.cpk == pytest.approx(2.0)


def test_values_outside_the_specification_are_counted() -> None:
    result = capability([9.0, 10.0, 10.5, 12.5, 7.9], 8.0, 12.0)
    assert result.out_of_spec == 2


def test_normality_check_tells_normal_from_skewed_data() -> None:
    rng = random.Random(11)
    normal = [rng.gauss(25.0, 0.01) for _ in range(200)]
    skewed = [rng.expovariate(1.0) for _ in range(200)]
    a_normal, p_normal = anderson_darling(normal)
    a_skewed, p_skewed = anderson_darling(skewed)
    assert p_normal > 0.05
    assert a_normal < 0.75
    assert p_skewed < 0.001
    assert a_skewed > 5
    assert capability(skewed, 0.0, 10.0).normal is False


@pytest.mark.parametrize(
    "values",
    [
        [0.0] * 500 + [1.0] * 3,  # a handful of parts off a constant process
        [0.0] * 50 + [1e9],  # one wild reading among identical ones
        [1.0] * 7 + [1e300] * 2,  # values near the float range
    ],
)
def test_extremely_non_normal_data_gets_a_tiny_p_value_instead_of_a_failure(
    values: list[float],
) -> None:
    a, p = anderson_darling(values)
    assert 0.0 <= p < 1e-3
    assert a > 2
    result = capability(values, 0.0, 1.0)
    assert result.normal is False
    assert result.normality_p == p
