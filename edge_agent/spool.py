"""Store-and-forward spool: every sample is on disk before it is published.

SQLite in WAL mode. A sample gets its sequence number when it enters the spool; the number
is strictly increasing per gateway and survives restarts (the last one issued is kept in a
meta row, so even an emptied spool never reissues a number). Rows leave the spool only
when the broker has acknowledged the message carrying them, or when the spool is over its
size cap: then the oldest go first and the loss is counted, persistently.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from edge_agent.poller import Reading
from mqtt_contract.v1 import Quality

__all__ = ["SampleSpool", "Spool", "SpooledSample"]


@dataclass(frozen=True, slots=True)
class SpooledSample:
    seq: int
    reading: Reading


class Spool(Protocol):
    def append(self, readings: Sequence[Reading]) -> list[SpooledSample]: ...

    def delete(self, seqs: Iterable[int]) -> None: ...

    def fetch(self, after: int, below: int, limit: int) -> list[SpooledSample]: ...

    @property
    def next_seq(self) -> int: ...

    @property
    def last_seq(self) -> int: ...

    @property
    def depth(self) -> int: ...

    @property
    def dropped_total(self) -> int: ...

    pinned: Callable[[], Collection[int]]
    on_drop: Callable[[list[int]], None]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sample (
    seq INTEGER PRIMARY KEY,
    device TEXT NOT NULL,
    point TEXT NOT NULL,
    unit TEXT NOT NULL,
    correction_id TEXT,
    ts_ms INTEGER NOT NULL,
    value REAL,
    quality TEXT NOT NULL,
    latency_ms REAL
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (name, value) VALUES ('last_seq', 0), ('dropped_total', 0);
"""


class SampleSpool:
    """The SQLite spool. Used from the event loop thread only."""

    def __init__(
        self, path: str | Path, max_bytes: int = 100_000_000, synchronous: str = "normal"
    ) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL survives a killed process (WAL frames are in the OS); FULL also survives
        # power loss at the cost of an fsync per transaction, which SD cards pay for.
        self._db.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
        self._db.executescript(_SCHEMA)
        meta = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        max_row = self._db.execute("SELECT coalesce(max(seq), 0) FROM sample").fetchone()[0]
        self._last_seq = max(int(meta["last_seq"]), int(max_row))
        self._dropped_total = int(meta["dropped_total"])
        self._depth = int(self._db.execute("SELECT count(*) FROM sample").fetchone()[0])
        self._page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
        # Set by the forwarder: samples in a message awaiting PUBACK are never dropped (they are
        # as good as delivered), and dropped samples are withdrawn from its live queue, so the
        # drop count is exactly what the server will never see.
        self.pinned: Callable[[], Collection[int]] = frozenset
        self.on_drop: Callable[[list[int]], None] = lambda seqs: None

    @property
    def next_seq(self) -> int:
        return self._last_seq + 1

    @property
    def last_seq(self) -> int:
        return self._last_seq

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def dropped_total(self) -> int:
        return self._dropped_total

    def db_journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def used_bytes(self) -> int:
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        return int(pages - free) * self._page_size

    def append(self, readings: Sequence[Reading]) -> list[SpooledSample]:
        """Store readings with fresh sequence numbers, in one transaction."""
        if not readings:
            return []
        first = self._last_seq + 1
        spooled = [SpooledSample(first + i, r) for i, r in enumerate(readings)]
        rows = [
            (
                s.seq,
                s.reading.device,
                s.reading.point,
                s.reading.unit,
                s.reading.correction_id,
                s.reading.ts_ms,
                s.reading.value,
                s.reading.quality.value,
                s.reading.latency_ms,
            )
            for s in spooled
        ]
        last = spooled[-1].seq
        with _transaction(self._db):
            self._db.executemany("INSERT INTO sample VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self._db.execute("UPDATE meta SET value = ? WHERE name = 'last_seq'", (last,))
        self._last_seq = last
        self._depth += len(rows)
        self._enforce_cap()
        return spooled

    def _enforce_cap(self) -> None:
        used = self.used_bytes()
        if used <= self.max_bytes or self._depth == 0:
            return
        # Drop down to 90% of the cap so the next few inserts do not each trigger a drop.
        excess = used - int(self.max_bytes * 0.9)
        drop = max(1, min(self._depth, -(-self._depth * excess // used)))
        pinned = self.pinned()
        candidates = self._db.execute(
            "SELECT seq FROM sample ORDER BY seq LIMIT ?", (drop + len(pinned),)
        ).fetchall()
        victims = [row[0] for row in candidates if row[0] not in pinned][:drop]
        if not victims:
            return
        with _transaction(self._db):
            self._db.executemany("DELETE FROM sample WHERE seq = ?", [(v,) for v in victims])
            self._db.execute(
                "UPDATE meta SET value = value + ? WHERE name = 'dropped_total'", (len(victims),)
            )
        self._depth -= len(victims)
        self._dropped_total += len(victims)
        self.on_drop(victims)

    def delete(self, seqs: Iterable[int]) -> None:
        """Forget acknowledged samples."""
        batch = [(s,) for s in seqs]
        if not batch:
            return
        with _transaction(self._db):
            before = self._db.total_changes
            self._db.executemany("DELETE FROM sample WHERE seq = ?", batch)
            removed = self._db.total_changes - before
        self._depth -= removed

    def fetch(self, after: int, below: int, limit: int) -> list[SpooledSample]:
        """Oldest samples with ``after < seq < below``."""
        rows = self._db.execute(
            "SELECT seq, device, point, unit, correction_id, ts_ms, value, quality, latency_ms "
            "FROM sample WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?",
            (after, below, limit),
        ).fetchall()
        return [
            SpooledSample(
                seq=row[0],
                reading=Reading(
                    device=row[1],
                    point=row[2],
                    unit=row[3],
                    correction_id=row[4],
                    ts_ms=row[5],
                    value=row[6],
                    quality=Quality(row[7]),
                    latency_ms=row[8],
                ),
            )
            for row in rows
        ]

    def close(self) -> None:
        self._db.close()


class _transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
