"""CMA certificate numbers and validity (docs/domain-rules.md §4).

A number is 12 digits: year (2), issuing authority (2; ``00`` national, ``11`` Zhejiang),
field code (2), supervising ministry code (2), serial (4). A certificate is valid for six
years; renewal is applied for three months before expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from server.core.errors import FieldError, ValidationFailed

__all__ = [
    "ISSUING_AUTHORITIES",
    "RENEWAL_LEAD_MONTHS",
    "VALIDITY_YEARS",
    "CmaNumber",
    "CmaStatus",
    "cma_status",
    "cma_valid_until",
    "parse_cma_number",
]

VALIDITY_YEARS = 6
RENEWAL_LEAD_MONTHS = 3
ISSUING_AUTHORITIES = {"00": "国家认证认可监督管理委员会 / national", "11": "浙江省 / Zhejiang"}


class CmaStatus(StrEnum):
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


def parse_cma_number(
    number: str, *, issued_on: date | None = None, field: str = "number"
) -> CmaNumber:
    """Split and check a CMA number; raises ``ValidationFailed`` naming every problem."""
    problems: list[str] = []
    if len(number) != 12:
        problems.append(f"must be 12 digits, got {len(number)} characters")
    if not number.isascii() or not number.isdigit():
        problems.append("must contain digits only")
    if problems:
        raise ValidationFailed(
            f"{field}: " + "; ".join(problems), errors=[FieldError(field, p) for p in problems]
        )
    parsed = CmaNumber(
        year=2000 + int(number[0:2]),
        authority=number[2:4],
        field_code=number[4:6],
        ministry_code=number[6:8],
        serial=number[8:12],
    )
    if parsed.authority not in ISSUING_AUTHORITIES:
        known = ", ".join(sorted(ISSUING_AUTHORITIES))
        problems.append(f"issuing authority code {parsed.authority} is not one of {known}")
    if parsed.field_code == "00":
        problems.append("field code 00 does not exist")
    if parsed.serial == "0000":
        problems.append("serial 0000 does not exist")
    if issued_on is not None and parsed.year % 100 != issued_on.year % 100:
        problems.append(
            f"year digits {number[0:2]} do not match the issue date's year {issued_on.year}"
        )
    if problems:
        raise ValidationFailed(
            f"{field}: " + "; ".join(problems), errors=[FieldError(field, p) for p in problems]
        )
    return parsed


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    # 29 February and month ends fall back to the last day of the target month.
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def cma_valid_until(issued_on: date) -> date:
    """The first day the certificate is no longer valid: six years after issue."""
    return _add_months(issued_on, 12 * VALIDITY_YEARS)


def cma_status(valid_until: date, today: date) -> CmaStatus:
    if today >= valid_until:
        return CmaStatus.EXPIRED
    if today >= _add_months(valid_until, -RENEWAL_LEAD_MONTHS):
        return CmaStatus.RENEWAL_DUE
    return CmaStatus.VALID
