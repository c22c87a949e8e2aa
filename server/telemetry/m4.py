"""A channel at screen resolution: per pixel column its first, lowest, highest and last value.

A line chart drawn through those four values per column (M4) sets the same pixels as one drawn
through every sample, so a chart ``width`` pixels wide needs ``4 × width`` numbers whatever the
time range holds. Columns are ``(end - start) / width`` wide, counted from ``start``.

Columns of fifteen minutes or more (a month across a screen) are answered from the
fifteen-minute rollup, columns of a minute or more from the one-minute rollup (each bucket's
min, max, mean, count, first and last), plus the raw samples after the rollup's cursor;
narrower columns and booking-window views read the raw samples. A bucket that straddles two
columns counts in the one its start falls in. Rollup rows written before the rollup kept
first and last values stand in with their mean. The mean and count of each column come along,
so the chart can also show the average and the tooltip the number of samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.models import Channel
from server.telemetry.queries import ROLLUP_WIDTH, Series, rolled_until, window_filter
from server.telemetry.rollups import FIFTEEN_MINUTES

__all__ = ["MAX_COLUMNS", "channel_columns"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_COLUMNS = 10_000
"""Wider than any screen, even at device pixel ratio 3 across two 4K monitors."""

# Raw samples as rollup-shaped rows: (ts, min, max, sum, count, first, last).
_RAW_ROWS = (
    "SELECT ts, value AS mn, value AS mx, value AS total,"
    " CASE WHEN value IS NULL THEN 0 ELSE 1 END AS n, value AS fst, value AS lst"
    " FROM telemetry WHERE channel_id = :cid"
)
_ROLLUP_ROWS = (
    "SELECT bucket AS ts, min_value AS mn, max_value AS mx,"
    " mean_value * sample_count AS total, sample_count AS n,"
    " COALESCE(first_value, mean_value) AS fst, COALESCE(last_value, mean_value) AS lst"
    " FROM {table} WHERE channel_id = :cid"
)
_MINUTE_ROWS = _ROLLUP_ROWS.format(table="telemetry_rollup_1m")
_FIFTEEN_ROWS = _ROLLUP_ROWS.format(table="telemetry_rollup_15m")


# Each column's first and last value. TimescaleDB's first()/last() keep one row per group;
# without it the lowest and highest (time, value) pair does the same without sorting.
_FIRST_LAST = {
    True: "first(fst, ts) FILTER (WHERE fst IS NOT NULL) AS fst,"
    " last(lst, ts) FILTER (WHERE lst IS NOT NULL) AS lst",
    False: "(min(ARRAY[extract(epoch FROM ts), fst]) FILTER (WHERE fst IS NOT NULL))[2] AS fst,"
    " (max(ARRAY[extract(epoch FROM ts), lst]) FILTER (WHERE lst IS NOT NULL))[2] AS lst",
}


def _floor(moment: datetime, step: timedelta) -> datetime:
    return moment - (moment - _EPOCH) % step


async def channel_columns(
    conn: AsyncConnection,
    channel: Channel,
    start: datetime,
    end: datetime,
    *,
    width: int,
    timescaledb: bool,
    windows: Sequence[tuple[datetime, datetime]] | None = None,
) -> Series:
    """``width`` pixel columns over ``[start, end)``; empty columns are left out."""
    assert channel.id is not None
    column = (end - start) / width
    until = await rolled_until(conn) if column >= ROLLUP_WIDTH and windows is None else None
    params: dict[str, object] = {
        "cid": channel.id,
        "start": start,
        "end": end,
        "start_s": start.timestamp(),
        "column_s": column.total_seconds(),
        "width": width,
    }
    if until is not None and until > start and column >= FIFTEEN_MINUTES:
        # Whole quarter hours from their rollup up to the quarter the cursor is in, its rolled
        # minutes from the minute rollup, the rest from the raw samples.
        params["rolled"] = until
        params["quarter_start"] = _floor(start, FIFTEEN_MINUTES)
        params["quarter_end"] = _floor(until, FIFTEEN_MINUTES)
        source_sql = (
            f"{_FIFTEEN_ROWS} AND bucket >= :quarter_start"
            " AND bucket < LEAST(:end, :quarter_end)"
            f" UNION ALL {_MINUTE_ROWS} AND bucket >= GREATEST(:quarter_start, :quarter_end)"
            " AND bucket < LEAST(:end, :rolled)"
            f" UNION ALL {_RAW_ROWS} AND ts >= GREATEST(:start, :rolled) AND ts < :end"
        )
        source = "rollup"
    elif until is not None and until > start:
        # Whole minutes from the rollup (the minute holding ``start`` counts from its start),
        # the rest from the raw samples.
        params["rolled"] = until
        params["minute_start"] = _floor(start, ROLLUP_WIDTH)
        source_sql = (
            f"{_MINUTE_ROWS} AND bucket >= :minute_start AND bucket < LEAST(:end, :rolled)"
            f" UNION ALL {_RAW_ROWS} AND ts >= GREATEST(:start, :rolled) AND ts < :end"
        )
        source = "rollup"
    else:
        if windows is not None:
            params["w_starts"] = [w[0] for w in windows]
            params["w_ends"] = [w[1] for w in windows]
        source_sql = f"{_RAW_ROWS} AND ts >= :start AND ts < :end{window_filter(windows)}"
        source = "raw"
    # Each column keeps its earliest row's first value and its latest row's last value.
    grouped_sql = (
        "SELECT c, min(mn) AS mn, max(mx) AS mx, sum(total) / NULLIF(sum(n), 0) AS mean,"  # noqa: S608
        " sum(n) AS n,"
        f" {_FIRST_LAST[timescaledb]}"
        " FROM (SELECT GREATEST(LEAST(floor((date_part('epoch', ts) - :start_s) / :column_s),"
        " :width - 1), 0)::int AS c, * FROM ("
        f"{source_sql}) AS rows) AS placed GROUP BY c"
    )
    sql = (
        "SELECT array_agg(c), array_agg(mn), array_agg(mx), array_agg(mean::float8),"  # noqa: S608
        " array_agg(n::int8), array_agg(fst), array_agg(lst)"
        f" FROM ({grouped_sql} ORDER BY c) AS columns"
    )
    series = Series(
        channel_id=channel.id,
        unit=channel.canonical_unit,
        start=start,
        end=end,
        bucket_seconds=column.total_seconds(),
        source=source,
        first=[],
        last=[],
    )
    row = (await conn.execute(text(sql), params)).one()
    if row[0] is not None:
        origin_ms = start.timestamp() * 1000
        column_ms = column / timedelta(milliseconds=1)
        order = sorted(range(len(row[0])), key=row[0].__getitem__)
        series.t = [round(origin_ms + row[0][i] * column_ms) for i in order]
        series.min = [row[1][i] for i in order]
        series.max = [row[2][i] for i in order]
        series.mean = [row[3][i] for i in order]
        series.count = [row[4][i] for i in order]
        series.first = [row[5][i] for i in order]
        series.last = [row[6][i] for i in order]
    return series
