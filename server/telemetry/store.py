"""Writes of the ingest worker, straight through psycopg (no ORM on the hot path).

One write batch is one transaction: telemetry rows by binary COPY, dead letters, gateway
state, sequence bookkeeping, then COMMIT. Only after COMMIT are the MQTT messages
acknowledged, so a crash anywhere before it means redelivery, never loss.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from server.telemetry.sequence import SequenceGap, advance_sequence
from server.telemetry.validation import (
    ChannelDirectory,
    ChannelRef,
    DeadLetter,
    GatewayRef,
    GatewayUpdate,
    LateRange,
    SeriesRows,
)

__all__ = [
    "WriteBatch",
    "WriteOutcome",
    "copy_chunks",
    "encode_copy",
    "load_gateways",
    "merge_late_ranges",
    "to_conninfo",
    "write_batch",
]

TELEMETRY_COLUMNS = ("channel_id", "ts", "value", "quality", "seq")
# COPY binary format (PostgreSQL docs, "COPY", "Binary Format"): signature, flags, header
# extension length; per row a field count, then each field as length + big-endian value
# (length -1 and no value for NULL); a field count of -1 ends the data.
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
# channel_id int4, ts timestamptz (int8 microseconds since 2000-01-01 UTC), value float8,
# quality int2, seq int8.
_ROW = struct.Struct(">hiiiqidihiq")
_ROW_NULL_VALUE = struct.Struct(">hiiiqiihiq")
# Where each value column starts inside a _ROW record, and its width.
_CHANNEL_AT, _TS_AT, _VALUE_AT, _QUALITY_AT, _SEQ_AT = 6, 14, 26, 38, 44
_PG_EPOCH_MS = 946_684_800_000
# About 100 kB of COPY data, below psycopg's 128 kB write size.
_CHUNK_ROWS = 2000
_STAGING = "telemetry_incoming"
# Late ranges of one channel closer than this are recorded as one (a spool drains in order).
_LATE_MERGE_GAP = timedelta(hours=1)


def to_conninfo(database_url: str) -> str:
    """A libpq URI from the server's SQLAlchemy URL (``postgresql+psycopg://...``)."""
    scheme, sep, rest = database_url.partition("://")
    if not sep:
        raise ValueError("LABSHARE_DATABASE_URL must look like postgresql+psycopg://user@host/db")
    base = scheme.split("+", 1)[0]
    if base not in ("postgresql", "postgres"):
        raise ValueError(f"LABSHARE_DATABASE_URL must be a PostgreSQL URL, not {scheme!r}")
    return f"postgresql://{rest}"


@dataclass(slots=True)
class WriteBatch:
    """Everything one transaction writes."""

    series: list[SeriesRows] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    seqs_by_gateway: dict[uuid.UUID, list[int]] = field(default_factory=dict)
    gateway_updates: list[GatewayUpdate] = field(default_factory=list)
    # Rows that may be older than the rollup's last pass (see server.telemetry.rollups).
    late_ranges: list[LateRange] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(map(len, self.series))

    def __bool__(self) -> bool:
        return bool(
            self.series or self.dead_letters or self.seqs_by_gateway or self.gateway_updates
        )


def merge_late_ranges(
    ranges: Iterable[LateRange], gap: timedelta = _LATE_MERGE_GAP
) -> list[LateRange]:
    """Per channel, ranges that overlap or lie less than ``gap`` apart joined into one."""
    merged: list[LateRange] = []
    for channel_id, first, last in sorted(ranges):
        if merged and merged[-1][0] == channel_id and first - merged[-1][2] < gap:
            previous = merged[-1]
            merged[-1] = (channel_id, previous[1], max(previous[2], last))
        else:
            merged.append((channel_id, first, last))
    return merged


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    rows: int
    path: str  # "copy", or "on_conflict" when a redelivery collided with stored rows
    gaps: dict[uuid.UUID, tuple[SequenceGap, ...]]


async def load_gateways(
    conn: AsyncConnection[tuple[object, ...]],
    keys: Iterable[str],
    directory: ChannelDirectory,
) -> None:
    """Refresh ``directory`` for ``keys``; unknown keys are remembered as unknown."""
    wanted = sorted(set(keys))
    if not wanted:
        return
    found: dict[str, GatewayRef] = {}
    channels: dict[str, dict[tuple[str, str], ChannelRef]] = {k: {} for k in wanted}
    async with conn.cursor() as cur:
        await cur.execute("SELECT id, key FROM gateway WHERE key = ANY(%s)", (wanted,))
        for gateway_id, key in await cur.fetchall():
            assert isinstance(gateway_id, uuid.UUID)
            assert isinstance(key, str)
            found[key] = GatewayRef(gateway_id, key)
        if found:
            await cur.execute(
                "SELECT g.key, c.device_key, c.point_key, c.id, c.canonical_unit"
                " FROM channel c JOIN gateway g ON g.id = c.gateway_id WHERE g.key = ANY(%s)",
                (list(found),),
            )
            for key, device, point, channel_id, unit in await cur.fetchall():
                assert isinstance(key, str)
                assert isinstance(channel_id, int)
                channels[key][(str(device), str(point))] = ChannelRef(channel_id, str(unit))
    # The lookup ran outside any write transaction; do not leave one open.
    await conn.commit()
    for key in wanted:
        directory.replace(key, found.get(key), channels[key])


def _pack(code: str, column: Sequence[int] | Sequence[float]) -> bytes:
    """A column as big-endian values; ``OverflowError`` when one does not fit (a seq ≥ 2⁶³)."""
    try:
        return struct.pack(f">{len(column)}{code}", *column)
    except struct.error as exc:
        raise OverflowError(f"a value does not fit the column: {exc}") from exc


class _Columns:
    """Rows gathered column by column, written out as uniform records in one go."""

    def __init__(self) -> None:
        self.channel_ids: list[int] = []
        self.stamps: list[int] = []
        self.values: list[float] = []
        self.qualities: list[int] = []
        self.seqs: list[int] = []

    def __len__(self) -> int:
        return len(self.seqs)

    def add(self, rows: SeriesRows) -> None:
        self.channel_ids += [rows.channel_id] * len(rows)
        self.stamps += rows.ts_ms
        self.values += cast("Sequence[float]", rows.values)
        self.qualities += rows.qualities
        self.seqs += rows.seqs

    def write(self, out: bytearray) -> None:
        """Append the gathered rows as COPY records.

        One record template is repeated, then each column's big-endian bytes are put into
        place with strided slice assignments, one per byte of the column's width: a few
        C-level passes per chunk instead of a Python call per value.
        """
        count = len(self.seqs)
        if not count:
            return
        columns = (
            (_CHANNEL_AT, 4, _pack("i", self.channel_ids)),
            (_TS_AT, 8, _pack("q", [(t - _PG_EPOCH_MS) * 1000 for t in self.stamps])),
            (_VALUE_AT, 8, _pack("d", self.values)),
            (_QUALITY_AT, 2, _pack("h", self.qualities)),
            (_SEQ_AT, 8, _pack("q", self.seqs)),
        )
        size = _ROW.size
        start = len(out)
        end = start + size * count
        out += _ROW.pack(5, 4, 0, 8, 0, 8, 0.0, 2, 0, 8, 0) * count
        for at, width, data in columns:
            for byte in range(width):
                out[start + at + byte : end : size] = data[byte::width]


def _encode_with_nulls(out: bytearray, rows: SeriesRows) -> None:
    """Append the records of a series with NULL values (shorter records), one by one."""
    pack, pack_null, channel_id = _ROW.pack, _ROW_NULL_VALUE.pack, rows.channel_id
    if max(rows.seqs) >= 2**63:
        raise OverflowError(f"seq {max(rows.seqs)} does not fit the column (bigint)")
    for ts_ms, value, quality, seq in zip(
        rows.ts_ms, rows.values, rows.qualities, rows.seqs, strict=True
    ):
        ts_us = (ts_ms - _PG_EPOCH_MS) * 1000
        if value is None:
            out += pack_null(5, 4, channel_id, 8, ts_us, -1, 2, quality, 8, seq)
        else:
            out += pack(5, 4, channel_id, 8, ts_us, 8, value, 2, quality, 8, seq)


def copy_chunks(series: Iterable[SeriesRows], chunk_rows: int = _CHUNK_ROWS) -> Iterator[bytes]:
    """``COPY ... (FORMAT BINARY)`` data of telemetry rows, in their order, a chunk at a time.

    Byte for byte what psycopg's ``write_row`` with the telemetry column types sends, without
    a Python call per value. Chunks of about ``chunk_rows`` rows let PostgreSQL store one
    while the next is encoded.
    """
    out = bytearray(_COPY_SIGNATURE)
    uniform = _Columns()
    for rows in series:
        if None in rows.values:
            # Written in place, after the rows gathered so far: the order of rows is kept.
            uniform.write(out)
            uniform = _Columns()
            _encode_with_nulls(out, rows)
        else:
            uniform.add(rows)
            if len(uniform) < chunk_rows:
                continue
            uniform.write(out)
            uniform = _Columns()
        if len(out) >= chunk_rows * _ROW.size:
            yield bytes(out)
            out = bytearray()
    uniform.write(out)
    out += _COPY_TRAILER
    yield bytes(out)


def encode_copy(series: Iterable[SeriesRows]) -> bytes:
    """All of :func:`copy_chunks` in one piece."""
    return b"".join(copy_chunks(series))


async def _copy_rows(
    cur: psycopg.AsyncCursor[tuple[object, ...]], table: str, series: Sequence[SeriesRows]
) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, TELEMETRY_COLUMNS))
    )
    async with cur.copy(statement) as copy:
        for chunk in copy_chunks(series):
            await copy.write(chunk)


async def _insert_skipping_duplicates(
    cur: psycopg.AsyncCursor[tuple[object, ...]], series: Sequence[SeriesRows]
) -> None:
    await cur.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} ("
        " channel_id integer, ts timestamptz, value double precision,"
        " quality smallint, seq bigint) ON COMMIT DELETE ROWS"
    )
    await _copy_rows(cur, _STAGING, series)
    await cur.execute(
        f"INSERT INTO telemetry (channel_id, ts, value, quality, seq)"  # noqa: S608 - constant names
        f" SELECT channel_id, ts, value, quality, seq FROM {_STAGING}"
        " ON CONFLICT (channel_id, ts) DO NOTHING"
    )


async def write_batch(conn: AsyncConnection[tuple[object, ...]], batch: WriteBatch) -> WriteOutcome:
    """Write and COMMIT ``batch``; raises on database failure with nothing committed."""
    path = "copy"
    gaps: dict[uuid.UUID, tuple[SequenceGap, ...]] = {}
    async with conn.transaction(), conn.cursor() as cur:
        if batch.series:
            try:
                async with conn.transaction():
                    await _copy_rows(cur, "telemetry", batch.series)
            except psycopg.errors.UniqueViolation:
                # A redelivered message (its ack was lost) or two samples of one channel
                # with the same timestamp: keep what is stored, add the rest.
                path = "on_conflict"
                await _insert_skipping_duplicates(cur, batch.series)
        if batch.late_ranges:
            # Committed with the rows: the rollup job cannot miss late samples it was told of.
            await cur.executemany(
                "INSERT INTO telemetry_rollup_pending (channel_id, first_ts, last_ts)"
                " VALUES (%s, %s, %s)",
                merge_late_ranges(batch.late_ranges),
            )
        if batch.dead_letters:
            await cur.executemany(
                "INSERT INTO dead_letter (topic, gateway_key, reason, payload)"
                " VALUES (%s, %s, %s, %s)",
                [(d.topic, d.gateway_key, d.reason_text, d.payload) for d in batch.dead_letters],
            )
        touched = sorted(set(batch.seqs_by_gateway) | {u.gateway_id for u in batch.gateway_updates})
        if touched:
            # Row locks in a fixed order: workers sharing a subscription never deadlock, and
            # last_seq is read and advanced atomically.
            await cur.execute(
                "SELECT id, last_seq FROM gateway WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                (touched,),
            )
            last_seqs = {row[0]: row[1] for row in await cur.fetchall()}
            for gateway_id, seqs in batch.seqs_by_gateway.items():
                if gateway_id not in last_seqs:
                    continue
                previous = last_seqs[gateway_id]
                assert previous is None or isinstance(previous, int)
                advance = advance_sequence(previous, seqs)
                if advance.gaps:
                    gaps[gateway_id] = advance.gaps
                    await cur.executemany(
                        "INSERT INTO gateway_seq_gap"
                        " (gateway_id, first_missing, last_missing, detected_at)"
                        " VALUES (%s, %s, %s, now())",
                        [(gateway_id, g.first_missing, g.last_missing) for g in advance.gaps],
                    )
                await cur.execute(
                    "UPDATE gateway SET last_seq = %s, last_seen_at = now() WHERE id = %s",
                    (advance.last_seq, gateway_id),
                )
            for update in batch.gateway_updates:
                await cur.execute(
                    "UPDATE gateway SET status = COALESCE(%s, status),"
                    " config_hash = COALESCE(%s, config_hash), last_seen_at = now()"
                    " WHERE id = %s",
                    (update.status, update.config_hash, update.gateway_id),
                )
                beat = update.heartbeat
                if beat is not None:
                    await cur.execute(
                        "INSERT INTO gateway_heartbeat (gateway_id, received_at, sent_at,"
                        " spool_depth, spool_dropped_total, last_seq, devices)"
                        " VALUES (%s, now(), to_timestamp(%s / 1000.0), %s, %s, %s, %s)"
                        " ON CONFLICT (gateway_id) DO UPDATE SET"
                        " received_at = EXCLUDED.received_at, sent_at = EXCLUDED.sent_at,"
                        " spool_depth = EXCLUDED.spool_depth,"
                        " spool_dropped_total = EXCLUDED.spool_dropped_total,"
                        " last_seq = EXCLUDED.last_seq, devices = EXCLUDED.devices"
                        " WHERE gateway_heartbeat.sent_at <= EXCLUDED.sent_at",
                        (
                            update.gateway_id, beat.ts_ms, beat.spool_depth,
                            beat.spool_dropped_total, beat.last_seq,
                            Jsonb([d.model_dump(mode="json") for d in beat.devices]),
                        ),
                    )  # fmt: skip
    return WriteOutcome(batch.row_count, path, gaps)
