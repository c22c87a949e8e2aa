"""The charge is the published hourly fee times the hours, rounded half up to the fen.

Labs publish one fee per hour, the sum of its cost lines in fen; an enterprise checks a
charge against it: 3.5 h at 155.00 CNY/h is 542.50. Rounding each cost line's amount for the
booking on its own and adding them up gave 542.51.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from server.billing.fees import CostInputs, quote, share_of

# Per hour: 12.35 + 80.00 + 88,480 / 1,600 (= 55.30) + 7.35 = 155.00 CNY.
LAB = CostInputs(
    consumables_per_hour=Decimal("12.35"),
    staff_service_per_hour=Decimal("80.00"),
    annual_depreciation=Decimal("88480.00"),
    rated_annual_hours=1600,
    other_per_hour=Decimal("7.35"),
    per_sample_fee=Decimal("45.00"),
)


def test_three_and_a_half_hours_at_155_is_542_50() -> None:
    q = quote(LAB, minutes=210, factor=Decimal("1"), category="enterprise", staff_operated=True)
    assert q.hourly_fee == Decimal("155.00")
    assert q.total == Decimal("542.50")  # per-line rounding gave 43.23 + 280 + 193.55 + 25.73
    # The cost lines are the breakdown of the hourly fee and add up to it exactly.
    assert {line.item: line.per_hour for line in q.hourly_lines} == {
        "consumables": Decimal("12.35"),
        "staff_service": Decimal("80.00"),
        "depreciation": Decimal("55.30"),
        "other": Decimal("7.35"),
    }
    assert sum(line.per_hour for line in q.hourly_lines) == q.hourly_fee
    time = next(line for line in q.lines if line.item == "time")
    assert (time.rate, time.quantity, time.amount) == (
        Decimal("155.00"),
        Decimal("3.5"),
        Decimal("542.50"),
    )


def test_self_operated_hourly_fee_leaves_out_staff_service_and_applies_the_factor() -> None:
    q = quote(LAB, minutes=90, factor=Decimal("0.5"), category="internal", staff_operated=False)
    # 12.35*0.5 = 6.175 -> 6.18; 55.30*0.5 = 27.65; 7.35*0.5 = 3.675 -> 3.68
    assert [line.per_hour for line in q.hourly_lines] == [
        Decimal("6.18"),
        Decimal("0.00"),
        Decimal("27.65"),
        Decimal("3.68"),
    ]
    assert q.hourly_fee == Decimal("37.51")
    assert q.total == Decimal("56.27")  # 37.51 * 1.5 = 56.265 -> half up


def test_samples_are_charged_at_the_published_per_sample_fee() -> None:
    q = quote(
        LAB,
        minutes=150,
        factor=Decimal("1"),
        category="enterprise",
        staff_operated=True,
        sample_count=3,
    )
    amounts = {line.item: line.amount for line in q.lines}
    assert amounts == {"time": Decimal("387.50"), "samples": Decimal("135.00")}
    assert q.total == Decimal("522.50")


def test_no_show_and_late_cancellation_shares_apply_to_that_charge() -> None:
    q = quote(LAB, minutes=210, factor=Decimal("1"), category="enterprise", staff_operated=True)
    assert share_of(q.total, Decimal("1")) == Decimal("542.50")
    assert share_of(q.total, Decimal("0.5")) == Decimal("271.25")


money_per_hour = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)


@given(
    consumables=money_per_hour,
    staff=money_per_hour,
    annual_depreciation=st.decimals(min_value=0, max_value=10_000_000, places=2),
    rated_hours=st.integers(min_value=1, max_value=8784),
    other=money_per_hour,
    minutes=st.integers(min_value=0, max_value=7 * 24 * 60),
    factor=st.decimals(min_value=0, max_value=3, places=4),
    staff_operated=st.booleans(),
)
def test_charge_is_the_published_hourly_fee_times_hours_rounded_half_up(
    consumables: Decimal,
    staff: Decimal,
    annual_depreciation: Decimal,
    rated_hours: int,
    other: Decimal,
    minutes: int,
    factor: Decimal,
    staff_operated: bool,
) -> None:
    cost = CostInputs(consumables, staff, annual_depreciation, rated_hours, other)
    q = quote(
        cost, minutes=minutes, factor=factor, category="enterprise", staff_operated=staff_operated
    )
    published = sum((line.per_hour for line in q.hourly_lines), Decimal("0.00"))
    assert q.hourly_fee == published
    assert published == published.quantize(Decimal("0.01"))
    expected = (published * Decimal(minutes) / Decimal(60)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    assert q.total == expected
    # Every published cost line is its rate times the category's factor, to the fen.
    for line in q.hourly_lines:
        assert abs(line.per_hour - line.rate * factor) <= Decimal("0.005")
