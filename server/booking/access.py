"""Who sees which booking, and the lookups every booking operation starts from."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import INSTITUTION_ROLES, AppUser, Role
from server.auth.tenancy import is_enterprise, is_platform_admin, may_see_organisation
from server.booking.models import Booking
from server.booking.repository import BookingRepository
from server.catalog.models import Instrument
from server.catalog.repository import InstrumentRepository
from server.core.booking_status import ACTIVE_STATUSES
from server.core.errors import NotFound

__all__ = [
    "bookable_instrument",
    "get_booking",
    "instruments_by_id",
    "is_staff_of",
    "list_bookings",
    "may_see_booking",
    "staff_by_institution",
    "staff_ids",
]

logger = logging.getLogger(__name__)

ACTIVE_STATUS_VALUES = {s.value for s in ACTIVE_STATUSES}


def _not_found(booking_id: uuid.UUID) -> NotFound:
    return NotFound(f"Booking {booking_id} not found")


def is_staff_of(user: AppUser, instrument: Instrument) -> bool:
    """Lab staff or manager of the owning institution, or the platform operator."""
    if is_platform_admin(user):
        return True
    return (
        Role(user.role) in INSTITUTION_ROLES and user.organisation_id == instrument.organisation_id
    )


def may_see_booking(user: AppUser, booking: Booking, instrument: Instrument) -> bool:
    if is_staff_of(user, instrument):
        return True
    return (
        booking.organisation_id == user.organisation_id
        if is_enterprise(user)
        else (booking.user_id == user.id)
    )


async def bookable_instrument(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID
) -> Instrument:
    """An instrument the user may book: open ones for everybody, any of one's own institution."""
    instrument = await InstrumentRepository(session).get(instrument_id)
    if instrument is None or not (
        instrument.is_open or may_see_organisation(user, instrument.organisation_id)
    ):
        raise NotFound(f"Instrument {instrument_id} not found")
    return instrument


async def staff_ids(session: AsyncSession, institution_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.exec(
        select(AppUser.id).where(
            AppUser.organisation_id == institution_id,
            col(AppUser.role).in_([Role.LAB_STAFF.value, Role.LAB_MANAGER.value]),
            col(AppUser.is_active),
        )
    )
    return list(rows.all())


async def staff_by_institution(
    session: AsyncSession, institution_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Active lab staff and managers of each institution, in one query."""
    ids = set(institution_ids)
    staff: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    if not ids:
        return staff
    rows = await session.exec(
        select(AppUser.organisation_id, AppUser.id).where(
            col(AppUser.organisation_id).in_(ids),
            col(AppUser.role).in_([Role.LAB_STAFF.value, Role.LAB_MANAGER.value]),
            col(AppUser.is_active),
        )
    )
    for organisation_id, user_id in rows.all():
        staff[organisation_id].append(user_id)
    return staff


async def get_booking(
    session: AsyncSession, user: AppUser, booking_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Booking, Instrument]:
    booking = await BookingRepository(session).get(booking_id, for_update=for_update)
    if booking is None:
        raise _not_found(booking_id)
    instrument = await InstrumentRepository(session).get(booking.instrument_id)
    if instrument is None or not may_see_booking(user, booking, instrument):
        raise _not_found(booking_id)
    return booking, instrument


async def list_bookings(
    session: AsyncSession,
    user: AppUser,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Sequence[str] | None = None,
    flagged: bool | None = None,
    instrument_id: uuid.UUID | None = None,
) -> list[Booking]:
    repo = BookingRepository(session)
    common = {
        "start": start,
        "end": end,
        "statuses": statuses,
        "flagged": flagged,
        "instrument_id": instrument_id,
    }
    if is_platform_admin(user):
        return await repo.visible(organisation_id=None, institution_id=None, user_id=None, **common)  # type: ignore[arg-type]
    if is_enterprise(user):
        return await repo.visible(
            organisation_id=user.organisation_id,
            institution_id=None,
            user_id=None,
            **common,  # type: ignore[arg-type]
        )
    return await repo.visible(
        organisation_id=None,
        institution_id=user.organisation_id,
        user_id=user.id,
        **common,  # type: ignore[arg-type]
    )


async def instruments_by_id(
    session: AsyncSession, ids: set[uuid.UUID]
) -> dict[uuid.UUID, Instrument]:
    if not ids:
        return {}
    rows = await session.exec(select(Instrument).where(col(Instrument.id).in_(ids)))
    return {i.id: i for i in rows}
