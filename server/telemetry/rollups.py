"""The one-minute rollup (min, max, mean, count per channel and minute), kept by the server.

Continuous aggregates would do this in production TimescaleDB, but the Apache build and
plain PostgreSQL lack them, so the server keeps ``telemetry_rollup_1m`` itself: each run
re-aggregates from ``lateness`` before the cursor up to the last complete minute (at most
``max_span`` per run, so a first run over years of data proceeds in steps). Samples that
arrive later than ``lateness`` after their minute (a gateway's spool after a long outage)
are in the raw table but not in the rollup until :func:`rebuild_rollups` covers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["ROLLUP_CURSOR", "RollupRun", "maintain_rollups", "rebuild_rollups"]

ROLLUP_CURSOR = "rollup_1m"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_AGGREGATE_SQL = text(
    """
    INSERT INTO telemetry_rollup_1m
        (channel_id, bucket, min_value, max_value, mean_value, sample_count)
    SELECT channel_id, date_bin('1 minute', ts, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS b,
           min(value), max(value), avg(value), count(value)
    FROM telemetry WHERE ts >= :start AND ts < :end
    GROUP BY channel_id, b
    ON CONFLICT (channel_id, bucket) DO UPDATE SET
        min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value,
        mean_value = EXCLUDED.mean_value, sample_count = EXCLUDED.sample_count
    """
)


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


async def rebuild_rollups(conn: AsyncConnection, start: datetime, end: datetime) -> int:
    """Re-aggregate whole minutes of ``[start, end)``; returns the buckets written."""
    result = await conn.execute(
        _AGGREGATE_SQL, {"start": _floor_minute(start), "end": _floor_minute(end)}
    )
    return result.rowcount or 0


async def maintain_rollups(
    conn: AsyncConnection,
    now: datetime,
    *,
    lateness: timedelta = timedelta(minutes=15),
    max_span: timedelta = timedelta(days=1),
) -> RollupRun:
    """One step of rollup upkeep, in its own transaction; only one process does it at a time."""
    locked = (
        await conn.execute(text("SELECT pg_try_advisory_xact_lock(hashtext('labshare.rollup_1m'))"))
    ).scalar()
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
