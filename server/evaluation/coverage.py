"""Sensor coverage: which listed instruments report their own use, and how soon after listing.

An instrument is listed when its record is created on the platform. It has a live sensor in a
period when it has a state rule and its first state interval began before the period's end.
The sensor date is the Beijing day of that first interval. A sensor is late when it came more
than ``SENSOR_DEADLINE_WORKING_DAYS`` working days (China's statutory calendar) after listing;
an instrument still without a sensor past that deadline is overdue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.evaluation.calendar import BEIJING, Period, working_days_between
from server.evaluation.metrics import Scope, _scope_sql

__all__ = ["SENSOR_DEADLINE_WORKING_DAYS", "Coverage", "SensorStatus", "sensor_coverage"]

SENSOR_DEADLINE_WORKING_DAYS = 30


@dataclass(frozen=True, slots=True)
class SensorStatus:
    instrument_id: uuid.UUID
    name: str
    organisation_name: str
    listed_on: date
    sensor_on: date | None
    working_days: int  # from listing to the sensor, or to the period's end without one
    status: str  # "on_time", "late", "missing" (within the deadline), "overdue"


@dataclass(frozen=True, slots=True)
class Coverage:
    listed: int
    with_sensor: int
    share: float | None
    late: int
    overdue: int
    instruments: list[SensorStatus]


async def sensor_coverage(
    conn: AsyncConnection, scope: Scope, period: Period, now: datetime
) -> Coverage:
    where, params = _scope_sql(scope)
    end = period.end_at(now)
    rows = (
        await conn.execute(
            text(
                f"""
SELECT i.id, i.name, o.name AS org, i.created_at,
  EXISTS (SELECT 1 FROM instrument_state_rule r WHERE r.instrument_id = i.id) AS has_rule,
  (SELECT min(s.start_at) FROM instrument_state_interval s WHERE s.instrument_id = i.id)
    AS first_state
FROM instrument i JOIN organisation o ON o.id = i.organisation_id
WHERE {where} AND i.created_at < :p_end ORDER BY o.name, i.name, i.id
"""  # noqa: S608 (fixed clauses, bound parameters)
            ),
            {**params, "p_end": end},
        )
    ).all()
    last_day = end.astimezone(BEIJING).date()
    out = []
    for r in rows:
        listed = r.created_at.astimezone(BEIJING).date()
        live = r.has_rule and r.first_state is not None and r.first_state < end
        if live:
            sensor_on = r.first_state.astimezone(BEIJING).date()
            days = working_days_between(listed, sensor_on)
            status = "late" if days > SENSOR_DEADLINE_WORKING_DAYS else "on_time"
        else:
            sensor_on = None
            days = working_days_between(listed, last_day)
            status = "overdue" if days > SENSOR_DEADLINE_WORKING_DAYS else "missing"
        out.append(SensorStatus(r.id, r.name, r.org, listed, sensor_on, days, status))
    with_sensor = sum(s.sensor_on is not None for s in out)
    return Coverage(
        listed=len(out),
        with_sensor=with_sensor,
        share=round(with_sensor / len(out), 4) if out else None,
        late=sum(s.status == "late" for s in out),
        overdue=sum(s.status == "overdue" for s in out),
        instruments=out,
    )
