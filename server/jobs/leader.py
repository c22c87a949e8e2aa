"""One leader among the server processes, chosen by PostgreSQL.

Every API process (uvicorn workers, several hosts) starts a :class:`Leadership`. It opens a
connection of its own (outside the pool) and tries ``pg_try_advisory_lock`` on
:data:`LEADER_LOCK_KEY`. The session-level lock lives exactly as long as that connection:
the process whose try succeeds leads until it stops, dies or loses the database; then the
server ends its session, the lock is free, and the next follower to try (every
``poll_s``) takes over. The leader pings its connection every ``poll_s``; when the ping
fails it stops leading at once and competes again once it has a connection.

What only the leader runs is given as ``on_elected`` / ``on_deposed`` hooks (start and stop
the leader-only work); :attr:`Leadership.is_leader` answers a job that asks on every pass.
``docs/architecture.md`` ("Several server processes") lists which work runs where.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence

import psycopg

from server.telemetry.store import to_conninfo

__all__ = ["LEADER_APPLICATION_NAME", "LEADER_LOCK_KEY", "LEADER_QUERY", "Leadership"]

logger = logging.getLogger(__name__)

# pg_advisory lock key of the leader (the ASCII bytes of "labslead"); distinct from the
# transaction-scoped keys the booking jobs and the rollups take.
LEADER_LOCK_KEY = 0x6C61_6273_6C65_6164
# The leadership connection's application_name, followed by " <host>:<pid>".
LEADER_APPLICATION_NAME = "labshare-leadership"
# Who leads now: the application_name ("labshare-leadership host:pid") of the lock holder.
LEADER_QUERY = """
SELECT a.application_name
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND ((l.classid::bigint << 32) | l.objid::bigint) = %s
"""

Hook = Callable[[], Awaitable[None]]


class Leadership:
    def __init__(
        self,
        database_url: str,
        *,
        poll_s: float = 5.0,
        key: int = LEADER_LOCK_KEY,
        on_elected: Sequence[Hook] = (),
        on_deposed: Sequence[Hook] = (),
    ) -> None:
        self.conninfo = to_conninfo(database_url)
        self.poll_s = poll_s
        self.key = key
        self.on_elected = list(on_elected)
        self.on_deposed = list(on_deposed)
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self._leading = False
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._first_try = asyncio.Event()
        self._failing = False

    @property
    def is_leader(self) -> bool:
        return self._leading

    async def start(self, first_try_s: float = 2.0) -> None:
        """Start competing; waits (at most ``first_try_s``) for the first try, so a lone
        process leads from its first moment."""
        self._stopping = asyncio.Event()
        self._first_try = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="labshare-leadership")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_try.wait(), first_try_s)

    async def stop(self) -> None:
        """Stop the leader-only work, then end the session: a follower takes over at its next try."""
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=15)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        await self._depose()
        await self._close()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._try_once(), max(self.poll_s, 10.0))
            except (psycopg.Error, OSError, TimeoutError) as exc:
                if not self._failing:
                    logger.error("leadership has no database connection (retrying): %s", exc)
                self._failing = True
                await self._depose()
                await self._close()
            else:
                if self._failing:
                    logger.info("leadership has its database connection again")
                self._failing = False
            self._first_try.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_s)

    async def _try_once(self) -> None:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=5,
                application_name=f"{LEADER_APPLICATION_NAME} {self.identity}"[:63],
                # A leader cut off from the database notices within about 25 s even when
                # no packet comes back (keepalive idle + interval x count).
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
            )
        if self._leading:
            # The session (and with it the lock) is alive as long as the connection answers.
            await self._conn.execute("SELECT 1")
            return
        cursor = await self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
        row = await cursor.fetchone()
        if row is not None and row[0] is True:
            await self._elect()

    async def _elect(self) -> None:
        self._leading = True
        logger.info("this process (%s) now leads the background jobs", self.identity)
        for hook in self.on_elected:
            try:
                await hook()
            except Exception as exc:  # one broken hook must not keep the others from running
                logger.error("starting leader-only work failed: %s", exc, exc_info=exc)

    async def _depose(self) -> None:
        if not self._leading:
            return
        self._leading = False
        logger.warning("this process (%s) no longer leads the background jobs", self.identity)
        for hook in self.on_deposed:
            try:
                await hook()
            except Exception as exc:
                logger.error("stopping leader-only work failed: %s", exc, exc_info=exc)

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                await conn.close()
