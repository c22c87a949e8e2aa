"""Control-chart constants against the published table and against their definitions.

Published values: ASTM Manual on Presentation of Data and Control Chart Analysis (MNL 7,
formerly STP 15D), Part 3, Table 49 / ISO 7870-2:2023, Table 2 (the same figures are reprinted in
D. C. Montgomery, Introduction to Statistical Quality Control, Appendix Table VI). Three
decimals for the factors, four for c4.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from server.inspection.constants import RANGE_MOMENTS, c4, constants

# n: (A2, A3, c4, B3, B4, d2, D3, D4)
PUBLISHED = {
    2: (1.880, 2.659, 0.7979, 0.000, 3.267, 1.128, 0.000, 3.267),
    3: (1.023, 1.954, 0.8862, 0.000, 2.568, 1.693, 0.000, 2.574),
    4: (0.729, 1.628, 0.9213, 0.000, 2.266, 2.059, 0.000, 2.282),
    5: (0.577, 1.427, 0.9400, 0.000, 2.089, 2.326, 0.000, 2.114),
    6: (0.483, 1.287, 0.9515, 0.030, 1.970, 2.534, 0.000, 2.004),
    7: (0.419, 1.182, 0.9594, 0.118, 1.882, 2.704, 0.076, 1.924),
    8: (0.373, 1.099, 0.9650, 0.185, 1.815, 2.847, 0.136, 1.864),
    9: (0.337, 1.032, 0.9693, 0.239, 1.761, 2.970, 0.184, 1.816),
    10: (0.308, 0.975, 0.9727, 0.284, 1.716, 3.078, 0.223, 1.777),
    11: (0.285, 0.927, 0.9754, 0.321, 1.679, 3.173, 0.256, 1.744),
    12: (0.266, 0.886, 0.9776, 0.354, 1.646, 3.258, 0.283, 1.717),
    13: (0.249, 0.850, 0.9794, 0.382, 1.618, 3.336, 0.307, 1.693),
    14: (0.235, 0.817, 0.9810, 0.406, 1.594, 3.407, 0.328, 1.672),
    15: (0.223, 0.789, 0.9823, 0.428, 1.572, 3.472, 0.347, 1.653),
    16: (0.212, 0.763, 0.9835, 0.448, 1.552, 3.532, 0.363, 1.637),
    17: (0.203, 0.739, 0.9845, 0.466, 1.534, 3.588, 0.378, 1.622),
    18: (0.194, 0.718, 0.9854, 0.482, 1.518, 3.640, 0.391, 1.608),
    19: (0.187, 0.698, 0.9862, 0.497, 1.503, 3.689, 0.403, 1.597),
    20: (0.180, 0.680, 0.9869, 0.510, 1.490, 3.735, 0.415, 1.585),
    21: (0.173, 0.663, 0.9876, 0.523, 1.477, 3.778, 0.425, 1.575),
    22: (0.167, 0.647, 0.9882, 0.534, 1.466, 3.819, 0.434, 1.566),
    23: (0.162, 0.633, 0.9887, 0.545, 1.455, 3.858, 0.443, 1.557),
    24: (0.157, 0.619, 0.9892, 0.555, 1.445, 3.895, 0.451, 1.548),
    25: (0.153, 0.606, 0.9896, 0.565, 1.435, 3.931, 0.459, 1.541),
}


@pytest.mark.parametrize("n", sorted(PUBLISHED))
def test_constants_match_the_published_table(n: int) -> None:
    k = constants(n)
    a2, a3, c4_, b3, b4, d2, d3_, d4 = PUBLISHED[n]
    got = (k.A2, k.A3, k.c4, k.B3, k.B4, k.d2, k.D3, k.D4)
    # One unit of the last published digit: the published D3 and D4 were worked out from d2
    # and d3 already rounded to three decimals, so a few (n = 3, 18, 24) differ by up to
    # 0.0008 from the exact value; everything else agrees within half a unit.
    for name, value, published, places in zip(
        ("A2", "A3", "c4", "B3", "B4", "d2", "D3", "D4"),
        got,
        (a2, a3, c4_, b3, b4, d2, d3_, d4),
        (3, 3, 4, 3, 3, 3, 3, 3),
        strict=True,
    ):
        assert value == pytest.approx(published, abs=10**-places + 1e-9), (n, name)


def test_c4_is_its_gamma_definition() -> None:
    assert c4(2) == pytest.approx(math.sqrt(2 / math.pi))
    # Gamma(5/2) / Gamma(2) = 3 sqrt(pi) / 4, so c4(5) = sqrt(1/2) * 3 sqrt(pi) / 4.
    assert c4(5) == pytest.approx(math.sqrt(0.5) * 3 * math.sqrt(math.pi) / 4)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 25])
def test_d2_is_the_expected_range_of_normal_samples(n: int) -> None:
    normal = NormalDist()
    h = 0.01
    xs = [-8 + i * h for i in range(1601)]
    d2 = sum(1 - (1 - normal.cdf(x)) ** n - normal.cdf(x) ** n for x in xs) * h
    assert RANGE_MOMENTS[n][0] == pytest.approx(d2, abs=5e-5)


def test_d2_of_two_is_two_over_root_pi() -> None:
    assert RANGE_MOMENTS[2][0] == pytest.approx(2 / math.sqrt(math.pi), abs=5e-6)
    assert RANGE_MOMENTS[2][1] == pytest.approx(math.sqrt(2 - 4 / math.pi), abs=5e-6)


def test_sizes_outside_the_table_are_refused() -> None:
    for n in (0, 1, 26):
        with pytest.raises(ValueError, match="between 2 and 25"):
            constants(n)
