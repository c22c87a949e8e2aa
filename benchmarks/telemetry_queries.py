"""Telemetry read paths against naive SQL on the same table, in one run.

Starts a private PostgreSQL + TimescaleDB cluster (the test harness's class), migrates a
database, registers one instrument with ``--channels`` channels, loads one sample per second
per channel for ``--days`` days by binary COPY (4 channels x 30 days = 10.4 million rows),
keeps the one-minute rollup up to date with the server's own job, then times:

1. a 30-day chart of one channel at 1-minute resolution (43,200 buckets of min/max/mean/count,
   ``server.telemetry.queries.channel_series``, the API's code path) against the naive
   full-resolution fetch ``SELECT ts, value ... ORDER BY ts`` a chart would otherwise need;
2. the same 30 days as a chart 1,440 pixels wide (``server.telemetry.m4.channel_columns``,
   ``GET .../series?width=1440``: first, min, max and last per pixel column) against the
   1-minute chart of item 1, which is what a client would otherwise fetch and thin out itself;
3. the latest values of one instrument (``server.telemetry.latest.latest_rows``, the
   ``GET /instruments/{id}/latest`` query) against a ``max(ts) GROUP BY channel_id`` scan.

Goals: the 1-minute chart < 50 ms, the pixel-column chart < 20 ms, latest < 2 ms. Prints one JSON object with medians and ratios
(reference time / labshare time: above 1 means labshare is faster).

    .venv/bin/python benchmarks/telemetry_queries.py               # 10.4 million rows
    .venv/bin/python benchmarks/telemetry_queries.py --smoke       # seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlmodel.ext.asyncio.session import AsyncSession  # noqa: E402

from server.catalog.models import Channel  # noqa: E402
from server.core.migrations import upgrade  # noqa: E402
from server.telemetry.latest import latest_rows  # noqa: E402
from server.telemetry.m4 import channel_columns  # noqa: E402
from server.telemetry.queries import channel_series  # noqa: E402
from server.telemetry.rollups import maintain_rollups  # noqa: E402
from tests.harness import PostgresCluster  # noqa: E402
from tests.harness.telemetry import Seeder  # noqa: E402

NOW = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
PIXELS = 1440  # a chart across a 1440-px-wide screen


def seed(conninfo: str, channels: int) -> tuple[uuid.UUID, list[int]]:
    """One instrument with ``channels`` degC channels: its id and the channels' ids."""
    seeder = Seeder(conninfo)
    gateway = seeder.gateway("bench-gw", {("dev", f"p{n}"): "degC" for n in range(channels)})
    return seeder.instrument_id, [gateway.channels[("dev", f"p{n}")] for n in range(channels)]


def load(conninfo: str, channel_ids: list[int], days: float, step_s: float) -> int:
    """Binary COPY of one sample per ``step_s`` per channel, oldest first (as ingest writes)."""
    start = NOW - timedelta(days=days)
    count = int(days * 86400 / step_s)
    rows = 0
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        statement = (
            "COPY telemetry (channel_id, ts, value, quality, seq) FROM STDIN (FORMAT BINARY)"
        )
        with cur.copy(statement) as copy:
            copy.set_types(["int4", "timestamptz", "float8", "int2", "int8"])
            for i in range(count):
                ts = start + timedelta(seconds=i * step_s)
                for channel_id in channel_ids:
                    copy.write_row((channel_id, ts, 20.0 + (i % 600) / 60.0, 0, rows))
                    rows += 1
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE telemetry")
    return rows


async def median_ms(action: Callable[[], Awaitable[object]], repeat: int) -> float:
    await action()  # warm the cache: dashboards are read again and again
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        await action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def measure(
    url: str, instrument_id: uuid.UUID, channel_ids: list[int], days: float, repeat: int
) -> dict[str, object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            started = time.perf_counter()
            while not (await maintain_rollups(conn, NOW + timedelta(minutes=1))).caught_up:
                pass
            rollup_s = time.perf_counter() - started
            await conn.execute(text("ANALYZE telemetry_rollup_1m"))
            await conn.commit()
        chart_start, chart_end = NOW - timedelta(days=min(days, 30)), NOW
        points = int((chart_end - chart_start) / timedelta(minutes=1))
        channel = Channel(
            id=channel_ids[0], instrument_id=instrument_id, gateway_id=uuid.uuid4(),
            device_key="dev", point_key="p0", name="p0", canonical_unit="degC",
        )  # fmt: skip
        async with engine.connect() as conn:
            buckets = await channel_series(
                conn, channel, chart_start, chart_end, max_points=points, timescaledb=True
            )
            assert buckets.source == "rollup", buckets.source
            assert len(buckets.t) <= points

            async def chart() -> object:
                return await channel_series(
                    conn, channel, chart_start, chart_end, max_points=points, timescaledb=True
                )

            async def pixel_chart() -> object:
                return await channel_columns(
                    conn, channel, chart_start, chart_end, width=PIXELS, timescaledb=True
                )

            pixels = await channel_columns(
                conn, channel, chart_start, chart_end, width=PIXELS, timescaledb=True
            )
            assert pixels.source == "rollup", pixels.source
            assert len(pixels.t) <= PIXELS

            async def naive_chart() -> object:
                result = await conn.execute(
                    text(
                        "SELECT ts, value FROM telemetry WHERE channel_id = :c"
                        " AND ts >= :s AND ts < :e ORDER BY ts"
                    ),
                    {"c": channel_ids[0], "s": chart_start, "e": chart_end},
                )
                return result.all()

            async def naive_latest() -> object:
                result = await conn.execute(
                    text(
                        "SELECT channel_id, max(ts) FROM telemetry"
                        " WHERE channel_id = ANY(:ids) GROUP BY channel_id"
                    ),
                    {"ids": channel_ids},
                )
                return result.all()

            chart_ms = await median_ms(chart, repeat)
            pixel_ms = await median_ms(pixel_chart, repeat)
            naive_chart_ms = await median_ms(naive_chart, max(1, repeat // 3))
            naive_latest_ms = await median_ms(naive_latest, max(1, repeat // 3))
        async with AsyncSession(engine) as session:

            async def latest() -> object:
                return await latest_rows(session, instrument_id)

            readings = await latest_rows(session, instrument_id)
            assert all(r.ts is not None for r in readings)
            latest_ms = await median_ms(latest, repeat)
    finally:
        await engine.dispose()
    return {
        "chart_points": len(buckets.t),
        "chart_ms": round(chart_ms, 2),
        "naive_full_resolution_ms": round(naive_chart_ms, 2),
        "chart_ratio": round(naive_chart_ms / chart_ms, 1),
        "pixel_columns": len(pixels.t),
        "pixel_chart_ms": round(pixel_ms, 2),
        "pixel_ratio_vs_1min_chart": round(chart_ms / pixel_ms, 1),
        "latest_ms": round(latest_ms, 2),
        "naive_max_ts_scan_ms": round(naive_latest_ms, 2),
        "latest_ratio": round(naive_latest_ms / latest_ms, 1),
        "rollup_build_s": round(rollup_s, 1),
        "chart_goal_met": chart_ms < 50,
        "pixel_chart_goal_met": pixel_ms < 20,
        "latest_goal_met": latest_ms < 2,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=4, help="channels of the instrument")
    parser.add_argument("--days", type=float, default=30.0, help="days of 1 Hz samples")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per query")
    parser.add_argument("--smoke", action="store_true", help="a few-seconds run for the tests")
    args = parser.parse_args()
    step_s = 1.0
    if args.smoke:
        args.channels, args.days, args.repeat, step_s = 2, 2.0, 3, 10.0

    cluster = PostgresCluster()
    cluster.start()
    try:
        database = cluster.create_database()
        upgrade(cluster.url(database))
        conninfo = cluster.url(database, driver="postgresql")
        instrument_id, channel_ids = seed(conninfo, args.channels)
        started = time.perf_counter()
        rows = load(conninfo, channel_ids, args.days, step_s)
        load_s = time.perf_counter() - started
        result = {"rows": rows, "load_s": round(load_s, 1)}
        result.update(
            asyncio.run(
                measure(cluster.url(database), instrument_id, channel_ids, args.days, args.repeat)
            )
        )
        print(json.dumps(result))
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
