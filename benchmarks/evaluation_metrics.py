"""Yearly sharing metrics from the maintained day aggregate against the raw intervals, in one run.

Starts a private PostgreSQL (+ TimescaleDB when installed) cluster, migrates a database and
loads a province: ``--instruments`` instruments in 60 institutions over 11 cities, of which
``--sensors`` have a sensor with ``--per-day`` state intervals on every day of the year
(running, idle and off), and ``--bookings`` completed external bookings per instrument and
year. The aggregates (``evaluation_state_day``, ``evaluation_hours_day``/``_month``,
``evaluation_service_month``) are then built by the server's own refresh, as the job runner
does, and timed:

1. the province's yearly metrics per institution (``compute_metrics``, the API's code path:
   effective, external and opening hours, service records, ratings);
2. one institution's yearly metrics;
3. the hours part of the province query (``instrument_hours``, from the monthly and daily
   rollups), against the naive computation of every institution's effective and external
   hours over the raw state intervals and bookings (each clipped to the year); both must
   agree to the millisecond (the script fails otherwise).

Goals: province < 2 s, one institution < 200 ms. Prints one JSON object with medians and the
ratio naive / rollups (above 1: the rollups are faster).

    .venv/bin/python benchmarks/evaluation_metrics.py            # 15,000 instruments, a year
    .venv/bin/python benchmarks/evaluation_metrics.py --smoke    # seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
# running stretches vary by instrument so no two instruments look alike). The bulk load runs
# with triggers and foreign-key checks off and the interval indexes rebuilt afterwards (the
# generated timelines never overlap, so the exclusion constraint is dropped for the load); the
# days are queued for the refresh in one statement, as the triggers would have.
INTERVALS_SQL = """
SET session_replication_role = replica;
ALTER TABLE instrument_state_interval DROP CONSTRAINT IF EXISTS instrument_state_interval_no_overlap;
DROP INDEX ix_instrument_state_interval_instrument_start;
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
CREATE INDEX ix_instrument_state_interval_instrument_start
  ON instrument_state_interval (instrument_id, start_at)
"""

BOOKINGS_SQL = """
SET session_replication_role = replica;
INSERT INTO booking (instrument_id, organisation_id, user_id, start_at, end_at, status, mode,
  sample_count, test_items, purpose, user_category, quoted_amount, overrun_minutes)
SELECT ('00000000-0000-0000-0004-' || lpad(n::text, 12, '0'))::uuid,
       '00000000-0000-0000-0001-000000000000', '00000000-0000-0000-0002-000000000000',
       timestamptz '2026-01-05T09:00:00+08' + (k * (350 / %(bookings)s)) * interval '1 day',
       timestamptz '2026-01-05T12:00:00+08' + (k * (350 / %(bookings)s)) * interval '1 day',
       'completed', 'self_operated', 2, '{}', '', 'enterprise', 0, 0
FROM generate_series(1, %(instruments)s) n CROSS JOIN generate_series(0, %(bookings)s - 1) k;
SET session_replication_role = origin;
INSERT INTO evaluation_state_day_pending (instrument_id, first_day, last_day)
SELECT id, date '2026-01-01', date '2026-12-31' FROM instrument
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
                    conn.execute(statement, params)
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


# The naive computation: effective and external hours of every institution for the year
# straight from the raw state intervals and bookings (running intervals clipped to the year,
# external = outside users' booking windows intersected with running time), no aggregate.
NAIVE_SQL = text(
    """
WITH run AS (
  SELECT instrument_id,
    sum(extract(epoch FROM least(coalesce(end_at, :now), :end) - greatest(start_at, :start)))
      AS running_s,
    range_agg(tstzrange(greatest(start_at, :start), least(coalesce(end_at, :now), :end))) AS r
  FROM instrument_state_interval
  WHERE state = 'running' AND start_at < :end AND coalesce(end_at, :now) > :start
  GROUP BY instrument_id
),
bw AS (
  SELECT b.instrument_id,
    range_agg(tstzrange(coalesce(b.actual_start_at, b.start_at),
                        coalesce(b.actual_end_at, b.end_at)) * tstzrange(:start, :end)) AS ext_w
  FROM booking b JOIN instrument i ON i.id = b.instrument_id
  WHERE b.status = 'completed' AND b.organisation_id <> i.organisation_id
    AND coalesce(b.actual_start_at, b.start_at) < :end
    AND coalesce(b.actual_end_at, b.end_at) > :start
  GROUP BY b.instrument_id
)
SELECT i.organisation_id::text AS key, coalesce(sum(run.running_s), 0) / 3600 AS effective,
  coalesce(sum((SELECT sum(extract(epoch FROM upper(x) - lower(x)))
                FROM unnest(bw.ext_w * run.r) x)), 0) / 3600 AS external
FROM instrument i LEFT JOIN run ON run.instrument_id = i.id
LEFT JOIN bw ON bw.instrument_id = i.id
WHERE EXISTS (SELECT 1 FROM instrument_state_rule sr WHERE sr.instrument_id = i.id)
GROUP BY i.organisation_id
"""
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
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
        async with engine.connect() as conn:
            province_rows = await compute_metrics(conn, Level.INSTITUTION, Scope(), period, NOW)
            one = uuid.UUID(province_rows[0].key)

            async def province() -> object:
                return await compute_metrics(conn, Level.INSTITUTION, Scope(), period, NOW)

            async def institution() -> object:
                scope = Scope(organisation_id=one)
                return await compute_metrics(conn, Level.INSTITUTION, scope, period, NOW)

            async def province_hours() -> object:
                return await instrument_hours(conn, Scope(), period, NOW)

            naive_params = {"start": period.start, "end": period.end, "now": NOW}

            async def naive() -> list[Any]:
                return list((await conn.execute(NAIVE_SQL, naive_params)).all())

            # Both paths must agree before either is timed (sensor instruments only: the
            # naive query does not declare hours from bookings).
            sensor_hours = [
                h for h in await instrument_hours(conn, Scope(), period, NOW) if h.measured
            ]
            ours: dict[str, list[float]] = {}
            for h in sensor_hours:
                acc = ours.setdefault(str(h.organisation_id), [0.0, 0.0])
                acc[0] += h.effective_s / 3600
                acc[1] += h.external_s / 3600
            theirs = {r.key: (float(r.effective), float(r.external)) for r in await naive()}
            agree = ours.keys() == theirs.keys() and all(
                abs(ours[key][0] - eff) < 1e-3 and abs(ours[key][1] - ext) < 1e-3
                for key, (eff, ext) in theirs.items()
            )

            province_ms = await median_ms(province, repeat)
            institution_ms = await median_ms(institution, repeat)
            province_hours_ms = await median_ms(province_hours, repeat)
            naive_ms = await median_ms(naive, repeat)
            counts = (
                await conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM instrument_state_interval),"
                        " (SELECT count(*) FROM booking),"
                        " (SELECT count(*) FROM evaluation_hours_day),"
                        " (SELECT count(*) FROM evaluation_hours_month)"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    return {
        "state_intervals": counts[0],
        "bookings": counts[1],
        "day_rows": counts[2],
        "month_rows": counts[3],
        "aggregate_build_s": round(build_s, 1),
        "pending_rows_consumed": consumed,
        "province_yearly_metrics_ms": round(province_ms, 1),
        "institution_yearly_metrics_ms": round(institution_ms, 1),
        "province_hours_part_ms": round(province_hours_ms, 1),
        "naive_raw_intervals_ms": round(naive_ms, 1),
        "ratio": round(naive_ms / province_hours_ms, 1),
        "project_and_naive_agree": agree,
        "province_goal_met": province_ms < 2000,
        "institution_goal_met": institution_ms < 200,
        "load_average": os.getloadavg()[0],
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
        if not result["project_and_naive_agree"]:
            sys.exit("the maintained aggregates and the raw intervals disagree")
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
