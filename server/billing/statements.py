"""Monthly statements per enterprise (what it pays) and per institution (what it earns).

CSV is UTF-8 with a byte-order mark so Excel opens the Chinese columns correctly; XLSX is
written with openpyxl, amounts as numbers formatted to the fen.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from openpyxl import Workbook
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from server.core.spreadsheet import safe_row

__all__ = [
    "HEADERS",
    "StatementLine",
    "StatementParty",
    "statement_lines",
    "statement_parties",
    "to_csv",
    "to_xlsx",
]

Side = Literal["enterprise", "institution"]

HEADERS = (
    "服务日期 Service date",
    "仪器 Instrument",
    "客户 Customer",
    "机构 Institution",
    "预约号 Booking",
    "类型 Kind",
    "时长(分钟) Minutes",
    "金额 Amount (CNY)",
    "创新券 Voucher (CNY)",
    "企业支付 Enterprise pays (CNY)",
    "创新券编号 Voucher code",
)

_SQL = text(
    """
    SELECT c.service_date, i.name AS instrument, cust.name AS customer, inst.name AS institution,
           c.booking_id, c.kind, c.minutes, c.amount, c.voucher_amount, c.enterprise_amount,
           v.code AS voucher_code
    FROM booking_charge AS c
    JOIN instrument AS i ON i.id = c.instrument_id
    JOIN organisation AS cust ON cust.id = c.organisation_id
    JOIN organisation AS inst ON inst.id = c.institution_id
    LEFT JOIN voucher AS v ON v.id = c.voucher_id
    WHERE c.service_date >= :first AND c.service_date < :following
      AND (CASE WHEN :side = 'enterprise' THEN c.organisation_id ELSE c.institution_id END) = :org
    ORDER BY c.service_date, i.name, c.booking_id
    """
)


_PARTIES_SQL = text(
    """
    SELECT o.id, o.name, o.kind, o.city,
      (SELECT max(c.service_date) FROM booking_charge c
       WHERE (CASE WHEN o.kind = 'enterprise' THEN c.organisation_id ELSE c.institution_id END)
             = o.id) AS latest
    FROM organisation o
    WHERE o.kind IN ('enterprise', 'institution')
      AND (CAST(:only AS uuid) IS NULL OR o.id = CAST(:only AS uuid))
    ORDER BY o.kind DESC, o.name
    """
)


@dataclass(frozen=True, slots=True)
class StatementParty:
    """An organisation a statement can be drawn for, and its latest month with charges."""

    id: uuid.UUID
    name: str
    kind: str
    city: str | None
    latest_month: str | None


async def statement_parties(
    session: AsyncSession, *, only: uuid.UUID | None = None
) -> list[StatementParty]:
    """Enterprises and institutions (or just ``only``), each with its latest charged month."""
    connection = await session.connection()
    rows = (await connection.execute(_PARTIES_SQL, {"only": only})).all()
    return [
        StatementParty(
            id=r.id,
            name=r.name,
            kind=r.kind,
            city=r.city,
            latest_month=r.latest.strftime("%Y-%m") if r.latest is not None else None,
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class StatementLine:
    service_date: date
    instrument: str
    customer: str
    institution: str
    booking_id: uuid.UUID
    kind: str
    minutes: int
    amount: Decimal
    voucher_amount: Decimal
    enterprise_amount: Decimal
    voucher_code: str | None


def month_bounds(month: str) -> tuple[date, date]:
    """``YYYY-MM`` -> first day of the month and of the next one."""
    year, mon = (int(part) for part in month.split("-"))
    first = date(year, mon, 1)
    following = date(year + (mon == 12), mon % 12 + 1, 1)
    return first, following


async def statement_lines(
    session: AsyncSession, *, side: Side, organisation_id: uuid.UUID, month: str
) -> list[StatementLine]:
    first, following = month_bounds(month)
    connection = await session.connection()
    result = await connection.execute(
        _SQL, {"first": first, "following": following, "side": side, "org": organisation_id}
    )
    return [StatementLine(**row._mapping) for row in result]


def _totals(lines: list[StatementLine]) -> tuple[int, Decimal, Decimal, Decimal]:
    return (
        sum(line.minutes for line in lines),
        sum((line.amount for line in lines), Decimal("0.00")),
        sum((line.voucher_amount for line in lines), Decimal("0.00")),
        sum((line.enterprise_amount for line in lines), Decimal("0.00")),
    )


_KIND = {
    "usage": "使用 usage",
    "no_show": "未到场 no-show",
    "late_cancellation": "逾期取消 late cancellation",
}


def _row(line: StatementLine) -> list[object]:
    return [
        line.service_date.isoformat(),
        line.instrument,
        line.customer,
        line.institution,
        str(line.booking_id),
        _KIND.get(line.kind, line.kind),
        line.minutes,
        line.amount,
        line.voucher_amount,
        line.enterprise_amount,
        line.voucher_code or "",
    ]


def to_csv(lines: list[StatementLine]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for line in lines:
        writer.writerow(safe_row(str(v) if isinstance(v, Decimal) else v for v in _row(line)))
    minutes, amount, voucher, enterprise = _totals(lines)
    writer.writerow(["合计 Total", "", "", "", "", "", minutes, amount, voucher, enterprise, ""])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(lines: list[StatementLine], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(HEADERS))
    for line in lines:
        sheet.append(safe_row(_row(line)))
    minutes, amount, voucher, enterprise = _totals(lines)
    sheet.append(["合计 Total", "", "", "", "", "", minutes, amount, voucher, enterprise, ""])
    for column in ("H", "I", "J"):
        for cell in sheet[column][1:]:
            cell.number_format = "#,##0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
