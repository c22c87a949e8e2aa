"""Writes of the ingest worker, straight through psycopg (no ORM on the hot path).

One write batch is one transaction: telemetry rows by binary COPY, dead letters, gateway
state, sequence bookkeeping, then COMMIT. Only after COMMIT are the MQTT messages
acknowledged, so a crash anywhere before it means redelivery, never loss.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

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
    TelemetryRow,
)

__all__ = [
    "WriteBatch",
    "WriteOutcome",
    "load_gateways",
    "merge_late_ranges",
    "to_conninfo",
    "write_batch",
]

TELEMETRY_COLUMNS = ("channel_id", "ts", "value", "quality", "seq")
TELEMETRY_TYPES = ("int4", "timestamptz", "float8", "int2", "int8")
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

    rows: list[TelemetryRow] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    seqs_by_gateway: dict[uuid.UUID, list[int]] = field(default_factory=dict)
    gateway_updates: list[GatewayUpdate] = field(default_factory=list)
    # Rows that may be older than the rollup's last pass (see server.telemetry.rollups).
    late_ranges: list[LateRange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.rows or self.dead_letters or self.seqs_by_gateway or self.gateway_updates)


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


async def _copy_rows(
    cur: psycopg.AsyncCursor[tuple[object, ...]], table: str, rows: Sequence[TelemetryRow]
) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, TELEMETRY_COLUMNS))
    )
    async with cur.copy(statement) as copy:
        copy.set_types(list(TELEMETRY_TYPES))
        for row in rows:
            await copy.write_row(row)


async def _insert_skipping_duplicates(
    cur: psycopg.AsyncCursor[tuple[object, ...]], rows: Sequence[TelemetryRow]
) -> None:
    await cur.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} ("
        " channel_id integer, ts timestamptz, value double precision,"
        " quality smallint, seq bigint) ON COMMIT DELETE ROWS"
    )
    await _copy_rows(cur, _STAGING, rows)
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
        if batch.rows:
            try:
                async with conn.transaction():
                    await _copy_rows(cur, "telemetry", batch.rows)
            except psycopg.errors.UniqueViolation:
                # A redelivered message (its ack was lost) or two samples of one channel
                # with the same timestamp: keep what is stored, add the rest.
                path = "on_conflict"
                await _insert_skipping_duplicates(cur, batch.rows)
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
    return WriteOutcome(len(batch.rows), path, gaps)
