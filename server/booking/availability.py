"""Free bookable time for many instruments over a window, in five queries.

Per instrument: opening hours (weekly calendar in the instrument's time zone), minus
blackouts, minus calibration/maintenance blocks, minus active bookings widened by the buffer,
clipped to [now + lead time, now + furthest bookable date], aligned to the slot grid and
with pieces shorter than the minimum duration dropped. The database is asked once per kind
of input, never per instrument or per day; instruments sharing a calendar and policy share
one precomputed grid, and only the intervals their bookings touch are recomputed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
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
_POLICIES = text(
    "SELECT instrument_id, timezone, slot_minutes, buffer_minutes, lead_time_minutes,"
    " min_duration_minutes, horizon_days FROM booking_policy WHERE instrument_id = ANY(:ids)"
)
_HOURS = text(
    "SELECT instrument_id, weekday, opens, closes FROM opening_hours"
    " WHERE instrument_id = ANY(:ids) ORDER BY instrument_id, weekday, opens"
)
_BLACKOUTS = text(
    "SELECT instrument_id, start_at, end_at FROM blackout"
    " WHERE instrument_id = ANY(:ids) AND start_at < :end AND end_at > :start"
)
_BUSY = text(
    "SELECT instrument_id, start_at, end_at FROM booking"
    " WHERE instrument_id = ANY(:ids) AND status = ANY(:active)"
    " AND start_at < :end AND end_at > :start"
)


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
    policies: dict[uuid.UUID, SlotRules] = {
        row[0]: _Rules(*row[1:]) for row in await connection.execute(_POLICIES, {"ids": ids})
    }
    default = _Rules()
    max_buffer = timedelta(minutes=max((p.buffer_minutes for p in policies.values()), default=0))

    hours: dict[uuid.UUID, list[tuple[int, time, time]]] = defaultdict(list)
    for instrument_id, weekday, opens, closes in await connection.execute(_HOURS, {"ids": ids}):
        hours[instrument_id].append((weekday, opens, closes))
    window = {"ids": ids, "start": start, "end": end}
    blackouts: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    for instrument_id, s, e in await connection.execute(_BLACKOUTS, window):
        blackouts[instrument_id].append((s.astimezone(UTC), e.astimezone(UTC)))
    busy: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    widened = {**window, "start": start - max_buffer, "end": end + max_buffer, "active": _ACTIVE}
    for instrument_id, s, e in await connection.execute(_BUSY, widened):
        busy[instrument_id].append((s.astimezone(UTC), e.astimezone(UTC)))
    blocked = await blocked_spans(session, ids, start, end)

    calendars: dict[tuple[tuple[int, time, time], ...], Hours] = {}
    out = []
    for instrument_id in ids:
        calendar = tuple(hours.get(instrument_id, ()))
        key = calendars.setdefault(calendar, calendar)
        spans = blocked.get(instrument_id, [])
        out.append(
            InstrumentAvailability(
                instrument_id,
                free_intervals(
                    policy=policies.get(instrument_id, default),
                    hours=key,
                    blackouts=blackouts.get(instrument_id, ()),
                    blocked=[(b.start.astimezone(UTC), b.end.astimezone(UTC)) for b in spans],
                    busy=busy.get(instrument_id, ()),
                    start=start,
                    end=end,
                    now=now,
                ),
                spans,
            )
        )
    return out
