"""Interval arithmetic and the availability of one instrument, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from server.booking.availability import free_intervals
from server.booking.intervals import align_to_grid, merge, subtract
from server.booking.models import BookingPolicy

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 12, 7, tzinfo=SH)  # a Monday


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_subtract_cuts_holes_and_keeps_untouched_pieces() -> None:
    free = [(at(9), at(12)), (at(13), at(17))]
    busy = [(at(10), at(11)), (at(16), at(18))]
    assert subtract(free, busy) == [(at(9), at(10)), (at(11), at(12)), (at(13), at(16))]


intervals = st.lists(
    st.tuples(st.integers(0, 200), st.integers(1, 30)).map(
        lambda p: (at(p[0] / 2), at((p[0] + p[1]) / 2))
    ),
    max_size=12,
)


@given(free=intervals, busy=intervals)
def test_subtract_matches_a_minute_by_minute_model(
    free: list[tuple[datetime, datetime]], busy: list[tuple[datetime, datetime]]
) -> None:
    f, b = merge(free), merge(busy)
    result = subtract(f, b)

    def minutes(spans: list[tuple[datetime, datetime]]) -> set[int]:
        out: set[int] = set()
        for s, e in spans:
            out.update(
                range(int((s - T0).total_seconds() // 60), int((e - T0).total_seconds() // 60))
            )
        return out

    assert minutes(result) == minutes(f) - minutes(b)
    assert result == merge(result)


def test_align_to_grid_drops_short_pieces() -> None:
    pieces = [(at(9.25), at(10.75)), (at(11.1), at(11.4))]
    aligned = align_to_grid(pieces, T0, timedelta(minutes=30), timedelta(minutes=30))
    assert aligned == [(at(9.5), at(10.5))]


def test_free_time_respects_hours_buffer_lead_and_calibration() -> None:
    policy = BookingPolicy(
        timezone="Asia/Shanghai",
        slot_minutes=30,
        buffer_minutes=15,
        lead_time_minutes=60,
        min_duration_minutes=60,
        horizon_days=30,
    )
    hours = tuple((d, time(9), time(17)) for d in range(5))
    now = at(0).astimezone(UTC)
    free = free_intervals(
        policy=policy,
        hours=hours,
        blackouts=[(at(24 + 9), at(24 + 17))],  # Tuesday closed
        blocked=[(at(48 + 15), at(24 * 30))],  # calibration lapses Wednesday 15:00
        busy=[(at(11), at(12))],
        start=at(0),
        end=at(24 * 7),
        now=now,
    )
    assert free == [
        # Monday: the buffer widens the 11-12 booking to 10:45-12:15, then the grid.
        (at(9), at(10.5)),
        (at(12.5), at(17)),
        # Wednesday until the calibration lapses.
        (at(48 + 9), at(48 + 15)),
    ]
