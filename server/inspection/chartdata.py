"""The control chart's points as JSON columns, for charts of tens of thousands of subgroups.

A chart point is never changed once plotted: positions are allocated in order under the chart
state's row lock, points are only inserted, and a transaction that rolls back takes its
positions with it. So the visible points of a characteristic are always positions ``0, 1, ...``
without gaps, and a complete block of :data:`BLOCK` consecutive positions, once read, stays as
it is. Such blocks are kept in memory, per process, as ready JSON fragments (least recently
used first out, at most :data:`CACHE_BYTES`); a chart is answered from the blocks kept and one
query for the rest (usually the block still filling up). A chart read for the first time costs
one query.

The query sends the numbers as their binary representations concatenated into one ``bytea``
per column (``float8send``, ``int4send``, ``timestamptz_send``), which Python unpacks with
:mod:`array` and :mod:`orjson` writes as JSON: cheaper for PostgreSQL than writing every number
as text, and cheaper for Python than reading 10,000 rows.
"""

from __future__ import annotations

import math
import sys
import uuid
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["BLOCK", "CACHE_BYTES", "COLUMNS", "chart_points_json", "forget_cached_blocks"]

BLOCK = 1000
"""Positions per cached block."""
CACHE_BYTES = 64 * 2**20
"""Upper bound of the JSON kept per process (about 640 blocks of individuals)."""

COLUMNS = (
    "position", "ts_ms", "subgroup", "n", "location", "spread", "limits_version", "z", "rules",
    "out_of_spec", "spread_out",
)  # fmt: skip
"""The columns of ``ChartPoints``, in the order they are written."""

# Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's timestamp origin.
_PG_EPOCH_US = 946_684_800_000_000
_SWAP = sys.byteorder == "little"  # the binary forms are big-endian

# The points of positions lo <= position < hi in order (the aggregates read the sorted
# subquery's rows in its order, as PostgreSQL documents). NULL spread and z are sent as NaN
# and NULL limits versions as 0 (versions start at 1); locations are never NULL.
_SQL = (
    "SELECT coalesce(string_agg(int4send(position), ''::bytea), ''::bytea),"
    " coalesce(string_agg(timestamptz_send(ts), ''::bytea), ''::bytea),"
    " array_agg(subgroup),"
    " coalesce(string_agg(int2send(n), ''::bytea), ''::bytea),"
    " coalesce(string_agg(float8send(location), ''::bytea), ''::bytea),"
    " coalesce(string_agg(float8send(coalesce(spread, 'NaN')), ''::bytea), ''::bytea),"
    " coalesce(string_agg(int4send(coalesce(limits_version, 0)), ''::bytea), ''::bytea),"
    " coalesce(string_agg(float8send(coalesce(z, 'NaN')), ''::bytea), ''::bytea),"
    " convert_to(coalesce(string_agg(array_to_json(rules)::text, ''), ''), 'UTF8'),"
    " array_agg(out_of_spec), array_agg(spread_out)"
    " FROM (SELECT * FROM inspection_point WHERE characteristic_id = %(id)s"
    " AND position >= %(lo)s AND position < %(hi)s ORDER BY position) p"
)


@dataclass(frozen=True, slots=True)
class _Fragment:
    """The points of one run of positions: per column the JSON array without its brackets."""

    columns: tuple[bytes, ...]
    versions: frozenset[int]
    count: int

    @property
    def size(self) -> int:
        return sum(len(c) for c in self.columns)


class _BlockCache:
    def __init__(self) -> None:
        self._blocks: OrderedDict[tuple[uuid.UUID, int], _Fragment] = OrderedDict()
        self._bytes = 0

    def get(self, key: tuple[uuid.UUID, int]) -> _Fragment | None:
        block = self._blocks.get(key)
        if block is not None:
            self._blocks.move_to_end(key)
        return block

    def put(self, key: tuple[uuid.UUID, int], block: _Fragment) -> None:
        if key in self._blocks:
            return
        self._blocks[key] = block
        self._bytes += block.size
        while self._bytes > CACHE_BYTES and self._blocks:
            _, old = self._blocks.popitem(last=False)
            self._bytes -= old.size

    def clear(self) -> None:
        self._blocks.clear()
        self._bytes = 0


_CACHE = _BlockCache()


def forget_cached_blocks() -> None:
    """Empty this process's block cache (the benchmark times charts read the first time)."""
    _CACHE.clear()


def _unpack(data: bytes, code: str) -> list[Any]:
    values = array(code, data)
    if _SWAP:
        values.byteswap()
    return values.tolist()


def _nullable(values: list[float]) -> list[float | None]:
    """NaN stands for NULL (no spread, no z); the sum is NaN when one is (or from infinities)."""
    if not math.isnan(sum(values)):
        return list(values)
    return [None if v != v else v for v in values]


def _epoch_ms(pg_us: list[int]) -> list[int]:
    """Milliseconds since 1970, rounded half away from zero like ``round(epoch * 1000)``."""
    if not pg_us or min(pg_us) >= -_PG_EPOCH_US:
        shift = _PG_EPOCH_US + 500  # all at or after 1970: rounding half up is half away from 0
        return [(u + shift) // 1000 for u in pg_us]
    return [
        (u + _PG_EPOCH_US + 500) // 1000
        if u >= -_PG_EPOCH_US
        else -((500 - u - _PG_EPOCH_US) // 1000)
        for u in pg_us
    ]


def _versions(values: list[int]) -> list[int | None]:
    """0 stands for NULL (a point judged against no limits version)."""
    return [v or None for v in values] if 0 in values else list(values)


def _rules(data: bytes) -> list[bytes]:
    """Each point's violated tests, ``[][1,5][]`` split into ``b"", b"1,5", b""``."""
    return data[1:-1].split(b"][") if data else []


async def _fetch(
    conn: AsyncConnection, characteristic_id: uuid.UUID, lo: int, hi: int
) -> list[list[Any]]:
    """The columns of the points at positions ``lo <= position < hi``, in order."""
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection  # psycopg.AsyncConnection: binary results
    async with driver.cursor(binary=True) as cur:
        await cur.execute(_SQL, {"id": characteristic_id, "lo": lo, "hi": hi})
        row = await cur.fetchone()
    assert row is not None
    return [
        _unpack(row[0], "i"),
        _epoch_ms(_unpack(row[1], "q")),
        row[2] or [],
        _unpack(row[3], "h"),
        _unpack(row[4], "d"),
        _nullable(_unpack(row[5], "d")),
        _versions(_unpack(row[6], "i")),
        _nullable(_unpack(row[7], "d")),
        _rules(row[8]),
        row[9] or [],
        row[10] or [],
    ]


_RULES = COLUMNS.index("rules")
_VERSION = COLUMNS.index("limits_version")


def _fragment(columns: Sequence[list[Any]], i: int, j: int) -> _Fragment:
    """Rows ``i .. j - 1`` of the columns written as JSON (rules are written already)."""
    return _Fragment(
        tuple(
            b"[" + b"],[".join(c[i:j]) + b"]" if k == _RULES else orjson.dumps(c[i:j])[1:-1]
            for k, c in enumerate(columns)
        ),
        frozenset(columns[_VERSION][i:j]) - {None},
        j - i,
    )


async def chart_points_json(
    conn: AsyncConnection, characteristic_id: uuid.UUID, start: int, limit: int
) -> tuple[bytes, set[int]]:
    """Points ``start .. start + limit - 1`` as JSON columns, and the limits versions they used.

    The answer is the ``ChartPoints`` object: ``{"position": [...], "ts_ms": [...], ...}``.
    """
    end = start + limit
    # Runs of positions: whole blocks (which may be kept) and the partial ones at either end.
    runs: list[tuple[int, int, int | None]] = []
    p = start
    while p < end:
        number = p // BLOCK
        hi = min((number + 1) * BLOCK, end)
        runs.append((p, hi, number if p == number * BLOCK and hi - p == BLOCK else None))
        p = hi

    def kept(run: tuple[int, int, int | None]) -> _Fragment | None:
        return None if run[2] is None else _CACHE.get((characteristic_id, run[2]))

    parts: list[_Fragment] = []
    i = 0
    while i < len(runs):
        block_kept = kept(runs[i])
        if block_kept is not None:
            parts.append(block_kept)
            i += 1
            continue
        # Read every run up to the next kept block in one query.
        j = i + 1
        while j < len(runs) and kept(runs[j]) is None:
            j += 1
        first, last = runs[i][0], runs[j - 1][1]
        columns = await _fetch(conn, characteristic_id, first, last)
        positions = columns[0]
        for lo, hi, block in runs[i:j]:
            a, b = bisect_left(positions, lo), bisect_left(positions, hi)
            if a == b:
                continue
            fragment = _fragment(columns, a, b)
            if block is not None and fragment.count == BLOCK:
                _CACHE.put((characteristic_id, block), fragment)
            parts.append(fragment)
        if len(positions) < last - first:
            break  # the chart ends here (its positions have no gaps)
        i = j
    body = b",".join(
        b'"%s":[%s]' % (name.encode(), b",".join(f.columns[k] for f in parts if f.count))
        for k, name in enumerate(COLUMNS)
    )
    versions: set[int] = set()
    for f in parts:
        versions |= f.versions
    return b"{" + body + b"}", versions
