"""Free bookable time for many instruments over a window, in one query plus the registry's.

Per instrument: opening hours (weekly calendar in the instrument's time zone), minus
blackouts, minus calibration/maintenance blocks, minus active bookings widened by the buffer,
clipped to [now + lead time, now + furthest bookable date], aligned to the slot grid and
with pieces shorter than the minimum duration dropped. The database is asked once per kind
of input, never per instrument or per day; instruments sharing a calendar and policy share
one precomputed grid, and only the intervals their bookings touch are recomputed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from server.booking.integrations import BlockedSpan, blocked_spans
from server.booking.intervals import Interval, merge, open_grid, subtract_aligned
from server.booking.models import ACTIVE_STATUSES, OpeningHours

__all__ = ["InstrumentAvailability", "SlotRules", "availability", "free_intervals"]

Hours = tuple[tuple[int, time, time], ...]


class SlotRules(Protocol):
    """The policy fields availability needs (``BookingPolicy`` has them)."""

    @property
    def timezone(self) -> str: ...
    @property
    def slot_minutes(self) -> int: ...
    @property
    def buffer_minutes(self) -> int: ...
    @property
    def lead_time_minutes(self) -> int: ...
    @property
    def min_duration_minutes(self) -> int: ...
    @property
    def horizon_days(self) -> int: ...


@dataclass(frozen=True, slots=True)
class _Rules:
    timezone: str = "Asia/Shanghai"
    slot_minutes: int = 30
    buffer_minutes: int = 0
    lead_time_minutes: int = 60
    min_duration_minutes: int = 30
    horizon_days: int = 90


_DEFAULT = _Rules()


@dataclass(frozen=True, slots=True)
class InstrumentAvailability:
    instrument_id: uuid.UUID
    free: list[Interval]
    blocked: list[BlockedSpan]


def free_intervals(
    *,
    policy: SlotRules,
    hours: Hours | Sequence[OpeningHours],
    blackouts: Sequence[Interval],
    blocked: Sequence[Interval],
    busy: Sequence[Interval],
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[Interval]:
    """The pure core of availability for one instrument."""
    lower = max(start, now + timedelta(minutes=policy.lead_time_minutes))
    upper = min(end, now + timedelta(days=policy.horizon_days))
    if lower >= upper:
        return []
    key: Hours = (
        hours
        if isinstance(hours, tuple)
        else tuple(sorted((h.weekday, h.opens, h.closes) for h in hours))  # ORM rows
    )
    grid = open_grid(
        key,
        policy.timezone,
        lower,
        upper,
        timedelta(minutes=policy.slot_minutes),
        timedelta(minutes=policy.min_duration_minutes),
    )
    buffer = timedelta(minutes=policy.buffer_minutes)
    taken = [(s - buffer, e + buffer) for s, e in busy] if buffer else busy
    return subtract_aligned(grid, merge([*blackouts, *blocked, *taken]))


_ACTIVE = [s.value for s in ACTIVE_STATUSES]
# One row per requested instrument, in request order (``n``), with everything availability
# needs: the policy (NULLs when the lab never set one), the weekly calendar as one text key
# (instruments sharing a calendar share its expansion), and blackouts and active bookings
# (widened by the instrument's buffer) as arrays. One round trip, no per-instrument query,
# and no UUID parsed or hashed on the way back.
_INPUTS = text(
    """
    SELECT q.n, p.timezone, p.slot_minutes, p.buffer_minutes, p.lead_time_minutes,
           p.min_duration_minutes, p.horizon_days,
           (SELECT string_agg(h.weekday || ' ' || h.opens || ' ' || h.closes, ','
                              ORDER BY h.weekday, h.opens, h.closes)
              FROM opening_hours h WHERE h.instrument_id = q.id) AS calendar,
           (SELECT array_agg(x.start_at) FROM blackout x
             WHERE x.instrument_id = q.id AND x.start_at < :end AND x.end_at > :start)
             AS blackout_starts,
           (SELECT array_agg(x.end_at) FROM blackout x
             WHERE x.instrument_id = q.id AND x.start_at < :end AND x.end_at > :start)
             AS blackout_ends,
           busy.starts AS busy_starts, busy.ends AS busy_ends
    FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS q(id, n)
    LEFT JOIN booking_policy p ON p.instrument_id = q.id
    LEFT JOIN LATERAL (
        SELECT array_agg(b.start_at) AS starts, array_agg(b.end_at) AS ends
        FROM booking b
        WHERE b.instrument_id = q.id AND b.status = ANY(:active)
          AND b.start_at < CAST(:end AS timestamptz)
                           + make_interval(mins => COALESCE(p.buffer_minutes, :buffer))
          AND b.end_at > CAST(:start AS timestamptz)
                         - make_interval(mins => COALESCE(p.buffer_minutes, :buffer))
    ) AS busy ON true
    ORDER BY q.n
    """
)


@lru_cache(maxsize=256)
def _calendar(key: str | None) -> Hours:
    """``"0 08:30:00 17:30:00,1 ..."`` (sorted by the query) as the tuple ``open_grid`` caches on."""
    if not key:
        return ()
    out = []
    for period in key.split(","):
        weekday, opens, closes = period.split(" ")
        out.append((int(weekday), time.fromisoformat(opens), time.fromisoformat(closes)))
    return tuple(out)


def _utc(starts: list[datetime] | None, ends: list[datetime] | None) -> list[Interval]:
    if not starts or not ends:
        return []
    return [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in zip(starts, ends, strict=True)]


async def availability(
    session: AsyncSession,
    instrument_ids: Sequence[uuid.UUID],
    start: datetime,
    end: datetime,
    *,
    now: datetime,
) -> list[InstrumentAvailability]:
    """Free intervals per instrument in [start, end)."""
    if not instrument_ids:
        return []
    ids = list(instrument_ids)
    connection = await session.connection()
    rows = await connection.execute(
        _INPUTS,
        {
            "ids": ids,
            "start": start,
            "end": end,
            "active": _ACTIVE,
            "buffer": _DEFAULT.buffer_minutes,
        },
    )
    blocked = await blocked_spans(session, ids, start, end)

    policies: dict[tuple[object, ...], SlotRules] = {}
    out = []
    for n, tz, slot, buffer, lead, min_duration, horizon, calendar, b_s, b_e, k_s, k_e in rows:
        instrument_id = ids[n - 1]
        policy = (
            _DEFAULT
            if tz is None
            else policies.setdefault(
                (tz, slot, buffer, lead, min_duration, horizon),
                _Rules(tz, slot, buffer, lead, min_duration, horizon),
            )
        )
        spans = blocked.get(instrument_id, [])
        out.append(
            InstrumentAvailability(
                instrument_id,
                free_intervals(
                    policy=policy,
                    hours=_calendar(calendar),
                    blackouts=_utc(b_s, b_e),
                    blocked=[(b.start.astimezone(UTC), b.end.astimezone(UTC)) for b in spans],
                    busy=_utc(k_s, k_e),
                    start=start,
                    end=end,
                    now=now,
                ),
                spans,
            )
        )
    return out
