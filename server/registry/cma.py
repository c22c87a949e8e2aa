"""CMA certificate numbers and validity (docs/registry-and-calibration.md, "CMA numbers").

A number is 12 digits: year of issue (2), issuing authority (2), professional field (2),
supervising ministry (2), serial (4, from ``0001``). The authority is ``00`` (national, CNCA)
or ``01``–``31``, the provincial authorities in their own fixed order (Zhejiang is ``11``; these
are not the GB/T 2260 administrative codes, where Zhejiang is ``33``). Field codes run
``00``–``21`` (``00`` is a real field) and ministry codes ``00``–``34``.

The valid-until date printed on a certificate is its last valid day and is stored as printed.
Where it must be derived, it is the day before the sixth anniversary of issue; the anniversary
of 29 February in a common year is 28 February, so such a certificate ends on 27 February. A
certificate is not valid before its issue date; renewal is applied for in the three months
before it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from server.core.errors import FieldError, ValidationFailed

__all__ = [
    "FIELD_CODES",
    "ISSUING_AUTHORITIES",
    "MINISTRY_CODES",
    "RENEWAL_LEAD_MONTHS",
    "VALIDITY_YEARS",
    "CmaNumber",
    "CmaStatus",
    "check_printed_valid_until",
    "cma_status",
    "cma_valid_until",
    "parse_cma_number",
]

VALIDITY_YEARS = 6
RENEWAL_LEAD_MONTHS = 3
# 00 is the national authority; 01-31 the provincial authorities in their fixed order.
_PROVINCES = (
    "北京 Beijing", "天津 Tianjin", "河北 Hebei", "山西 Shanxi", "内蒙古 Inner Mongolia",
    "辽宁 Liaoning", "吉林 Jilin", "黑龙江 Heilongjiang", "上海 Shanghai", "江苏 Jiangsu",
    "浙江 Zhejiang", "安徽 Anhui", "福建 Fujian", "江西 Jiangxi", "山东 Shandong",
    "河南 Henan", "湖北 Hubei", "湖南 Hunan", "广东 Guangdong", "广西 Guangxi",
    "海南 Hainan", "重庆 Chongqing", "四川 Sichuan", "贵州 Guizhou", "云南 Yunnan",
    "西藏 Tibet", "陕西 Shaanxi", "甘肃 Gansu", "青海 Qinghai", "宁夏 Ningxia",
    "新疆 Xinjiang",
)  # fmt: skip
ISSUING_AUTHORITIES = {
    "00": "国家认证认可监督管理委员会 CNCA (national)",
    **{f"{n:02d}": name for n, name in enumerate(_PROVINCES, start=1)},
}
FIELD_CODES = range(0, 22)  # 00-21
MINISTRY_CODES = range(0, 35)  # 00-34


class CmaStatus(StrEnum):
    NOT_YET_VALID = "not_yet_valid"
    VALID = "valid"
    RENEWAL_DUE = "renewal_due"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class CmaNumber:
    year: int
    authority: str
    field_code: str
    ministry_code: str
    serial: str

    @property
    def authority_name(self) -> str:
        return ISSUING_AUTHORITIES[self.authority]


def _refuse(field: str, problems: list[str]) -> ValidationFailed:
    return ValidationFailed(
        f"{field}: " + "; ".join(problems), errors=[FieldError(field, p) for p in problems]
    )


def parse_cma_number(
    number: str, *, issued_on: date | None = None, field: str = "number"
) -> CmaNumber:
    """Split and check a CMA number; raises ``ValidationFailed`` naming every bad part."""
    problems: list[str] = []
    if len(number) != 12:
        problems.append(f"must be 12 digits, got {len(number)} characters")
    if not number.isascii() or not number.isdigit():
        problems.append("must contain digits only")
    if problems:
        raise _refuse(field, problems)
    parsed = CmaNumber(
        year=2000 + int(number[0:2]),
        authority=number[2:4],
        field_code=number[4:6],
        ministry_code=number[6:8],
        serial=number[8:12],
    )
    if parsed.authority not in ISSUING_AUTHORITIES:
        problems.append(
            f"issuing authority code {parsed.authority} (digits 3–4) is not 00 (national) or "
            "01–31 (a provincial authority in the CMA order, Zhejiang 11; "
            "not the GB/T 2260 province code)"
        )
    if int(parsed.field_code) not in FIELD_CODES:
        problems.append(f"field code {parsed.field_code} (digits 5–6) is outside 00–21")
    if int(parsed.ministry_code) not in MINISTRY_CODES:
        problems.append(f"ministry code {parsed.ministry_code} (digits 7–8) is outside 00–34")
    if parsed.serial == "0000":
        problems.append("serial 0000 (digits 9–12) does not exist; serials start at 0001")
    if issued_on is not None and parsed.year % 100 != issued_on.year % 100:
        problems.append(
            f"year digits {number[0:2]} do not match the issue date's year {issued_on.year}"
        )
    if problems:
        raise _refuse(field, problems)
    return parsed


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later; a day the target month lacks becomes its last day
    (the anniversary of 29 February in a common year is 28 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def cma_valid_until(issued_on: date) -> date:
    """The last valid day as certificates print it: the day before the sixth anniversary."""
    return _add_months(issued_on, 12 * VALIDITY_YEARS) - timedelta(days=1)


def check_printed_valid_until(
    issued_on: date, valid_until: date, *, field: str = "valid_until"
) -> None:
    """A printed valid-until date must lie after issue and within the six-year validity."""
    if valid_until <= issued_on:
        raise _refuse(field, [f"must be after the issue date {issued_on.isoformat()}"])
    longest = cma_valid_until(issued_on)
    if valid_until > longest:
        raise _refuse(
            field,
            [
                f"a CMA certificate is valid for {VALIDITY_YEARS} years: issued on "
                f"{issued_on.isoformat()}, it is valid until {longest.isoformat()} at the latest"
            ],
        )


def cma_status(issued_on: date, valid_until: date, today: date) -> CmaStatus:
    """Status on ``today`` (a date in China): ``valid_until`` is the last valid day."""
    if today < issued_on:
        return CmaStatus.NOT_YET_VALID
    if today > valid_until:
        return CmaStatus.EXPIRED
    expires_on = valid_until + timedelta(days=1)
    if today >= _add_months(expires_on, -RENEWAL_LEAD_MONTHS):
        return CmaStatus.RENEWAL_DUE
    return CmaStatus.VALID
