"""Recurring bookings: one booking per occurrence of an RFC 5545 recurrence rule."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.booking.access import bookable_instrument
from server.booking.errors import InstrumentUnusable, QuotaExceeded, SlotTaken
from server.booking.lifecycle import create_booking
from server.booking.repository import BookingRepository
from server.booking.schemas import BookingCreate, OccurrenceResult
from server.core.errors import ValidationFailed

__all__ = ["MAX_OCCURRENCES", "create_series"]

logger = logging.getLogger(__name__)


MAX_OCCURRENCES = 100


async def create_series(
    session: AsyncSession, user: AppUser, data: BookingCreate, rule: str, *, now: datetime
) -> tuple[uuid.UUID, list[OccurrenceResult]]:
    """Book every occurrence of an RRULE that can be booked; report each one."""
    instrument = await bookable_instrument(session, user, data.instrument_id)
    policy = await BookingRepository(session).policy(instrument.id)
    tz = ZoneInfo(policy.timezone)
    duration = data.end_at - data.start_at
    try:
        # Local wall-clock recurrence: "every Monday 09:00" stays 09:00 in Asia/Shanghai.
        recurrence = rrulestr(rule, dtstart=data.start_at.astimezone(tz))
    except (ValueError, TypeError) as exc:
        raise ValidationFailed.for_field("rrule", f"not a valid RFC 5545 RRULE: {exc}") from exc
    horizon = now + timedelta(days=policy.horizon_days)
    series_id = uuid.uuid4()
    results: list[OccurrenceResult] = []
    for occurrence in recurrence:
        if len(results) >= MAX_OCCURRENCES or occurrence > horizon:
            break
        start = occurrence
        end = start + duration
        item = data.model_copy(update={"start_at": start, "end_at": end})
        try:
            async with session.begin_nested():
                booking = await create_booking(session, user, item, now=now, series_id=series_id)
        except SlotTaken as exc:
            results.append(
                OccurrenceResult(start_at=start, end_at=end, outcome="conflict", detail=exc.detail)
            )
        except InstrumentUnusable as exc:
            results.append(
                OccurrenceResult(start_at=start, end_at=end, outcome="unusable", detail=exc.detail)
            )
        except (ValidationFailed, QuotaExceeded) as exc:
            results.append(
                OccurrenceResult(start_at=start, end_at=end, outcome="rejected", detail=exc.detail)
            )
        else:
            results.append(
                OccurrenceResult(
                    start_at=start,
                    end_at=end,
                    outcome="booked",
                    detail=booking.status,
                    booking_id=booking.id,
                )
            )
    return series_id, results
