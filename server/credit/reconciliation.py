"""A supervisory finding from the sharing evaluation's reconciliation flag of one booking.

The regulator names the booking; the flag is checked again here (``server.evaluation``'s
reconciliation over that booking's day), so a finding is only recorded when the sensor record
does contradict the charged use, and its evidence is the flag's own: claimed and measured
minutes, minutes per state and the state timeline of the window.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.core.errors import Conflict, NotFound
from server.credit.models import FindingKind, Severity, SupervisoryFinding
from server.evaluation.calendar import BEIJING, Period
from server.evaluation.metrics import Scope
from server.evaluation.reconciliation import check_bookings

__all__ = ["finding_from_flag"]

_FLAG_TEXT = {
    "no_use_measured": "传感器未记录任何运行 / the sensor saw no use at all",
    "less_running_than_charged": "运行时间少于计费时间的一半 / running less than half the charge",
}


async def finding_from_flag(
    session: AsyncSession,
    booking_id: uuid.UUID,
    *,
    severity: Severity,
    published: bool,
    actor: AppUser,
    now: datetime,
) -> SupervisoryFinding:
    conn = await session.connection()
    row = (
        await conn.execute(
            text(
                "SELECT instrument_id, coalesce(actual_start_at, start_at) AS ws"
                " FROM booking WHERE id = :id"
            ),
            {"id": booking_id},
        )
    ).first()
    if row is None:
        raise NotFound("No such booking")
    day = row.ws.astimezone(BEIJING).date()
    checks = await check_bookings(
        conn, Scope(instrument_id=row.instrument_id), Period(day, day), now
    )
    check = next((c for c in checks if c.booking_id == booking_id), None)
    if check is None or check.verdict != "flagged" or check.flag is None:
        raise Conflict(
            "The reconciliation does not flag this booking: it is not completed, its instrument "
            "has no sensor, or the sensor record agrees with the charge"
        )
    evidence = {
        "flag": check.flag,
        "window": [check.window_start.isoformat(), check.window_end.isoformat()],
        "claimed_minutes": check.claimed_minutes,
        "measured_running_minutes": check.measured_minutes,
        "state_minutes": check.state_minutes,
        "timeline": (check.evidence or {}).get("timeline", []),
    }
    finding = SupervisoryFinding(
        organisation_id=check.organisation_id,
        found_on=now.astimezone(BEIJING).date(),
        kind=FindingKind.RECONCILIATION_FLAG.value,
        severity=severity.value,
        description=(
            f"{check.instrument_name}：计费 {check.claimed_minutes:g} 分钟，传感器记录运行 "
            f"{check.measured_minutes:g} 分钟（{_FLAG_TEXT[check.flag]}）"
        ),
        evidence=json.dumps(evidence, ensure_ascii=False, default=str),
        booking_id=booking_id,
        published=published,
        recorded_by=actor.id,
    )
    session.add(finding)
    await session.flush()
    return finding
