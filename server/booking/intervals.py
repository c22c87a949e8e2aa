"""Half-open time intervals ``[start, end)`` and the arithmetic availability needs.

Everything here is pure and works on sorted, non-overlapping lists, so the availability of a
thousand instruments is a few list walks, not a query per instrument and day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "Interval",
    "OpenGrid",
    "align_to_grid",
    "clip",
    "merge",
    "open_grid",
    "subtract",
    "subtract_aligned",
    "weekly_open_intervals",
]

Interval = tuple[datetime, datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union; touching intervals are joined."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(free: Sequence[Interval], busy: Sequence[Interval]) -> list[Interval]:
    """``free`` minus ``busy`` (both sorted and disjoint). Untouched intervals are reused."""
    if not busy:
        return list(free)
    out: list[Interval] = []
    starts = [b[0] for b in busy]
    for f_start, f_end in free:
        # Only the busy intervals that can reach into [f_start, f_end) matter.
        i = max(bisect_right(starts, f_start) - 1, 0)
        cursor = f_start
        untouched = True
        while i < len(busy) and busy[i][0] < f_end:
            b_start, b_end = busy[i]
            if b_end > cursor:
                untouched = False
                if b_start > cursor:
                    out.append((cursor, b_start))
                cursor = max(cursor, b_end)
                if cursor >= f_end:
                    break
            i += 1
        if untouched:
            out.append((f_start, f_end))
        elif cursor < f_end:
            out.append((cursor, f_end))
    return out


def clip(intervals: Sequence[Interval], start: datetime, end: datetime) -> list[Interval]:
    out: list[Interval] = []
    for s, e in intervals:
        if e <= start or s >= end:
            continue
        out.append((s, e) if start <= s and e <= end else (max(s, start), min(e, end)))
    return out


def _ceil_to(moment: datetime, origin: datetime, step: timedelta) -> datetime:
    offset = (moment - origin) % step
    return moment if not offset else moment + (step - offset)


def align_to_grid(
    intervals: Sequence[Interval], origin: datetime, step: timedelta, min_length: timedelta
) -> list[Interval]:
    """Shrink each interval to slot boundaries and drop those shorter than ``min_length``."""
    out: list[Interval] = []
    for s, e in intervals:
        s2 = _ceil_to(s, origin, step)
        e2 = e - ((e - origin) % step)
        if e2 - s2 >= min_length:
            out.append((s2, e2) if (s2 != s or e2 != e) else (s, e))
    return out


@lru_cache(maxsize=256)
def weekly_open_intervals(
    hours: tuple[tuple[int, time, time], ...], tz_name: str, first_day: date, days: int
) -> tuple[Interval, ...]:
    """Open periods of a weekly calendar, in UTC-aware datetimes, day by day.

    Cached by calendar: instruments with the same opening hours share one expansion, which
    is what makes a thousand-instrument query cheap. An empty calendar means open around the
    clock.
    """
    tz = ZoneInfo(tz_name)
    if not hours:
        start = datetime.combine(first_day, time(0), tz)
        return ((start, start + timedelta(days=days)),)
    by_weekday: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in hours:
        by_weekday.setdefault(weekday, []).append((opens, closes))
    out: list[Interval] = []
    for n in range(days):
        day = first_day + timedelta(days=n)
        for opens, closes in sorted(by_weekday.get(day.weekday(), ())):
            # A period closing at 00:00 closes at the end of its day (the registry's "24:00").
            closing_day = day + timedelta(days=1) if closes == time(0) else day
            out.append(
                (datetime.combine(day, opens, tz), datetime.combine(closing_day, closes, tz))
            )
    return tuple(merge(out))


@dataclass(frozen=True, slots=True)
class OpenGrid:
    """Bookable open time of one calendar and policy, aligned, with bisect indexes."""

    free: tuple[Interval, ...]
    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]
    origin: datetime
    step: timedelta
    min_length: timedelta


@lru_cache(maxsize=256)
def open_grid(
    hours: tuple[tuple[int, time, time], ...],
    tz_name: str,
    lower: datetime,
    upper: datetime,
    step: timedelta,
    min_length: timedelta,
) -> OpenGrid:
    """Opening hours clipped to [lower, upper) and aligned to the slot grid, once per calendar.

    Every instrument with the same calendar and policy shares this; only the few intervals
    its bookings and blocks touch are recomputed (``subtract_aligned``).
    """
    tz = ZoneInfo(tz_name)
    first_day = lower.astimezone(tz).date()
    days = (upper.astimezone(tz).date() - first_day).days + 1
    origin = datetime.combine(first_day, time(0), tz)
    periods = clip(weekly_open_intervals(hours, tz_name, first_day, days), lower, upper)
    # All in UTC: comparisons between datetimes of one tzinfo skip the offset lookups,
    # which is most of the cost of bisecting a long list.
    free = tuple(
        (s.astimezone(UTC), e.astimezone(UTC))
        for s, e in align_to_grid(periods, origin, step, min_length)
    )
    return OpenGrid(
        free, tuple(f[0] for f in free), tuple(f[1] for f in free), origin, step, min_length
    )


def subtract_aligned(grid: OpenGrid, busy: Sequence[Interval]) -> list[Interval]:
    """``grid.free`` minus ``busy`` (sorted, disjoint); new pieces re-aligned to the grid.

    Untouched runs are copied by slicing, so the cost grows with the number of busy
    intervals, not with the length of the window.
    """
    free, starts, ends = grid.free, grid.starts, grid.ends
    if not busy:
        return list(free)
    out: list[Interval] = []

    def piece(s: datetime, e: datetime) -> None:
        out.extend(align_to_grid(((s, e),), grid.origin, grid.step, grid.min_length))

    n = len(free)
    i = 0
    rest: Interval | None = None  # the remainder of a free interval cut by an earlier busy one
    for b_start, b_end in busy:
        if rest is not None:
            r_start, r_end = rest
            if r_end <= b_start:
                piece(r_start, r_end)
                rest = None
            else:
                if r_start < b_start:
                    piece(r_start, b_start)
                if r_end > b_end:
                    rest = (b_end, r_end)
                    continue
                rest = None
        j = bisect_right(ends, b_start, i)
        out.extend(free[i:j])
        i = j
        while i < n and starts[i] < b_end:
            f_start, f_end = free[i]
            i += 1
            if f_start < b_start:
                piece(f_start, b_start)
            if f_end > b_end:
                rest = (b_end, f_end)
                break
    if rest is not None:
        piece(*rest)
    out.extend(free[i:])
    return out
