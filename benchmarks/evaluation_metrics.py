"""Yearly sharing metrics from the maintained day aggregate against the raw intervals, in one run.

Starts a private PostgreSQL (+ TimescaleDB when installed) cluster, migrates a database and
loads a province: ``--instruments`` instruments in 60 institutions over 11 cities, of which
``--sensors`` have a sensor with ``--per-day`` state intervals on every day of the year
(running, idle and off), and ``--bookings`` completed external bookings per instrument and
year. The aggregate (``evaluation_state_day``) is then built by the server's own refresh, as
the job runner does, and timed:

1. the province's yearly metrics per institution (``compute_metrics``, the API's code path:
   effective, external and opening hours, service records, ratings);
2. one institution's yearly metrics;
3. effective working hours of every instrument for the year from the maintained aggregate,
   against the naive computation over the raw state intervals (each clipped to the year).

Goals: province < 2 s, one institution < 200 ms. Prints one JSON object with medians and the
ratio naive / aggregate (above 1: the aggregate is faster).

    .venv/bin/python benchmarks/evaluation_metrics.py            # 15,000 instruments, a year
    .venv/bin/python benchmarks/evaluation_metrics.py --smoke    # seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from server.core.migrations import upgrade  # noqa: E402
from server.evaluation.aggregates import refresh_state_days  # noqa: E402
from server.evaluation.calendar import Period  # noqa: E402
from server.evaluation.metrics import Level, Scope, compute_metrics, instrument_hours  # noqa: E402
from tests.harness import PostgresCluster  # noqa: E402

YEAR = 2026
NOW = datetime(2027, 1, 15, tzinfo=UTC)
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水"]

SEED_SQL = """
INSERT INTO organisation (id, kind, name, city)
SELECT ('00000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid, 'institution',
       '机构' || n, (%(cities)s::text[])[1 + n %% 11]
FROM generate_series(1, 60) n;
INSERT INTO organisation (id, kind, name, city)
VALUES ('00000000-0000-0000-0001-000000000000', 'enterprise', '企业', '杭州');
INSERT INTO app_user (id, organisation_id, email, full_name, role, password_hash)
VALUES ('00000000-0000-0000-0002-000000000000', '00000000-0000-0000-0001-000000000000',
        'bench@bench.test', 'bench', 'enterprise_member', 'x');
INSERT INTO lab (id, organisation_id, name)
SELECT ('00000000-0000-0000-0003-' || lpad(n::text, 12, '0'))::uuid,
       ('00000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid, '实验室' || n
FROM generate_series(1, 60) n;
INSERT INTO instrument (id, lab_id, organisation_id, name, is_open, opening_hours, created_at)
SELECT ('00000000-0000-0000-0004-' || lpad(n::text, 12, '0'))::uuid,
       ('00000000-0000-0000-0003-' || lpad((1 + n %% 60)::text, 12, '0'))::uuid,
       ('00000000-0000-0000-0000-' || lpad((1 + n %% 60)::text, 12, '0'))::uuid,
       '仪器' || n, true,
       '{"mon": [["08:30", "17:30"]], "tue": [["08:30", "17:30"]], "wed": [["08:30", "17:30"]],
         "thu": [["08:30", "17:30"]], "fri": [["08:30", "17:30"]]}'::jsonb,
       '2025-06-01T00:00:00+08'
FROM generate_series(1, %(instruments)s) n;
INSERT INTO instrument_state_rule (instrument_id, rule)
SELECT ('00000000-0000-0000-0004-' || lpad(n::text, 12, '0'))::uuid,
       '{"power": {"point": "power", "running_enter": 100, "running_exit": 80,
                   "off_enter": 5, "off_exit": 10}}'::jsonb
FROM generate_series(1, %(sensors)s) n;
"""

# The state timeline of one day, from midnight Beijing: off, idle, running, idle, ... (the
# running stretches vary by instrument so no two instruments look alike).
INTERVALS_SQL = """
ALTER TABLE instrument_state_interval DISABLE TRIGGER evaluation_queue_state_days;
INSERT INTO instrument_state_interval (instrument_id, state, start_at, end_at)
SELECT i.id, s.state, d + s.a, d + s.b
FROM (SELECT ('00000000-0000-0000-0004-' || lpad(n::text, 12, '0'))::uuid AS id, n
      FROM generate_series(1, %(sensors)s) n) i
CROSS JOIN generate_series(timestamptz '2026-01-01T00:00:00+08',
                           timestamptz '2026-12-31T00:00:00+08', interval '1 day') d
CROSS JOIN LATERAL (
  SELECT CASE WHEN k = 0 THEN 'off' WHEN k %% 2 = 1 THEN 'idle' ELSE 'running' END AS state,
         CASE WHEN k = 0 THEN interval '0' ELSE interval '8 hours'
              + (k - 1) * (interval '10 hours' / (%(per_day)s - 1))
              + (i.n %% 7) * interval '1 minute' END AS a,
         CASE WHEN k = %(per_day)s - 1 THEN interval '24 hours'
              ELSE interval '8 hours' + k * (interval '10 hours' / (%(per_day)s - 1))
              + (i.n %% 7) * interval '1 minute' END AS b
  FROM generate_series(0, %(per_day)s - 1) k
) s;
ALTER TABLE instrument_state_interval ENABLE TRIGGER evaluation_queue_state_days;
INSERT INTO evaluation_state_day_pending (instrument_id, first_day, last_day)
SELECT instrument_id, min((start_at AT TIME ZONE 'Asia/Shanghai')::date),
       max((end_at AT TIME ZONE 'Asia/Shanghai')::date)
FROM instrument_state_interval GROUP BY instrument_id;
"""

BOOKINGS_SQL = """
INSERT INTO booking (instrument_id, organisation_id, user_id, start_at, end_at, status, mode,
  sample_count, test_items, purpose, user_category, quoted_amount, overrun_minutes)
SELECT ('00000000-0000-0000-0004-' || lpad(n::text, 12, '0'))::uuid,
       '00000000-0000-0000-0001-000000000000', '00000000-0000-0000-0002-000000000000',
       timestamptz '2026-01-05T09:00:00+08' + (k * (350 / %(bookings)s)) * interval '1 day',
       timestamptz '2026-01-05T12:00:00+08' + (k * (350 / %(bookings)s)) * interval '1 day',
       'completed', 'self_operated', 2, '{}', '', 'enterprise', 0, 0
FROM generate_series(1, %(instruments)s) n CROSS JOIN generate_series(0, %(bookings)s - 1) k;
"""


def seed(conninfo: str, args: argparse.Namespace) -> dict[str, float]:
    params = {
        "cities": CITIES,
        "instruments": args.instruments,
        "sensors": args.sensors,
        "per_day": args.per_day,
        "bookings": args.bookings,
    }
    timings = {}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for name, sql in (
            ("seed", SEED_SQL),
            ("intervals", INTERVALS_SQL),
            ("bookings", BOOKINGS_SQL),
        ):
            started = time.perf_counter()
            for statement in sql.split(";\n"):
                if statement.strip():
                    conn.execute(statement, params)  # type: ignore[arg-type]
            timings[f"load_{name}_s"] = round(time.perf_counter() - started, 1)
        conn.execute("ANALYZE")
    return timings


async def median_ms(run: Callable[[], Awaitable[object]], repeat: int) -> float:
    await run()  # warm the cache and the plan
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


AGGREGATE_SQL = text(
    "SELECT instrument_id, sum(seconds) FROM evaluation_state_day"
    " WHERE state = 'running' AND day BETWEEN :first AND :last GROUP BY instrument_id"
)
NAIVE_SQL = text(
    "SELECT instrument_id, sum(extract(epoch FROM least(coalesce(end_at, :now), :end)"
    "  - greatest(start_at, :start)))"
    " FROM instrument_state_interval WHERE state = 'running'"
    " AND start_at < :end AND coalesce(end_at, :now) > :start GROUP BY instrument_id"
)


async def measure(url: str, repeat: int) -> dict[str, object]:
    engine = create_async_engine(url)
    period = Period.year(YEAR)
    try:
        async with engine.connect() as conn:
            started = time.perf_counter()
            consumed = await refresh_state_days(conn)
            build_s = time.perf_counter() - started
        async with engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE evaluation_state_day")
            await conn.commit()
            province_rows = await compute_metrics(conn, Level.INSTITUTION, Scope(), period, NOW)
            one = province_rows[0].key

            async def province() -> object:
                return await compute_metrics(conn, Level.INSTITUTION, Scope(), period, NOW)

            async def institution() -> object:
                import uuid

                scope = Scope(organisation_id=uuid.UUID(one))
                return await compute_metrics(conn, Level.INSTITUTION, scope, period, NOW)

            async def province_hours() -> object:
                return await instrument_hours(conn, Scope(), period, NOW)

            params = {"first": period.first, "last": period.last}
            naive_params = {"start": period.start, "end": period.end, "now": NOW}

            async def aggregate_hours() -> object:
                return (await conn.execute(AGGREGATE_SQL, params)).all()

            async def naive_hours() -> object:
                return (await conn.execute(NAIVE_SQL, naive_params)).all()

            aggregate = dict((await conn.execute(AGGREGATE_SQL, params)).all())
            naive = dict((await conn.execute(NAIVE_SQL, naive_params)).all())
            assert aggregate.keys() == naive.keys()
            assert all(abs(float(aggregate[k]) - float(naive[k])) < 1e-3 for k in naive)

            province_ms = await median_ms(province, repeat)
            institution_ms = await median_ms(institution, repeat)
            province_hours_ms = await median_ms(province_hours, repeat)
            aggregate_ms = await median_ms(aggregate_hours, repeat)
            naive_ms = await median_ms(naive_hours, max(1, repeat // 2))
            intervals = (
                await conn.execute(text("SELECT count(*) FROM instrument_state_interval"))
            ).scalar()
            day_rows = (
                await conn.execute(text("SELECT count(*) FROM evaluation_state_day"))
            ).scalar()
    finally:
        await engine.dispose()
    return {
        "state_intervals": intervals,
        "aggregate_rows": day_rows,
        "aggregate_build_s": round(build_s, 1),
        "pending_rows_consumed": consumed,
        "province_yearly_metrics_ms": round(province_ms, 1),
        "institution_yearly_metrics_ms": round(institution_ms, 1),
        "province_hours_part_ms": round(province_hours_ms, 1),
        "effective_hours_from_aggregate_ms": round(aggregate_ms, 1),
        "effective_hours_naive_raw_intervals_ms": round(naive_ms, 1),
        "ratio": round(naive_ms / aggregate_ms, 1),
        "province_goal_met": province_ms < 2000,
        "institution_goal_met": institution_ms < 200,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=15_000)
    parser.add_argument("--sensors", type=int, default=11_000)
    parser.add_argument("--per-day", type=int, default=8, help="state intervals per day (>= 2)")
    parser.add_argument("--bookings", type=int, default=50, help="per instrument and year")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per query")
    parser.add_argument("--smoke", action="store_true", help="a few-seconds run for the tests")
    args = parser.parse_args()
    if args.smoke:
        args.instruments, args.sensors, args.per_day, args.bookings, args.repeat = 60, 40, 4, 10, 2
    args.sensors = min(args.sensors, args.instruments)

    cluster = PostgresCluster()
    cluster.start()
    try:
        database = cluster.create_database()
        upgrade(cluster.url(database))
        result: dict[str, object] = {
            "instruments": args.instruments,
            "with_sensor": args.sensors,
        }
        result.update(seed(cluster.url(database, driver="postgresql"), args))
        result.update(asyncio.run(measure(cluster.url(database), args.repeat)))
        print(json.dumps(result, ensure_ascii=False))
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
