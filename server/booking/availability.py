"""Free bookable time for many instruments over a window, in five queries.

Per instrument: opening hours (weekly calendar in the instrument's time zone), minus
blackouts, minus calibration/maintenance blocks, minus active bookings widened by the buffer,
clipped to [now + lead time, now + furthest bookable date], aligned to the slot grid and
with pieces shorter than the minimum duration dropped. All in Python on sorted lists; the
database is asked once per kind of input, never per instrument or per day.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from server.booking.integrations import BlockedSpan, blocked_spans
from server.booking.intervals import (
    Interval,
    align_to_grid,
    clip,
    merge,
    subtract,
    weekly_open_intervals,
)
from server.booking.models import BookingPolicy, OpeningHours
from server.booking.repository import BookingRepository

__all__ = ["InstrumentAvailability", "availability", "free_intervals"]


@dataclass(frozen=True, slots=True)
class InstrumentAvailability:
    instrument_id: uuid.UUID
    free: list[Interval]
    blocked: list[BlockedSpan]


def _calendar_key(hours: Sequence[OpeningHours]) -> tuple[tuple[int, time, time], ...]:
    return tuple(sorted((h.weekday, h.opens, h.closes) for h in hours))


def free_intervals(
    *,
    policy: BookingPolicy,
    hours: Sequence[OpeningHours],
    blackouts: Sequence[Interval],
    blocked: Sequence[Interval],
    busy: Sequence[Interval],
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[Interval]:
    """The pure core of availability for one instrument (also used to check one booking)."""
    tz = ZoneInfo(policy.timezone)
    lower = max(start, now + timedelta(minutes=policy.lead_time_minutes))
    upper = min(end, now + timedelta(days=policy.horizon_days))
    if lower >= upper:
        return []
    first_day = lower.astimezone(tz).date()
    days = (upper.astimezone(tz).date() - first_day).days + 1
    open_periods = weekly_open_intervals(_calendar_key(hours), policy.timezone, first_day, days)
    buffer = timedelta(minutes=policy.buffer_minutes)
    taken = [(s - buffer, e + buffer) for s, e in busy] if buffer else list(busy)
    unavailable = merge([*blackouts, *blocked, *taken])
    free = subtract(clip(open_periods, lower, upper), unavailable)
    # The grid starts at local midnight of the first day, so slots sit on :00/:30 etc.
    origin = datetime.combine(first_day, time(0), tz)
    return align_to_grid(
        free,
        origin,
        timedelta(minutes=policy.slot_minutes),
        timedelta(minutes=policy.min_duration_minutes),
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
    repo = BookingRepository(session)
    policies = await repo.policies(instrument_ids)
    hours = await repo.opening_hours(instrument_ids)
    blackouts = await repo.blackouts(instrument_ids, start, end)
    max_buffer = timedelta(minutes=max(p.buffer_minutes for p in policies.values()))
    busy = await repo.busy(instrument_ids, start - max_buffer, end + max_buffer)
    blocked = await blocked_spans(session, instrument_ids, start, end)
    out = []
    for instrument_id in instrument_ids:
        spans = blocked.get(instrument_id, [])
        out.append(
            InstrumentAvailability(
                instrument_id,
                free_intervals(
                    policy=policies[instrument_id],
                    hours=hours.get(instrument_id, ()),
                    blackouts=[(b.start_at, b.end_at) for b in blackouts.get(instrument_id, ())],
                    blocked=[(b.start, b.end) for b in spans],
                    busy=busy.get(instrument_id, ()),
                    start=start,
                    end=end,
                    now=now,
                ),
                spans,
            )
        )
    return out
