"""Queries on policies, calendars and bookings. Bulk reads take many instruments at once."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.booking.models import (
    ACTIVE_STATUSES,
    Blackout,
    Booking,
    BookingPolicy,
    OpeningHours,
    WaitlistEntry,
    WaitlistStatus,
)

__all__ = ["BookingRepository"]

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


class BookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def policy(self, instrument_id: uuid.UUID) -> BookingPolicy:
        """The stored policy, or the defaults (not persisted) when the lab never set one."""
        policy = await self.session.get(BookingPolicy, instrument_id)
        return policy or BookingPolicy(instrument_id=instrument_id)

    async def policies(self, instrument_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, BookingPolicy]:
        rows = await self.session.exec(
            select(BookingPolicy).where(col(BookingPolicy.instrument_id).in_(instrument_ids))
        )
        stored = {p.instrument_id: p for p in rows}
        return {i: stored.get(i) or BookingPolicy(instrument_id=i) for i in instrument_ids}

    async def opening_hours(
        self, instrument_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[OpeningHours]]:
        rows = await self.session.exec(
            select(OpeningHours).where(col(OpeningHours.instrument_id).in_(instrument_ids))
        )
        out: dict[uuid.UUID, list[OpeningHours]] = defaultdict(list)
        for row in rows:
            out[row.instrument_id].append(row)
        return out

    async def blackouts(
        self, instrument_ids: Sequence[uuid.UUID], start: datetime, end: datetime
    ) -> dict[uuid.UUID, list[Blackout]]:
        rows = await self.session.exec(
            select(Blackout).where(
                col(Blackout.instrument_id).in_(instrument_ids),
                col(Blackout.start_at) < end,
                col(Blackout.end_at) > start,
            )
        )
        out: dict[uuid.UUID, list[Blackout]] = defaultdict(list)
        for row in rows:
            out[row.instrument_id].append(row)
        return out

    async def busy(
        self, instrument_ids: Sequence[uuid.UUID], start: datetime, end: datetime
    ) -> dict[uuid.UUID, list[tuple[datetime, datetime]]]:
        """Active bookings overlapping the window, per instrument (times only)."""
        connection = await self.session.connection()
        result = await connection.execute(
            select(Booking.instrument_id, Booking.start_at, Booking.end_at).where(
                col(Booking.instrument_id).in_(instrument_ids),
                col(Booking.status).in_(_ACTIVE),
                col(Booking.start_at) < end,
                col(Booking.end_at) > start,
            )
        )
        out: dict[uuid.UUID, list[tuple[datetime, datetime]]] = defaultdict(list)
        for instrument_id, s, e in result:
            out[instrument_id].append((s, e))
        return out

    async def overlapping(
        self,
        instrument_id: uuid.UUID,
        start: datetime,
        end: datetime,
        *,
        exclude: uuid.UUID | None = None,
    ) -> list[Booking]:
        query = select(Booking).where(
            Booking.instrument_id == instrument_id,
            col(Booking.status).in_(_ACTIVE),
            col(Booking.start_at) < end,
            col(Booking.end_at) > start,
        )
        if exclude is not None:
            query = query.where(Booking.id != exclude)
        return list((await self.session.exec(query.order_by(col(Booking.start_at)))).all())

    async def get(self, booking_id: uuid.UUID, *, for_update: bool = False) -> Booking | None:
        query = select(Booking).where(Booking.id == booking_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.exec(query)).first()

    async def booked_minutes(
        self,
        organisation_id: uuid.UUID,
        instrument_id: uuid.UUID,
        start: datetime,
        end: datetime,
    ) -> int:
        """Minutes of the organisation's active bookings of the instrument inside the window."""
        seconds = func.sum(
            func.extract(
                "epoch",
                func.least(Booking.end_at, end) - func.greatest(Booking.start_at, start),
            )
        )
        result = await self.session.exec(
            select(seconds).where(
                Booking.organisation_id == organisation_id,
                Booking.instrument_id == instrument_id,
                col(Booking.status).in_(_ACTIVE),
                col(Booking.start_at) < end,
                col(Booking.end_at) > start,
            )
        )
        total = result.first()
        return int(total or 0) // 60

    async def visible(
        self,
        *,
        organisation_id: uuid.UUID | None,
        institution_id: uuid.UUID | None,
        user_id: uuid.UUID | None,
        start: datetime | None,
        end: datetime | None,
        statuses: Sequence[str] | None,
        flagged: bool | None,
        instrument_id: uuid.UUID | None,
    ) -> list[Booking]:
        """Bookings of an organisation, or on an institution's instruments, or a user's own."""
        from server.catalog.models import Instrument

        query = select(Booking)
        scopes = []
        if organisation_id is not None:
            scopes.append(col(Booking.organisation_id) == organisation_id)
        if institution_id is not None:
            owned = select(Instrument.id).where(Instrument.organisation_id == institution_id)
            scopes.append(col(Booking.instrument_id).in_(owned))
        if user_id is not None:
            scopes.append(col(Booking.user_id) == user_id)
        if scopes:
            query = query.where(or_(*scopes))
        if start is not None:
            query = query.where(col(Booking.end_at) > start)
        if end is not None:
            query = query.where(col(Booking.start_at) < end)
        if statuses:
            query = query.where(col(Booking.status).in_(statuses))
        if flagged is not None:
            query = query.where(
                col(Booking.flag).is_not(None) if flagged else col(Booking.flag).is_(None)
            )
        if instrument_id is not None:
            query = query.where(Booking.instrument_id == instrument_id)
        query = query.order_by(col(Booking.start_at)).limit(2000)
        return list((await self.session.exec(query)).all())

    async def with_status(
        self, statuses: Sequence[str], *, start_before: datetime | None = None
    ) -> list[Booking]:
        query = select(Booking).where(col(Booking.status).in_(statuses))
        if start_before is not None:
            query = query.where(col(Booking.start_at) < start_before)
        return list((await self.session.exec(query.order_by(col(Booking.start_at)))).all())

    async def waiting_for(
        self, instrument_id: uuid.UUID, start: datetime, end: datetime
    ) -> list[WaitlistEntry]:
        """Waiting entries whose wished slot overlaps the freed interval, oldest first."""
        query = (
            select(WaitlistEntry)
            .where(
                WaitlistEntry.instrument_id == instrument_id,
                WaitlistEntry.status == WaitlistStatus.WAITING.value,
                col(WaitlistEntry.start_at) < end,
                col(WaitlistEntry.end_at) > start,
            )
            .order_by(col(WaitlistEntry.created_at))
        )
        return list((await self.session.exec(query)).all())
