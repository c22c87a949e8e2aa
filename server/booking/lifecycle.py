"""The lifecycle of one booking: quote, create, approve or reject, check in, no-show, cancel."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.auth.tenancy import may_see_organisation
from server.billing import service as billing
from server.billing.fees import Quote
from server.billing.models import ChargeKind
from server.booking.access import get_booking, is_staff_of, staff_ids
from server.booking.errors import (
    APPROVAL_UNUSABLE_CODE,
    ApprovalRefused,
    InstrumentUnusable,
    QuotaExceeded,
)
from server.booking.integrations import (
    record_operator_use,
    running_spans,
)
from server.booking.models import Booking, BookingMode, BookingPolicy, WaitlistEntry, WaitlistStatus
from server.booking.repository import BookingContext, BookingRepository
from server.booking.rules import (
    check_mode,
    check_quota,
    check_slot_rules,
    check_usable,
    minutes_between,
    slot_conflict,
)
from server.booking.schemas import BookingCreate
from server.booking.waitlist import offer_freed
from server.catalog.models import Instrument
from server.core.booking_status import BookingStatus
from server.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from server.notifications.service import notify

__all__ = [
    "CHECK_IN_EARLY",
    "OVERRUN_CAP",
    "BookingQuote",
    "accept_offer",
    "booking_refusals",
    "cancel_booking",
    "charge_booking_use",
    "check_in",
    "create_booking",
    "decide",
    "mark_checked_in",
    "mark_no_show",
    "quote_booking",
    "release_no_show",
    "reschedule_booking",
    "running_start_in_window",
]

# The stable ``code`` of the problem refusing a reschedule inside the cancellation window.
RESCHEDULE_TOO_LATE_CODE = "reschedule_too_late"

logger = logging.getLogger(__name__)


CHECK_IN_EARLY = timedelta(minutes=15)


# After the booked end, how long a still-running instrument may go on before the use is
# closed anyway (an over-run longer than this is recorded up to this point).
OVERRUN_CAP = timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class BookingQuote:
    """The fee of a booking request, its instrument's policy, and the problems creating it would
    be refused with now, in the order ``create_booking`` checks them (empty: it would pass)."""

    quote: Quote
    policy: BookingPolicy
    refusals: list[AppError]


async def _context(session: AsyncSession, user: AppUser, data: BookingCreate) -> BookingContext:
    context = await BookingRepository(session).booking_context(
        data.instrument_id, data.start_at, data.end_at
    )
    if context is None or not (
        context.instrument.is_open or may_see_organisation(user, context.instrument.organisation_id)
    ):
        raise NotFound(f"Instrument {data.instrument_id} not found")
    return context


def _quote(user: AppUser, context: BookingContext, data: BookingCreate) -> Quote:
    return billing.quote_with(
        context.cost_model,
        context.factors,
        category=billing.category_for(user, context.instrument).value,
        minutes=minutes_between(data.start_at, data.end_at),
        staff_operated=data.mode is BookingMode.STAFF_OPERATED,
        sample_count=data.sample_count,
    )


async def booking_refusals(
    session: AsyncSession,
    user: AppUser,
    context: BookingContext,
    data: BookingCreate,
    *,
    now: datetime,
) -> list[AppError]:
    """Every rule the booking request breaks now, in the order ``create_booking`` checks them:
    slot rules, mode and operator authorisation, usability, the organisation's quota (not for the
    lab's own staff), a taken slot. Usability and quota are only asked about a time the slot
    rules accept (another time may lie anywhere, even at the ends of the calendar). Reads only."""
    start, end = data.start_at, data.end_at
    instrument, policy = context.instrument, context.policy
    refusals: list[AppError] = []
    try:
        check_slot_rules(policy, context.hours, start, end, now)
    except ValidationFailed as exc:
        refusals.append(exc)
    slot_ok = not refusals
    try:
        await check_mode(session, user, instrument, policy, data.mode, start)
    except ValidationFailed as exc:
        refusals.append(exc)
    if slot_ok:
        try:
            await check_usable(session, instrument.id, start, end, blackouts=context.blackouts)
        except InstrumentUnusable as exc:
            refusals.append(exc)
    if slot_ok and not is_staff_of(user, instrument):
        try:
            await check_quota(session, policy, user.organisation_id, start, end)
        except QuotaExceeded as exc:
            refusals.append(exc)
    if context.clashes:
        refusals.append(slot_conflict(instrument.id, context.clashes))
    return refusals


async def quote_booking(
    session: AsyncSession, user: AppUser, data: BookingCreate, *, now: datetime
) -> BookingQuote:
    """The quote ``create_booking`` would store, and what it would refuse; writes nothing."""
    context = await _context(session, user, data)
    return BookingQuote(
        quote=_quote(user, context, data),
        policy=context.policy,
        refusals=await booking_refusals(session, user, context, data, now=now),
    )


async def create_booking(
    session: AsyncSession,
    user: AppUser,
    data: BookingCreate,
    *,
    now: datetime,
    series_id: uuid.UUID | None = None,
) -> Booking:
    repo = BookingRepository(session)
    start, end = data.start_at, data.end_at
    context = await _context(session, user, data)
    instrument, policy = context.instrument, context.policy
    refusals = await booking_refusals(session, user, context, data, now=now)
    if refusals:
        # The first broken rule, the same the quote lists first.
        raise refusals[0]
    staff = is_staff_of(user, instrument)
    category = billing.category_for(user, instrument).value
    q = _quote(user, context, data)
    pending = policy.approval_required and not staff
    candidate = Booking(
        instrument_id=instrument.id,
        organisation_id=user.organisation_id,
        user_id=user.id,
        start_at=start,
        end_at=end,
        status=(BookingStatus.PENDING if pending else BookingStatus.CONFIRMED),
        mode=data.mode,
        sample_count=data.sample_count,
        test_items=list(data.test_items),
        purpose=data.purpose,
        series_id=series_id,
        user_category=category,
        quoted_amount=q.total,
    )
    booking = await repo.insert_unless_overlapping(candidate)
    if booking is None:
        # Lost the race to a concurrent booking: the constraint is the arbiter.
        taken = await repo.overlapping(instrument.id, start, end)
        raise slot_conflict(instrument.id, [(b.start_at, b.end_at) for b in taken])

    when = f"{start.astimezone(ZoneInfo(policy.timezone)):%Y-%m-%d %H:%M}"
    if pending:
        await notify(
            session,
            user_ids=await staff_ids(session, instrument.organisation_id),
            kind="approval_request",
            title=f"预约待审批 Booking awaiting approval: {instrument.name} {when}",
            body=f"{user.full_name} 申请预约 {instrument.name}（{when}，{minutes_between(start, end)} 分钟）。",
            data={"booking_id": booking.id, "instrument_id": instrument.id},
        )
    else:
        await notify(
            session,
            user_ids=[user.id],
            kind="booking_confirmed",
            title=f"预约已确认 Booking confirmed: {instrument.name} {when}",
            body=f"{instrument.name} {when}，预估费用 ¥{q.total}。",
            data={"booking_id": booking.id, "instrument_id": instrument.id},
        )
    return booking


async def charge_booking_use(
    session: AsyncSession,
    booking: Booking,
    instrument: Instrument,
    policy: BookingPolicy,
    kind: ChargeKind,
    minutes: int,
    share: Decimal | None,
) -> billing.ChargeResult:
    return await billing.charge_booking(
        session,
        booking_id=booking.id,
        instrument=instrument,
        organisation_id=booking.organisation_id,
        category=booking.user_category,
        kind=kind,
        minutes=minutes,
        staff_operated=booking.mode == BookingMode.STAFF_OPERATED.value,
        sample_count=booking.sample_count,
        service_start=booking.start_at,
        share=share,
        voucher_max_share=Decimal(policy.voucher_max_share),
    )


async def cancel_booking(
    session: AsyncSession, user: AppUser, booking_id: uuid.UUID, *, now: datetime
) -> Booking:
    """Cancel before the start; inside the window the booker pays the late-cancellation share."""
    booking, instrument = await get_booking(session, user, booking_id, for_update=True)
    if booking.status not in (BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value):
        raise Conflict(f"A {booking.status} booking cannot be cancelled")
    if booking.start_at <= now:
        raise Conflict("The booking has started; ask the lab to close it instead")
    policy = await BookingRepository(session).policy(instrument.id)
    staff = is_staff_of(user, instrument)
    late = booking.start_at - now < timedelta(hours=policy.cancellation_window_hours)
    if late and not staff and booking.status == BookingStatus.CONFIRMED.value:
        await charge_booking_use(
            session,
            booking,
            instrument,
            policy,
            ChargeKind.LATE_CANCELLATION,
            minutes_between(booking.start_at, booking.end_at),
            Decimal(policy.late_cancellation_share),
        )
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at, booking.cancelled_by = now, user.id
    session.add(booking)
    await session.flush()
    if staff and booking.user_id != user.id:
        await notify(
            session,
            user_ids=[booking.user_id],
            kind="booking_cancelled",
            title=f"预约已被实验室取消 Booking cancelled by the lab: {instrument.name}",
            body=f"{instrument.name} {booking.start_at.isoformat()} 的预约已取消。",
            data={"booking_id": booking.id},
        )
    await offer_freed(session, instrument.id, booking.start_at, booking.end_at, now=now)
    return booking


async def decide(
    session: AsyncSession,
    user: AppUser,
    booking_id: uuid.UUID,
    *,
    approve: bool,
    now: datetime,
    reason: str | None = None,
) -> Booking:
    """Approve a pending booking, or reject it with a reason its booker is told.

    An approval is refused (409, ``code`` ``booking_approval_unusable``) when the instrument
    cannot serve the booked time: out of service, calibration expired, maintenance, a blackout.
    """
    booking, instrument = await get_booking(session, user, booking_id, for_update=True)
    if not is_staff_of(user, instrument):
        raise Forbidden("Only the lab's staff approve bookings")
    if booking.status != BookingStatus.PENDING.value:
        raise Conflict(f"The booking is {booking.status}, not pending")
    if approve:
        try:
            await check_usable(session, instrument.id, booking.start_at, booking.end_at)
        except InstrumentUnusable as exc:
            raise ApprovalRefused(
                f"Cannot approve: {exc.detail}",
                extensions={**exc.extensions, "code": APPROVAL_UNUSABLE_CODE},
            ) from exc
    elif not (reason or "").strip():
        raise ValidationFailed.for_field("reason", "give the booker a reason for the rejection")
    booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.REJECTED
    booking.decided_by, booking.decided_at = user.id, now
    booking.decision_reason = None if approve else (reason or "").strip()
    session.add(booking)
    await session.flush()
    tz = ZoneInfo((await BookingRepository(session).policy(instrument.id)).timezone)
    when = f"{booking.start_at.astimezone(tz):%Y-%m-%d %H:%M}"
    if approve:
        title = f"预约已批准 Booking approved: {instrument.name} {when}"
        body = f"{instrument.name} {when} 的预约已批准。"
    else:
        title = f"预约未批准 Booking rejected: {instrument.name} {when}"
        body = (
            f"{instrument.name} {when} 的预约未批准。原因：{booking.decision_reason}\n"
            f"Your booking of {instrument.name_en or instrument.name} at {when} was rejected. "
            f"Reason: {booking.decision_reason}"
        )
    await notify(
        session,
        user_ids=[booking.user_id],
        kind="booking_approved" if approve else "booking_rejected",
        title=title,
        body=body,
        data={"booking_id": booking.id, "reason": booking.decision_reason},
    )
    if not approve:
        await offer_freed(session, instrument.id, booking.start_at, booking.end_at, now=now)
    return booking


async def check_in(
    session: AsyncSession, user: AppUser, booking_id: uuid.UUID, *, now: datetime
) -> Booking:
    booking, _ = await get_booking(session, user, booking_id, for_update=True)
    if booking.status != BookingStatus.CONFIRMED.value:
        raise Conflict(f"A {booking.status} booking cannot be checked in")
    if not booking.start_at - CHECK_IN_EARLY <= now < booking.end_at:
        raise Conflict("Check-in opens 15 minutes before the booked start and closes at its end")
    await mark_checked_in(session, booking, max(now, booking.start_at), "manual")
    session.add(booking)
    await session.flush()
    return booking


async def mark_checked_in(
    session: AsyncSession, booking: Booking, at: datetime, source: str
) -> None:
    booking.status = BookingStatus.CHECKED_IN
    booking.checked_in_at = at
    booking.check_in_source = source
    if booking.mode == BookingMode.SELF_OPERATED.value:
        await record_operator_use(session, booking.user_id, booking.instrument_id, at)


async def running_start_in_window(
    session: AsyncSession, booking: Booking, now: datetime
) -> datetime | None:
    """When the instrument started running inside the booked window (None: not yet / unknown)."""
    upper = min(now, booking.end_at)
    if upper <= booking.start_at - CHECK_IN_EARLY:
        return None
    spans = await running_spans(
        session, booking.instrument_id, booking.start_at - CHECK_IN_EARLY, upper
    )
    if not spans:
        return None
    for span in spans:
        if span.state == "running" and (
            span.end is None or span.end > booking.start_at - CHECK_IN_EARLY
        ):
            return max(span.start, booking.start_at)
    return None


async def mark_no_show(
    session: AsyncSession, user: AppUser, booking_id: uuid.UUID, *, now: datetime
) -> Booking:
    booking, instrument = await get_booking(session, user, booking_id, for_update=True)
    if not is_staff_of(user, instrument):
        raise Forbidden("Only the lab's staff record no-shows")
    if booking.status != BookingStatus.CONFIRMED.value or booking.start_at > now:
        raise Conflict("Only a started, unchecked booking can be a no-show")
    await release_no_show(session, booking, instrument, now)
    return booking


async def release_no_show(
    session: AsyncSession, booking: Booking, instrument: Instrument, now: datetime
) -> None:
    policy = await BookingRepository(session).policy(instrument.id)
    booking.status = BookingStatus.NO_SHOW
    session.add(booking)
    await session.flush()
    # No-shows are billed, not deleted (docs/domain-rules.md §5).
    result = await charge_booking_use(
        session,
        booking,
        instrument,
        policy,
        ChargeKind.NO_SHOW,
        minutes_between(booking.start_at, booking.end_at),
        Decimal(policy.no_show_share),
    )
    await notify(
        session,
        user_ids=[booking.user_id],
        kind="no_show",
        title=f"未到场，预约已释放 No-show, booking released: {instrument.name}",
        body=f"未在开始后 {policy.no_show_release_minutes} 分钟内签到；按规定收取 ¥{result.charge.amount}。",
        data={"booking_id": booking.id, "charge": str(result.charge.amount)},
    )
    if booking.end_at > now:
        await offer_freed(session, instrument.id, now, booking.end_at, now=now)


async def accept_offer(
    session: AsyncSession, user: AppUser, entry_id: uuid.UUID, *, now: datetime
) -> Booking:
    entry = await session.get(WaitlistEntry, entry_id, with_for_update=True)
    if entry is None or entry.user_id != user.id:
        raise NotFound(f"Waitlist entry {entry_id} not found")
    if entry.status != WaitlistStatus.OFFERED.value or (
        entry.offer_expires_at is not None and entry.offer_expires_at < now
    ):
        raise Conflict("There is no open offer on this waitlist entry")
    booking = await create_booking(
        session,
        user,
        BookingCreate(
            instrument_id=entry.instrument_id,
            start_at=entry.start_at,
            end_at=entry.end_at,
            mode=BookingMode(entry.mode),
            sample_count=1 if entry.mode == BookingMode.STAFF_OPERATED.value else 0,
        ),
        now=now,
    )
    entry.status, entry.booking_id = WaitlistStatus.ACCEPTED, booking.id
    session.add(entry)
    await session.flush()
    return booking


async def reschedule_booking(
    session: AsyncSession,
    user: AppUser,
    booking_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
) -> Booking:
    """Move the booker's own booking to another time on the same instrument: the old booking is
    cancelled and a new one made, with every rule of a new booking (quota, mode, grid, approval),
    in one transaction; a refusal leaves the old booking as it was. Free before the cancellation
    window; inside it the booker cancels (paying the late share) instead."""
    booking, instrument = await get_booking(session, user, booking_id, for_update=True)
    if booking.user_id != user.id:
        raise Forbidden("Only the booker reschedules a booking")
    if booking.status not in (BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value):
        raise Conflict(f"A {booking.status} booking cannot be rescheduled")
    if booking.start_at <= now:
        raise Conflict("The booking has started; ask the lab to close it instead")
    policy = await BookingRepository(session).policy(instrument.id)
    window = timedelta(hours=policy.cancellation_window_hours)
    if booking.start_at - now < window:
        raise Conflict(
            f"Less than {policy.cancellation_window_hours} h before the start a booking cannot "
            "be moved; cancel it instead",
            extensions={
                "code": RESCHEDULE_TOO_LATE_CODE,
                "hours": policy.cancellation_window_hours,
            },
        )
    old_start, old_end = booking.start_at, booking.end_at
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at, booking.cancelled_by = now, user.id
    session.add(booking)
    await session.flush()
    moved = await create_booking(
        session,
        user,
        BookingCreate(
            instrument_id=instrument.id,
            start_at=start,
            end_at=end,
            mode=BookingMode(booking.mode),
            sample_count=booking.sample_count,
            test_items=list(booking.test_items),
            purpose=booking.purpose,
        ),
        now=now,
        series_id=booking.series_id,
    )
    await offer_freed(session, instrument.id, old_start, old_end, now=now)
    return moved
