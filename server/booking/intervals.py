"""Half-open time intervals ``[start, end)`` and the arithmetic availability needs.

Everything here is pure and works on sorted, non-overlapping lists, so the availability of a
thousand instruments is a few list walks, not a query per instrument and day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "Interval",
    "align_to_grid",
    "clip",
    "merge",
    "subtract",
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
            out.append((datetime.combine(day, opens, tz), datetime.combine(day, closes, tz)))
    return tuple(merge(out))
