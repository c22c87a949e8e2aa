"""The one-minute rollup (min, max, mean, count, first and last value per channel and minute),
kept by the server, and the fifteen-minute rollup made from it (for charts of a month and more).

Continuous aggregates would do this in production TimescaleDB, but the Apache build and
plain PostgreSQL lack them, so the server keeps ``telemetry_rollup_1m`` itself: each run
re-aggregates from ``lateness`` before the cursor up to the last complete minute (at most
``max_span`` per run, so a first run over years of data proceeds in steps).

Samples that arrive later than that (a gateway's spool draining after an outage) are caught
by the ingest transaction that stores them: it records each such series' channel and time
range in ``telemetry_rollup_pending``, and :func:`roll_up_pending` (run by the same job)
re-aggregates those minutes from the raw table and deletes the records, in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = [
    "FIFTEEN_MINUTES",
    "ROLLUP_CURSOR",
    "RollupRun",
    "maintain_rollups",
    "rebuild_rollups",
    "roll_up_pending",
]

ROLLUP_CURSOR = "rollup_1m"
FIFTEEN_MINUTES = timedelta(minutes=15)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)

_AGGREGATE_SQL = text(
    """
    INSERT INTO telemetry_rollup_1m
        (channel_id, bucket, min_value, max_value, mean_value, sample_count,
         first_value, last_value)
    SELECT channel_id, date_bin('1 minute', ts, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS b,
           min(value), max(value), avg(value), count(value),
           (array_agg(value ORDER BY ts) FILTER (WHERE value IS NOT NULL))[1],
           (array_agg(value ORDER BY ts DESC) FILTER (WHERE value IS NOT NULL))[1]
    FROM telemetry WHERE ts >= :start AND ts < :end
    GROUP BY channel_id, b
    ON CONFLICT (channel_id, bucket) DO UPDATE SET
        min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value,
        mean_value = EXCLUDED.mean_value, sample_count = EXCLUDED.sample_count,
        first_value = EXCLUDED.first_value, last_value = EXCLUDED.last_value
    """
)


_PENDING_SQL = text(
    """
    DELETE FROM telemetry_rollup_pending WHERE id IN (
        SELECT id FROM telemetry_rollup_pending ORDER BY id LIMIT :limit
    ) RETURNING channel_id, first_ts, last_ts
    """
)

_AGGREGATE_RANGES_SQL = text(
    """
    INSERT INTO telemetry_rollup_1m
        (channel_id, bucket, min_value, max_value, mean_value, sample_count,
         first_value, last_value)
    SELECT t.channel_id, date_bin('1 minute', t.ts, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS b,
           min(t.value), max(t.value), avg(t.value), count(t.value),
           (array_agg(t.value ORDER BY t.ts) FILTER (WHERE t.value IS NOT NULL))[1],
           (array_agg(t.value ORDER BY t.ts DESC) FILTER (WHERE t.value IS NOT NULL))[1]
    FROM unnest(CAST(:channels AS integer[]), CAST(:starts AS timestamptz[]),
                CAST(:ends AS timestamptz[])) AS r(channel_id, start_at, end_at)
    JOIN telemetry t ON t.channel_id = r.channel_id AND t.ts >= r.start_at AND t.ts < r.end_at
    GROUP BY t.channel_id, b
    ON CONFLICT (channel_id, bucket) DO UPDATE SET
        min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value,
        mean_value = EXCLUDED.mean_value, sample_count = EXCLUDED.sample_count,
        first_value = EXCLUDED.first_value, last_value = EXCLUDED.last_value
    """
)

# Fifteen-minute rows re-made from the minute rows of every bucket that ``[:start, :end)``
# touches (a bucket whose later minutes are not rolled up yet is re-made by a later run).
_FIFTEEN_SELECT = """
    SELECT channel_id,
           date_bin('15 minutes', bucket, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS b,
           min(min_value), max(max_value),
           sum(mean_value * sample_count) / NULLIF(sum(sample_count), 0), sum(sample_count),
           (array_agg(COALESCE(first_value, mean_value) ORDER BY bucket)
                FILTER (WHERE sample_count > 0))[1],
           (array_agg(COALESCE(last_value, mean_value) ORDER BY bucket DESC)
                FILTER (WHERE sample_count > 0))[1]
    FROM telemetry_rollup_1m
"""
_FIFTEEN_UPSERT = """
    ON CONFLICT (channel_id, bucket) DO UPDATE SET
        min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value,
        mean_value = EXCLUDED.mean_value, sample_count = EXCLUDED.sample_count,
        first_value = EXCLUDED.first_value, last_value = EXCLUDED.last_value
"""
_AGGREGATE_15M_SQL = text(
    "INSERT INTO telemetry_rollup_15m"
    + _FIFTEEN_SELECT
    + " WHERE bucket >= :start AND bucket < :end GROUP BY channel_id, b"
    + _FIFTEEN_UPSERT
)
_AGGREGATE_15M_RANGES_SQL = text(
    "INSERT INTO telemetry_rollup_15m"
    + _FIFTEEN_SELECT
    + " JOIN unnest(CAST(:channels AS integer[]), CAST(:starts AS timestamptz[]),"
    " CAST(:ends AS timestamptz[])) AS r(rc, start_at, end_at)"
    " ON channel_id = r.rc AND bucket >= r.start_at AND bucket < r.end_at"
    " GROUP BY channel_id, b" + _FIFTEEN_UPSERT
)

_LOCK_SQL = text("SELECT pg_try_advisory_xact_lock(hashtext('labshare.rollup_1m'))")


@dataclass(frozen=True, slots=True)
class RollupRun:
    start: datetime | None
    end: datetime | None
    buckets: int

    @property
    def caught_up(self) -> bool:
        return self.start is None


def _floor_minute(value: datetime) -> datetime:
    return value - (value - _EPOCH) % timedelta(minutes=1)


def _fifteen(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The whole fifteen-minute buckets that ``[start, end)`` touches."""
    floor = start - (start - _EPOCH) % FIFTEEN_MINUTES
    ceiling = end + (-(end - _EPOCH)) % FIFTEEN_MINUTES
    return floor, ceiling


async def rebuild_rollups(conn: AsyncConnection, start: datetime, end: datetime) -> int:
    """Re-aggregate whole minutes of ``[start, end)`` and the fifteen-minute buckets they fall
    in; returns the minute buckets written."""
    result = await conn.execute(
        _AGGREGATE_SQL, {"start": _floor_minute(start), "end": _floor_minute(end)}
    )
    low, high = _fifteen(_floor_minute(start), _floor_minute(end))
    await conn.execute(_AGGREGATE_15M_SQL, {"start": low, "end": high})
    return result.rowcount or 0


async def maintain_rollups(
    conn: AsyncConnection,
    now: datetime,
    *,
    lateness: timedelta = timedelta(minutes=15),
    max_span: timedelta = timedelta(days=1),
) -> RollupRun:
    """One step of rollup upkeep, in its own transaction; only one process does it at a time."""
    locked = (await conn.execute(_LOCK_SQL)).scalar()
    if not locked:
        await conn.rollback()
        return RollupRun(None, None, 0)
    cursor = (
        await conn.execute(
            text("SELECT rolled_until FROM telemetry_rollup_cursor WHERE name = :name"),
            {"name": ROLLUP_CURSOR},
        )
    ).scalar()
    until = _floor_minute(now)
    if cursor is None:
        first = (await conn.execute(text("SELECT min(ts) FROM telemetry"))).scalar()
        if first is None:
            await conn.commit()
            return RollupRun(None, None, 0)
        start = _floor_minute(first)
    else:
        start = _floor_minute(cursor - lateness)
    end = min(until, start + max_span)
    if end <= start or (cursor is not None and cursor >= until):
        await conn.commit()
        return RollupRun(None, None, 0)
    buckets = await rebuild_rollups(conn, start, end)
    new_cursor = max(end, cursor) if cursor is not None else end
    await conn.execute(
        text(
            "INSERT INTO telemetry_rollup_cursor (name, rolled_until) VALUES (:name, :until)"
            " ON CONFLICT (name) DO UPDATE SET rolled_until = EXCLUDED.rolled_until"
        ),
        {"name": ROLLUP_CURSOR, "until": new_cursor},
    )
    await conn.commit()
    return RollupRun(start, new_cursor, buckets)


def minute_ranges(
    ranges: Iterable[tuple[int, datetime, datetime]], until: datetime
) -> list[tuple[int, datetime, datetime]]:
    """Whole-minute ``[start, end)`` per channel covering ``ranges`` below ``until``, merged."""
    clipped = sorted(
        (channel_id, _floor_minute(first), min(_floor_minute(last) + _MINUTE, until))
        for channel_id, first, last in ranges
        if _floor_minute(first) < until
    )
    merged: list[tuple[int, datetime, datetime]] = []
    for channel_id, start, end in clipped:
        if merged and merged[-1][0] == channel_id and start <= merged[-1][2]:
            merged[-1] = (channel_id, merged[-1][1], max(merged[-1][2], end))
        else:
            merged.append((channel_id, start, end))
    return merged


async def roll_up_pending(conn: AsyncConnection, *, limit: int = 10_000) -> int:
    """Re-aggregate the minutes of late samples reported by ingest; returns the records taken.

    Only minutes below the cursor are redone here: later ones are the regular run's. Before
    the first regular run nothing is taken (that run reads all of history anyway).
    """
    if not (await conn.execute(_LOCK_SQL)).scalar():
        await conn.rollback()
        return 0
    cursor = (
        await conn.execute(
            text("SELECT rolled_until FROM telemetry_rollup_cursor WHERE name = :name"),
            {"name": ROLLUP_CURSOR},
        )
    ).scalar()
    if cursor is None:
        await conn.commit()
        return 0
    taken = (await conn.execute(_PENDING_SQL, {"limit": limit})).all()
    ranges = minute_ranges(((r[0], r[1], r[2]) for r in taken), cursor)
    if ranges:
        await conn.execute(
            _AGGREGATE_RANGES_SQL,
            {
                "channels": [r[0] for r in ranges],
                "starts": [r[1] for r in ranges],
                "ends": [r[2] for r in ranges],
            },
        )
        fifteen = [(r[0], *_fifteen(r[1], r[2])) for r in ranges]
        await conn.execute(
            _AGGREGATE_15M_RANGES_SQL,
            {
                "channels": [r[0] for r in fifteen],
                "starts": [r[1] for r in fifteen],
                "ends": [r[2] for r in fifteen],
            },
        )
    await conn.commit()
    return len(taken)
