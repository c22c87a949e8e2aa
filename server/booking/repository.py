"""Queries on policies, calendars and bookings. Bulk reads take many instruments at once."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, DateTime, bindparam, func, literal_column, or_, true
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from server.billing.models import CostModel, CostRate
from server.billing.service import DEFAULT_FACTORS
from server.booking.models import Blackout, Booking, BookingPolicy, WaitlistEntry, WaitlistStatus
from server.booking.opening_hours import Hours, from_record
from server.catalog.models import Instrument
from server.core.booking_status import ACTIVE_STATUSES

__all__ = ["BookingContext", "BookingRepository"]

_ACTIVE = [s.value for s in ACTIVE_STATUSES]
# The exclusion constraint of 0004_booking: no two active bookings of an instrument overlap.
NO_OVERLAP_CONSTRAINT = "booking_no_overlap"
_DEFAULT_BUFFER_MINUTES: int = BookingPolicy.model_fields["buffer_minutes"].default
_MINUTE: ColumnElement[Any] = literal_column("interval '1 minute'")


@dataclass(frozen=True, slots=True)
class BookingContext:
    """Everything a booking request checks, read in one statement.

    ``hours`` are the instrument record's opening hours; ``blackouts`` overlap the requested
    window; ``clashes`` are active bookings overlapping it widened by the policy's buffer
    (sorted by start).
    """

    instrument: Instrument
    policy: BookingPolicy
    hours: Hours
    blackouts: list[tuple[datetime, datetime, str]]
    clashes: list[tuple[datetime, datetime]]
    cost_model: CostModel
    factors: dict[str, Decimal]


_START = bindparam("start", type_=DateTime(timezone=True))
_END = bindparam("end", type_=DateTime(timezone=True))


@cache
def _context_query() -> Select[*tuple[Any, ...]]:
    """The statement of ``booking_context``, built once: building it cost more than running it."""
    buffer = func.coalesce(BookingPolicy.buffer_minutes, _DEFAULT_BUFFER_MINUTES) * _MINUTE
    blackouts = (
        select(
            func.array_agg(Blackout.start_at).label("starts"),
            func.array_agg(Blackout.end_at).label("ends"),
            func.array_agg(Blackout.reason).label("reasons"),
        )
        .where(
            Blackout.instrument_id == Instrument.id,
            col(Blackout.start_at) < _END,
            col(Blackout.end_at) > _START,
        )
        .lateral("blackouts")
    )
    clashes = (
        select(
            func.array_agg(Booking.start_at).label("starts"),
            func.array_agg(Booking.end_at).label("ends"),
        )
        .where(
            Booking.instrument_id == Instrument.id,
            col(Booking.status).in_(_ACTIVE),
            col(Booking.start_at) < _END + buffer,
            col(Booking.end_at) > _START - buffer,
        )
        .lateral("clashes")
    )
    rates = (
        select(
            func.array_agg(CostRate.category).label("categories"),
            func.array_agg(CostRate.factor).label("factors"),
        )
        .where(CostRate.instrument_id == Instrument.id)
        .lateral("rates")
    )
    return (
        Select(
            Instrument,
            BookingPolicy,
            CostModel,
            blackouts.c.starts,
            blackouts.c.ends,
            blackouts.c.reasons,
            clashes.c.starts,
            clashes.c.ends,
            rates.c.categories,
            rates.c.factors,
        )
        .outerjoin(BookingPolicy, col(BookingPolicy.instrument_id) == Instrument.id)
        .outerjoin(CostModel, col(CostModel.instrument_id) == Instrument.id)
        .join(blackouts, true())
        .join(clashes, true())
        .join(rates, true())
        .where(col(Instrument.id) == bindparam("instrument_id"))
    )


@cache
def _insert_unless_overlapping() -> ReturningInsert[tuple[Booking]]:
    return (
        insert(Booking).on_conflict_do_nothing(constraint=NO_OVERLAP_CONSTRAINT).returning(Booking)
    )


class BookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def policy(self, instrument_id: uuid.UUID) -> BookingPolicy:
        """The stored policy, or the defaults (not persisted) when the lab never set one."""
        policy = await self.session.get(BookingPolicy, instrument_id)
        return policy or BookingPolicy(instrument_id=instrument_id)

    async def booking_context(
        self, instrument_id: uuid.UUID, start: datetime, end: datetime
    ) -> BookingContext | None:
        """Instrument (with its opening hours), policy, blackouts, clashes and cost model in one
        round trip.

        A booking used to ask for these one by one (eight statements); under many concurrent
        clients each round trip is a wait in the queue for the event loop and a connection.
        """
        row = (
            await self.session.exec(
                _context_query(),
                params={"instrument_id": instrument_id, "start": start, "end": end},
            )
        ).first()
        if row is None:
            return None
        (instrument, policy, cost_model) = row[:3]
        (b_starts, b_ends, b_reasons, c_starts, c_ends, categories, factors) = row[3:]
        return BookingContext(
            instrument=instrument,
            policy=policy or BookingPolicy(instrument_id=instrument_id),
            hours=from_record(instrument.opening_hours),
            blackouts=sorted(zip(b_starts or (), b_ends or (), b_reasons or (), strict=True)),
            clashes=sorted(zip(c_starts or (), c_ends or (), strict=True)),
            cost_model=cost_model or CostModel(instrument_id=instrument_id),
            factors={**DEFAULT_FACTORS, **dict(zip(categories or (), factors or (), strict=True))},
        )

    async def insert_unless_overlapping(self, booking: Booking) -> Booking | None:
        """Insert the booking; None when an active booking already holds (part of) its slot.

        ``ON CONFLICT ON CONSTRAINT booking_no_overlap DO NOTHING`` keeps the exclusion
        constraint the arbiter (a concurrent insert is waited for, then decides) while the
        transaction stays usable: no savepoint round trips around every insert.
        """
        values = {c.key: getattr(booking, c.key) for c in sa_inspect(Booking).mapper.column_attrs}
        inserted: Booking | None = (
            (await self.session.exec(_insert_unless_overlapping(), params=values)).scalars().first()
        )
        return inserted

    async def policies(self, instrument_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, BookingPolicy]:
        rows = await self.session.exec(
            select(BookingPolicy).where(col(BookingPolicy.instrument_id).in_(instrument_ids))
        )
        stored = {p.instrument_id: p for p in rows}
        return {i: stored.get(i) or BookingPolicy(instrument_id=i) for i in instrument_ids}

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
