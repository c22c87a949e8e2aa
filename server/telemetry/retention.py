"""Retention of raw telemetry and rollups, per channel class.

Each channel belongs to a retention class (``channel_retention``; "standard" when it has no
row) that says how many days of raw samples and of one-minute rollups to keep
(``telemetry_retention_class``). With TimescaleDB, whole day-chunks older than the longest
raw retention in use are dropped with ``drop_chunks`` (instant, no bloat); channels of
shorter-lived classes, and every class on a plain table, are trimmed with DELETEs in
batches, each its own transaction, so a large backlog never holds long locks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["DEFAULT_CLASS", "RetentionClass", "RetentionReport", "apply_retention"]

log = logging.getLogger("labshare.retention")

DEFAULT_CLASS = "standard"


@dataclass(frozen=True, slots=True)
class RetentionClass:
    name: str
    raw_days: int
    rollup_days: int


@dataclass(slots=True)
class RetentionReport:
    chunks_dropped: int = 0
    raw_deleted: dict[str, int] = field(default_factory=dict)
    rollups_deleted: dict[str, int] = field(default_factory=dict)


_CLASS_CHANNELS_SQL = text(
    "SELECT c.id FROM channel c LEFT JOIN channel_retention r ON r.channel_id = c.id"
    " WHERE COALESCE(r.class_name, :default) = :name"
)


async def _delete_in_batches(
    conn: AsyncConnection, table: str, column: str, ids: list[int], cutoff: datetime, batch: int
) -> int:
    deleted = 0
    statement = text(
        f"DELETE FROM {table} WHERE (channel_id, {column}) IN ("  # noqa: S608 - fixed names
        f" SELECT channel_id, {column} FROM {table}"
        f" WHERE channel_id = ANY(:ids) AND {column} < :cutoff LIMIT :batch)"
    )
    while True:
        result = await conn.execute(statement, {"ids": ids, "cutoff": cutoff, "batch": batch})
        await conn.commit()
        deleted += result.rowcount or 0
        if (result.rowcount or 0) < batch:
            return deleted


async def apply_retention(
    conn: AsyncConnection, now: datetime, *, timescaledb: bool, batch: int = 50_000
) -> RetentionReport:
    """Remove what every class no longer keeps; safe to run from several processes."""
    report = RetentionReport()
    classes = [
        RetentionClass(r.name, r.raw_days, r.rollup_days)
        for r in await conn.execute(
            text("SELECT name, raw_days, rollup_days FROM telemetry_retention_class")
        )
    ]
    members = {
        c.name: [
            r.id
            for r in await conn.execute(
                _CLASS_CHANNELS_SQL, {"default": DEFAULT_CLASS, "name": c.name}
            )
        ]
        for c in classes
    }
    await conn.commit()
    in_use = [c for c in classes if members[c.name]]
    if not in_use:
        return report
    longest = max(c.raw_days for c in in_use)
    if timescaledb:
        dropped = (
            await conn.execute(
                text("SELECT count(*) FROM drop_chunks('telemetry', older_than => :cutoff)"),
                {"cutoff": now - timedelta(days=longest)},
            )
        ).scalar()
        await conn.commit()
        report.chunks_dropped = int(dropped or 0)
    for retention in in_use:
        ids = members[retention.name]
        if not timescaledb or retention.raw_days < longest:
            report.raw_deleted[retention.name] = await _delete_in_batches(
                conn, "telemetry", "ts", ids, now - timedelta(days=retention.raw_days), batch
            )
        report.rollups_deleted[retention.name] = await _delete_in_batches(
            conn,
            "telemetry_rollup_1m",
            "bucket",
            ids,
            now - timedelta(days=retention.rollup_days),
            batch,
        )
        # The fifteen-minute rows are made from the minute rows and go with them.
        await _delete_in_batches(
            conn,
            "telemetry_rollup_15m",
            "bucket",
            ids,
            now - timedelta(days=retention.rollup_days),
            batch,
        )
    if report.chunks_dropped or any(report.raw_deleted.values()):
        log.info(
            "retention removed %d chunks and %d raw samples",
            report.chunks_dropped,
            sum(report.raw_deleted.values()),
        )
    return report
