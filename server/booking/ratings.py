"""Ratings of completed bookings: a score from 1 to 5 and a comment, one per booking.

The booking's user, or an admin of the booking organisation, rates once the booking is
completed; a second rating of the same booking is a conflict. Whoever may see the booking may
read its rating.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, SmallInteger, Text, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser, Role
from server.booking.access import get_booking
from server.core.booking_status import BookingStatus
from server.core.errors import Conflict, Forbidden, NotFound

__all__ = ["BookingRating", "get_rating", "rate_booking"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class BookingRating(SQLModel, table=True):
    __tablename__ = "booking_rating"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="booking_rating_score_check"),)

    booking_id: uuid.UUID = Field(foreign_key="booking.id", primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    score: int = Field(sa_type=SmallInteger)
    comment: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


async def rate_booking(
    session: AsyncSession, user: AppUser, booking_id: uuid.UUID, score: int, comment: str
) -> BookingRating:
    booking, _ = await get_booking(session, user, booking_id)
    rater = booking.user_id == user.id or (
        user.role == Role.ENTERPRISE_ADMIN.value and user.organisation_id == booking.organisation_id
    )
    if not rater:
        raise Forbidden("Only the booking's user or an admin of its organisation rates it")
    if booking.status != BookingStatus.COMPLETED.value:
        raise Conflict(f"Only completed bookings are rated; this one is {booking.status}")
    if await session.get(BookingRating, booking_id) is not None:
        raise Conflict("This booking has been rated already")
    rating = BookingRating(
        booking_id=booking.id,
        instrument_id=booking.instrument_id,
        user_id=user.id,
        score=score,
        comment=comment,
    )
    session.add(rating)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent rating of the same booking
        raise Conflict("This booking has been rated already") from exc
    return rating


async def get_rating(session: AsyncSession, user: AppUser, booking_id: uuid.UUID) -> BookingRating:
    await get_booking(session, user, booking_id)  # 404 unless the reader may see the booking
    rating = (
        await session.exec(select(BookingRating).where(BookingRating.booking_id == booking_id))
    ).first()
    if rating is None:
        raise NotFound("This booking has no rating yet")
    return rating
