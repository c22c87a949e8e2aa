"""Free bookable time for many instruments over a window, and why the rest is not free.

Per instrument: opening hours (the registry record's weekly calendar, in the policy's time
zone), minus blackouts, minus calibration/maintenance blocks, minus active bookings widened
by the buffer, clipped to [now + lead time, now + furthest bookable date], aligned to the slot
grid and with pieces shorter than the minimum duration dropped. The database is asked once per
kind of input, never per instrument or per day; instruments sharing a calendar and policy
share one precomputed grid (and its explanation), and only the intervals their bookings and
blocks touch are recomputed.

Every moment of the window that is not free carries exactly one reason, the first that
applies in this order: the registry's usability reasons (``out_of_service``,
``calibration_expired``, ``not_calibrated``, ``maintenance``, with the registry's detail; the
instrument cannot be used at all, so one period says so however many days it spans),
``closed`` (outside opening hours), ``horizon`` (beyond the furthest bookable date),
``lead_time`` (before the earliest start: now plus the lead time, the past included),
``blackout`` (detail: the lab's reason), ``booked`` (an active booking and its buffer). Leftovers too short for the slot grid or the minimum
duration take the reason of the period they adjoin, so "why not 12:00–12:20?" is answered
by the booking that ends at 12:00; open time that only the requested window cuts off the slot
grid (a window starting at 10:07) is ``slot_grid``.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from server.booking.integrations import BlockedSpan, blocked_spans
from server.booking.intervals import (
    Interval,
    OpenGrid,
    merge,
    open_grid,
    subtract_aligned,
    weekly_open_intervals,
)
from server.booking.opening_hours import Hours, from_record_text
from server.core.booking_status import ACTIVE_STATUSES

__all__ = [
    "InstrumentAvailability",
    "SlotRules",
    "Unavailable",
    "UnavailableReason",
    "availability",
    "explain",
    "free_intervals",
]


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


class UnavailableReason(StrEnum):
    """Why time is not bookable, besides the registry's usability reasons."""

    CLOSED = "closed"
    HORIZON = "horizon"
    LEAD_TIME = "lead_time"
    BLACKOUT = "blackout"
    BOOKED = "booked"
    # Open time the requested window itself cuts shorter than a slot (a window not starting or
    # ending on the slot grid); nothing else explains it.
    SLOT_GRID = "slot_grid"


_CLOSED, _HORIZON, _LEAD_TIME, _BLACKOUT, _BOOKED, _SLOT_GRID = (r.value for r in UnavailableReason)


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A period of the window that cannot be booked, and why (``detail``: the blackout's or
    the registry's text; empty for the others, so nobody learns who booked)."""

    start: datetime
    end: datetime
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class InstrumentAvailability:
    instrument_id: uuid.UUID
    free: list[Interval]
    blocked: list[BlockedSpan]
    unavailable: Sequence[Unavailable] = ()


# One kind of reason: spans ``(start, end, reason, detail)`` sorted by start, and their ends
# when the spans are disjoint (then sorted too, so the first relevant one is found by bisection).
_Span = tuple[datetime, datetime, str, str]
_Layer = tuple[Sequence[_Span], Sequence[datetime] | None]
_start = attrgetter("start")
_end = attrgetter("end")
_first = itemgetter(0)


def _explain_gap(
    gap_start: datetime,
    gap_end: datetime,
    layers: Sequence[_Layer],
    fallback: str,
    out: list[Unavailable],
) -> None:
    """Label [gap_start, gap_end) by the first layer covering each part; append to ``out``."""
    todo = [(gap_start, gap_end)]
    pieces: list[tuple[datetime, datetime, str | None, str]] = []
    for spans, ends in layers:
        if not todo:
            break
        if not spans:
            continue
        rest = []
        for s, e in todo:
            cursor = s
            first = bisect_right(ends, s) if ends is not None else 0
            for b_start, b_end, reason, detail in spans[first:]:
                if b_start >= e:
                    break
                if b_end <= cursor:
                    continue
                if b_start > cursor:
                    rest.append((cursor, b_start))
                    cursor = b_start
                covered = min(b_end, e)
                pieces.append((cursor, covered, reason, detail))
                cursor = covered
                if cursor >= e:
                    break
            if cursor < e:
                rest.append((cursor, e))
        todo = rest
    pieces.extend((s, e, None, "") for s, e in todo)
    pieces.sort()  # disjoint and non-empty: the starts differ, so only they are compared
    previous: Unavailable | None = None
    for n, (s, e, label, detail) in enumerate(pieces):
        why = label
        if why is None:  # a leftover: the reason of what it adjoins
            if previous is not None:
                why, detail = previous.reason, previous.detail
            else:
                later = next((p for p in pieces[n + 1 :] if p[2] is not None), None)
                why = later[2] if later is not None and later[2] is not None else fallback
                detail = later[3] if later is not None else ""
        if previous is not None and previous.reason == why and previous.detail == detail:
            previous = out[-1] = Unavailable(previous.start, e, why, detail)
        else:
            previous = Unavailable(s, e, why, detail)
            out.append(previous)


def _complement(intervals: Sequence[Interval], start: datetime, end: datetime) -> list[Interval]:
    """[start, end) minus sorted, disjoint ``intervals``."""
    out: list[Interval] = []
    cursor = start
    for s, e in intervals:
        if e <= cursor:
            continue
        if s >= end:
            break
        if s > cursor:
            out.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < end:
        out.append((cursor, end))
    return out


@lru_cache(maxsize=256)
def _closed(hours: Hours, tz_name: str, start: datetime, end: datetime) -> _Layer:
    tz = ZoneInfo(tz_name)
    first_day: date = start.astimezone(tz).date() - timedelta(days=1)
    days = (end.astimezone(tz).date() - first_day).days + 2
    opened = weekly_open_intervals(hours, tz_name, first_day, days)
    closed = [
        (s.astimezone(UTC), e.astimezone(UTC), _CLOSED, "")
        for s, e in _complement(opened, start, end)
    ]
    return closed, [c[1] for c in closed]


@lru_cache(maxsize=256)
def _explained_grid(
    hours: Hours,
    tz_name: str,
    start: datetime,
    end: datetime,
    lower: datetime,
    upper: datetime,
    step: timedelta,
    min_length: timedelta,
) -> tuple[Unavailable, ...]:
    """Why the window's time outside the open grid is unavailable, once per calendar and policy
    (keyed like ``open_grid``: hashing the grid itself would cost more than the lookup saves)."""
    grid = open_grid(hours, tz_name, lower, upper, step, min_length) if lower < upper else None
    layers: list[_Layer] = [_closed(hours, tz_name, start, end)]
    if upper < end:
        layers.append((((max(upper, start), end, _HORIZON, ""),), None))
    if lower > start:
        layers.append((((start, min(lower, end), _LEAD_TIME, ""),), None))
    out: list[Unavailable] = []
    for s, e in _complement(grid.free if grid is not None else (), start, end):
        _explain_gap(s, e, layers, _SLOT_GRID, out)
    return tuple(out)


def _removed(
    grid: OpenGrid, taken: Sequence[Interval], free: Sequence[Interval], skip: Sequence[Interval]
) -> list[Interval]:
    """The parts of the grid's open periods that ``taken`` (sorted, disjoint) cost, leaving out
    open periods wholly inside one of ``skip`` (sorted, disjoint). Only the periods ``taken``
    touches are looked at."""
    out: list[Interval] = []
    n = len(grid.free)
    done = -1
    for b_start, b_end in taken:
        i = max(bisect_right(grid.ends, b_start), done + 1)
        while i < n and grid.starts[i] < b_end:
            g_start, g_end = grid.free[i]
            done = i
            i += 1
            whole = b_start <= g_start and g_end <= b_end  # then no free piece is left inside
            k = bisect_right(skip, g_start, key=_first) - 1
            if k >= 0 and g_end <= skip[k][1]:
                continue
            if whole:
                out.append((g_start, g_end))
                continue
            k = max(bisect_right(free, g_start, key=_first) - 1, 0)
            remaining = []
            while k < len(free) and free[k][0] < g_end:
                if free[k][1] > g_start:
                    remaining.append(free[k])
                k += 1
            out.extend(_complement(remaining, g_start, g_end))
    return out


def _overlay(items: list[Unavailable], spans: Sequence[_Span]) -> None:
    """Put ``spans`` (sorted, disjoint) over the sorted, disjoint ``items``, trimming what they
    cover."""
    for s, e, reason, detail in spans:
        i = bisect_right(items, s, key=_end)
        j = i
        while j < len(items) and items[j].start < e:
            j += 1
        replacement = []
        if i < j and items[i].start < s:
            first = items[i]
            replacement.append(Unavailable(first.start, s, first.reason, first.detail))
        replacement.append(Unavailable(s, e, reason, detail))
        if i < j and items[j - 1].end > e:
            last = items[j - 1]
            replacement.append(Unavailable(e, last.end, last.reason, last.detail))
        items[i:j] = replacement


def _disjoint(spans: Sequence[_Span], start: datetime, end: datetime) -> list[_Span]:
    """Clipped to the window; where spans overlap, the earlier one keeps the overlap."""
    out: list[_Span] = []
    for s, e, reason, detail in sorted(spans):
        s, e = max(s, start, out[-1][1] if out else s), min(e, end)
        if s < e:
            out.append((s, e, reason, detail))
    return out


def explain(
    *,
    policy: SlotRules,
    hours: Hours,
    blackouts: Sequence[tuple[datetime, datetime, str]],
    blocked: Sequence[BlockedSpan],
    busy: Sequence[Interval],
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[list[Interval], Sequence[Unavailable]]:
    """Free intervals of one instrument in [start, end), and the reasons for the rest.

    ``blocked`` are the registry's usability blocks; all datetimes in UTC.
    """
    lower = max(start, now + timedelta(minutes=policy.lead_time_minutes))
    upper = min(end, now + timedelta(days=policy.horizon_days))
    step = timedelta(minutes=policy.slot_minutes)
    min_length = timedelta(minutes=policy.min_duration_minutes)
    base = _explained_grid(hours, policy.timezone, start, end, lower, upper, step, min_length)
    unusable = _disjoint([(b.start, b.end, b.reason, b.detail) for b in blocked], start, end)
    if lower >= upper:
        if not unusable:
            return [], base
        unavailable = list(base)
        _overlay(unavailable, unusable)
        return [], unavailable
    grid = open_grid(hours, policy.timezone, lower, upper, step, min_length)
    buffer = timedelta(minutes=policy.buffer_minutes)
    booked = merge([(s - buffer, e + buffer) for s, e in busy] if buffer else busy)
    unusable_times = [(s, e) for s, e, _, _ in unusable]
    taken = merge([*((s, e) for s, e, _ in blackouts), *unusable_times, *booked])
    free = subtract_aligned(grid, taken)
    if not taken:
        return free, base
    layers: list[_Layer] = [
        (unusable, [u[1] for u in unusable]),
        (sorted((s, e, _BLACKOUT, r) for s, e, r in blackouts), None),
        ([(s, e, _BOOKED, "") for s, e in booked], [e for _, e in booked]),
    ]
    unavailable = list(base)
    for s, e in _removed(grid, taken, free, unusable_times):
        extra: list[Unavailable] = []
        _explain_gap(s, e, layers, _SLOT_GRID, extra)
        for item in extra:
            insort(unavailable, item, key=_start)
    _overlay(unavailable, unusable)
    return free, unavailable


def free_intervals(
    *,
    policy: SlotRules,
    hours: Hours,
    blackouts: Sequence[Interval],
    blocked: Sequence[Interval],
    busy: Sequence[Interval],
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[Interval]:
    """The free part of ``explain``, for callers that need no reasons."""
    lower = max(start, now + timedelta(minutes=policy.lead_time_minutes))
    upper = min(end, now + timedelta(days=policy.horizon_days))
    if lower >= upper:
        return []
    grid = open_grid(
        hours,
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
# needs: the policy (NULLs when the lab never set one), the registry record's weekly calendar
# as its JSON text (instruments sharing a calendar share its parse and expansion), and
# blackouts and active bookings (widened by the instrument's buffer) as arrays. One round
# trip, no per-instrument query, and no UUID parsed or hashed on the way back.
_INPUTS = text(
    """
    SELECT q.n, p.timezone, p.slot_minutes, p.buffer_minutes, p.lead_time_minutes,
           p.min_duration_minutes, p.horizon_days,
           i.opening_hours::text AS calendar,
           blackouts.starts, blackouts.ends, blackouts.reasons,
           busy.starts AS busy_starts, busy.ends AS busy_ends
    FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS q(id, n)
    LEFT JOIN instrument i ON i.id = q.id
    LEFT JOIN booking_policy p ON p.instrument_id = q.id
    LEFT JOIN LATERAL (
        SELECT array_agg(x.start_at) AS starts, array_agg(x.end_at) AS ends,
               array_agg(x.reason) AS reasons
        FROM blackout x
        WHERE x.instrument_id = q.id AND x.start_at < :end AND x.end_at > :start
    ) AS blackouts ON true
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
    """Free intervals per instrument in [start, end), with the reasons for the rest."""
    if not instrument_ids:
        return []
    ids = list(instrument_ids)
    start, end, now = start.astimezone(UTC), end.astimezone(UTC), now.astimezone(UTC)
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
    for n, tz, slot, buffer, lead, min_duration, horizon, calendar, *arrays in rows:
        b_s, b_e, b_r, k_s, k_e = arrays
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
        free, unavailable = explain(
            policy=policy,
            hours=from_record_text(calendar),
            blackouts=[(s, e, r) for (s, e), r in zip(_utc(b_s, b_e), b_r or (), strict=True)],
            blocked=[
                BlockedSpan(b.start.astimezone(UTC), b.end.astimezone(UTC), b.reason, b.detail)
                for b in spans
            ],
            busy=_utc(k_s, k_e),
            start=start,
            end=end,
            now=now,
        )
        out.append(InstrumentAvailability(instrument_id, free, spans, unavailable))
    return out
