"""Completed service records checked against the instrument's own state timeline.

A completed booking of an instrument with a sensor claims use of the instrument in its window
(the actual check-in to check-out times, else the booked times) for the minutes charged. The
window's state timeline says what the instrument did. A booking is flagged when the sensor
observed most of the window (not "offline") and saw

- ``no_use_measured``: no running time at all (the instrument was off or idle), or
- ``less_running_than_charged``: running time below ``RUNNING_SHARE`` of the claimed minutes.

Each flag carries its evidence: the state timeline of the window and per-channel readings.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.evaluation.calendar import Period
from server.evaluation.metrics import Scope, _scope_sql

__all__ = ["RUNNING_SHARE", "Check", "check_bookings", "evidence", "roll_up"]

RUNNING_SHARE = 0.5  # measured running below half the claimed time is flagged
OBSERVED_SHARE = 0.5  # the sensor must have seen at least half the window to judge it


@dataclass
class Check:
    booking_id: uuid.UUID
    instrument_id: uuid.UUID
    instrument_name: str
    organisation_id: uuid.UUID
    organisation_name: str
    customer: str
    window_start: datetime
    window_end: datetime
    claimed_minutes: float
    measured_minutes: float
    state_minutes: dict[str, float] = field(default_factory=dict)
    flag: str | None = None  # None, "no_use_measured", "less_running_than_charged"
    verdict: str = "consistent"  # or "flagged", "unverifiable"
    evidence: dict[str, Any] | None = None


def _bookings_sql(where: str) -> str:
    # Only fixed clauses and bound parameters are interpolated.
    return f"""
SELECT b.id, b.instrument_id, i.name AS instrument_name, i.organisation_id,
  o.name AS organisation_name, bo.name AS customer,
  coalesce(b.actual_start_at, b.start_at) AS ws, coalesce(b.actual_end_at, b.end_at) AS we,
  coalesce(c.minutes, b.actual_minutes,
    extract(epoch FROM coalesce(b.actual_end_at, b.end_at)
      - coalesce(b.actual_start_at, b.start_at)) / 60) AS claimed
FROM booking b JOIN instrument i ON i.id = b.instrument_id
JOIN organisation o ON o.id = i.organisation_id
JOIN organisation bo ON bo.id = b.organisation_id
LEFT JOIN booking_charge c ON c.booking_id = b.id
WHERE {where} AND b.status = 'completed'
  AND EXISTS (SELECT 1 FROM instrument_state_rule sr WHERE sr.instrument_id = i.id)
  AND coalesce(b.actual_start_at, b.start_at) >= :p_start
  AND coalesce(b.actual_start_at, b.start_at) < :p_end
  AND coalesce(b.actual_end_at, b.end_at) > coalesce(b.actual_start_at, b.start_at)
ORDER BY coalesce(b.actual_start_at, b.start_at), b.id
"""  # noqa: S608


_STATES_SQL = text(
    "SELECT b.id, s.state, sum(extract(epoch FROM least(coalesce(s.end_at, :now), b.we)"
    "   - greatest(s.start_at, b.ws))) AS seconds"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:instruments AS uuid[]),"
    "   CAST(:ws AS timestamptz[]), CAST(:we AS timestamptz[])) AS b(id, instrument_id, ws, we)"
    " JOIN instrument_state_interval s ON s.instrument_id = b.instrument_id"
    "  AND s.start_at < b.we AND coalesce(s.end_at, :now) > b.ws"
    " GROUP BY b.id, s.state"
)


async def check_bookings(
    conn: AsyncConnection,
    scope: Scope,
    period: Period,
    now: datetime,
    *,
    with_evidence: bool = True,
) -> list[Check]:
    where, params = _scope_sql(scope)
    rows = (
        await conn.execute(
            text(_bookings_sql(where)),
            {**params, "p_start": period.start, "p_end": period.end_at(now)},
        )
    ).all()
    checks = {
        r.id: Check(
            booking_id=r.id,
            instrument_id=r.instrument_id,
            instrument_name=r.instrument_name,
            organisation_id=r.organisation_id,
            organisation_name=r.organisation_name,
            customer=r.customer,
            window_start=r.ws,
            window_end=min(r.we, now),
            claimed_minutes=round(float(r.claimed), 2),
            measured_minutes=0.0,
        )
        for r in rows
    }
    if not checks:
        return []
    items = list(checks.values())
    states = (
        await conn.execute(
            _STATES_SQL,
            {
                "ids": [c.booking_id for c in items],
                "instruments": [c.instrument_id for c in items],
                "ws": [c.window_start for c in items],
                "we": [c.window_end for c in items],
                "now": now,
            },
        )
    ).all()
    for s in states:
        checks[s.id].state_minutes[s.state] = round(float(s.seconds) / 60, 2)
    for c in items:
        window_min = (c.window_end - c.window_start).total_seconds() / 60
        c.measured_minutes = c.state_minutes.get("running", 0.0)
        observed = sum(m for state, m in c.state_minutes.items() if state != "offline")
        if window_min <= 0 or observed < OBSERVED_SHARE * window_min:
            c.verdict = "unverifiable"
        elif c.measured_minutes == 0 and c.claimed_minutes > 0:
            c.flag, c.verdict = "no_use_measured", "flagged"
        elif c.measured_minutes < RUNNING_SHARE * c.claimed_minutes:
            c.flag, c.verdict = "less_running_than_charged", "flagged"
        if c.flag is not None and with_evidence:
            c.evidence = await evidence(conn, c.instrument_id, c.window_start, c.window_end, now)
    return items


async def evidence(
    conn: AsyncConnection,
    instrument_id: uuid.UUID,
    start: datetime,
    end: datetime,
    now: datetime,
) -> dict[str, Any]:
    """The window's state timeline (clipped to it) and each channel's readings in it."""
    timeline = (
        await conn.execute(
            text(
                "SELECT state, greatest(start_at, :ws) AS start_at,"
                " least(coalesce(end_at, :now), :we) AS end_at"
                " FROM instrument_state_interval WHERE instrument_id = :id"
                " AND start_at < :we AND coalesce(end_at, :now) > :ws ORDER BY start_at"
            ),
            {"id": instrument_id, "ws": start, "we": end, "now": now},
        )
    ).all()
    readings = (
        await conn.execute(
            text(
                "SELECT ch.id, ch.name, ch.canonical_unit, count(t.value) AS samples,"
                " min(t.value) AS min, max(t.value) AS max, avg(t.value) AS mean"
                " FROM channel ch LEFT JOIN telemetry t ON t.channel_id = ch.id"
                "  AND t.ts >= :ws AND t.ts < :we"
                " WHERE ch.instrument_id = :id GROUP BY ch.id, ch.name, ch.canonical_unit"
                " ORDER BY ch.id"
            ),
            {"id": instrument_id, "ws": start, "we": end},
        )
    ).all()
    return {
        "timeline": [
            {"state": t.state, "start_at": t.start_at, "end_at": t.end_at} for t in timeline
        ],
        "readings": [
            {
                "channel_id": r.id,
                "channel": r.name,
                "unit": r.canonical_unit,
                "samples": r.samples,
                "min": r.min,
                "max": r.max,
                "mean": None if r.mean is None else round(float(r.mean), 4),
            }
            for r in readings
        ],
    }


def roll_up(checks: list[Check], by: str) -> list[dict[str, Any]]:
    """Flag counts per ``instrument`` or ``institution``, most flagged first."""
    groups: dict[uuid.UUID, dict[str, Any]] = {}
    counts: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in checks:
        key = c.instrument_id if by == "instrument" else c.organisation_id
        name = c.instrument_name if by == "instrument" else c.organisation_name
        groups.setdefault(key, {"id": key, "name": name})
        counts[key]["checked"] += 1
        counts[key][c.verdict] += 1
    out = [
        {
            **groups[k],
            "checked": counts[k]["checked"],
            "flagged": counts[k]["flagged"],
            "unverifiable": counts[k]["unverifiable"],
        }
        for k in groups
    ]
    return sorted(out, key=lambda g: (-g["flagged"], g["name"], str(g["id"])))
