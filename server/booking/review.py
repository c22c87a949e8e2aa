"""Bookings as the lab reviews them: who booked (user and organisation), the booker's operator
authorisation on the instrument, and whether the instrument can serve the booked time.

A fixed number of queries whatever the number of bookings: the bookings, their bookers, the
authorisations, and the registry's blocks and blackouts over the span of the open bookings.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser, Organisation
from server.auth.tenancy import is_enterprise
from server.booking import access
from server.booking.integrations import blocked_spans
from server.booking.models import Booking, BookingMode
from server.booking.repository import BookingRepository
from server.booking.schemas import (
    Booker,
    BookingOut,
    DetailedBookingOut,
    OperatorStatus,
    UnusableNow,
)
from server.catalog.models import Instrument
from server.core.booking_status import BookingStatus
from server.core.errors import Forbidden
from server.registry.authorisations import lapses_at
from server.registry.models import OperatorAuthorisation

__all__ = ["detailed_bookings"]

# Bookings still to be served: the ones whose instrument must be usable.
_OPEN = (BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value)


def _operator_status(
    booking: Booking, instrument: Instrument, booker: AppUser, held: list[OperatorAuthorisation]
) -> OperatorStatus:
    staff_operated = booking.mode == BookingMode.STAFF_OPERATED.value
    if staff_operated or access.is_staff_of(booker, instrument):
        return OperatorStatus(state="not_needed")
    at = booking.start_at
    for authorisation in held:
        lapse = lapses_at(authorisation)
        revoked = authorisation.revoked_at is not None and authorisation.revoked_at <= at
        if authorisation.granted_at <= at and not revoked and (lapse is None or at < lapse):
            return OperatorStatus(state="authorised", lapses_at=lapse)
    return OperatorStatus(state="lapsed" if held else "none")


async def _unusable(
    session: AsyncSession, bookings: Sequence[Booking], now: datetime
) -> dict[uuid.UUID, UnusableNow]:
    """The first block over each open, not yet ended booking."""
    open_ = [b for b in bookings if b.status in _OPEN and b.end_at > now]
    if not open_:
        return {}
    ids = list({b.instrument_id for b in open_})
    start, end = min(b.start_at for b in open_), max(b.end_at for b in open_)
    spans = await blocked_spans(session, ids, start, end)
    blackouts = await BookingRepository(session).blackouts(ids, start, end)
    found: dict[uuid.UUID, UnusableNow] = {}
    for b in open_:
        blocks = [
            (s.start, s.reason, s.detail)
            for s in spans.get(b.instrument_id, ())
            if s.start < b.end_at and s.end > b.start_at
        ] + [
            (x.start_at, "blackout", x.reason)
            for x in blackouts.get(b.instrument_id, ())
            if x.start_at < b.end_at and x.end_at > b.start_at
        ]
        if blocks:
            first = min(blocks, key=lambda block: block[0])
            found[b.id] = UnusableNow(
                reason=first[1], detail=first[2], blocked_from=max(first[0], b.start_at)
            )
    return found


async def detailed_bookings(
    session: AsyncSession,
    user: AppUser,
    *,
    statuses: Sequence[str] | None,
    instrument_id: uuid.UUID | None,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    flagged: bool | None = None,
) -> list[DetailedBookingOut]:
    """Bookings on the instruments the user is staff of (platform admins: all), oldest first."""
    if is_enterprise(user):
        raise Forbidden("Only the lab's staff review bookings")
    listed = await access.list_bookings(
        session,
        user,
        statuses=statuses,
        instrument_id=instrument_id,
        start=start,
        end=end,
        flagged=flagged,
    )
    instruments = await access.instruments_by_id(session, {b.instrument_id for b in listed})
    bookings = [
        b
        for b in listed
        if b.instrument_id in instruments and access.is_staff_of(user, instruments[b.instrument_id])
    ]
    if not bookings:
        return []
    user_ids = {b.user_id for b in bookings}
    people = (
        await session.exec(
            select(AppUser, Organisation)
            .join(Organisation, col(Organisation.id) == col(AppUser.organisation_id))
            .where(col(AppUser.id).in_(user_ids))
        )
    ).all()
    bookers = {person.id: (person, organisation) for person, organisation in people}
    held: dict[tuple[uuid.UUID, uuid.UUID], list[OperatorAuthorisation]] = defaultdict(list)
    rows = await session.exec(
        select(OperatorAuthorisation).where(
            col(OperatorAuthorisation.user_id).in_(user_ids),
            col(OperatorAuthorisation.instrument_id).in_({b.instrument_id for b in bookings}),
        )
    )
    for a in rows:
        held[(a.user_id, a.instrument_id)].append(a)
    unusable = await _unusable(session, bookings, now)
    out = []
    for b in bookings:
        person, organisation = bookers[b.user_id]
        out.append(
            DetailedBookingOut(
                **BookingOut.model_validate(b).model_dump(),
                booker=Booker(
                    user_id=person.id,
                    full_name=person.full_name,
                    email=person.email,
                    organisation_id=organisation.id,
                    organisation_name=organisation.name,
                    organisation_name_en=organisation.name_en,
                ),
                operator=_operator_status(
                    b, instruments[b.instrument_id], person, held[(b.user_id, b.instrument_id)]
                ),
                unusable=unusable.get(b.id),
            )
        )
    return out
