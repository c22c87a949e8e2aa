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
