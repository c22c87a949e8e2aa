"""Retention per channel class, and the in-process scheduler that runs the upkeep jobs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy.ext.asyncio import create_async_engine

from server.telemetry.jobs import JobIntervals, TelemetryJobs
from server.telemetry.retention import apply_retention
from tests.harness.telemetry import Seeder

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
AGES_DAYS = (400, 100, 10)


def fill(seeder: Seeder, channel_id: int) -> None:
    with psycopg.connect(seeder.conninfo) as conn:
        for days in AGES_DAYS:
            ts = NOW - timedelta(days=days)
            conn.execute(
                "INSERT INTO telemetry (channel_id, ts, value, quality) VALUES (%s, %s, 1, 0)",
                (channel_id, ts),
            )
            conn.execute(
                "INSERT INTO telemetry_rollup_1m VALUES (%s, %s, 1, 1, 1, 1)", (channel_id, ts)
            )


def ages(seeder: Seeder, table: str, column: str, channel_id: int) -> list[int]:
    rows = seeder.query(
        f"SELECT {column} FROM {table} WHERE channel_id = %s ORDER BY {column}",  # noqa: S608
        (channel_id,),
    )
    return [round((NOW - r[0]) / timedelta(days=1)) for r in rows]


async def test_retention_drops_old_data_only_and_per_class(
    database_url: str, seeder: Seeder
) -> None:
    gateway = seeder.gateway("gw-ret", {("d", "temperature"): "degC", ("d", "vibration"): "m/s"})
    standard = gateway.channels[("d", "temperature")]
    diagnostic = gateway.channels[("d", "vibration")]
    seeder.query(
        "INSERT INTO channel_retention VALUES (%s, 'diagnostic') RETURNING channel_id",
        (diagnostic,),
    )
    fill(seeder, standard)
    fill(seeder, diagnostic)
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            report = await apply_retention(conn, NOW, timescaledb=True, batch=1)
    finally:
        await engine.dispose()
    # standard: 365 days raw, 3650 rollups; diagnostic: 30 days raw, 365 rollups.
    assert ages(seeder, "telemetry", "ts", standard) == [100, 10]
    assert ages(seeder, "telemetry", "ts", diagnostic) == [10]
    assert ages(seeder, "telemetry_rollup_1m", "bucket", standard) == [400, 100, 10]
    assert ages(seeder, "telemetry_rollup_1m", "bucket", diagnostic) == [100, 10]
    assert report.chunks_dropped >= 1  # the 400-day-old chunk went as a whole
    assert report.raw_deleted["diagnostic"] == 1


async def test_scheduler_evaluates_states_and_stops_cleanly(
    database_url: str, seeder: Seeder
) -> None:
    gateway = seeder.gateway("gw-jobs", {("d", "status"): "dimensionless"})
    instrument_id = seeder.scalar("SELECT id FROM instrument")
    seeder.query(
        "INSERT INTO instrument_state_rule (instrument_id, rule) VALUES"
        """ (%s, '{"status": {"point": "status", "map": {"2": "running"}}}') RETURNING 1""",
        (instrument_id,),
    )
    now = datetime.now(UTC)
    # The second sample lies in the current minute, which is never rolled up yet.
    for age in (timedelta(minutes=2), timedelta(0)):
        seeder.query(
            "INSERT INTO telemetry (channel_id, ts, value, quality) VALUES (%s, %s, 2, 0)"
            " RETURNING 1",
            (gateway.channels[("d", "status")], now - age),
        )
    engine = create_async_engine(database_url)
    jobs = TelemetryJobs(engine, timescaledb=True, intervals=JobIntervals(0.1, 0.1, 0.1))
    try:
        await jobs.start()
        for _ in range(100):
            state = seeder.scalar(
                "SELECT state FROM instrument_state_interval WHERE end_at IS NULL"
            )
            if state is not None:
                break
            await asyncio.sleep(0.1)
        assert state == "running"
        # The complete minute two minutes ago is in the rollup.
        for _ in range(100):
            if seeder.scalar("SELECT sample_count FROM telemetry_rollup_1m") is not None:
                break
            await asyncio.sleep(0.1)
        assert seeder.scalar("SELECT sum(sample_count) FROM telemetry_rollup_1m") == 1
    finally:
        await jobs.stop()
        await engine.dispose()
