"""Reads that tolerate a few seconds' staleness may run on a PostgreSQL streaming replica.

Charts, exports, catalogue search and the sharing evaluation read a lot and write nothing; with
``LABSHARE_DATABASE_READ_URL`` set they run on that standby while it is close enough to the
primary. Everything else (writes, and the pages where a user must see what they just did:
their bookings, the instrument they edited) stays on the primary.

How far behind is measured on the standby itself, at most once a second per process:

* when everything received has been replayed, it is not behind (an idle primary sends nothing,
  so "time since the last replayed commit" alone would call an idle standby late);
* otherwise it is behind by the time since the last replayed commit;
* a standby that is not streaming from its primary, or that cannot be reached, is not used.

Past ``LABSHARE_DATABASE_READ_MAX_LAG_S`` reads go to the primary until the standby catches up.
A read that must see a write made a moment ago on the primary passes that write's WAL position
(``after_lsn``): it goes to the standby only once the standby has replayed past it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from server.core.config import Settings

__all__ = [
    "READS",
    "REPLICA_LAG",
    "ReadConnection",
    "ReadRouter",
    "ReadSessionDep",
    "current_lsn",
    "get_read_session",
]

logger = logging.getLogger(__name__)

READS = Counter(
    "labshare_db_reads_total",
    "Stale-tolerant reads (charts, exports, catalogue, evaluation), by where they ran",
    ["target"],
)
REPLICA_LAG = Gauge(
    "labshare_db_replica_lag_seconds",
    "How far the read replica was behind the primary at its last check (+Inf: not usable)",
)

# Seconds behind; +Infinity when the standby is not streaming from a primary.
_LAG_SQL = text(
    """
    SELECT CASE
      WHEN NOT pg_is_in_recovery() THEN 0.0
      WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')
        THEN 'Infinity'::float8
      WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0.0
      ELSE COALESCE(
        EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8,
        'Infinity'::float8)
    END
    """
)
_REPLAYED_SQL = text(
    "SELECT CASE WHEN pg_is_in_recovery() "
    "THEN pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn) ELSE true END"
)


async def current_lsn(conn: AsyncConnection) -> str:
    """The WAL position a standby must replay to show every commit made so far, this
    connection's open transaction included, which this commits.

    The commit is synchronous whatever ``synchronous_commit`` says: an asynchronous commit
    returns while its record may still sit in the WAL buffers, ahead of the position written,
    and a standby at that position would look up to date without it. Flushing one commit
    flushes every record before it, other sessions' commits included.
    """
    await conn.execute(text("SET LOCAL synchronous_commit TO on"))
    await conn.execute(text("SELECT pg_current_xact_id()"))  # a commit record to flush
    await conn.commit()
    return str((await conn.execute(text("SELECT pg_current_wal_lsn()::text"))).scalar_one())


class ReadRouter:
    """Picks the engine for a stale-tolerant read: the replica when close enough, else primary."""

    def __init__(
        self,
        primary: AsyncEngine,
        replica: AsyncEngine | None,
        *,
        max_lag_s: float,
        check_every_s: float = 1.0,
        catch_up_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_s = max_lag_s
        self.check_every_s = check_every_s
        self.catch_up_s = catch_up_s
        self._clock = clock
        self._checked_at = -math.inf
        self._lag = math.inf
        self._lock = asyncio.Lock()
        self._sessionmakers = {
            id(engine): async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
            for engine in (primary, replica)
            if engine is not None
        }

    @classmethod
    def from_settings(cls, settings: Settings, primary: AsyncEngine) -> ReadRouter:
        replica = (
            create_async_engine(
                settings.database_read_url,
                pool_size=settings.database_pool_size,
                pool_pre_ping=True,
            )
            if settings.database_read_url
            else None
        )
        return cls(primary, replica, max_lag_s=settings.database_read_max_lag_s)

    async def lag(self) -> float:
        """Seconds the replica is behind (checked at most every ``check_every_s``); +inf: unusable."""
        if self.replica is None:
            return math.inf
        if self._clock() - self._checked_at < self.check_every_s:
            return self._lag
        async with self._lock:
            if self._clock() - self._checked_at >= self.check_every_s:
                self._lag = await self._measure(self.replica)
                self._checked_at = self._clock()
                REPLICA_LAG.set(self._lag)
        return self._lag

    async def _measure(self, replica: AsyncEngine) -> float:
        try:
            async with replica.connect() as conn:
                return float((await conn.execute(_LAG_SQL)).scalar_one())
        except (OSError, SQLAlchemyError) as exc:
            if math.isfinite(self._lag):  # log the change, not every check while it is down
                logger.warning(
                    "read replica unreachable; reads go to the primary: %s",
                    str(exc).splitlines()[0],
                )
            return math.inf

    async def engine(self, *, after_lsn: str | None = None) -> AsyncEngine:
        """The replica when it is within the lag limit (and past ``after_lsn``), else primary."""
        if (
            self.replica is not None
            and await self.lag() <= self.max_lag_s
            and (after_lsn is None or await self._replayed(self.replica, after_lsn))
        ):
            READS.labels(target="replica").inc()
            return self.replica
        READS.labels(target="primary").inc()
        return self.primary

    async def _replayed(self, replica: AsyncEngine, lsn: str) -> bool:
        """Whether the replica has replayed up to ``lsn``, waiting up to ``catch_up_s`` for it:
        a commit just made is usually on the standby within milliseconds (the WAL writer
        sends what asynchronous commits left in the buffers within its 200 ms delay)."""
        deadline = self._clock() + self.catch_up_s
        try:
            async with replica.connect() as conn:
                while True:
                    if (await conn.execute(_REPLAYED_SQL, {"lsn": lsn})).scalar_one():
                        return True
                    if self._clock() >= deadline:
                        return False
                    await conn.rollback()  # a fresh snapshot of the replay position
                    await asyncio.sleep(0.02)
        except (OSError, SQLAlchemyError):
            return False

    def sessionmaker(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return self._sessionmakers[id(engine)]

    async def dispose(self) -> None:
        if self.replica is not None:
            await self.replica.dispose()


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for reads only, on the replica when it is usable; it never commits."""
    router: ReadRouter = request.app.state.read_router
    engine = await router.engine()
    async with router.sessionmaker(engine)() as session:
        try:
            yield session
        finally:
            await session.rollback()


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


class ReadConnection:
    """``async with ReadConnection(request) as conn``: a read-only connection, replica first."""

    def __init__(self, request: Request, *, after_lsn: str | None = None) -> None:
        self._router: ReadRouter = request.app.state.read_router
        self._after_lsn = after_lsn
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> AsyncConnection:
        engine = await self._router.engine(after_lsn=self._after_lsn)
        self._conn = await engine.connect()
        return self._conn

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            await self._conn.close()
