"""Cost-recovery fee arithmetic (docs/booking-and-fees.md, "Fees exact to the fen").

A lab publishes one fee per hour of instrument time for each user category:

    cost lines per hour = consumables, staff service (staff-operated only),
                          depreciation (= annual depreciation / rated annual machine hours), other
    published line      = line rate x category factor, rounded half up to the fen
    published hourly fee = sum of the published lines

and the charge for a booking is ``round_half_up(published hourly fee x hours)`` to the fen,
plus the published per-sample fee x samples for staff-operated sample testing. The cost lines
are the breakdown of the hourly fee (they add up to it exactly); they are never rounded per
booking and summed, which could differ from the fee x hours by a fen (3.5 h at 155.00 must be
542.50, not 542.51).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

__all__ = [
    "FEN",
    "CostInputs",
    "FeeLine",
    "HourlyLine",
    "Quote",
    "depreciation_per_hour",
    "hourly_lines",
    "quote",
    "round_fen",
    "share_of",
    "time_charge",
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
class HourlyLine:
    """One cost line of the published hourly fee."""

    item: str  # consumables | staff_service | depreciation | other
    label: str
    rate: Decimal  # per hour, before the category factor (depreciation unrounded)
    per_hour: Decimal  # published: rate x factor, rounded half up to the fen


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One line of a charge: instrument time at the hourly fee, or samples."""

    item: str  # time | samples
    label: str
    rate: Decimal  # the published hourly fee (or per-sample fee), in fen
    quantity: Decimal  # hours (or samples)
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    category: str
    factor: Decimal
    minutes: int
    hourly_lines: tuple[HourlyLine, ...]
    lines: tuple[FeeLine, ...]

    @property
    def hourly_fee(self) -> Decimal:
        """The published fee per hour: the sum of the published cost lines."""
        return sum((line.per_hour for line in self.hourly_lines), Decimal("0.00"))

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
    "time": "机时 Instrument time",
    "samples": "样品检测 Sample testing",
}


def hourly_lines(
    cost: CostInputs, *, factor: Decimal, staff_operated: bool
) -> tuple[HourlyLine, ...]:
    """The published cost lines per hour for a category; staff service only when staff operate."""
    rates = [
        ("consumables", cost.consumables_per_hour),
        ("staff_service", cost.staff_service_per_hour if staff_operated else Decimal("0")),
        (
            "depreciation",
            depreciation_per_hour(cost.annual_depreciation, cost.rated_annual_hours),
        ),
        ("other", cost.other_per_hour),
    ]
    return tuple(
        HourlyLine(item, _LABELS[item], rate, round_fen(rate * factor)) for item, rate in rates
    )


def time_charge(hourly_fee: Decimal, minutes: int) -> Decimal:
    """``round_half_up(hourly fee x minutes / 60)`` to the fen."""
    return round_fen(hourly_fee * Decimal(minutes) / MINUTES_PER_HOUR)


def quote(
    cost: CostInputs,
    *,
    minutes: int,
    factor: Decimal,
    category: str,
    staff_operated: bool,
    sample_count: int = 0,
) -> Quote:
    """The fee for ``minutes`` of instrument time at the published hourly fee."""
    if minutes < 0 or sample_count < 0:
        raise ValueError("minutes and sample_count must not be negative")
    per_hour = hourly_lines(cost, factor=factor, staff_operated=staff_operated)
    hourly_fee = sum((line.per_hour for line in per_hour), Decimal("0.00"))
    hours = Decimal(minutes) / MINUTES_PER_HOUR
    lines = [FeeLine("time", _LABELS["time"], hourly_fee, hours, time_charge(hourly_fee, minutes))]
    if staff_operated and sample_count:
        per_sample = round_fen(cost.per_sample_fee * factor)
        samples = Decimal(sample_count)
        lines.append(
            FeeLine("samples", _LABELS["samples"], per_sample, samples, per_sample * samples)
        )
    return Quote(
        category=category,
        factor=factor,
        minutes=minutes,
        hourly_lines=per_hour,
        lines=tuple(lines),
    )
