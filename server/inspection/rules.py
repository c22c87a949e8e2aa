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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["ALL_RULES", "RULE_TEXT", "RULE_TEXT_ZH", "RuleState", "Violation", "evaluate"]

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
RULE_TEXT_ZH: dict[int, str] = {
    1: "1 点超出 3σ",
    2: "连续 9 点在中心线同侧",
    3: "连续 6 点递增或递减",
    4: "连续 14 点交替升降",
    5: "3 点中有 2 点在同侧 2σ 外",
    6: "5 点中有 4 点在同侧 1σ 外",
    7: "连续 15 点在 1σ 内",
    8: "连续 8 点在中心线两侧 1σ 外",
}


@dataclass(frozen=True, slots=True)
class Violation:
    rule: int
    points: tuple[int, ...]
    """Positions of the points that make the pattern, the newest last."""


@dataclass(slots=True)
class RuleState:
    """The last points of one chart, the runs in progress, and how many points it has seen.

    The run lengths (same side, steps in one direction, alternating steps, within 1 sigma,
    beyond 1 sigma) are carried from point to point, so tests 2, 3, 4, 7 and 8 cost a few
    comparisons; tests 5 and 6 look at the last 3 or 5 points only when the new point is
    beyond 2 or 1 sigma.
    """

    rules: frozenset[int] = frozenset(ALL_RULES)
    recent: list[float] = field(default_factory=list)
    count: int = 0
    side_run: int = 0
    """Points in a row strictly on the newest point's side (0 when it is on the centre line)."""
    trend_run: int = 0
    """Steps in a row in the newest step's direction (0 after a flat step)."""
    alternating_run: int = 0
    """Steps in a row that alternate in direction, the newest included."""
    last_step: int = 0
    """Direction of the newest step: 1 up, -1 down, 0 flat or none."""
    within_run: int = 0
    beyond_run: int = 0

    def add(self, z: float) -> list[Violation]:
        """Add the next point; the tests it completes."""
        recent = self.recent
        previous = recent[-1] if recent else None
        recent.append(z)
        if len(recent) > WINDOW:
            del recent[0]
        position = self.count
        self.count += 1
        if z > 0:
            self.side_run = self.side_run + 1 if previous is not None and previous > 0 else 1
        elif z < 0:
            self.side_run = self.side_run + 1 if previous is not None and previous < 0 else 1
        else:
            self.side_run = 0
        step = 0 if previous is None or z == previous else (1 if z > previous else -1)
        if step == 0:
            self.trend_run = self.alternating_run = 0
        else:
            self.trend_run = self.trend_run + 1 if step == self.last_step else 1
            self.alternating_run = self.alternating_run + 1 if self.last_step == -step else 1
        self.last_step = step
        size = abs(z)
        self.within_run = self.within_run + 1 if size < 1.0 else 0
        self.beyond_run = self.beyond_run + 1 if size > 1.0 else 0

        rules = self.rules
        found: list[Violation] = []
        if 1 in rules and size > 3.0:
            found.append(Violation(1, (position,)))
        if 2 in rules and self.side_run >= 9:
            found.append(Violation(2, _positions(position, 9)))
        if 3 in rules and self.trend_run >= 5:
            found.append(Violation(3, _positions(position, 6)))
        if 4 in rules and self.alternating_run >= 13:
            found.append(Violation(4, _positions(position, 14)))
        if 5 in rules and size > 2.0:
            found.extend(_k_of_m(recent, position, 5, 2, 3, 2.0))
        if 6 in rules and size > 1.0:
            found.extend(_k_of_m(recent, position, 6, 4, 5, 1.0))
        if 7 in rules and self.within_run >= 15:
            found.append(Violation(7, _positions(position, 15)))
        if 8 in rules and self.beyond_run >= 8:
            found.append(Violation(8, _positions(position, 8)))
        return found

    def to_json(self) -> dict[str, object]:
        return {
            "recent": list(self.recent), "count": self.count, "side_run": self.side_run,
            "trend_run": self.trend_run, "alternating_run": self.alternating_run,
            "last_step": self.last_step, "within_run": self.within_run,
            "beyond_run": self.beyond_run,
        }  # fmt: skip

    @classmethod
    def from_json(cls, doc: dict[str, object] | None, rules: Iterable[int]) -> RuleState:
        state = cls(rules=frozenset(rules))
        if not doc:
            return state
        recent = doc.get("recent")
        if isinstance(recent, list):
            state.recent = [float(v) for v in recent][-WINDOW:]
        for name in _COUNTERS:
            value = doc.get(name)
            if isinstance(value, int):
                setattr(state, name, value)
        return state


_COUNTERS = (
    "count", "side_run", "trend_run", "alternating_run", "last_step", "within_run", "beyond_run",
)  # fmt: skip


def _positions(position: int, k: int) -> tuple[int, ...]:
    return tuple(range(position - k + 1, position + 1))


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
