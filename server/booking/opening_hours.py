"""An instrument's opening hours, read from its registry record.

The registry's instrument record is the one place opening hours are kept (what lab managers
edit and the catalogue shows): ``{"mon": [["08:30", "12:00"], ["13:30", "17:00"]], ...}`` in
wall time of the booking policy's time zone (Asia/Shanghai unless the lab says otherwise).
Booking turns it into the sorted tuple of ``(weekday, opens, closes)`` that availability and
the booking rules cache on. A record without hours (``null``, or no period on any day) sets no
limit: the instrument is open around the clock, as it was before any hours were recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import time
from functools import lru_cache
from typing import Any

__all__ = ["END_OF_DAY", "WEEKDAY_KEYS", "Hours", "from_record", "from_record_text", "to_record"]

Hours = tuple[tuple[int, time, time], ...]

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The registry allows "24:00" as a closing time; ``time`` cannot hold it, so a period that
# closes at 00:00 closes at the end of its day (no period can close before it opens).
END_OF_DAY = time(0)


def _clock(text: str) -> time:
    return END_OF_DAY if text == "24:00" else time.fromisoformat(text)


def from_record(record: Mapping[str, Any] | None) -> Hours:
    """The record's weekly calendar as sorted ``(weekday 0=Mon, opens, closes)``."""
    if not record:
        return ()
    periods = [
        (weekday, _clock(span[0]), _clock(span[1]))
        for weekday, key in enumerate(WEEKDAY_KEYS)
        for span in record.get(key) or ()
    ]
    return tuple(sorted(periods))


@lru_cache(maxsize=512)
def from_record_text(text: str | None) -> Hours:
    """``from_record`` of the JSON text the database returns; instruments sharing a calendar
    (the usual case) share one parse."""
    return from_record(json.loads(text)) if text else ()


def _hhmm(moment: time, *, closing: bool) -> str:
    return "24:00" if closing and moment == END_OF_DAY else moment.strftime("%H:%M")


def to_record(periods: Iterable[tuple[int, time, time]]) -> dict[str, list[list[str]]] | None:
    """Weekly periods in the registry's shape; no periods at all is ``None`` (no limit)."""
    out: dict[str, list[list[str]]] = {}
    for weekday, opens, closes in sorted(periods):
        out.setdefault(WEEKDAY_KEYS[weekday], []).append(
            [_hhmm(opens, closing=False), _hhmm(closes, closing=True)]
        )
    return out or None
