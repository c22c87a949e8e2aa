"""Out-of-tolerance impact (ISO/IEC 17025 §6.4.9, §7.10): what the suspect period touched.

The suspect period runs from the last passing check or calibration before the finding up to
the finding. Every booking overlapping it and every export of data from it is listed, with
the users and enterprises concerned. Bookings live in the booking domain's ``booking`` table,
read with plain SQL; without that table there are no bookings to list.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from openpyxl import Workbook
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from server.calibration.models import ImpactReport
from server.core.booking_status import INACTIVE_STATUSES
from server.core.spreadsheet import safe_row

__all__ = [
    "affected_bookings",
    "affected_exports",
    "last_passing_before",
    "report_csv",
    "report_xlsx",
]


_LAST_PASS_SQL = text(
    """
    SELECT max(at) FROM (
        SELECT performed_at AS at FROM intermediate_check
        WHERE instrument_id = :instrument_id AND result = 'pass' AND performed_at <= :found_at
          AND id <> :exclude
        UNION ALL
        SELECT valid_from FROM calibration_certificate
        WHERE instrument_id = :instrument_id AND result = 'pass' AND valid_from <= :found_at
          AND id <> :exclude
    ) AS passes
    """
)

_BOOKINGS_SQL = text(
    """
    SELECT b.id AS booking_id, b.start_at, b.end_at, b.status, b.user_id,
           u.full_name AS user_name, u.email AS user_email,
           b.organisation_id, o.name AS organisation_name
    FROM booking b
    LEFT JOIN app_user u ON u.id = b.user_id
    LEFT JOIN organisation o ON o.id = b.organisation_id
    WHERE b.instrument_id = :instrument_id
      AND b.start_at < :found_at
      AND (CAST(:since AS timestamptz) IS NULL OR b.end_at > :since)
      AND b.status <> ALL(:inactive)
    ORDER BY b.start_at, b.id
    """
)

# On or after the finding: used on an instrument already out of tolerance, or still to come.
_AFTER_FINDING_SQL = text(
    """
    SELECT b.id AS booking_id, b.start_at, b.end_at, b.status, b.user_id,
           u.full_name AS user_name, u.email AS user_email,
           b.organisation_id, o.name AS organisation_name, 'after_finding' AS period
    FROM booking b
    LEFT JOIN app_user u ON u.id = b.user_id
    LEFT JOIN organisation o ON o.id = b.organisation_id
    WHERE b.instrument_id = :instrument_id
      AND b.start_at >= :found_at
      AND b.status <> ALL(:inactive)
    ORDER BY b.start_at, b.id
    """
)

_EXPORTS_SQL = text(
    """
    SELECT e.id AS export_id, e.created_at, e.range_start, e.range_end, e.format, e.user_id,
           u.full_name AS user_name, u.email AS user_email,
           e.organisation_id, o.name AS organisation_name
    FROM data_export e
    JOIN app_user u ON u.id = e.user_id
    JOIN organisation o ON o.id = e.organisation_id
    WHERE e.instrument_id = :instrument_id
      AND e.range_start < :found_at
      AND (CAST(:since AS timestamptz) IS NULL OR e.range_end > :since)
    ORDER BY e.created_at, e.id
    """
)


async def last_passing_before(
    session: AsyncSession, instrument_id: uuid.UUID, found_at: datetime, exclude: uuid.UUID
) -> datetime | None:
    connection = await session.connection()
    result = await connection.execute(
        _LAST_PASS_SQL, {"instrument_id": instrument_id, "found_at": found_at, "exclude": exclude}
    )
    value: datetime | None = result.scalar()
    return value


async def affected_bookings(
    session: AsyncSession, instrument_id: uuid.UUID, since: datetime | None, found_at: datetime
) -> list[dict[str, Any]]:
    """Bookings of the suspect period (``period`` "suspect_period"), then those from the
    finding on ("after_finding")."""
    connection = await session.connection()
    params = {
        "instrument_id": instrument_id,
        "since": since,
        "found_at": found_at,
        # Bookings that never put the instrument to use: no result of theirs can be affected.
        "inactive": [status.value for status in INACTIVE_STATUSES],
    }
    suspect = [
        {**row._mapping, "period": "suspect_period"}
        for row in await connection.execute(_BOOKINGS_SQL, params)
    ]
    after = [dict(row._mapping) for row in await connection.execute(_AFTER_FINDING_SQL, params)]
    return suspect + after


async def affected_exports(
    session: AsyncSession, instrument_id: uuid.UUID, since: datetime | None, found_at: datetime
) -> list[dict[str, Any]]:
    connection = await session.connection()
    rows = await connection.execute(
        _EXPORTS_SQL, {"instrument_id": instrument_id, "since": since, "found_at": found_at}
    )
    return [dict(row._mapping) for row in rows]


def to_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    encoded: list[dict[str, Any]] = jsonable_encoder(rows)
    return encoded


_HEADER = [
    "kind",
    "id",
    "start / range start",
    "end / range end",
    "status / format",
    "user",
    "email",
    "organisation",
]


def _rows(report: ImpactReport) -> list[list[str]]:
    rows = [
        [
            "booking" if b.get("period", "suspect_period") == "suspect_period" else "booking after",
            str(b["booking_id"]),
            str(b["start_at"]),
            str(b["end_at"]),
            str(b["status"]),
            str(b.get("user_name") or ""),
            str(b.get("user_email") or ""),
            str(b.get("organisation_name") or ""),
        ]
        for b in report.bookings
    ]
    rows += [
        [
            "export",
            str(e["export_id"]),
            str(e["range_start"]),
            str(e["range_end"]),
            str(e["format"]),
            str(e.get("user_name") or ""),
            str(e.get("user_email") or ""),
            str(e.get("organisation_name") or ""),
        ]
        for e in report.exports
    ]
    return rows


def report_csv(report: ImpactReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["impact report", str(report.id), "since", str(report.since or "")])
    writer.writerow(_HEADER)
    writer.writerows(safe_row(row) for row in _rows(report))
    # BOM: spreadsheet programs on Chinese Windows read UTF-8 CSV correctly only with it.
    return ("\ufeff" + buffer.getvalue()).encode()


def report_xlsx(report: ImpactReport) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "impact"
    sheet.append(["impact report", str(report.id), "since", str(report.since or "")])
    sheet.append(_HEADER)
    for row in _rows(report):
        sheet.append(safe_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
