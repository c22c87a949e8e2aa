"""One booking as its booker looks back on it: what happened when, the calibration certificate
that covered the session, the charge, and a summary of the readings taken during it.

The history is read from the booking's own timestamps and its charge, so it needs no event table
and cannot disagree with the booking: requested, approved or rejected, checked in (by staff or by
the instrument's signal), used from/to, cancelled (by the booker or the lab), no-show, charged.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.billing.models import Charge
from server.billing.schemas import ChargeOut
from server.booking import access
from server.booking.models import Booking
from server.booking.schemas import (
    BookingEvent,
    BookingOut,
    BookingSessionOut,
    ListedBookingOut,
    SessionCertificate,
    SessionChannel,
    SessionStateShare,
)
from server.calibration.models import CalibrationCertificate
from server.core.booking_status import BookingStatus
from server.telemetry.board import channel_value_labels
from server.telemetry.schemas import ValueLabel

__all__ = ["booking_session", "session_window"]


def session_window(booking: Booking) -> tuple[datetime, datetime]:
    """The time the session's data covers: the actual use where it was measured (an over-run
    included), else the booked time."""
    start = booking.actual_start_at or booking.start_at
    end = max(booking.actual_end_at or booking.end_at, booking.end_at)
    return start, end


def _history(booking: Booking, charge: Charge | None) -> list[BookingEvent]:
    events = [BookingEvent(kind="requested", at=booking.created_at)]
    if booking.decided_at is not None:
        rejected = booking.status == BookingStatus.REJECTED.value
        events.append(
            BookingEvent(
                kind="rejected" if rejected else "approved",
                at=booking.decided_at,
                detail=booking.decision_reason if rejected else None,
            )
        )
    if booking.checked_in_at is not None:
        events.append(
            BookingEvent(
                kind="checked_in", at=booking.checked_in_at, detail=booking.check_in_source
            )
        )
    if booking.actual_end_at is not None and booking.status == BookingStatus.COMPLETED.value:
        events.append(BookingEvent(kind="completed", at=booking.actual_end_at))
    if booking.cancelled_at is not None:
        by_booker = booking.cancelled_by == booking.user_id
        events.append(
            BookingEvent(
                kind="cancelled", at=booking.cancelled_at, detail="booker" if by_booker else "lab"
            )
        )
    if booking.status == BookingStatus.NO_SHOW.value:
        events.append(
            BookingEvent(kind="no_show", at=charge.created_at if charge else booking.start_at)
        )
    if charge is not None:
        events.append(BookingEvent(kind="charged", at=charge.created_at, detail=str(charge.amount)))
    return sorted(events, key=lambda e: e.at)


async def _state_shares(
    conn: AsyncConnection,
    instrument_id: uuid.UUID,
    channels: Sequence[tuple[int, str]],
    start: datetime,
    end: datetime,
) -> dict[int, list[SessionStateShare]]:
    """Per status channel, its values during the session in words, most read first."""
    labels = await channel_value_labels(conn, instrument_id, channels)
    if not labels:
        return {}
    counts = await conn.execute(
        text(
            "SELECT channel_id, value, count(*) AS readings FROM telemetry"
            " WHERE channel_id = ANY(:ids) AND ts >= :start AND ts < :end"
            " GROUP BY channel_id, value ORDER BY channel_id, readings DESC, value"
        ),
        {"ids": list(labels), "start": start, "end": end},
    )
    shares: dict[int, list[SessionStateShare]] = {channel_id: [] for channel_id in labels}
    for row in counts:
        if not float(row.value).is_integer():
            continue  # not a register value: the min/max columns still show it
        value = int(row.value)
        known = next((label for label in labels[row.channel_id] if label.value == value), None)
        shares[row.channel_id].append(
            SessionStateShare(
                **(known or ValueLabel(value=value)).model_dump(), readings=row.readings
            )
        )
    return shares


async def booking_session(
    session: AsyncSession, user: AppUser, booking_id: uuid.UUID
) -> BookingSessionOut:
    """The booking's session page; 404 for a booking the user may not see."""
    booking, instrument = await access.get_booking(session, user, booking_id)
    charge = (
        await session.exec(select(Charge).where(col(Charge.booking_id) == booking.id))
    ).first()
    start, end = session_window(booking)
    certificates = (
        await session.exec(
            select(CalibrationCertificate)
            .where(
                col(CalibrationCertificate.instrument_id) == instrument.id,
                col(CalibrationCertificate.valid_from) < end,
                col(CalibrationCertificate.valid_to) > start,
            )
            .order_by(col(CalibrationCertificate.valid_from).desc())
        )
    ).all()
    conn = await session.connection()
    rows = (
        await conn.execute(
            text(
                "SELECT c.id, c.point_key, c.name, c.name_en, c.canonical_unit AS unit,"
                " count(t.value) AS readings, min(t.value) AS min, max(t.value) AS max,"
                " avg(t.value) AS mean"
                " FROM channel c LEFT JOIN telemetry t"
                "   ON t.channel_id = c.id AND t.ts >= :start AND t.ts < :end"
                " WHERE c.instrument_id = :instrument GROUP BY c.id ORDER BY c.id"
            ),
            {"start": start, "end": end, "instrument": instrument.id},
        )
    ).all()
    states = await _state_shares(
        conn, instrument.id, [(r.id, r.point_key) for r in rows], start, end
    )
    return BookingSessionOut(
        booking=ListedBookingOut(
            **BookingOut.model_validate(booking).model_dump(),
            instrument_name=instrument.name,
            instrument_name_en=instrument.name_en,
        ),
        window_start=start,
        window_end=end,
        history=_history(booking, charge),
        certificates=[
            SessionCertificate(
                number=c.number,
                agency=c.agency,
                valid_from=c.valid_from,
                valid_to=c.valid_to,
                result=c.result,
                expanded_uncertainty=c.expanded_uncertainty,
                coverage_factor=c.coverage_factor,
                uncertainty_unit=c.uncertainty_unit,
                covers_session=c.valid_from <= start and end <= c.valid_to,
            )
            for c in certificates
        ],
        charge=ChargeOut.model_validate(charge) if charge is not None else None,
        channels=[
            SessionChannel.model_validate({**r._mapping, "states": states.get(r.id)}) for r in rows
        ],
    )
