"""ISO 13528 robust statistics and performance scores, against worked figures."""

from __future__ import annotations

import itertools
import math

import pytest

from server.proficiency.stats import (
    Judgement,
    ScoreKind,
    algorithm_a,
    algorithm_a_steps,
    choose_score,
    consensus_uncertainty,
    en,
    judge,
    z,
    z_prime,
    zeta,
)

# A published Algorithm A worked example: S. Subramanian, "The Algorithm A in Detail" (slides,
# 22 February 2025, https://slideorbit.com/slide/the-algorithm-a-in-detail-powerpoint-ppt-presentation/291515),
# which works twelve laboratories' results through the algorithm step by step and refers to
# ISO 5725-5:1998 clause 6.2 and ISO 13528:2015 Annex E.3 for it (that these are the annex's own
# data could not be checked against the standard's text). The slides print, for laboratories
# 1, 2, 6, 8, 9, 12, 13, 14, 19, 20, 22 and 25 (slide 3, "Action 1"):
ANNEX_E3 = [1.69, 0.74, 2.05, 1.14, 2.19, 1.39, 1.52, 1.50, 1.58, 0.80, 1.21, 1.63]
# and the iterations (slides 4-7), each to the precision printed there:
#   start (median, 1.483 x MAD 0.240):  x* = 1.510, s* = 0.3559
#   iteration 1: delta = 0.5339, limits 0.98 / 2.04, then x* = 1.475, s* = 0.4072
#   iteration 2: delta = 0.6109, limits 0.86 / 2.09, then x* = 1.460, s* = 0.4486
#   iteration 3: delta = 0.6728, x* - delta = 0.7875, x* + delta = 2.1332
PRINTED_STEPS = [(1.510, 0.3559), (1.475, 0.4072), (1.460, 0.4486)]
PRINTED_DELTAS = [0.5339, 0.6109, 0.6728]


def test_algorithm_a_reproduces_the_printed_iterations_of_the_annex_e3_worked_example() -> None:
    steps = list(itertools.islice(algorithm_a_steps(ANNEX_E3), len(PRINTED_STEPS)))
    for (x, s), (printed_x, printed_s) in zip(steps, PRINTED_STEPS, strict=True):
        assert round(x, 3) == printed_x
        assert round(s, 4) == printed_s
    for (_, s), printed_delta in zip(steps, PRINTED_DELTAS, strict=True):
        assert round(1.5 * s, 4) == printed_delta
    # The winsorising limits printed for iteration 1 (rounded to the data's two decimals) and,
    # to four places, for iteration 3 (computed from the unrounded x* of iteration 2).
    x0, s0 = steps[0]
    assert (round(x0 - 1.5 * s0, 2), round(x0 + 1.5 * s0, 2)) == (0.98, 2.04)
    x2, s2 = steps[2]
    assert (round(x2 - 1.5 * s2, 4), round(x2 + 1.5 * s2, 4)) == (0.7875, 2.1332)


def test_algorithm_a_on_the_annex_e3_data_converges_where_the_standard_stops() -> None:
    # ISO 13528 stops when the third significant figure of s* no longer changes; the excerpt of
    # the slides at hand does not show the last iterations, so the converged figures below are
    # checked against that stopping rule applied to the printed iteration sequence continued.
    robust = algorithm_a(ANNEX_E3)
    previous = None
    for x, s in itertools.islice(algorithm_a_steps(ANNEX_E3), 40):
        rounded = (round(x, 3), round(s, 3))
        if rounded == previous:
            break
        previous = rounded
    assert previous == (round(robust.mean, 3), round(robust.sd, 3)) == (1.453, 0.496)


# The creosote example of ISO 5725-5:1998 (nine laboratories' cell means; ISO 13528 Annex C
# takes Algorithm A from ISO 5725-5). The expected x* = 20.41 and s* = 1.07 (three significant
# figures, the standard's convergence criterion) follow from the annex's formulas C.1-C.6; the
# printed iteration table was not at hand, so they are not a transcription of it.
CREOSOTE = [24.140, 20.155, 19.500, 20.300, 20.705, 17.570, 20.100, 20.940, 21.185]


def test_algorithm_a_on_the_creosote_example() -> None:
    robust = algorithm_a(CREOSOTE)
    assert round(robust.mean, 2) == 20.41
    assert round(robust.sd, 2) == 1.07
    assert robust.p == 9
    # Converged: one more pass from the result changes nothing.
    delta = 1.5 * robust.sd
    clipped = [min(max(v, robust.mean - delta), robust.mean + delta) for v in CREOSOTE]
    again = sum(clipped) / 9
    assert again == pytest.approx(robust.mean, abs=1e-9)


def test_algorithm_a_starts_from_the_median_and_scaled_mad() -> None:
    # The first pass by hand: median 20.300, MAD 0.645 -> s* = 1.483 x 0.645 = 0.956535;
    # delta = 1.4348; 24.140 clips to 21.7348 and 17.570 to 18.8652.
    first = algorithm_a(CREOSOTE, max_iterations=1_000)
    assert first.iterations > 1
    with pytest.raises(ValueError, match="did not converge"):
        algorithm_a(CREOSOTE, max_iterations=1)


def test_algorithm_a_refuses_what_it_cannot_estimate() -> None:
    with pytest.raises(ValueError, match="at least two"):
        algorithm_a([1.0])
    with pytest.raises(ValueError, match="identical"):
        algorithm_a([5.0, 5.0, 5.0, 6.0])


def test_consensus_uncertainty_is_1_25_s_over_root_p() -> None:
    # ISO 13528 §7.7.3: u(x_pt) = 1.25 s*/sqrt(p); with s* = 1.07 and p = 9: 0.4458.
    assert consensus_uncertainty(1.07, 9) == pytest.approx(0.445833, rel=1e-5)


# A worked example computed by hand from the formulas of ISO 13528 §9.4-9.7:
# x = 10.5, x_pt = 10.0, sigma_pt = 0.2, u(x_pt) = 0.08, u(x) = 0.15, U(x) = 0.30, U(x_pt) = 0.16.
def test_scores_by_hand() -> None:
    assert z(10.5, 10.0, 0.2) == pytest.approx(2.5)
    assert z_prime(10.5, 10.0, 0.2, 0.08) == pytest.approx(0.5 / math.sqrt(0.0464))  # 2.3212
    assert zeta(10.5, 0.15, 10.0, 0.08) == pytest.approx(0.5 / 0.17)  # 2.9412
    assert en(10.5, 0.30, 10.0, 0.16) == pytest.approx(0.5 / 0.34)  # 1.4706


def test_judgements_at_the_limits() -> None:
    assert judge(ScoreKind.Z, 2.0) is Judgement.SATISFACTORY
    assert judge(ScoreKind.Z, -2.01) is Judgement.QUESTIONABLE
    assert judge(ScoreKind.Z_PRIME, 2.99) is Judgement.QUESTIONABLE
    assert judge(ScoreKind.ZETA, -3.0) is Judgement.UNSATISFACTORY
    assert judge(ScoreKind.EN, 1.0) is Judgement.SATISFACTORY
    assert judge(ScoreKind.EN, -1.01) is Judgement.UNSATISFACTORY


def test_z_prime_replaces_z_when_the_assigned_value_is_too_uncertain() -> None:
    kind, reason = choose_score("z", 0.2, 0.06)
    assert kind is ScoreKind.Z
    assert "≤ 0.3·σ_pt" in reason
    kind, reason = choose_score("z", 0.2, 0.0601)
    assert kind is ScoreKind.Z_PRIME
    assert "> 0.3·σ_pt" in reason
    assert choose_score("zeta", None, 0.1)[0] is ScoreKind.ZETA
    assert choose_score("en", None, 0.1)[0] is ScoreKind.EN
