"""Cost-recovery fee arithmetic (docs/domain-rules.md §1), exact to the fen.

``fee = consumables + staff service + depreciation + other`` per hour of instrument time,
with ``depreciation per hour = annual depreciation / rated annual machine hours``, times the
user category's factor. Each line is rounded half-up to the fen on its own and the total is
the sum of the rounded lines, so the breakdown a user sees always adds up to what is charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

__all__ = [
    "FEN",
    "CostInputs",
    "FeeLine",
    "Quote",
    "depreciation_per_hour",
    "quote",
    "round_fen",
    "share_of",
]

FEN = Decimal("0.01")
MINUTES_PER_HOUR = Decimal(60)


def round_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def share_of(amount: Decimal, share: Decimal) -> Decimal:
    """``share`` of ``amount`` rounded half-up (no-show and late-cancellation fees)."""
    return round_fen(amount * share)


def cap_share(amount: Decimal, share: Decimal) -> Decimal:
    """The most a share may cover: rounded down, so it never exceeds the share."""
    return (amount * share).quantize(FEN, rounding=ROUND_DOWN)


@dataclass(frozen=True, slots=True)
class CostInputs:
    consumables_per_hour: Decimal
    staff_service_per_hour: Decimal
    annual_depreciation: Decimal
    rated_annual_hours: int
    other_per_hour: Decimal
    per_sample_fee: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class FeeLine:
    item: str  # consumables | staff_service | depreciation | other | samples
    label: str
    rate: Decimal  # per hour (or per sample), before the category factor
    quantity: Decimal  # hours (or samples)
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    category: str
    factor: Decimal
    minutes: int
    lines: tuple[FeeLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def depreciation_per_hour(annual_depreciation: Decimal, rated_annual_hours: int) -> Decimal:
    if rated_annual_hours <= 0:
        raise ValueError("rated_annual_hours must be positive")
    return annual_depreciation / Decimal(rated_annual_hours)


_LABELS = {
    "consumables": "耗材 Consumables",
    "staff_service": "人员服务 Staff service",
    "depreciation": "设备折旧 Depreciation",
    "other": "其他 Other",
    "samples": "样品检测 Sample testing",
}


def quote(
    cost: CostInputs,
    *,
    minutes: int,
    factor: Decimal,
    category: str,
    staff_operated: bool,
    sample_count: int = 0,
) -> Quote:
    """The fee for ``minutes`` of instrument time; staff service only when staff operate it."""
    if minutes < 0 or sample_count < 0:
        raise ValueError("minutes and sample_count must not be negative")
    hours = Decimal(minutes) / MINUTES_PER_HOUR
    hourly = [
        ("consumables", cost.consumables_per_hour),
        ("staff_service", cost.staff_service_per_hour if staff_operated else Decimal("0")),
        (
            "depreciation",
            depreciation_per_hour(cost.annual_depreciation, cost.rated_annual_hours),
        ),
        ("other", cost.other_per_hour),
    ]
    lines = [
        FeeLine(item, _LABELS[item], rate, hours, round_fen(rate * hours * factor))
        for item, rate in hourly
    ]
    if staff_operated and sample_count:
        samples = Decimal(sample_count)
        lines.append(
            FeeLine(
                "samples",
                _LABELS["samples"],
                cost.per_sample_fee,
                samples,
                round_fen(cost.per_sample_fee * samples * factor),
            )
        )
    return Quote(category=category, factor=factor, minutes=minutes, lines=tuple(lines))
