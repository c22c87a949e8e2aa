"""The waitlist: joining it for a taken slot, offering freed slots, accepting and expiring offers."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.booking.access import bookable_instrument
from server.booking.models import (
    WaitlistEntry,
    WaitlistStatus,
)
from server.booking.repository import BookingRepository
from server.booking.schemas import WaitlistCreate
from server.core.errors import ValidationFailed
from server.notifications.service import notify

__all__ = ["expire_offers", "join_waitlist", "offer_freed"]

logger = logging.getLogger(__name__)


async def join_waitlist(
    session: AsyncSession, user: AppUser, data: WaitlistCreate, *, now: datetime
) -> WaitlistEntry:
    instrument = await bookable_instrument(session, user, data.instrument_id)
    if data.end_at <= data.start_at or data.start_at <= now:
        raise ValidationFailed.for_field("start_at", "the wished slot must lie in the future")
    if not await BookingRepository(session).overlapping(instrument.id, data.start_at, data.end_at):
        raise ValidationFailed.for_field("start_at", "this slot is free: book it directly")
    entry = WaitlistEntry(
        instrument_id=instrument.id,
        organisation_id=user.organisation_id,
        user_id=user.id,
        start_at=data.start_at,
        end_at=data.end_at,
        mode=data.mode,
    )
    session.add(entry)
    await session.flush()
    return entry


async def offer_freed(
    session: AsyncSession,
    instrument_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
) -> list[WaitlistEntry]:
    """Offer a freed interval to the oldest waiting entries whose wished slot is now free."""
    repo = BookingRepository(session)
    policy = await repo.policy(instrument_id)
    offered: list[WaitlistEntry] = []
    for entry in await repo.waiting_for(instrument_id, start, end):
        if entry.start_at <= now or any(
            o.start_at < entry.end_at and entry.start_at < o.end_at for o in offered
        ):
            continue
        if await repo.overlapping(instrument_id, entry.start_at, entry.end_at):
            continue
        entry.status = WaitlistStatus.OFFERED
        entry.offered_at = now
        entry.offer_expires_at = min(
            now + timedelta(minutes=policy.waitlist_offer_minutes), entry.start_at
        )
        session.add(entry)
        offered.append(entry)
        await notify(
            session,
            user_ids=[entry.user_id],
            kind="waitlist_offer",
            title="候补时段已空出 A slot you waited for is free",
            body=f"{entry.start_at.isoformat()} – {entry.end_at.isoformat()}，"
            f"请在 {entry.offer_expires_at.isoformat()} 前确认。",
            data={"waitlist_entry_id": entry.id, "instrument_id": instrument_id},
        )
    await session.flush()
    return offered


async def expire_offers(session: AsyncSession, now: datetime) -> int:
    rows = await session.exec(
        select(WaitlistEntry).where(
            WaitlistEntry.status == WaitlistStatus.OFFERED.value,
            col(WaitlistEntry.offer_expires_at) < now,
        )
    )
    expired = list(rows.all())
    for entry in expired:
        entry.status = WaitlistStatus.EXPIRED
        session.add(entry)
    await session.flush()
    for entry in expired:
        await offer_freed(session, entry.instrument_id, entry.start_at, entry.end_at, now=now)
    return len(expired)
