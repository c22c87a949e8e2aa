"""Beijing calendar arithmetic: period bounds, opening hours and China's working days.

Statutory holidays and make-up working days come from the ``chinesecalendar`` package (the
State Council's yearly notice, maintained upstream). For a year the package does not know yet,
working days fall back to Monday to Friday and no statutory holiday is assumed; callers can ask
``calendar_known`` to say so in what they show.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

from server.booking.opening_hours import END_OF_DAY, Hours, from_record

__all__ = [
    "BEIJING",
    "Period",
    "calendar_known",
    "is_statutory_holiday",
    "is_workday",
    "opening_seconds",
    "working_days_between",
]

BEIJING = ZoneInfo("Asia/Shanghai")
DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Period:
    """Beijing calendar days ``first`` to ``last`` inclusive."""

    first: date
    last: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), BEIJING).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), BEIJING).astimezone(UTC)

    def end_at(self, now: datetime) -> datetime:
        """The period's end, or ``now`` when the period is still running."""
        return min(self.end, max(now, self.start))


@lru_cache(maxsize=4096)
def _day(day: date) -> tuple[bool, bool]:
    """(working day, statutory holiday); (weekday, False) outside the package's years."""
    try:
        holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return day.weekday() < 5, False
    return not holiday, holiday and name is not None


def calendar_known(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: date) -> bool:
    return _day(day)[0]


def is_statutory_holiday(day: date) -> bool:
    return _day(day)[1]


def working_days_between(after: date, until: date) -> int:
    """Working days in ``(after, until]``: the day of listing itself does not count."""
    count = 0
    day = after + timedelta(days=1)
    while day <= until:
        count += is_workday(day)
        day += timedelta(days=1)
    return count


def _weekly_seconds(hours: Hours) -> tuple[float, ...]:
    per_day = [0.0] * 7
    for weekday, opens, closes in hours:
        close_s = DAY_S if closes == END_OF_DAY else closes.hour * 3600 + closes.minute * 60
        per_day[weekday] += close_s - (opens.hour * 3600 + opens.minute * 60)
    return tuple(per_day)


def _elapsed_open(hours: Hours, weekday: int, upto_s: float) -> float:
    total = 0.0
    for day, opens, closes in hours:
        if day != weekday:
            continue
        o = opens.hour * 3600 + opens.minute * 60
        c = DAY_S if closes == END_OF_DAY else closes.hour * 3600 + closes.minute * 60
        total += max(0.0, min(c, upto_s) - o)
    return total


@lru_cache(maxsize=1024)
def _opening_seconds(record_key: str, first: date, last: date, until: datetime) -> float:
    record: Mapping[str, Any] | None = json.loads(record_key) if record_key else None
    hours = from_record(record)
    if not hours:  # no hours recorded: open around the clock (as booking treats it)
        return max(0.0, (until - Period(first, last).start).total_seconds())
    weekly = _weekly_seconds(hours)
    # A make-up working day on a weekend opens like the first weekday with hours.
    workday_template = next((w for w in range(5) if weekly[w] > 0), 0)
    local_until = until.astimezone(BEIJING)
    total = 0.0
    day = first
    while day <= last and day <= local_until.date():
        working, holiday = _day(day)
        weekday = day.weekday()
        if holiday:
            weekday = -1
        elif working and weekday >= 5:
            weekday = workday_template
        if weekday >= 0:
            if day == local_until.date():
                upto = local_until.hour * 3600 + local_until.minute * 60 + local_until.second
                total += _elapsed_open(hours, weekday, upto)
            else:
                total += weekly[weekday]
        day += timedelta(days=1)
    return total


def opening_seconds(record_text: str | None, period: Period, now: datetime) -> float:
    """Opening hours (seconds) of a weekly calendar in ``period`` up to ``now``.

    Statutory holidays are closed; a make-up working day on a weekend opens like a working day.
    """
    return _opening_seconds(record_text or "", period.first, period.last, period.end_at(now))
