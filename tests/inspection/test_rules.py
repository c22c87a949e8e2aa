"""Each Nelson test on constructed sequences that trigger it and near misses that do not.

Sequences are z-values (distance from the centre line in sigma of the plotted point). The
tests are those of ISO 7870-2:2023 Annex B / GB/T 4091-2001 (Nelson, J. Qual. Technol. 16(4),
1984): the patterns and counts asserted here are the ones those sources give.
"""

from __future__ import annotations

import functools
import itertools
import random

import pytest

from server.inspection.rules import RuleState, Violation, evaluate


def fired(zs: list[float], rule: int) -> list[Violation]:
    return list(evaluate(zs, rules=[rule]))


def test_rule_1_one_point_beyond_3_sigma() -> None:
    assert fired([0.1, -0.5, 3.2], 1) == [Violation(1, (2,))]
    assert fired([0.0, -3.4], 1) == [Violation(1, (1,))]
    assert fired([2.99, -2.99, 3.0], 1) == []  # on the limit is not beyond it


def test_rule_2_nine_in_a_row_on_one_side() -> None:
    below = [-0.2] * 9
    assert fired([0.5, *below], 2) == [Violation(2, tuple(range(1, 10)))]
    assert fired([0.3] * 8 + [-0.1], 2) == []  # eight, then the other side
    assert fired([0.3] * 4 + [0.0] + [0.3] * 4, 2) == []  # a point on the centre line breaks it
    # A tenth point on the same side continues the pattern: fires again.
    assert [v.points[-1] for v in fired([0.4] * 10, 2)] == [8, 9]


def test_rule_3_six_in_a_row_steadily_increasing_or_decreasing() -> None:
    up = [-1.0, -0.6, -0.2, 0.1, 0.5, 0.9]
    assert fired(up, 3) == [Violation(3, (0, 1, 2, 3, 4, 5))]
    assert fired(list(reversed(up)), 3) == [Violation(3, (0, 1, 2, 3, 4, 5))]
    assert fired(up[:5], 3) == []  # five points (four rises) are not enough
    assert fired([-1.0, -0.6, -0.6, 0.1, 0.5, 0.9], 3) == []  # a tie breaks the run


def test_rule_4_fourteen_in_a_row_alternating() -> None:
    zigzag = [0.5 if i % 2 else -0.5 for i in range(14)]
    assert fired(zigzag, 4) == [Violation(4, tuple(range(14)))]
    assert fired(zigzag[:13], 4) == []
    broken = list(zigzag)
    broken[7] = broken[6] - 0.1  # two falls in a row
    assert fired(broken, 4) == []


def test_rule_5_two_of_three_beyond_2_sigma_on_one_side() -> None:
    assert fired([2.5, 0.1, 2.2], 5) == [Violation(5, (0, 2))]
    assert fired([0.0, 2.1, 2.6], 5) == [Violation(5, (1, 2))]
    assert fired([2.5, 0.1, -2.2], 5) == []  # opposite sides
    assert fired([2.5, 0.1, 0.3, 2.2], 5) == []  # two beyond, but not within three points
    assert fired([2.5, 2.5, 0.0], 5) == [Violation(5, (0, 1))]  # fired once, at the second


def test_rule_6_four_of_five_beyond_1_sigma_on_one_side() -> None:
    assert fired([1.5, 1.2, 0.3, 1.1, 1.8], 6) == [Violation(6, (0, 1, 3, 4))]
    assert fired([-1.5, -1.2, -0.3, -1.1, -1.8], 6) == [Violation(6, (0, 1, 3, 4))]
    assert fired([1.5, 1.2, 0.3, 0.9, 1.8], 6) == []  # three of five
    assert fired([1.5, -1.2, 1.3, -1.1, 1.8], 6) == []  # five beyond, only three on one side


def test_rule_7_fifteen_in_a_row_within_1_sigma() -> None:
    hugging = [0.5 if i % 3 else -0.4 for i in range(15)]
    assert fired(hugging, 7) == [Violation(7, tuple(range(15)))]
    assert fired(hugging[:14], 7) == []
    assert fired([*hugging[:7], 1.2, *hugging[8:]], 7) == []


def test_rule_8_eight_in_a_row_beyond_1_sigma_either_side() -> None:
    mixture = [1.4, -1.3, 1.6, -1.2, 1.1, -1.9, 1.5, -1.4]
    assert fired(mixture, 8) == [Violation(8, tuple(range(8)))]
    assert fired(mixture[:7], 8) == []
    assert fired([*mixture[:4], 0.8, *mixture[5:]], 8) == []


def test_in_control_noise_fires_nothing() -> None:
    rng = random.Random(7)
    zs = [max(-1.9, min(1.9, rng.gauss(0, 0.7))) for _ in range(12)]
    assert evaluate(zs, rules=[1, 2, 3, 5, 8]) == []


def test_incremental_state_survives_a_round_trip_and_keeps_positions() -> None:
    state = RuleState()
    for z in [0.2] * 5:
        state.add(z)
    again = RuleState.from_json(state.to_json(), rules=[2])
    hits = [v for z in [0.3] * 4 for v in again.add(z)]
    assert hits == [Violation(2, tuple(range(0, 9)))]


@pytest.mark.parametrize("rule", range(1, 9))
def test_only_selected_tests_fire(rule: int) -> None:
    others = [r for r in range(1, 9) if r != rule]
    assert all(v.rule != rule for v in evaluate([3.5] * 20, rules=others))


def _window(last: list[float], k: int) -> list[float]:
    return last[-k:] if len(last) >= k else []


def _steps(last: list[float], k: int) -> list[float]:
    return [b - a for a, b in itertools.pairwise(_window(last, k))]


def _reference(zs: list[float]) -> list[tuple[int, int]]:
    """Every (rule, position) by looking at whole windows, the way the tests are worded."""
    found = []
    for i, z in enumerate(zs):
        last = zs[: i + 1]
        window = functools.partial(_window, last)
        steps = functools.partial(_steps, last)
        if abs(z) > 3:
            found.append((1, i))
        w = window(9)
        if w and (all(v > 0 for v in w) or all(v < 0 for v in w)):
            found.append((2, i))
        s = steps(6)
        if s and (all(d > 0 for d in s) or all(d < 0 for d in s)):
            found.append((3, i))
        s = steps(14)
        if (
            s
            and all(d != 0 for d in s)
            and all((a > 0) != (b > 0) for a, b in itertools.pairwise(s))
        ):
            found.append((4, i))
        side = 1 if z > 0 else -1
        if abs(z) > 2 and sum(1 for v in last[-3:] if v * side > 2) >= 2:
            found.append((5, i))
        if abs(z) > 1 and sum(1 for v in last[-5:] if v * side > 1) >= 4:
            found.append((6, i))
        w = window(15)
        if w and all(abs(v) < 1 for v in w):
            found.append((7, i))
        w = window(8)
        if w and all(abs(v) > 1 for v in w):
            found.append((8, i))
    return found


@pytest.mark.parametrize("seed", range(20))
def test_incremental_runs_agree_with_whole_window_evaluation(seed: int) -> None:
    rng = random.Random(seed)
    # Coarse values make ties, zeros and long runs common; drifts make trends.
    zs = [round(rng.gauss(0.4 * (i // 50 % 3 - 1), 1.3) * 2) / 2 for i in range(600)]
    zs[100:120] = [0.1 * k for k in range(20)]
    zs[200:230] = [(-1) ** k * 0.5 for k in range(30)]
    got = [(v.rule, v.points[-1]) for v in evaluate(zs)]
    assert got == _reference(zs)
    # The same through a state saved and restored every 7 points (one write batch each).
    state, restored = RuleState(), []
    for i, z in enumerate(zs):
        if i % 7 == 0:
            state = RuleState.from_json(state.to_json(), rules=range(1, 9))
        restored.extend((v.rule, v.points[-1]) for v in state.add(z))
    assert restored == got
