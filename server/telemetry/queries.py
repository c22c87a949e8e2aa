"""Reading telemetry back: who may see what, down-sampled series, state timelines, export rows.

Tenancy (the same rule for every query here):

- lab staff and managers: instruments of their own institution, any time range;
- platform admins: everything;
- enterprise users: only what was recorded during their own organisation's bookings of the
  instrument (confirmed, checked in or completed). Outside those windows nothing is
  returned; without any such booking the instrument is reported as absent (404), like
  another institution's.

Series are down-sampled in the database to at most ``max_points`` buckets of a "round" width
(1 s, 2 s, 5 s ... 1 d); each bucket carries min, max, mean and count, so a chart shows the
true envelope of the data. ``time_bucket`` is used where TimescaleDB is installed,
``date_bin`` otherwise (PostgreSQL 14+). Buckets of a minute or more read the one-minute
rollup table (``server.telemetry.rollups``) up to the point it has been kept, and the raw
table only for the newest part.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.auth.tenancy import is_enterprise, may_see_organisation
from server.catalog.models import Channel, Instrument
from server.catalog.repository import ChannelRepository, InstrumentRepository
from server.core.booking_status import READABLE_STATUSES
from server.core.errors import NotFound, ValidationFailed
from server.telemetry.states import StateInterval, state_intervals

__all__ = [
    "BUCKET_STEPS",
    "MAX_POINTS",
    "Access",
    "Series",
    "bucket_width",
    "channel_series",
    "resolve_access",
    "state_timeline",
    "window_filter",
]

MAX_POINTS = 100_000
# "Round" bucket widths, so bucket edges fall on whole seconds, minutes, hours, days.
BUCKET_STEPS = tuple(
    timedelta(seconds=s)
    for s in (
        *(0.001, 0.01, 0.1, 1, 2, 5, 10, 15, 30),
        *(60, 120, 300, 600, 900, 1800),
        *(3600, 7200, 10800, 21600, 43200, 86400),
    )
)
ROLLUP_WIDTH = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Access:
    """What of an instrument's data the user may read; ``windows`` None means all of it."""

    instrument: Instrument
    windows: list[tuple[datetime, datetime]] | None = None

    def covers(self, ts: datetime) -> bool:
        """Whether a reading taken at ``ts`` may be shown to the user."""
        return self.windows is None or any(s <= ts < e for s, e in self.windows)

    def clip(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The parts of ``[start, end)`` the user may read."""
        if self.windows is None:
            return [(start, end)]
        parts = [(max(start, s), min(end, e)) for s, e in self.windows]
        return [(s, e) for s, e in parts if s < e]


@dataclass(slots=True)
class Series:
    channel_id: int
    unit: str
    start: datetime
    end: datetime
    bucket_seconds: float
    source: str
    t: list[int] = field(default_factory=list)
    """Bucket starts, milliseconds since the Unix epoch (UTC)."""
    min: list[float | None] = field(default_factory=list)
    max: list[float | None] = field(default_factory=list)
    mean: list[float | None] = field(default_factory=list)
    count: list[int] = field(default_factory=list)
    first: list[float | None] | None = None
    """Pixel-column series only (:mod:`server.telemetry.m4`): each column's first value."""
    last: list[float | None] | None = None


def _not_found(instrument_id: uuid.UUID) -> NotFound:
    return NotFound(f"Instrument {instrument_id} not found")


async def _booking_windows(
    conn: AsyncConnection, instrument_id: uuid.UUID, organisation_id: uuid.UUID
) -> list[tuple[datetime, datetime]]:
    rows = await conn.execute(
        text(
            "SELECT start_at, end_at FROM booking WHERE instrument_id = :iid"
            " AND organisation_id = :oid AND status = ANY(:statuses) ORDER BY start_at"
        ),
        {
            "iid": instrument_id,
            "oid": organisation_id,
            "statuses": [status.value for status in READABLE_STATUSES],
        },
    )
    return [(r.start_at, r.end_at) for r in rows]


async def resolve_access(session: AsyncSession, user: AppUser, instrument_id: uuid.UUID) -> Access:
    """The instrument and the windows of it ``user`` may read; 404 when none."""
    instrument = await InstrumentRepository(session).get(instrument_id)
    if instrument is None:
        raise _not_found(instrument_id)
    if may_see_organisation(user, instrument.organisation_id):
        return Access(instrument)
    if is_enterprise(user):
        windows = await _booking_windows(
            await session.connection(), instrument.id, user.organisation_id
        )
        if windows:
            return Access(instrument, windows)
    raise _not_found(instrument_id)


async def channel_of(session: AsyncSession, access: Access, channel_id: int) -> Channel:
    for channel in await ChannelRepository(session).for_instrument(access.instrument.id):
        if channel.id == channel_id:
            return channel
    raise ValidationFailed.for_field("channel_id", "no such channel on this instrument")


def check_range(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed.for_field("start", "give times with a UTC offset (ISO 8601)")
    if end <= start:
        raise ValidationFailed.for_field("end", "must be after start")


def bucket_width(start: datetime, end: datetime, max_points: int) -> timedelta:
    """The smallest round width that splits ``[start, end)`` into at most ``max_points``."""
    needed = (end - start) / max_points
    for step in BUCKET_STEPS:
        if step >= needed:
            return step
    days = math.ceil(needed / timedelta(days=1))
    return timedelta(days=days)


def _bucket_sql(timescaledb: bool) -> str:
    return (
        "time_bucket(CAST(:width AS interval), ts, CAST(:origin AS timestamptz))"
        if timescaledb
        else "date_bin(CAST(:width AS interval), ts, CAST(:origin AS timestamptz))"
    )


async def rolled_until(conn: AsyncConnection) -> datetime | None:
    return (
        await conn.execute(
            text("SELECT rolled_until FROM telemetry_rollup_cursor WHERE name = 'rollup_1m'")
        )
    ).scalar()


def window_filter(windows: Sequence[tuple[datetime, datetime]] | None) -> str:
    """SQL keeping only samples inside the booking windows ``:w_starts``/``:w_ends``."""
    if windows is None:
        return ""
    return (
        " AND EXISTS (SELECT 1 FROM unnest(CAST(:w_starts AS timestamptz[]),"
        " CAST(:w_ends AS timestamptz[])) AS w(s, e) WHERE ts >= w.s AND ts < w.e)"
    )


async def channel_series(
    conn: AsyncConnection,
    channel: Channel,
    start: datetime,
    end: datetime,
    *,
    max_points: int,
    timescaledb: bool,
    windows: Sequence[tuple[datetime, datetime]] | None = None,
) -> Series:
    """At most ``max_points`` buckets of min/max/mean/count over ``[start, end)``."""
    assert channel.id is not None
    width = bucket_width(start, end, max_points)
    origin = start
    until = await rolled_until(conn) if width >= ROLLUP_WIDTH else None
    use_rollup = (
        until is not None
        and until > start
        and width % ROLLUP_WIDTH == timedelta(0)
        and windows is None  # booking windows need raw timestamps
    )
    params: dict[str, object] = {
        "cid": channel.id,
        "start": start,
        "end": end,
        "width": width,
        "origin": origin,
    }
    if windows is not None:
        params["w_starts"] = [w[0] for w in windows]
        params["w_ends"] = [w[1] for w in windows]
    bucket = _bucket_sql(timescaledb)
    if use_rollup:
        # Whole minutes line up with the rollup's buckets; the first partial minute is
        # reported in full (its rollup row has no finer detail).
        origin = start.replace(second=0, microsecond=0)
        params["origin"] = origin
        params["rolled"] = until
        tail_sql = (
            f"SELECT {bucket} AS b, min(value) AS mn, max(value) AS mx,"  # noqa: S608
            " sum(value) AS total, count(value) AS n FROM telemetry WHERE channel_id = :cid"
            " AND ts >= GREATEST(:start, :rolled) AND ts < :end GROUP BY b"
        )
        if width == ROLLUP_WIDTH:
            # The rollup rows are the buckets: no second aggregation.
            grouped_sql = (
                "SELECT bucket AS b, min_value AS mn, max_value AS mx, mean_value AS mean,"  # noqa: S608
                " sample_count AS n FROM telemetry_rollup_1m WHERE channel_id = :cid"
                " AND bucket >= :origin AND bucket < LEAST(:end, :rolled)"
                " UNION ALL SELECT b, mn, mx, total / NULLIF(n, 0), n"
                f" FROM ({tail_sql}) AS tail"
            )
        else:
            source_sql = (
                "SELECT bucket AS ts, min_value AS mn, max_value AS mx,"
                " mean_value * sample_count AS total, sample_count AS n"
                " FROM telemetry_rollup_1m WHERE channel_id = :cid"
                " AND bucket >= :origin AND bucket < LEAST(:end, :rolled)"
                " UNION ALL SELECT ts, value, value, value,"
                " CASE WHEN value IS NULL THEN 0 ELSE 1 END"
                " FROM telemetry WHERE channel_id = :cid"
                " AND ts >= GREATEST(:start, :rolled) AND ts < :end"
            )
            grouped_sql = (
                f"SELECT {bucket} AS b, min(mn) AS mn, max(mx) AS mx,"  # noqa: S608
                " sum(total) / NULLIF(sum(n), 0) AS mean, sum(n) AS n"
                f" FROM ({source_sql}) AS src GROUP BY b"
            )
        source = "rollup"
    else:
        grouped_sql = (
            f"SELECT {bucket} AS b, min(value) AS mn, max(value) AS mx,"  # noqa: S608
            " avg(value) AS mean, count(value) AS n FROM telemetry"
            " WHERE channel_id = :cid AND ts >= :start AND ts < :end"
            f"{window_filter(windows)} GROUP BY b"
        )
        source = "raw"
    # One row of five arrays: tens of thousands of buckets cost one array parse each,
    # not a Python row (and a datetime) per bucket. The buckets are sorted once in the
    # subquery (five ORDER BY aggregates would sort five times); PostgreSQL feeds the
    # aggregates in that order, and the order is checked below all the same.
    sql = (
        "SELECT array_agg((extract(epoch FROM b) * 1000)::int8), array_agg(mn),"  # noqa: S608
        " array_agg(mx), array_agg(mean::float8), array_agg(n::int8)"
        f" FROM ({grouped_sql} ORDER BY b) AS buckets"
    )
    series = Series(
        channel_id=channel.id,
        unit=channel.canonical_unit,
        start=start,
        end=end,
        bucket_seconds=width.total_seconds(),
        source=source,
    )
    row = (await conn.execute(text(sql), params)).one()
    if row[0] is not None:
        columns = [list(row[0]), list(row[1]), list(row[2]), list(row[3]), list(row[4])]
        t = columns[0]
        if any(t[i] > t[i + 1] for i in range(len(t) - 1)):
            order = sorted(range(len(t)), key=t.__getitem__)
            columns = [[column[i] for i in order] for column in columns]
        series.t, series.min, series.max, series.mean, series.count = columns
    return series


async def state_timeline(
    session: AsyncSession, access: Access, start: datetime, end: datetime
) -> list[StateInterval]:
    """State intervals overlapping the range, clipped to it and to the user's windows."""
    clipped: list[StateInterval] = []
    for w_start, w_end in access.clip(start, end):
        for interval in await state_intervals(session, access.instrument.id, w_start, w_end):
            # Still current and the user may see up to the requested end: leave it open.
            still_open = interval.end_at is None and w_end >= end
            interval_end = None if still_open else min(interval.end_at or w_end, w_end)
            clipped.append(
                StateInterval(
                    interval.instrument_id,
                    interval.state,
                    max(interval.start_at, w_start),
                    interval_end,
                )
            )
    return clipped
