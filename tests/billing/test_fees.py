"""Fee and voucher arithmetic: exact fen, parts that always add up, caps that always hold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.billing.fees import CostInputs, depreciation_per_hour, quote, round_fen, share_of
from server.billing.vouchers import region_allows, split_charge, voucher_usable

money = st.decimals(min_value=0, max_value=1_000_000, places=2, allow_nan=False)
share = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False)
factor = st.decimals(min_value=0, max_value=3, places=4, allow_nan=False)

CHAMBER = CostInputs(
    consumables_per_hour=Decimal("12.50"),
    staff_service_per_hour=Decimal("80.00"),
    annual_depreciation=Decimal("96000.00"),
    rated_annual_hours=1600,
    other_per_hour=Decimal("7.35"),
    per_sample_fee=Decimal("45.00"),
)


def test_published_formula_for_two_and_a_half_hours_staff_operated() -> None:
    q = quote(
        CHAMBER,
        minutes=150,
        factor=Decimal("1"),
        category="enterprise",
        staff_operated=True,
        sample_count=3,
    )
    # depreciation per hour = 96000 / 1600 = 60.00; the hourly fee is 159.85
    assert {line.item: line.per_hour for line in q.hourly_lines} == {
        "consumables": Decimal("12.50"),
        "staff_service": Decimal("80.00"),
        "depreciation": Decimal("60.00"),
        "other": Decimal("7.35"),
    }
    assert q.hourly_fee == Decimal("159.85")
    amounts = {line.item: line.amount for line in q.lines}
    assert amounts == {
        "time": Decimal("399.63"),  # 159.85 * 2.5 = 399.625 -> half up
        "samples": Decimal("135.00"),
    }
    assert q.total == Decimal("534.63")


def test_self_operated_pays_no_staff_service_and_internal_factor_applies() -> None:
    q = quote(
        CHAMBER,
        minutes=60,
        factor=Decimal("0.5"),
        category="internal",
        staff_operated=False,
        sample_count=5,
    )
    per_hour = {line.item: line.per_hour for line in q.hourly_lines}
    assert per_hour["staff_service"] == Decimal("0.00")
    assert "samples" not in {line.item for line in q.lines}
    assert q.hourly_fee == Decimal("6.25") + Decimal("30.00") + Decimal("3.68")
    assert q.total == q.hourly_fee


def test_depreciation_per_hour_and_bad_rated_hours() -> None:
    assert depreciation_per_hour(Decimal("500000"), 2000) == Decimal("250")
    with pytest.raises(ValueError, match="rated_annual_hours"):
        depreciation_per_hour(Decimal("1"), 0)


def test_rounding_is_half_up_to_the_fen() -> None:
    assert round_fen(Decimal("0.005")) == Decimal("0.01")
    assert round_fen(Decimal("2.675")) == Decimal("2.68")
    assert share_of(Decimal("0.03"), Decimal("0.5")) == Decimal("0.02")


@given(
    consumables=money,
    staff=money,
    depreciation=money,
    hours=st.integers(min_value=1, max_value=8784),
    other=money,
    minutes=st.integers(min_value=0, max_value=7 * 24 * 60),
    factor=factor,
    staff_operated=st.booleans(),
    samples=st.integers(min_value=0, max_value=500),
)
def test_quote_total_is_the_exact_sum_of_fen_lines(
    consumables: Decimal,
    staff: Decimal,
    depreciation: Decimal,
    hours: int,
    other: Decimal,
    minutes: int,
    factor: Decimal,
    staff_operated: bool,
    samples: int,
) -> None:
    cost = CostInputs(consumables, staff, depreciation, hours, other, Decimal("30.00"))
    q = quote(
        cost,
        minutes=minutes,
        factor=factor,
        category="enterprise",
        staff_operated=staff_operated,
        sample_count=samples,
    )
    assert q.total == sum(line.amount for line in q.lines)
    assert q.hourly_fee == sum(line.per_hour for line in q.hourly_lines)
    for line in q.lines:
        assert line.amount == line.amount.quantize(Decimal("0.01"))
        assert line.amount >= 0
    # Time is within half a fen of the hourly fee times the hours (compared in minutes, exactly);
    # samples are the published per-sample fee times the count.
    time = next(line for line in q.lines if line.item == "time")
    assert abs(time.amount * 60 - time.rate * minutes) <= Decimal("0.30")
    for line in q.lines:
        if line.item == "samples":
            assert line.amount == line.rate * samples


@given(amount=money, balance=money, max_share=share)
def test_voucher_part_plus_enterprise_part_is_the_charge(
    amount: Decimal, balance: Decimal, max_share: Decimal
) -> None:
    split = split_charge(amount, balance=balance, max_share=max_share)
    assert split.voucher_amount + split.enterprise_amount == amount
    assert 0 <= split.voucher_amount <= balance
    assert split.voucher_amount <= amount * max_share
    assert split.enterprise_amount >= 0
    assert split.voucher_amount == split.voucher_amount.quantize(Decimal("0.01"))


@given(amount=money, max_share=share)
def test_a_large_balance_pays_exactly_the_capped_share(amount: Decimal, max_share: Decimal) -> None:
    split = split_charge(amount, balance=Decimal("10000000"), max_share=max_share)
    # The cap is rounded down: never more than the share, and less by under a fen.
    assert amount * max_share - split.voucher_amount < Decimal("0.01")


def test_split_refuses_impossible_shares() -> None:
    with pytest.raises(ValueError, match="max_share"):
        split_charge(Decimal("10"), balance=Decimal("1"), max_share=Decimal("1.5"))


@pytest.mark.parametrize(
    ("regions", "city", "allowed"),
    [
        ([], "杭州", True),
        (["浙江"], "杭州", True),
        (["杭州"], "宁波", False),
        (["长三角"], "杭州", True),
        (["长三角"], "上海", True),
        (["上海"], "杭州", False),
        (["浙江"], None, False),
    ],
)
def test_regions(regions: list[str], city: str | None, allowed: bool) -> None:
    assert region_allows(regions, city) is allowed


def test_voucher_validity_window_and_status() -> None:
    common = {
        "balance": Decimal("100"),
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 12, 31),
        "regions": ["浙江"],
        "institution_city": "杭州",
    }
    assert voucher_usable(status="issued", on=date(2026, 6, 1), **common)  # type: ignore[arg-type]
    assert not voucher_usable(status="issued", on=date(2027, 1, 1), **common)  # type: ignore[arg-type]
    assert not voucher_usable(status="redeemed", on=date(2026, 6, 1), **common)  # type: ignore[arg-type]
