"""Sharing metrics per instrument, lab, institution, city or the province, for a Beijing period.

Hours (see docs/evaluation.md for the rules):

- effective working hours: seconds in state ``running`` from the maintained day aggregate
  (closed intervals) plus the open interval up to now; an instrument without a state rule has
  no sensor, and its hours are the union of its completed bookings' windows, marked declared;
- external service hours: the union of completed bookings' windows of users outside the
  owning institution, intersected with measured running time (declared windows without a
  sensor); enterprise first, other institutions the rest, so overlaps never count twice.

Service records, fees and ratings are grouped in SQL at the requested level, so distinct users
and enterprises are counted once per group, not summed over instruments.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.evaluation.calendar import Period, opening_seconds

BEIJING_TZ = ZoneInfo("Asia/Shanghai")

__all__ = [
    "NATIONAL_REFERENCE",
    "Level",
    "MetricRow",
    "Scope",
    "compute_metrics",
    "instrument_hours",
    "monthly_hours",
]

# National averages per instrument, hours per year (annual evaluation notices).
NATIONAL_REFERENCE: dict[str, dict[int, int]] = {
    "effective_hours": {2019: 1440, 2025: 1599},
    "external_service_hours": {2019: 240, 2025: 273},
}


class Level(StrEnum):
    INSTRUMENT = "instrument"
    LAB = "lab"
    INSTITUTION = "institution"
    CITY = "city"
    PROVINCE = "province"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which instruments count: all, one institution's, one lab's or one instrument."""

    organisation_id: uuid.UUID | None = None
    lab_id: uuid.UUID | None = None
    instrument_id: uuid.UUID | None = None
    city: str | None = None


@dataclass(frozen=True, slots=True)
class InstrumentHours:
    instrument_id: uuid.UUID
    name: str
    lab_id: uuid.UUID
    lab_name: str
    organisation_id: uuid.UUID
    organisation_name: str
    city: str | None
    measured: bool
    effective_s: float
    external_s: float
    enterprise_s: float
    opening_s: float


@dataclass
class MetricRow:
    key: str
    name: str
    instruments: int = 0
    measured_instruments: int = 0
    effective_hours: float = 0.0
    declared_hours: float = 0.0
    external_service_hours: float = 0.0
    enterprise_hours: float = 0.0
    other_institution_hours: float = 0.0
    opening_hours: float = 0.0
    sharing_rate: float | None = None
    utilisation: float | None = None
    average_effective_hours: float | None = None
    average_external_hours: float | None = None
    service_records: int = 0
    users: int = 0
    enterprises: int = 0
    samples: int = 0
    fees: Decimal = Decimal("0.00")
    voucher_amount: Decimal = Decimal("0.00")
    ratings: int = 0
    average_rating: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _scope_sql(scope: Scope, alias: str = "i") -> tuple[str, dict[str, Any]]:
    clauses: list[str] = ["TRUE"]
    params: dict[str, Any] = {}
    if scope.organisation_id is not None:
        clauses.append(f"{alias}.organisation_id = :scope_org")
        params["scope_org"] = scope.organisation_id
    if scope.lab_id is not None:
        clauses.append(f"{alias}.lab_id = :scope_lab")
        params["scope_lab"] = scope.lab_id
    if scope.instrument_id is not None:
        clauses.append(f"{alias}.id = :scope_instrument")
        params["scope_instrument"] = scope.instrument_id
    if scope.city is not None:
        clauses.append("o.city = :scope_city")
        params["scope_city"] = scope.city
    return " AND ".join(clauses), params


_SECS = "(SELECT coalesce(sum(extract(epoch FROM upper(r) - lower(r))), 0) FROM unnest({}) r)"
_SUMS = (
    "sum(running_s) AS running_s, sum(booked_s) AS booked_s, sum(ext_booked_s) AS ext_booked_s,"
    " sum(ent_booked_s) AS ent_booked_s, sum(ext_run_s) AS ext_run_s, sum(ent_run_s) AS ent_run_s"
)


def _hours_sql(where: str) -> str:
    # Only fixed clauses and bound parameters are interpolated.
    return f"""
WITH inst AS (
  SELECT i.id, i.name, i.lab_id, l.name AS lab_name, i.organisation_id, o.name AS org_name,
         o.city, i.opening_hours::text AS opening_hours,
         EXISTS (SELECT 1 FROM instrument_state_rule sr WHERE sr.instrument_id = i.id) AS measured
  FROM instrument i JOIN organisation o ON o.id = i.organisation_id JOIN lab l ON l.id = i.lab_id
  WHERE {where}
),
agg AS (
  -- Whole months from the monthly rollup, the days before and after them from the day rows.
  SELECT instrument_id, {_SUMS} FROM (
    SELECT instrument_id, running_s, booked_s, ext_booked_s, ent_booked_s, ext_run_s, ent_run_s
    FROM evaluation_hours_month
    WHERE month >= :m_first AND month < :m_end AND instrument_id IN (SELECT id FROM inst)
    UNION ALL
    SELECT instrument_id, running_s, booked_s, ext_booked_s, ent_booked_s, ext_run_s, ent_run_s
    FROM evaluation_hours_day
    WHERE day BETWEEN :d_first AND :d_last AND NOT (day >= :m_first AND day < :m_end)
      AND instrument_id IN (SELECT id FROM inst)
  ) h GROUP BY instrument_id
),
open AS (
  -- The aggregates hold closed intervals only: a running interval still open counts to now.
  SELECT s.instrument_id, tstzrange(greatest(s.start_at, :p_start), :p_end) AS o
  FROM instrument_state_interval s
  WHERE s.end_at IS NULL AND s.state = 'running' AND s.start_at < :p_end
    AND s.instrument_id IN (SELECT id FROM inst)
),
open_ext AS (
  SELECT o.instrument_id,
    range_agg(x.w) FILTER (WHERE x.side <> 'internal') AS ext_w,
    range_agg(x.w) FILTER (WHERE x.side = 'enterprise') AS ent_w
  FROM open o
  JOIN booking b ON b.instrument_id = o.instrument_id AND b.status = 'completed'
    AND coalesce(b.actual_start_at, b.start_at) < upper(o.o)
    AND coalesce(b.actual_end_at, b.end_at) > lower(o.o)
    AND coalesce(b.actual_end_at, b.end_at) > coalesce(b.actual_start_at, b.start_at)
  JOIN inst ON inst.id = b.instrument_id
  JOIN organisation bo ON bo.id = b.organisation_id
  CROSS JOIN LATERAL (
    SELECT tstzrange(coalesce(b.actual_start_at, b.start_at),
                     coalesce(b.actual_end_at, b.end_at)) * o.o AS w,
      CASE WHEN b.organisation_id = inst.organisation_id THEN 'internal'
           WHEN bo.kind = 'enterprise' THEN 'enterprise' ELSE 'institution' END AS side
  ) x
  WHERE NOT isempty(x.w)
  GROUP BY o.instrument_id
)
SELECT inst.*,
  coalesce(agg.running_s, 0)
    + coalesce((SELECT sum(extract(epoch FROM upper(o) - lower(o))) FROM open
                WHERE open.instrument_id = inst.id), 0) AS running_s,
  coalesce(agg.booked_s, 0) AS booked_s,
  coalesce(agg.ext_booked_s, 0) AS ext_booked_s,
  coalesce(agg.ent_booked_s, 0) AS ent_booked_s,
  coalesce(agg.ext_run_s, 0) + {_SECS.format("open_ext.ext_w")} AS ext_run_s,
  coalesce(agg.ent_run_s, 0) + {_SECS.format("open_ext.ent_w")} AS ent_run_s
FROM inst LEFT JOIN agg ON agg.instrument_id = inst.id
LEFT JOIN open_ext ON open_ext.instrument_id = inst.id
ORDER BY inst.id
"""  # noqa: S608


def _whole_months(period: Period) -> tuple[date, date]:
    """First day of the period's first whole month and the day after its last whole month."""
    first = period.first if period.first.day == 1 else _next_month(period.first)
    after_last = period.last + timedelta(days=1)
    end = after_last if after_last.day == 1 else after_last.replace(day=1)
    return (first, end) if first < end else (period.first, period.first)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _beijing_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING_TZ)


def _period_params(period: Period, now: datetime) -> dict[str, Any]:
    m_first, m_end = _whole_months(period)
    p_end = period.end_at(now)
    return {
        "m_first_at": min(_beijing_midnight(m_first), p_end),
        "m_end_at": min(max(_beijing_midnight(m_end), period.start), p_end),
        "p_start": period.start,
        "p_end": period.end_at(now),
        "d_first": period.first,
        "d_last": period.last,
        "m_first": m_first,
        "m_end": m_end,
        "now": now,
    }


async def instrument_hours(
    conn: AsyncConnection, scope: Scope, period: Period, now: datetime
) -> list[InstrumentHours]:
    where, params = _scope_sql(scope)
    rows = (
        await conn.execute(text(_hours_sql(where)), {**params, **_period_params(period, now)})
    ).all()
    out = []
    for r in rows:
        if r.measured:
            effective, external, enterprise = r.running_s, r.ext_run_s, r.ent_run_s
        else:
            effective, external, enterprise = r.booked_s, r.ext_booked_s, r.ent_booked_s
        out.append(
            InstrumentHours(
                instrument_id=r.id,
                name=r.name,
                lab_id=r.lab_id,
                lab_name=r.lab_name,
                organisation_id=r.organisation_id,
                organisation_name=r.org_name,
                city=r.city,
                measured=r.measured,
                effective_s=float(effective),
                external_s=float(external),
                enterprise_s=float(enterprise),
                opening_s=opening_seconds(r.opening_hours, period, now),
            )
        )
    return out


def _key(level: Level, h: InstrumentHours) -> tuple[str, str]:
    if level is Level.INSTRUMENT:
        return str(h.instrument_id), h.name
    if level is Level.LAB:
        return str(h.lab_id), h.lab_name
    if level is Level.INSTITUTION:
        return str(h.organisation_id), h.organisation_name
    if level is Level.CITY:
        return h.city or "", h.city or "未填写城市"
    return "province", "全省"


_GROUP_SQL = {
    Level.INSTRUMENT: "i.id::text",
    Level.LAB: "i.lab_id::text",
    Level.INSTITUTION: "i.organisation_id::text",
    Level.CITY: "coalesce(o.city, '')",
    Level.PROVINCE: "'province'",
}


def _records_sql(level: Level, where: str) -> str:
    g = _GROUP_SQL[level]
    # Whole months from the maintained service rollup; the days before and after them live
    # from the bookings (an index on the instant use began). Only fixed clauses and bound
    # parameters are interpolated.
    edge = """
  SELECT b.instrument_id, b.user_id, b.organisation_id, 1 AS records,
    b.sample_count AS samples, coalesce(c.amount, 0) AS fees,
    coalesce(c.voucher_amount, 0) AS vouchers, (r.booking_id IS NOT NULL)::int AS ratings,
    coalesce(r.score, 0) AS rating_sum
  FROM booking b LEFT JOIN booking_charge c ON c.booking_id = b.id
  LEFT JOIN booking_rating r ON r.booking_id = b.id
  WHERE b.status = 'completed'
    AND coalesce(b.actual_start_at, b.start_at) >= :{lo}
    AND coalesce(b.actual_start_at, b.start_at) < :{hi}"""
    return f"""
WITH svc AS (
  SELECT instrument_id, user_id, organisation_id, records, samples, fees, vouchers, ratings,
    rating_sum
  FROM evaluation_service_month WHERE month >= :m_first AND month < :m_end
  UNION ALL {edge.format(lo="p_start", hi="m_first_at")}
  UNION ALL {edge.format(lo="m_end_at", hi="p_end")}
)
SELECT {g} AS key, sum(s.records) AS records, count(DISTINCT s.user_id) AS users,
  count(DISTINCT s.organisation_id) FILTER (WHERE bo.kind = 'enterprise') AS enterprises,
  coalesce(sum(s.samples), 0) AS samples,
  coalesce(sum(s.fees), 0) AS fees, coalesce(sum(s.vouchers), 0) AS vouchers,
  sum(s.ratings) AS ratings, sum(s.rating_sum)::numeric / nullif(sum(s.ratings), 0)
    AS average_rating
FROM svc s JOIN instrument i ON i.id = s.instrument_id
JOIN organisation o ON o.id = i.organisation_id
JOIN organisation bo ON bo.id = s.organisation_id
WHERE {where} AND s.organisation_id <> i.organisation_id
GROUP BY 1
"""  # noqa: S608


async def compute_metrics(
    conn: AsyncConnection,
    level: Level,
    scope: Scope,
    period: Period,
    now: datetime,
    *,
    hours: Sequence[InstrumentHours] | None = None,
) -> list[MetricRow]:
    """One row per group of ``level`` with at least one instrument in ``scope``."""
    if hours is None:
        hours = await instrument_hours(conn, scope, period, now)
    groups: dict[str, MetricRow] = {}
    for h in hours:
        key, name = _key(level, h)
        row = groups.get(key)
        if row is None:
            row = groups[key] = MetricRow(key=key, name=name)
            if level is Level.INSTRUMENT:
                row.extra = {
                    "measured": h.measured,
                    "institution": h.organisation_name,
                    "lab": h.lab_name,
                    "city": h.city,
                }
        row.instruments += 1
        row.measured_instruments += h.measured
        row.effective_hours += h.effective_s / 3600
        if not h.measured:
            row.declared_hours += h.effective_s / 3600
        row.external_service_hours += h.external_s / 3600
        row.enterprise_hours += h.enterprise_s / 3600
        row.other_institution_hours += (h.external_s - h.enterprise_s) / 3600
        row.opening_hours += h.opening_s / 3600
    where, params = _scope_sql(scope)
    records = (
        await conn.execute(
            text(_records_sql(level, where)), {**params, **_period_params(period, now)}
        )
    ).all()
    for rec in records:
        row = groups.get(rec.key)
        if row is None:
            continue
        row.service_records = rec.records
        row.users = rec.users
        row.enterprises = rec.enterprises
        row.samples = int(rec.samples)
        row.fees = Decimal(rec.fees).quantize(Decimal("0.01"))
        row.voucher_amount = Decimal(rec.vouchers).quantize(Decimal("0.01"))
        row.ratings = rec.ratings
        row.average_rating = (
            round(float(rec.average_rating), 2) if rec.average_rating is not None else None
        )
    for row in groups.values():
        row.effective_hours = round(row.effective_hours, 4)
        row.declared_hours = round(row.declared_hours, 4)
        row.external_service_hours = round(row.external_service_hours, 4)
        row.enterprise_hours = round(row.enterprise_hours, 4)
        row.other_institution_hours = round(row.other_institution_hours, 4)
        row.opening_hours = round(row.opening_hours, 4)
        if row.effective_hours > 0:
            row.sharing_rate = round(row.external_service_hours / row.effective_hours, 4)
        if row.opening_hours > 0:
            row.utilisation = round(row.effective_hours / row.opening_hours, 4)
        row.average_effective_hours = round(row.effective_hours / row.instruments, 2)
        row.average_external_hours = round(row.external_service_hours / row.instruments, 2)
    return sorted(groups.values(), key=lambda r: (-r.effective_hours, r.name, r.key))


_MONTHLY_SQL = """
SELECT extract(month FROM h.month)::int AS month,
  sum(CASE WHEN sr.instrument_id IS NULL THEN h.booked_s ELSE h.running_s END) AS effective_s,
  sum(CASE WHEN sr.instrument_id IS NULL THEN h.ext_booked_s ELSE h.ext_run_s END) AS external_s
FROM evaluation_hours_month h JOIN instrument i ON i.id = h.instrument_id
JOIN organisation o ON o.id = i.organisation_id
LEFT JOIN instrument_state_rule sr ON sr.instrument_id = i.id
WHERE {where} AND h.month >= :first AND h.month < :following
GROUP BY 1
"""


async def monthly_hours(
    conn: AsyncConnection, scope: Scope, year: int, now: datetime
) -> list[tuple[int, float, float]]:
    """(month, effective s, external s) per Beijing month of ``year``, one grouped query.

    Months over before ``now`` come from the monthly rollup; the month holding ``now`` is
    computed like any period (open intervals count up to now), later months are zero.
    """
    where, params = _scope_sql(scope)
    rows = (
        await conn.execute(
            text(_MONTHLY_SQL.format(where=where)),
            {**params, "first": date(year, 1, 1), "following": date(year + 1, 1, 1)},
        )
    ).all()
    totals = {r.month: (float(r.effective_s), float(r.external_s)) for r in rows}
    today = now.astimezone(BEIJING_TZ).date()
    if today.year == year:
        first = today.replace(day=1)
        current = Period(first, _next_month(first) - timedelta(days=1))
        hours = await instrument_hours(conn, scope, current, now)
        totals[today.month] = (
            sum(h.effective_s for h in hours),
            sum(h.external_s for h in hours),
        )
        for later in range(today.month + 1, 13):
            totals.pop(later, None)
    return [(m, *totals.get(m, (0.0, 0.0))) for m in range(1, 13)]


def by_month(hours_per_month: dict[int, list[InstrumentHours]]) -> dict[int, float]:
    """Effective hours per month (for trend charts)."""
    totals: dict[int, float] = defaultdict(float)
    for month, rows in hours_per_month.items():
        totals[month] = round(sum(h.effective_s for h in rows) / 3600, 4)
    return dict(totals)
