"""The eight Nelson tests (ISO 7870-2 Annex B, GB/T 4091), evaluated one point at a time.

A point is given as its distance from the centre line in sigma of the plotted statistic
(``z = (x - CL) / sigma``, sigma being a third of the distance from CL to a control limit).
:class:`RuleState` keeps the last 15 values, the most any test looks at, so adding a point
costs a fixed amount of work whatever the length of the chart. A test fires at the point that
completes its pattern and names the points of the pattern (positions counted from 0 since the
state began, which the caller maps back to stored points).

1. one point beyond 3 sigma (either side);
2. nine points in a row on the same side of the centre line;
3. six points in a row steadily increasing, or steadily decreasing;
4. fourteen points in a row alternating up and down;
5. two of three points in a row beyond 2 sigma on the same side (the newest one of them);
6. four of five points in a row beyond 1 sigma on the same side (the newest one of them);
7. fifteen points in a row within 1 sigma on either side;
8. eight points in a row beyond 1 sigma, on either side, none within it.

A point exactly on the centre line is on neither side (it ends a run of test 2); a tie ends a
run of test 3 and test 4.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["ALL_RULES", "RULE_TEXT", "RuleState", "Violation", "evaluate"]

ALL_RULES: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
WINDOW = 15

RULE_TEXT: dict[int, str] = {
    1: "1 point beyond 3 sigma",
    2: "9 points in a row on one side of the centre line",
    3: "6 points in a row steadily increasing or decreasing",
    4: "14 points in a row alternating up and down",
    5: "2 of 3 points beyond 2 sigma on one side",
    6: "4 of 5 points beyond 1 sigma on one side",
    7: "15 points in a row within 1 sigma",
    8: "8 points in a row beyond 1 sigma on either side",
}


@dataclass(frozen=True, slots=True)
class Violation:
    rule: int
    points: tuple[int, ...]
    """Positions of the points that make the pattern, the newest last."""


@dataclass(slots=True)
class RuleState:
    """The last points of one chart, and how many points it has seen."""

    rules: frozenset[int] = frozenset(ALL_RULES)
    recent: list[float] = field(default_factory=list)
    count: int = 0

    def add(self, z: float) -> list[Violation]:
        """Add the next point; the tests it completes."""
        recent = self.recent
        recent.append(z)
        if len(recent) > WINDOW:
            del recent[0]
        position = self.count
        self.count += 1
        return _check(recent, position, self.rules)

    def to_json(self) -> dict[str, object]:
        return {"recent": list(self.recent), "count": self.count}

    @classmethod
    def from_json(cls, doc: dict[str, object] | None, rules: Iterable[int]) -> RuleState:
        state = cls(rules=frozenset(rules))
        if doc:
            recent = doc.get("recent")
            count = doc.get("count")
            if isinstance(recent, list) and isinstance(count, int):
                state.recent = [float(v) for v in recent][-WINDOW:]
                state.count = count
        return state


def _positions(position: int, k: int) -> tuple[int, ...]:
    return tuple(range(position - k + 1, position + 1))


def _check(recent: Sequence[float], position: int, rules: frozenset[int]) -> list[Violation]:
    found: list[Violation] = []
    z = recent[-1]
    n = len(recent)
    if 1 in rules and abs(z) > 3.0:
        found.append(Violation(1, (position,)))
    if 2 in rules and n >= 9:
        last = recent[-9:]
        if all(v > 0 for v in last) or all(v < 0 for v in last):
            found.append(Violation(2, _positions(position, 9)))
    if 3 in rules and n >= 6:
        last = recent[-6:]
        steps = [b - a for a, b in itertools.pairwise(last)]
        if all(s > 0 for s in steps) or all(s < 0 for s in steps):
            found.append(Violation(3, _positions(position, 6)))
    if 4 in rules and n >= 14:
        last = recent[-14:]
        steps = [b - a for a, b in itertools.pairwise(last)]
        if all(s != 0 for s in steps) and all(
            (a > 0) != (b > 0) for a, b in itertools.pairwise(steps)
        ):
            found.append(Violation(4, _positions(position, 14)))
    if 5 in rules and abs(z) > 2.0 and n >= 2:
        found.extend(_k_of_m(recent, position, 5, 2, 3, 2.0))
    if 6 in rules and abs(z) > 1.0 and n >= 4:
        found.extend(_k_of_m(recent, position, 6, 4, 5, 1.0))
    if 7 in rules and n >= 15 and all(abs(v) < 1.0 for v in recent[-15:]):
        found.append(Violation(7, _positions(position, 15)))
    if 8 in rules and n >= 8 and all(abs(v) > 1.0 for v in recent[-8:]):
        found.append(Violation(8, _positions(position, 8)))
    return found


def _k_of_m(
    recent: Sequence[float], position: int, rule: int, k: int, m: int, limit: float
) -> list[Violation]:
    """``k`` of the last ``m`` points beyond ``limit`` on the newest point's side."""
    z = recent[-1]
    sign = 1.0 if z > 0 else -1.0
    window = recent[-m:]
    first = position - len(window) + 1
    beyond = [first + i for i, v in enumerate(window) if v * sign > limit]
    if len(beyond) >= k:
        return [Violation(rule, tuple(beyond))]
    return []


def evaluate(zs: Iterable[float], rules: Iterable[int] = ALL_RULES) -> list[Violation]:
    """Every violation in a whole sequence, as incremental evaluation finds them."""
    state = RuleState(rules=frozenset(rules))
    found: list[Violation] = []
    for z in zs:
        found.extend(state.add(z))
    return found
