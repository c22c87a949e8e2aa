"""``/api/v1/bookings/{id}/rating``: rate a completed booking, read its rating."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from server.auth.dependencies import CurrentUser
from server.booking.ratings import BookingRating, get_rating, rate_booking
from server.core.db import SessionDep
from server.core.errors import problem_responses
from server.core.validators import Text

__all__ = ["router"]

router = APIRouter(tags=["booking"])


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: Annotated[int, Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")]
    comment: Annotated[Text, Field(max_length=2000)] = ""


class RatingOut(BaseModel):
    booking_id: uuid.UUID
    instrument_id: uuid.UUID
    user_id: uuid.UUID
    score: int
    comment: str
    created_at: datetime

    @classmethod
    def of(cls, rating: BookingRating) -> RatingOut:
        return cls.model_validate(rating, from_attributes=True)


@router.post(
    "/bookings/{booking_id}/rating",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 404, 409),
)
async def post_rating(
    session: SessionDep, user: CurrentUser, booking_id: uuid.UUID, body: RatingIn
) -> RatingOut:
    """Rate a completed booking once (the booking's user or its organisation's admin)."""
    rating = await rate_booking(session, user, booking_id, body.score, body.comment)
    return RatingOut.of(rating)


@router.get("/bookings/{booking_id}/rating", responses=problem_responses(404))
async def read_rating(session: SessionDep, user: CurrentUser, booking_id: uuid.UUID) -> RatingOut:
    """The booking's rating, for anyone who may see the booking."""
    return RatingOut.of(await get_rating(session, user, booking_id))
