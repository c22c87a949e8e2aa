"""Robust statistics and performance scores of ISO 13528 (pure functions, no database).

- ``algorithm_a``: the robust mean x* and robust standard deviation s* of ISO 13528 Annex C
  (C.3.1), iterated until neither changes by more than ``tolerance`` relative to s*.
- ``consensus_uncertainty``: u(x_pt) = 1.25 s* / sqrt(p) for a consensus assigned value (§7.7.3).
- ``z``, ``z_prime``, ``zeta``, ``en``: the scores of §9.4-9.7, and ``judge`` their judgement.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Judgement",
    "RobustEstimate",
    "ScoreKind",
    "algorithm_a",
    "algorithm_a_steps",
    "choose_score",
    "consensus_uncertainty",
    "en",
    "judge",
    "z",
    "z_prime",
    "zeta",
]

# u(x_pt) above this share of sigma_pt makes z misleading: z' is used instead (ISO 13528 §9.5).
Z_PRIME_THRESHOLD = 0.3


class ScoreKind(StrEnum):
    Z = "z"
    Z_PRIME = "z_prime"
    ZETA = "zeta"
    EN = "en"


class Judgement(StrEnum):
    SATISFACTORY = "satisfactory"
    QUESTIONABLE = "questionable"
    UNSATISFACTORY = "unsatisfactory"


@dataclass(frozen=True, slots=True)
class RobustEstimate:
    mean: float
    sd: float
    iterations: int
    p: int


def algorithm_a_steps(values: Sequence[float]) -> Iterator[tuple[float, float]]:
    """The successive (x*, s*) of Algorithm A: first the starting values (median and
    1.483 x the median absolute deviation, C.3.1 formulas C.1-C.2), then one pair per update
    (winsorising at x* +/- 1.5 s*, mean and 1.134 x the standard deviation, C.3-C.6), without end.
    """
    data = [float(v) for v in values]
    p = len(data)
    if p < 2:
        raise ValueError("Algorithm A needs at least two results")
    x = statistics.median(data)
    s = 1.483 * statistics.median(abs(v - x) for v in data)
    if s == 0:
        # More than half the results agree exactly: the spread cannot be estimated robustly.
        raise ValueError("more than half of the results are identical: s* would be zero")
    yield x, s
    while True:
        delta = 1.5 * s
        clipped = [min(max(v, x - delta), x + delta) for v in data]
        x = math.fsum(clipped) / p
        s = 1.134 * math.sqrt(math.fsum((v - x) ** 2 for v in clipped) / (p - 1))
        yield x, s


def algorithm_a(
    values: Sequence[float], *, tolerance: float = 1e-12, max_iterations: int = 1000
) -> RobustEstimate:
    """ISO 13528 Algorithm A: Huber winsorising at 1.5 s*, with s* rescaled by 1.134.

    Iterated until neither x* nor s* changes by more than ``tolerance`` x s*: far past the
    standard's "no change in the third significant figure", so the result does not depend on
    where a hand calculation would have stopped.
    """
    steps = algorithm_a_steps(values)
    x, s = next(steps)
    p = len(values)
    for iteration in range(1, max_iterations + 1):
        new_x, new_s = next(steps)
        converged = abs(new_x - x) <= tolerance * new_s and abs(new_s - s) <= tolerance * new_s
        x, s = new_x, new_s
        if converged:
            return RobustEstimate(x, s, iteration, p)
    raise ValueError(f"Algorithm A did not converge in {max_iterations} iterations")


def consensus_uncertainty(robust_sd: float, p: int) -> float:
    return 1.25 * robust_sd / math.sqrt(p)


def z(x: float, x_pt: float, sigma_pt: float) -> float:
    return (x - x_pt) / sigma_pt


def z_prime(x: float, x_pt: float, sigma_pt: float, u_x_pt: float) -> float:
    return (x - x_pt) / math.sqrt(sigma_pt**2 + u_x_pt**2)


def zeta(x: float, u_x: float, x_pt: float, u_x_pt: float) -> float:
    return (x - x_pt) / math.sqrt(u_x**2 + u_x_pt**2)


def en(x: float, expanded_u_x: float, x_pt: float, expanded_u_x_pt: float) -> float:
    return (x - x_pt) / math.sqrt(expanded_u_x**2 + expanded_u_x_pt**2)


def choose_score(policy: str, sigma_pt: float | None, u_x_pt: float) -> tuple[ScoreKind, str]:
    """The score a round uses, with the reason the report prints."""
    if policy == "zeta":
        return ScoreKind.ZETA, (
            "ζ 比分数：由能力验证提供者选定，参加者自身的不确定度参与评价（ISO 13528 §9.6）"
            " / ζ score, chosen by the provider: the participants' own uncertainties are part "
            "of the evaluation"
        )
    if policy == "en":
        return ScoreKind.EN, (
            "En 值：由能力验证提供者选定，比较结果与指定值的扩展不确定度（ISO 13528 §9.7）"
            " / En number, chosen by the provider: expanded uncertainties of result and "
            "assigned value are compared"
        )
    assert sigma_pt is not None
    limit = Z_PRIME_THRESHOLD * sigma_pt
    if u_x_pt > limit:
        return ScoreKind.Z_PRIME, (
            f"z′ 比分数：u(x_pt) = {u_x_pt:.4g} > 0.3·σ_pt = {limit:.4g}，须计入指定值的不确定度"
            "（ISO 13528 §9.5） / z′ score: the assigned value's uncertainty is included"
        )
    return ScoreKind.Z, (
        f"z 比分数：u(x_pt) = {u_x_pt:.4g} ≤ 0.3·σ_pt = {limit:.4g}，指定值的不确定度可忽略"
        "（ISO 13528 §9.4） / z score: the assigned value's uncertainty is negligible"
    )


def judge(kind: ScoreKind, score: float) -> Judgement:
    """|z|, |z′|, |ζ| ≤ 2 satisfactory, < 3 questionable, else unsatisfactory; |En| ≤ 1."""
    size = abs(score)
    if kind is ScoreKind.EN:
        return Judgement.SATISFACTORY if size <= 1.0 else Judgement.UNSATISFACTORY
    if size <= 2.0:
        return Judgement.SATISFACTORY
    if size < 3.0:
        return Judgement.QUESTIONABLE
    return Judgement.UNSATISFACTORY
