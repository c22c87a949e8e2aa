"""How much of a charge an innovation voucher pays (docs/domain-rules.md §2), as pure arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from server.billing.fees import cap_share

__all__ = ["VoucherSplit", "region_allows", "split_charge", "voucher_usable"]

# Cities by province, for the regions a voucher is restricted to. The Yangtze River Delta
# (长三角) voucher is usable in all four provinces (docs/domain-rules.md §2).
_PROVINCE_OF_CITY = {
    "杭州": "浙江", "宁波": "浙江", "温州": "浙江", "嘉兴": "浙江", "湖州": "浙江",
    "绍兴": "浙江", "金华": "浙江", "衢州": "浙江", "舟山": "浙江", "台州": "浙江",
    "丽水": "浙江", "上海": "上海", "南京": "江苏", "苏州": "江苏", "无锡": "江苏",
    "合肥": "安徽",
}  # fmt: skip
_YANGTZE_DELTA = frozenset({"浙江", "上海", "江苏", "安徽"})


@dataclass(frozen=True, slots=True)
class VoucherSplit:
    voucher_amount: Decimal
    enterprise_amount: Decimal


def split_charge(amount: Decimal, *, balance: Decimal, max_share: Decimal) -> VoucherSplit:
    """Voucher part = min(balance, share of amount rounded down); the enterprise pays the rest.

    The two parts always add up to the charge exactly.
    """
    if amount < 0 or balance < 0 or not Decimal(0) <= max_share <= Decimal(1):
        raise ValueError("amount and balance must be >= 0 and max_share within [0, 1]")
    voucher_amount = min(balance, cap_share(amount, max_share))
    return VoucherSplit(voucher_amount, amount - voucher_amount)


def region_allows(regions: list[str], institution_city: str | None) -> bool:
    """An empty region list means usable anywhere."""
    if not regions:
        return True
    if institution_city is None:
        return False
    province = _PROVINCE_OF_CITY.get(institution_city)
    for region in regions:
        if region in (institution_city, province):
            return True
        if region == "长三角" and province in _YANGTZE_DELTA:
            return True
    return False


def voucher_usable(
    *,
    status: str,
    balance: Decimal,
    valid_from: date,
    valid_to: date,
    on: date,
    regions: list[str],
    institution_city: str | None,
) -> bool:
    return (
        status != "redeemed"
        and balance > 0
        and valid_from <= on <= valid_to
        and region_allows(regions, institution_city)
    )
