"""The booking jobs the background runner calls: check-in from telemetry, no-shows, actual use
and charges, reminders, waitlist expiry, flags for unusable instruments."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.billing.models import ChargeKind
from server.booking.access import instruments_by_id, staff_by_institution
from server.booking.integrations import (
    blocked_spans,
    running_spans,
)
from server.booking.lifecycle import (
    CHECK_IN_EARLY,
    OVERRUN_CAP,
    charge_booking_use,
    mark_checked_in,
    release_no_show,
    running_start_in_window,
)
from server.booking.models import Booking, ChargeBasis
from server.booking.repository import BookingRepository
from server.booking.rules import minutes_between
from server.booking.waitlist import expire_offers
from server.core.booking_status import BookingStatus
from server.notifications.service import notify

__all__ = [
    "JOBS_LOCK_KEY",
    "JobReport",
    "complete_finished",
    "expire_unapproved",
    "flag_unusable",
    "flag_unusable_instruments",
    "release_no_shows",
    "run_jobs",
    "send_reminders",
]

logger = logging.getLogger(__name__)


# pg_advisory lock key of the booking jobs ("labshare booking jobs" folded to 63 bits).
JOBS_LOCK_KEY = 0x6C61_6273_6A6F_6273


@dataclass(slots=True)
class JobReport:
    checked_in: int = 0
    no_shows: int = 0
    completed: int = 0
    reminders: int = 0
    flagged: int = 0
    offers_expired: int = 0
    expired_requests: int = 0


async def release_no_shows(session: AsyncSession, now: datetime) -> tuple[int, int]:
    """Check in from telemetry where the instrument runs; release the rest after the grace time."""
    repo = BookingRepository(session)
    started = await repo.with_status(
        [BookingStatus.CONFIRMED.value], start_before=now + CHECK_IN_EARLY
    )
    instruments = await instruments_by_id(session, {b.instrument_id for b in started})
    policies = await repo.policies(list(instruments))
    checked_in = released = 0
    for booking in started:
        running_from = await running_start_in_window(session, booking, now)
        if running_from is not None:
            await mark_checked_in(session, booking, running_from, "telemetry")
            session.add(booking)
            checked_in += 1
            continue
        policy = policies[booking.instrument_id]
        if now >= booking.start_at + timedelta(minutes=policy.no_show_release_minutes):
            await release_no_show(session, booking, instruments[booking.instrument_id], now)
            released += 1
    await session.flush()
    return checked_in, released


async def expire_unapproved(session: AsyncSession, now: datetime) -> int:
    """A request nobody approved before its start is rejected, freeing the slot's record."""
    rows = await BookingRepository(session).with_status(
        [BookingStatus.PENDING.value], start_before=now
    )
    for booking in rows:
        booking.status = BookingStatus.REJECTED
        booking.decided_at = now
        session.add(booking)
        await notify(
            session,
            user_ids=[booking.user_id],
            kind="booking_rejected",
            title="预约未获审批，已失效 Booking request expired without approval",
            body=f"{booking.start_at.isoformat()} 的预约申请在开始前未获审批。",
            data={"booking_id": booking.id},
        )
    await session.flush()
    return len(rows)


async def complete_finished(session: AsyncSession, now: datetime) -> int:
    """Close checked-in bookings after their end: actual use from the state intervals, charge."""
    repo = BookingRepository(session)
    finished = [
        b for b in await repo.with_status([BookingStatus.CHECKED_IN.value]) if b.end_at <= now
    ]
    instruments = await instruments_by_id(session, {b.instrument_id for b in finished})
    policies = await repo.policies(list(instruments))
    staff = await staff_by_institution(session, {i.organisation_id for i in instruments.values()})
    done = 0
    for booking in finished:
        window_start = booking.checked_in_at or booking.start_at
        window_end = min(now, booking.end_at + OVERRUN_CAP)
        spans = await running_spans(
            session, booking.instrument_id, window_start - CHECK_IN_EARLY, window_end
        )
        running = [s for s in spans or () if s.state == "running"]
        if running and running[-1].end is None and now < booking.end_at + OVERRUN_CAP:
            continue  # still running past the end: wait to measure the over-run
        if running:
            actual_start = max(running[0].start, window_start - CHECK_IN_EARLY)
            actual_end = min(running[-1].end or window_end, window_end)
            minutes = sum(
                minutes_between(
                    max(s.start, window_start - CHECK_IN_EARLY),
                    min(s.end or window_end, window_end),
                )
                for s in running
            )
        else:
            # No telemetry for this instrument: the checked-in time up to the booked end.
            actual_start, actual_end = window_start, booking.end_at
            minutes = minutes_between(actual_start, actual_end)
        booking.actual_start_at, booking.actual_end_at = actual_start, actual_end
        booking.actual_minutes = max(minutes, 0)
        booking.overrun_minutes = max(minutes_between(booking.end_at, actual_end), 0)
        booking.status = BookingStatus.COMPLETED
        session.add(booking)
        await session.flush()
        policy = policies[booking.instrument_id]
        booked = minutes_between(booking.start_at, booking.end_at)
        charged = (
            booking.actual_minutes
            if policy.charge_basis == ChargeBasis.ACTUAL.value
            else booked + booking.overrun_minutes
        )
        instrument = instruments[booking.instrument_id]
        result = await charge_booking_use(
            session, booking, instrument, policy, ChargeKind.USAGE, charged, None
        )
        overrun = f"，超时 {booking.overrun_minutes} 分钟" if booking.overrun_minutes else ""
        await notify(
            session,
            user_ids=[booking.user_id],
            kind="booking_completed",
            title=f"使用完成 Session finished: {instrument.name}",
            body=f"实际使用 {booking.actual_minutes} 分钟{overrun}；费用 ¥{result.charge.amount}"
            f"（创新券 ¥{result.charge.voucher_amount}）。",
            data={"booking_id": booking.id, "charge": str(result.charge.amount)},
        )
        if booking.overrun_minutes:
            await notify(
                session,
                user_ids=staff[instrument.organisation_id],
                kind="overrun",
                title=f"超时使用 Over-run: {instrument.name}",
                body=f"预约 {booking.id} 超出 {booking.overrun_minutes} 分钟。",
                data={"booking_id": booking.id},
            )
        done += 1
    return done


async def send_reminders(session: AsyncSession, now: datetime, lead: timedelta) -> int:
    rows = await session.exec(
        select(Booking).where(
            Booking.status == BookingStatus.CONFIRMED.value,
            col(Booking.reminder_sent_at).is_(None),
            col(Booking.start_at) > now,
            col(Booking.start_at) <= now + lead,
        )
    )
    bookings = list(rows.all())
    instruments = await instruments_by_id(session, {b.instrument_id for b in bookings})
    policies = await BookingRepository(session).policies(list(instruments))
    for booking in bookings:
        instrument = instruments[booking.instrument_id]
        # In the lab's own time zone, as its opening hours and the booking form show it.
        local = booking.start_at.astimezone(ZoneInfo(policies[booking.instrument_id].timezone))
        await notify(
            session,
            user_ids=[booking.user_id],
            kind="booking_reminder",
            title=f"预约提醒 Reminder: {instrument.name} {local:%Y-%m-%d %H:%M}",
            body=f"您预约的 {instrument.name} 将于 {local:%Y-%m-%d %H:%M} 开始。",
            data={"booking_id": booking.id},
        )
        booking.reminder_sent_at = now
        session.add(booking)
    await session.flush()
    return len(bookings)


async def flag_unusable_instruments(
    session: AsyncSession, since: datetime, instrument_ids: Sequence[uuid.UUID]
) -> int:
    """Flag the bookings of instruments that just became unusable (the calibration hook)."""
    return await flag_unusable(session, since, instrument_ids=instrument_ids)


async def flag_unusable(
    session: AsyncSession,
    now: datetime,
    *,
    horizon: timedelta = timedelta(days=366),
    instrument_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """Flag future bookings that now fall on an unusable instrument; tell owners and staff."""
    query = select(Booking).where(
        col(Booking.status).in_([BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value]),
        col(Booking.end_at) > now,
        col(Booking.start_at) < now + horizon,
    )
    if instrument_ids is not None:
        query = query.where(col(Booking.instrument_id).in_(instrument_ids))
    bookings = list((await session.exec(query)).all())
    if not bookings:
        return 0
    ids = list({b.instrument_id for b in bookings})
    spans = await blocked_spans(session, ids, now, now + horizon)
    instruments = await instruments_by_id(session, set(ids))
    staff = await staff_by_institution(session, {i.organisation_id for i in instruments.values()})
    newly = 0
    for booking in bookings:
        hit = next(
            (
                s
                for s in spans.get(booking.instrument_id, ())
                if s.start < booking.end_at and s.end > booking.start_at
            ),
            None,
        )
        if hit is None:
            if booking.flag is not None:
                booking.flag = booking.flag_detail = None
                session.add(booking)
            continue
        if booking.flag == hit.reason:
            continue
        booking.flag, booking.flag_detail = hit.reason, hit.detail
        session.add(booking)
        newly += 1
        instrument = instruments[booking.instrument_id]
        await notify(
            session,
            user_ids=[booking.user_id, *staff[instrument.organisation_id]],
            kind="booking_flagged",
            title=f"预约受影响 Booking affected: {instrument.name}",
            body=f"{booking.start_at.isoformat()} 的预约受影响：{hit.detail}（{hit.reason}）。"
            "实验室将改期或取消。",
            data={"booking_id": booking.id, "reason": hit.reason},
        )
    await session.flush()
    return newly


async def run_jobs(session: AsyncSession, now: datetime, *, reminder_lead: timedelta) -> JobReport:
    """One pass of every booking job; the caller commits.

    Several server processes may run the jobs; a transaction-scoped advisory lock lets one
    of them do a pass at a time and the others skip it, instead of racing on the same rows.
    """
    report = JobReport()
    locked = await session.exec(select(func.pg_try_advisory_xact_lock(JOBS_LOCK_KEY)))
    if not locked.one():
        return report
    report.expired_requests = await expire_unapproved(session, now)
    report.checked_in, report.no_shows = await release_no_shows(session, now)
    report.completed = await complete_finished(session, now)
    report.reminders = await send_reminders(session, now, reminder_lead)
    report.offers_expired = await expire_offers(session, now)
    report.flagged = await flag_unusable(session, now)
    return report
