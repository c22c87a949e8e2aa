"""Staff actions on many bookings at once (after an instrument became unusable, for example)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.auth.tenancy import is_enterprise
from server.booking.access import get_booking, is_staff_of
from server.booking.errors import InstrumentUnusable
from server.booking.models import Booking
from server.booking.rules import check_usable
from server.booking.schemas import BulkAction
from server.booking.waitlist import offer_freed
from server.core.booking_status import BookingStatus
from server.core.errors import Forbidden, NotFound
from server.notifications.service import notify

__all__ = ["BulkOutcome", "bulk_action"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    booking_id: uuid.UUID
    outcome: str
    detail: str
    booking: Booking | None


async def bulk_action(
    session: AsyncSession, user: AppUser, action: BulkAction, *, now: datetime
) -> list[BulkOutcome]:
    """Cancel or shift many bookings (after a calibration lapse or an outage); per-booking report."""
    if is_enterprise(user):
        raise Forbidden("Only lab staff act on bookings in bulk")
    out: list[BulkOutcome] = []
    for booking_id in action.booking_ids:
        try:
            booking, instrument = await get_booking(session, user, booking_id, for_update=True)
        except NotFound:
            out.append(BulkOutcome(booking_id, "not_found", "no such booking in your labs", None))
            continue
        if not is_staff_of(user, instrument):
            out.append(BulkOutcome(booking_id, "not_found", "no such booking in your labs", None))
            continue
        if booking.status not in (BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value):
            out.append(
                BulkOutcome(booking_id, "unchanged", f"booking is {booking.status}", booking)
            )
            continue
        if action.action == "cancel":
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_at, booking.cancelled_by = now, user.id
            session.add(booking)
            await session.flush()
            await notify(
                session,
                user_ids=[booking.user_id],
                kind="booking_cancelled",
                title=f"预约已被实验室取消 Booking cancelled by the lab: {instrument.name}",
                body=action.reason or f"{instrument.name} {booking.start_at.isoformat()}",
                data={"booking_id": booking.id},
            )
            # The freed slot goes to whoever waits for it, as after a single cancellation.
            await offer_freed(session, instrument.id, booking.start_at, booking.end_at, now=now)
            out.append(BulkOutcome(booking_id, "cancelled", action.reason, booking))
            continue
        shift = timedelta(minutes=action.shift_minutes or 0)
        old_start, old_end = booking.start_at, booking.end_at
        new_start, new_end = old_start + shift, old_end + shift
        try:
            await check_usable(session, instrument.id, new_start, new_end)
            async with session.begin_nested():
                booking.start_at, booking.end_at = new_start, new_end
                booking.flag = booking.flag_detail = None
                session.add(booking)
                await session.flush()
        except InstrumentUnusable as exc:
            out.append(BulkOutcome(booking_id, "conflict", exc.detail, None))
            continue
        except IntegrityError:
            await session.refresh(booking)
            out.append(BulkOutcome(booking_id, "conflict", "the new slot is already booked", None))
            continue
        await notify(
            session,
            user_ids=[booking.user_id],
            kind="booking_rescheduled",
            title=f"预约已改期 Booking moved: {instrument.name}",
            body=f"新时间 New time: {new_start.isoformat()} – {new_end.isoformat()}. {action.reason}",
            data={"booking_id": booking.id},
        )
        # What the move freed of the old slot goes to whoever waits for it.
        await offer_freed(session, instrument.id, old_start, old_end, now=now)
        out.append(BulkOutcome(booking_id, "rescheduled", new_start.isoformat(), booking))
    return out
