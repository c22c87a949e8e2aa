"""Async database access: one engine per app, one session (and transaction) per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from server.core.config import Settings

__all__ = [
    "SessionDep",
    "create_engine",
    "create_sessionmaker",
    "get_session",
    "timescaledb_available",
]


def create_engine(settings: Settings) -> AsyncEngine:
    """An async engine on psycopg 3 (``postgresql+psycopg://``)."""
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        pool_pre_ping=True,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are serialised after the commit.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit when the endpoint returns, roll back when it raises; services only flush."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": commit before the response goes out, so a failed commit is a 500, not a
# success the database never saw.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def timescaledb_available(conn: AsyncConnection) -> bool:
    """True when the timescaledb extension is installed in this database."""
    result = await conn.execute(
        text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')")
    )
    return bool(result.scalar())
