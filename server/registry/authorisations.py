"""Operator authorisations (docs/domain-rules.md §5): trained users, lapsing after days without use."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.registry.models import OperatorAuthorisation

__all__ = ["active_authorisation", "is_authorised", "lapses_at", "record_use"]


def lapses_at(authorisation: OperatorAuthorisation) -> datetime | None:
    """When the authorisation lapses unless used again (None: it never lapses)."""
    if authorisation.lapse_after_days is None:
        return None
    reference = max(
        t for t in (authorisation.granted_at, authorisation.last_used_at) if t is not None
    )
    return reference + timedelta(days=authorisation.lapse_after_days)


def _holds(authorisation: OperatorAuthorisation, at: datetime) -> bool:
    if authorisation.granted_at > at:
        return False
    if authorisation.revoked_at is not None and authorisation.revoked_at <= at:
        return False
    lapse = lapses_at(authorisation)
    return lapse is None or at < lapse


async def active_authorisation(
    session: AsyncSession, user_id: uuid.UUID, instrument_id: uuid.UUID
) -> OperatorAuthorisation | None:
    query = select(OperatorAuthorisation).where(
        OperatorAuthorisation.user_id == user_id,
        OperatorAuthorisation.instrument_id == instrument_id,
        col(OperatorAuthorisation.revoked_at).is_(None),
    )
    return (await session.exec(query)).first()


async def is_authorised(
    session: AsyncSession, user_id: uuid.UUID, instrument_id: uuid.UUID, at: datetime
) -> bool:
    """Whether the user may operate the instrument themselves at ``at`` (self-operated use)."""
    query = select(OperatorAuthorisation).where(
        OperatorAuthorisation.user_id == user_id,
        OperatorAuthorisation.instrument_id == instrument_id,
    )
    return any(_holds(a, at) for a in (await session.exec(query)).all())


async def record_use(
    session: AsyncSession, user_id: uuid.UUID, instrument_id: uuid.UUID, at: datetime
) -> None:
    """Note a use (for example a checked-in booking), which restarts the lapse period.

    A use after the authorisation lapsed does not revive it: retraining does.
    """
    authorisation = await active_authorisation(session, user_id, instrument_id)
    if authorisation is None or not _holds(authorisation, at):
        return
    if authorisation.last_used_at is None or authorisation.last_used_at < at:
        authorisation.last_used_at = at
        session.add(authorisation)
        await session.flush()
