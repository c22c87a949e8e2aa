"""State durations per instrument and Beijing day (``evaluation_state_day``), kept current.

A database trigger queues the Beijing days every change to ``instrument_state_interval``
touches (revision 0008_evaluation). ``refresh_state_days`` takes queued days in batches,
deletes their rows and recomputes them from the closed intervals, so a late sample that
rewrites history, or an interval withdrawn by the evaluator, corrects the totals. Open
intervals (``end_at`` null) are never aggregated: queries add them up to "now" themselves.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["BEIJING", "refresh_pending_days", "refresh_state_days"]

BEIJING = "Asia/Shanghai"

_TAKE = text(
    "DELETE FROM evaluation_state_day_pending WHERE id IN ("
    " SELECT id FROM evaluation_state_day_pending ORDER BY id LIMIT :limit"
    " FOR UPDATE SKIP LOCKED)"
    " RETURNING instrument_id, first_day, last_day"
)

_DAYS = (
    "CREATE TEMP TABLE IF NOT EXISTS evaluation_refresh_days"
    " (instrument_id uuid NOT NULL, day date NOT NULL, PRIMARY KEY (instrument_id, day))"
    " ON COMMIT DELETE ROWS"
)

_CLEAR = text(
    "DELETE FROM evaluation_state_day a USING evaluation_refresh_days d"
    " WHERE a.instrument_id = d.instrument_id AND a.day = d.day"
)

# Each closed interval overlapping an instrument's queued span is read once and cut at Beijing
# midnights; only the queued days are written (the others were not cleared).
_RECOMPUTE = text(
    """
INSERT INTO evaluation_state_day (instrument_id, day, state, seconds)
SELECT r.instrument_id, g.day, i.state,
  sum(extract(epoch FROM least(i.end_at, g.day_end) - greatest(i.start_at, g.day_start)))
FROM (SELECT instrument_id, min(day) AS first_day, max(day) AS last_day
      FROM evaluation_refresh_days GROUP BY instrument_id) r
JOIN instrument_state_interval i ON i.instrument_id = r.instrument_id
  AND i.end_at IS NOT NULL
  AND i.start_at < (r.last_day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
  AND i.end_at > r.first_day::timestamp AT TIME ZONE 'Asia/Shanghai'
CROSS JOIN LATERAL (
  SELECT d::date AS day,
    d AT TIME ZONE 'Asia/Shanghai' AS day_start,
    (d + interval '1 day') AT TIME ZONE 'Asia/Shanghai' AS day_end
  FROM generate_series(
    greatest((i.start_at AT TIME ZONE 'Asia/Shanghai')::date, r.first_day)::timestamp,
    least(((i.end_at - interval '1 microsecond') AT TIME ZONE 'Asia/Shanghai')::date,
          r.last_day)::timestamp,
    interval '1 day') d
) g
WHERE EXISTS (SELECT 1 FROM evaluation_refresh_days x
              WHERE x.instrument_id = r.instrument_id AND x.day = g.day)
GROUP BY r.instrument_id, g.day, i.state
-- Two runners that took different queue rows for the same day compute the same totals.
ON CONFLICT (instrument_id, day, state) DO UPDATE SET seconds = EXCLUDED.seconds
"""
)


_HOURS_CLEAR = text(
    "DELETE FROM evaluation_hours_day a USING evaluation_refresh_days d"
    " WHERE a.instrument_id = d.instrument_id AND a.day = d.day"
)

_SECS = "(SELECT coalesce(sum(extract(epoch FROM upper(r) - lower(r))), 0) FROM unnest({}) r)"

# Per queued day: the unions of completed bookings' windows cut at Beijing midnights (all,
# outside users', enterprises'), then the running intervals met by outside users' windows on
# that day (those starting inside a window plus the last one before it: index probes).
_HOURS_RECOMPUTE = text(
    f"""
WITH r AS (
  SELECT instrument_id, min(day) AS first_day, max(day) AS last_day
  FROM evaluation_refresh_days GROUP BY instrument_id
),
bk AS (
  SELECT b.instrument_id, g.day,
    tstzrange(coalesce(b.actual_start_at, b.start_at), coalesce(b.actual_end_at, b.end_at))
      * tstzrange(g.day_start, g.day_end) AS w,
    CASE WHEN b.organisation_id = inst.organisation_id THEN 'internal'
         WHEN bo.kind = 'enterprise' THEN 'enterprise' ELSE 'institution' END AS side
  FROM r
  JOIN booking b ON b.instrument_id = r.instrument_id AND b.status = 'completed'
    AND coalesce(b.actual_start_at, b.start_at)
        < (r.last_day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
    AND coalesce(b.actual_end_at, b.end_at) > r.first_day::timestamp AT TIME ZONE 'Asia/Shanghai'
    AND coalesce(b.actual_end_at, b.end_at) > coalesce(b.actual_start_at, b.start_at)
  JOIN instrument inst ON inst.id = b.instrument_id
  JOIN organisation bo ON bo.id = b.organisation_id
  CROSS JOIN LATERAL (
    SELECT d::date AS day,
      d AT TIME ZONE 'Asia/Shanghai' AS day_start,
      (d + interval '1 day') AT TIME ZONE 'Asia/Shanghai' AS day_end
    FROM generate_series(
      greatest((coalesce(b.actual_start_at, b.start_at) AT TIME ZONE 'Asia/Shanghai')::date,
               r.first_day)::timestamp,
      least(((coalesce(b.actual_end_at, b.end_at) - interval '1 microsecond')
             AT TIME ZONE 'Asia/Shanghai')::date, r.last_day)::timestamp,
      interval '1 day') d
  ) g
  WHERE EXISTS (SELECT 1 FROM evaluation_refresh_days x
                WHERE x.instrument_id = b.instrument_id AND x.day = g.day)
),
bw AS (
  SELECT instrument_id, day, range_agg(w) AS all_w,
    range_agg(w) FILTER (WHERE side <> 'internal') AS ext_w,
    range_agg(w) FILTER (WHERE side = 'enterprise') AS ent_w
  FROM bk WHERE NOT isempty(w) GROUP BY instrument_id, day
),
run AS (
  SELECT w.instrument_id, w.day,
    range_agg(tstzrange(s.start_at, s.end_at) * tstzrange(w.ws, w.we)) AS r
  FROM (SELECT DISTINCT instrument_id, day, lower(w) AS ws, upper(w) AS we
        FROM bk WHERE side <> 'internal' AND NOT isempty(w)) w
  CROSS JOIN LATERAL (
    SELECT s.start_at, s.end_at, s.state FROM instrument_state_interval s
    WHERE s.instrument_id = w.instrument_id AND s.start_at >= w.ws AND s.start_at < w.we
    UNION ALL
    (SELECT s.start_at, s.end_at, s.state FROM instrument_state_interval s
     WHERE s.instrument_id = w.instrument_id AND s.start_at < w.ws
     ORDER BY s.start_at DESC LIMIT 1)
  ) s
  WHERE s.state = 'running' AND s.end_at IS NOT NULL AND s.end_at > w.ws
  GROUP BY w.instrument_id, w.day
)
INSERT INTO evaluation_hours_day
  (instrument_id, day, running_s, booked_s, ext_booked_s, ent_booked_s, ext_run_s, ent_run_s)
SELECT d.instrument_id, d.day, coalesce(s.seconds, 0),
  {_SECS.format("bw.all_w")}, {_SECS.format("bw.ext_w")}, {_SECS.format("bw.ent_w")},
  {_SECS.format("bw.ext_w * run.r")}, {_SECS.format("bw.ent_w * run.r")}
FROM evaluation_refresh_days d
LEFT JOIN evaluation_state_day s
  ON s.instrument_id = d.instrument_id AND s.day = d.day AND s.state = 'running'
LEFT JOIN bw ON bw.instrument_id = d.instrument_id AND bw.day = d.day
LEFT JOIN run ON run.instrument_id = d.instrument_id AND run.day = d.day
WHERE s.seconds IS NOT NULL OR bw.instrument_id IS NOT NULL
ON CONFLICT (instrument_id, day) DO UPDATE SET
  running_s = EXCLUDED.running_s, booked_s = EXCLUDED.booked_s,
  ext_booked_s = EXCLUDED.ext_booked_s, ent_booked_s = EXCLUDED.ent_booked_s,
  ext_run_s = EXCLUDED.ext_run_s, ent_run_s = EXCLUDED.ent_run_s
"""  # noqa: S608 - only the fixed _SECS fragment is interpolated
)

# The months of the queued days are summed again from their day rows.
_MONTHS_OF_DAYS = (
    "(SELECT DISTINCT instrument_id, date_trunc('month', day)::date AS month"
    " FROM evaluation_refresh_days)"
)
_MONTHS_CLEAR = text(
    f"DELETE FROM evaluation_hours_month a USING {_MONTHS_OF_DAYS} m"  # noqa: S608
    " WHERE a.instrument_id = m.instrument_id AND a.month = m.month"
)
_MONTHS = text(
    f"""
WITH m AS {_MONTHS_OF_DAYS}
INSERT INTO evaluation_hours_month
  (instrument_id, month, running_s, booked_s, ext_booked_s, ent_booked_s, ext_run_s, ent_run_s)
SELECT m.instrument_id, m.month, sum(h.running_s), sum(h.booked_s), sum(h.ext_booked_s),
  sum(h.ent_booked_s), sum(h.ext_run_s), sum(h.ent_run_s)
FROM m JOIN evaluation_hours_day h ON h.instrument_id = m.instrument_id
  AND h.day >= m.month AND h.day < (m.month + interval '1 month')
GROUP BY m.instrument_id, m.month
ON CONFLICT (instrument_id, month) DO UPDATE SET
  running_s = EXCLUDED.running_s, booked_s = EXCLUDED.booked_s,
  ext_booked_s = EXCLUDED.ext_booked_s, ent_booked_s = EXCLUDED.ent_booked_s,
  ext_run_s = EXCLUDED.ext_run_s, ent_run_s = EXCLUDED.ent_run_s
"""  # noqa: S608 - only the fixed month list is interpolated
)


_SERVICE_CLEAR = text(
    f"DELETE FROM evaluation_service_month a USING {_MONTHS_OF_DAYS} m"  # noqa: S608
    " WHERE a.instrument_id = m.instrument_id AND a.month = m.month"
)
_SERVICE = text(
    f"""
WITH m AS {_MONTHS_OF_DAYS}
INSERT INTO evaluation_service_month (instrument_id, month, user_id, organisation_id, records,
  samples, fees, vouchers, ratings, rating_sum)
SELECT b.instrument_id, m.month, b.user_id, b.organisation_id, count(*),
  coalesce(sum(b.sample_count), 0), coalesce(sum(c.amount), 0),
  coalesce(sum(c.voucher_amount), 0), count(r.booking_id), coalesce(sum(r.score), 0)
FROM m JOIN instrument i ON i.id = m.instrument_id
JOIN booking b ON b.instrument_id = m.instrument_id AND b.status = 'completed'
  AND b.organisation_id <> i.organisation_id
  AND coalesce(b.actual_start_at, b.start_at) >= m.month::timestamp AT TIME ZONE 'Asia/Shanghai'
  AND coalesce(b.actual_start_at, b.start_at)
      < (m.month + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'
LEFT JOIN booking_charge c ON c.booking_id = b.id
LEFT JOIN booking_rating r ON r.booking_id = b.id
GROUP BY b.instrument_id, m.month, b.user_id, b.organisation_id
ON CONFLICT (instrument_id, month, user_id, organisation_id) DO UPDATE SET
  records = EXCLUDED.records, samples = EXCLUDED.samples, fees = EXCLUDED.fees,
  vouchers = EXCLUDED.vouchers, ratings = EXCLUDED.ratings, rating_sum = EXCLUDED.rating_sum
"""  # noqa: S608 - only the fixed month list is interpolated
)


async def _refresh_batch(conn: AsyncConnection, batch: int) -> int:
    rows = (await conn.execute(_TAKE, {"limit": batch})).all()
    if not rows:
        return 0
    await conn.exec_driver_sql(_DAYS)
    await conn.execute(
        text(
            "INSERT INTO evaluation_refresh_days (instrument_id, day)"
            " SELECT p.instrument_id, generate_series(p.first_day, p.last_day,"
            " interval '1 day')::date"
            " FROM unnest(CAST(:ids AS uuid[]), CAST(:firsts AS date[]),"
            " CAST(:lasts AS date[])) AS p(instrument_id, first_day, last_day)"
            " ON CONFLICT DO NOTHING"
        ),
        {
            "ids": [r.instrument_id for r in rows],
            "firsts": [r.first_day for r in rows],
            "lasts": [r.last_day for r in rows],
        },
    )
    await conn.execute(_CLEAR)
    await conn.execute(_RECOMPUTE)
    await conn.execute(_HOURS_CLEAR)
    await conn.execute(_HOURS_RECOMPUTE)
    await conn.execute(_MONTHS_CLEAR)
    await conn.execute(_MONTHS)
    await conn.execute(_SERVICE_CLEAR)
    await conn.execute(_SERVICE)
    return len(rows)


async def refresh_state_days(conn: AsyncConnection, *, batch: int = 5_000) -> int:
    """Re-aggregate queued days until the queue is empty; returns the queue rows consumed.

    ``conn`` must not be inside a transaction: each batch is its own. Concurrent runners skip
    each other's rows.
    """
    consumed = 0
    while True:
        async with conn.begin():
            taken = await _refresh_batch(conn, batch)
        consumed += taken
        if taken < batch:
            return consumed


async def refresh_pending_days(
    sessionmaker: async_sessionmaker[AsyncSession], *, batch: int = 5_000
) -> int:
    """``refresh_state_days`` for the background job runner, which holds a sessionmaker."""
    consumed = 0
    async with sessionmaker() as session:
        while True:
            taken = await _refresh_batch(await session.connection(), batch)
            await session.commit()
            consumed += taken
            if taken < batch:
                return consumed
