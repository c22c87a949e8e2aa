"""Finished program runs on their way to the server: kept on disk until the broker has them.

A device source hands a :class:`~mqtt_contract.program_v1.ProgramRun` to :meth:`add`, which
stores it (table ``program_run`` of a SQLite file beside the spool, ``<spool path>.programs``:
the spool's size cap counts samples only) before anything is sent, so a run
that ends while the broker is away, or just before the gateway restarts, is not lost.
:meth:`run` publishes the stored runs oldest first with QoS 1 and forgets each one only after
its PUBACK. A run sent twice (PUBACK lost) is stored once by the server, which keys runs by
``(gateway, device, unit, run_id)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from typing import Protocol

from mqtt_contract.program_v1 import ProgramRun
from mqtt_contract.v1 import TopicKind, encode, topic_for

__all__ = ["ProgramOutbox", "outbox_path"]

log = logging.getLogger("edge_agent.program_outbox")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS program_run (
    id INTEGER PRIMARY KEY,
    payload BLOB NOT NULL
);
"""


def outbox_path(spool_path: str) -> str:
    """Where the program runs of a gateway with this spool are kept."""
    return spool_path if spool_path == ":memory:" else f"{spool_path}.programs"


class _Link(Protocol):
    @property
    def connected(self) -> bool: ...

    async def publish_and_wait(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        timeout_s: float = 3,
        on_mid: Callable[[int], None] | None = None,
    ) -> bool: ...


class ProgramOutbox:
    """Used from the event loop thread only."""

    def __init__(self, path: str, gateway: str, *, retry_s: float = 2.0) -> None:
        self.gateway = gateway
        self.topic = topic_for(gateway, TopicKind.PROGRAM)
        self.retry_s = retry_s
        self.sent = 0
        self._db = sqlite3.connect(path, isolation_level=None, timeout=5.0)
        self._db.executescript(_SCHEMA)
        self._wake = asyncio.Event()

    @property
    def depth(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM program_run").fetchone()[0])

    def add(self, run: ProgramRun) -> None:
        """Keep ``run`` until the broker acknowledges it."""
        self._db.execute("INSERT INTO program_run (payload) VALUES (?)", (encode(run),))
        self._wake.set()

    def _oldest(self) -> tuple[int, bytes] | None:
        row = self._db.execute("SELECT id, payload FROM program_run ORDER BY id LIMIT 1").fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    async def run(self, link: _Link, on_mid: Callable[[int], None] | None = None) -> None:
        """Send stored runs whenever the link is up; returns only when cancelled."""
        while True:
            sent_all = await self.flush(link, on_mid)
            self._wake.clear()
            if sent_all:
                await self._wait(None)
            else:
                await self._wait(self.retry_s)

    async def flush(self, link: _Link, on_mid: Callable[[int], None] | None = None) -> bool:
        """Send what is stored; True when nothing is left."""
        while (oldest := self._oldest()) is not None:
            if not link.connected:
                return False
            row_id, payload = oldest
            if not await link.publish_and_wait(
                self.topic, payload, qos=1, timeout_s=5.0, on_mid=on_mid
            ):
                log.warning("program run not acknowledged by the broker; will send it again")
                return False
            self._db.execute("DELETE FROM program_run WHERE id = ?", (row_id,))
            self.sent += 1
        return True

    async def _wait(self, timeout_s: float | None) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout_s)

    def close(self) -> None:
        self._db.close()
