"""Booking rules: who may book what, when; the lifecycle of a booking; the jobs that move it.

Correctness never rests on the checks here: overlapping bookings are refused by the
database's exclusion constraint (SQLSTATE 23P01), which this module turns into a 409
problem naming the conflicting slot. The checks before the insert only make the message
friendlier and cover what the database cannot know (opening hours, calibration, quotas).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import INSTITUTION_ROLES, AppUser, Role
from server.auth.tenancy import is_enterprise, is_platform_admin, may_see_organisation
from server.billing import service as billing
from server.billing.fees import Quote
from server.billing.models import ChargeKind
from server.booking.errors import InstrumentUnusable, QuotaExceeded, SlotTaken
from server.booking.integrations import (
    blocked_spans,
    is_operator_authorised,
    record_operator_use,
    running_spans,
)
from server.booking.intervals import weekly_open_intervals
from server.booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingMode,
    BookingPolicy,
    BookingStatus,
    ChargeBasis,
    WaitlistEntry,
    WaitlistStatus,
)
from server.booking.opening_hours import Hours
from server.booking.repository import BookingRepository
from server.booking.schemas import BookingCreate, BulkAction, OccurrenceResult, WaitlistCreate
from server.catalog.models import Instrument
from server.catalog.repository import InstrumentRepository
from server.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.notifications.service import notify

__all__ = [
    "CHECK_IN_EARLY",
    "JobReport",
    "accept_offer",
    "bulk_action",
    "cancel_booking",
    "check_in",
    "check_slot_rules",
    "complete_finished",
    "create_booking",
    "create_series",
    "decide",
    "expire_offers",
    "expire_unapproved",
    "flag_unusable",
    "get_booking",
    "join_waitlist",
    "list_bookings",
    "mark_no_show",
    "quote_booking",
    "release_no_shows",
    "run_jobs",
    "send_reminders",
]

logger = logging.getLogger(__name__)

CHECK_IN_EARLY = timedelta(minutes=15)
MAX_OCCURRENCES = 100
# After the booked end, how long a still-running instrument may go on before the use is
# closed anyway (an over-run longer than this is recorded up to this point).
OVERRUN_CAP = timedelta(hours=4)
_ACTIVE = {s.value for s in ACTIVE_STATUSES}
# pg_advisory lock key of the booking jobs ("labshare booking jobs" folded to 63 bits).
JOBS_LOCK_KEY = 0x6C61_6273_6A6F_6273


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


async def _instrument(session: AsyncSession, user: AppUser, instrument_id: uuid.UUID) -> Instrument:
    """An instrument the user may book: open ones for everybody, any of one's own institution."""
    instrument = await InstrumentRepository(session).get(instrument_id)
    if instrument is None or not (
        instrument.is_open or may_see_organisation(user, instrument.organisation_id)
    ):
        raise NotFound(f"Instrument {instrument_id} not found")
    return instrument


async def _staff_ids(session: AsyncSession, institution_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.exec(
        select(AppUser.id).where(
            AppUser.organisation_id == institution_id,
            col(AppUser.role).in_([Role.LAB_STAFF.value, Role.LAB_MANAGER.value]),
            col(AppUser.is_active),
        )
    )
    return list(rows.all())


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def check_slot_rules(
    policy: BookingPolicy,
    hours: Hours,
    start: datetime,
    end: datetime,
    now: datetime,
) -> None:
    """Duration, slot grid, lead time, furthest date and opening hours (the instrument record's);
    422 naming the field."""
    tz = ZoneInfo(policy.timezone)
    minutes = _minutes(start, end)
    if minutes < policy.min_duration_minutes:
        raise ValidationFailed.for_field(
            "end_at", f"a booking lasts at least {policy.min_duration_minutes} minutes"
        )
    if minutes > policy.max_duration_minutes:
        raise ValidationFailed.for_field(
            "end_at", f"a booking lasts at most {policy.max_duration_minutes} minutes"
        )
    step = timedelta(minutes=policy.slot_minutes)
    for field, moment in (("start_at", start), ("end_at", end)):
        local = moment.astimezone(tz)
        if (local - datetime.combine(local.date(), time(0), tz)) % step:
            raise ValidationFailed.for_field(
                field, f"must be on the {policy.slot_minutes}-minute slot grid"
            )
    if start < now + timedelta(minutes=policy.lead_time_minutes):
        raise ValidationFailed.for_field(
            "start_at", f"book at least {policy.lead_time_minutes} minutes ahead"
        )
    if end > now + timedelta(days=policy.horizon_days):
        raise ValidationFailed.for_field(
            "end_at", f"bookings open at most {policy.horizon_days} days ahead"
        )
    first_day = start.astimezone(tz).date()
    days = (end.astimezone(tz).date() - first_day).days + 1
    periods = weekly_open_intervals(
        hours,
        policy.timezone,
        first_day,
        days,
    )
    if not any(s <= start and end <= e for s, e in periods):
        raise ValidationFailed.for_field("start_at", "outside the instrument's opening hours")


async def _check_usable(
    session: AsyncSession,
    instrument_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    blackouts: Sequence[tuple[datetime, datetime, str]] | None = None,
) -> None:
    """Blackouts (read here unless the caller has them) and the registry's blocks."""
    if blackouts is None:
        rows = await BookingRepository(session).blackouts([instrument_id], start, end)
        blackouts = sorted((b.start_at, b.end_at, b.reason) for b in rows.get(instrument_id, ()))
    for blackout_start, blackout_end, reason in blackouts:
        raise InstrumentUnusable(
            f"The instrument is closed from {blackout_start.isoformat()} to "
            f"{blackout_end.isoformat()}: {reason or 'blackout'}",
            extensions={"reason": "blackout"},
        )
    spans = await blocked_spans(session, [instrument_id], start, end)
    for span in spans.get(instrument_id, ()):
        if span.start < end and span.end > start:
            raise InstrumentUnusable(
                f"{span.detail} ({span.reason}, from {span.start.isoformat()})",
                extensions={"reason": span.reason, "blocked_from": span.start.isoformat()},
            )


def _week_start(moment: datetime, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), tz)


def _month_start(moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    local = moment.astimezone(tz).date().replace(day=1)
    following = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(local, time(0), tz), datetime.combine(following, time(0), tz)


async def _check_quota(
    session: AsyncSession,
    policy: BookingPolicy,
    organisation_id: uuid.UUID,
    start: datetime,
    end: datetime,
) -> None:
    tz = ZoneInfo(policy.timezone)
    repo = BookingRepository(session)
    wanted = _minutes(start, end)
    windows = []
    if policy.quota_hours_per_week is not None:
        week = _week_start(start, tz)
        windows.append(("week", policy.quota_hours_per_week, week, week + timedelta(days=7)))
    if policy.quota_hours_per_month is not None:
        month, following = _month_start(start, tz)
        windows.append(("month", policy.quota_hours_per_month, month, following))
    for period, quota_hours, w_start, w_end in windows:
        used = await repo.booked_minutes(organisation_id, policy.instrument_id, w_start, w_end)
        inside = _minutes(max(start, w_start), min(end, w_end))
        if Decimal(used + inside) > Decimal(quota_hours) * 60:
            raise QuotaExceeded(
                f"Your organisation may book {Decimal(quota_hours).normalize():f} h per {period} on this instrument; "
                f"{used} min are booked and this booking needs {wanted} min",
                extensions={
                    "period": period,
                    "quota_hours": str(quota_hours),
                    "used_minutes": used,
                },
            )


async def _check_mode(
    session: AsyncSession,
    user: AppUser,
    instrument: Instrument,
    policy: BookingPolicy,
    mode: BookingMode,
    at: datetime,
) -> None:
    if mode is BookingMode.STAFF_OPERATED:
        if not policy.staff_operated_allowed:
            raise ValidationFailed.for_field("mode", "this instrument offers no sample testing")
        return
    if not policy.self_operated_allowed:
        raise ValidationFailed.for_field("mode", "this instrument is operated by staff only")
    if is_staff_of(user, instrument):
        return
    authorised = await is_operator_authorised(session, user.id, instrument.id, at)
    if not authorised:
        raise ValidationFailed.for_field(
            "mode",
            "self-operated time needs a valid operator authorisation on this instrument; "
            "book staff-operated sample testing instead",
        )


def _slot_conflict(
    instrument_id: uuid.UUID, clashes: Sequence[tuple[datetime, datetime]]
) -> SlotTaken:
    slots = [{"start_at": s.isoformat(), "end_at": e.isoformat()} for s, e in clashes]
    when = ", ".join(f"{s['start_at']} – {s['end_at']}" for s in slots) or "a concurrent booking"
    return SlotTaken(
        f"The instrument is already booked at {when}",
        extensions={"instrument_id": str(instrument_id), "conflicting_slots": slots},
    )


async def quote_booking(
    session: AsyncSession, user: AppUser, data: BookingCreate
) -> tuple[Quote, BookingPolicy]:
    instrument = await _instrument(session, user, data.instrument_id)
    policy = await BookingRepository(session).policy(instrument.id)
    q = await billing.quote_for(
        session,
        instrument.id,
        category=billing.category_for(user, instrument).value,
        minutes=_minutes(data.start_at, data.end_at),
        staff_operated=data.mode is BookingMode.STAFF_OPERATED,
        sample_count=data.sample_count,
    )
    return q, policy


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
    context = await repo.booking_context(data.instrument_id, start, end)
    if context is None or not (
        context.instrument.is_open or may_see_organisation(user, context.instrument.organisation_id)
    ):
        raise NotFound(f"Instrument {data.instrument_id} not found")
    instrument, policy = context.instrument, context.policy
    check_slot_rules(policy, context.hours, start, end, now)
    await _check_mode(session, user, instrument, policy, data.mode, start)
    await _check_usable(session, instrument.id, start, end, blackouts=context.blackouts)
    staff = is_staff_of(user, instrument)
    if not staff:
        await _check_quota(session, policy, user.organisation_id, start, end)
    if context.clashes:
        raise _slot_conflict(instrument.id, context.clashes)

    category = billing.category_for(user, instrument).value
    q = billing.quote_with(
        context.cost_model,
        context.factors,
        category=category,
        minutes=_minutes(start, end),
        staff_operated=data.mode is BookingMode.STAFF_OPERATED,
        sample_count=data.sample_count,
    )
    pending = policy.approval_required and not staff
    candidate = Booking(
        instrument_id=instrument.id,
        organisation_id=user.organisation_id,
        user_id=user.id,
        start_at=start,
        end_at=end,
        status=(BookingStatus.PENDING if pending else BookingStatus.CONFIRMED).value,
        mode=data.mode.value,
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
        raise _slot_conflict(instrument.id, [(b.start_at, b.end_at) for b in taken])

    when = f"{start.astimezone(ZoneInfo(policy.timezone)):%Y-%m-%d %H:%M}"
    if pending:
        await notify(
            session,
            user_ids=await _staff_ids(session, instrument.organisation_id),
            kind="approval_request",
            title=f"预约待审批 Booking awaiting approval: {instrument.name} {when}",
            body=f"{user.full_name} 申请预约 {instrument.name}（{when}，{_minutes(start, end)} 分钟）。",
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


async def _charge(
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
        await _charge(
            session,
            booking,
            instrument,
            policy,
            ChargeKind.LATE_CANCELLATION,
            _minutes(booking.start_at, booking.end_at),
            Decimal(policy.late_cancellation_share),
        )
    booking.status = BookingStatus.CANCELLED.value
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
    session: AsyncSession, user: AppUser, booking_id: uuid.UUID, *, approve: bool, now: datetime
) -> Booking:
    booking, instrument = await get_booking(session, user, booking_id, for_update=True)
    if not is_staff_of(user, instrument):
        raise Forbidden("Only the lab's staff approve bookings")
    if booking.status != BookingStatus.PENDING.value:
        raise Conflict(f"The booking is {booking.status}, not pending")
    booking.status = (BookingStatus.CONFIRMED if approve else BookingStatus.REJECTED).value
    booking.decided_by, booking.decided_at = user.id, now
    session.add(booking)
    await session.flush()
    verdict = "已批准 approved" if approve else "未批准 rejected"
    await notify(
        session,
        user_ids=[booking.user_id],
        kind="booking_approved" if approve else "booking_rejected",
        title=f"预约{verdict}: {instrument.name}",
        body=f"{instrument.name} {booking.start_at.isoformat()} 的预约{verdict}。",
        data={"booking_id": booking.id},
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
    await _checked_in(session, booking, max(now, booking.start_at), "manual")
    session.add(booking)
    await session.flush()
    return booking


async def _checked_in(session: AsyncSession, booking: Booking, at: datetime, source: str) -> None:
    booking.status = BookingStatus.CHECKED_IN.value
    booking.checked_in_at = at
    booking.check_in_source = source
    if booking.mode == BookingMode.SELF_OPERATED.value:
        await record_operator_use(session, booking.user_id, booking.instrument_id, at)


async def _running_start(session: AsyncSession, booking: Booking, now: datetime) -> datetime | None:
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
    await _release(session, booking, instrument, now)
    return booking


async def _release(
    session: AsyncSession, booking: Booking, instrument: Instrument, now: datetime
) -> None:
    policy = await BookingRepository(session).policy(instrument.id)
    booking.status = BookingStatus.NO_SHOW.value
    session.add(booking)
    await session.flush()
    # No-shows are billed, not deleted (docs/domain-rules.md §5).
    result = await _charge(
        session,
        booking,
        instrument,
        policy,
        ChargeKind.NO_SHOW,
        _minutes(booking.start_at, booking.end_at),
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


# ---------------------------------------------------------------- waitlist


async def join_waitlist(
    session: AsyncSession, user: AppUser, data: WaitlistCreate, *, now: datetime
) -> WaitlistEntry:
    instrument = await _instrument(session, user, data.instrument_id)
    if data.end_at <= data.start_at or data.start_at <= now:
        raise ValidationFailed.for_field("start_at", "the wished slot must lie in the future")
    if not await BookingRepository(session).overlapping(instrument.id, data.start_at, data.end_at):
        raise ValidationFailed.for_field("start_at", "this slot is free: book it directly")
    entry = WaitlistEntry(
        instrument_id=instrument.id,
        organisation_id=user.organisation_id,
        user_id=user.id,
        start_at=data.start_at,
        end_at=data.end_at,
        mode=data.mode.value,
    )
    session.add(entry)
    await session.flush()
    return entry


async def offer_freed(
    session: AsyncSession,
    instrument_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
) -> list[WaitlistEntry]:
    """Offer a freed interval to the oldest waiting entries whose wished slot is now free."""
    repo = BookingRepository(session)
    policy = await repo.policy(instrument_id)
    offered: list[WaitlistEntry] = []
    for entry in await repo.waiting_for(instrument_id, start, end):
        if entry.start_at <= now or any(
            o.start_at < entry.end_at and entry.start_at < o.end_at for o in offered
        ):
            continue
        if await repo.overlapping(instrument_id, entry.start_at, entry.end_at):
            continue
        entry.status = WaitlistStatus.OFFERED.value
        entry.offered_at = now
        entry.offer_expires_at = min(
            now + timedelta(minutes=policy.waitlist_offer_minutes), entry.start_at
        )
        session.add(entry)
        offered.append(entry)
        await notify(
            session,
            user_ids=[entry.user_id],
            kind="waitlist_offer",
            title="候补时段已空出 A slot you waited for is free",
            body=f"{entry.start_at.isoformat()} – {entry.end_at.isoformat()}，"
            f"请在 {entry.offer_expires_at.isoformat()} 前确认。",
            data={"waitlist_entry_id": entry.id, "instrument_id": instrument_id},
        )
    await session.flush()
    return offered


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
    entry.status, entry.booking_id = WaitlistStatus.ACCEPTED.value, booking.id
    session.add(entry)
    await session.flush()
    return booking


async def expire_offers(session: AsyncSession, now: datetime) -> int:
    rows = await session.exec(
        select(WaitlistEntry).where(
            WaitlistEntry.status == WaitlistStatus.OFFERED.value,
            col(WaitlistEntry.offer_expires_at) < now,
        )
    )
    expired = list(rows.all())
    for entry in expired:
        entry.status = WaitlistStatus.EXPIRED.value
        session.add(entry)
    await session.flush()
    for entry in expired:
        await offer_freed(session, entry.instrument_id, entry.start_at, entry.end_at, now=now)
    return len(expired)


# ---------------------------------------------------------------- recurring


async def create_series(
    session: AsyncSession, user: AppUser, data: BookingCreate, rule: str, *, now: datetime
) -> tuple[uuid.UUID, list[OccurrenceResult]]:
    """Book every occurrence of an RRULE that can be booked; report each one."""
    instrument = await _instrument(session, user, data.instrument_id)
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


# ---------------------------------------------------------------- staff bulk actions


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
            booking.status = BookingStatus.CANCELLED.value
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
            out.append(BulkOutcome(booking_id, "cancelled", action.reason, booking))
            continue
        shift = timedelta(minutes=action.shift_minutes or 0)
        new_start, new_end = booking.start_at + shift, booking.end_at + shift
        try:
            await _check_usable(session, instrument.id, new_start, new_end)
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
        out.append(BulkOutcome(booking_id, "rescheduled", new_start.isoformat(), booking))
    return out


# ---------------------------------------------------------------- background jobs


@dataclass(slots=True)
class JobReport:
    checked_in: int = 0
    no_shows: int = 0
    completed: int = 0
    reminders: int = 0
    flagged: int = 0
    offers_expired: int = 0
    expired_requests: int = 0


async def _instruments(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Instrument]:
    if not ids:
        return {}
    rows = await session.exec(select(Instrument).where(col(Instrument.id).in_(ids)))
    return {i.id: i for i in rows}


async def release_no_shows(session: AsyncSession, now: datetime) -> tuple[int, int]:
    """Check in from telemetry where the instrument runs; release the rest after the grace time."""
    repo = BookingRepository(session)
    started = await repo.with_status(
        [BookingStatus.CONFIRMED.value], start_before=now + CHECK_IN_EARLY
    )
    instruments = await _instruments(session, {b.instrument_id for b in started})
    checked_in = released = 0
    for booking in started:
        running_from = await _running_start(session, booking, now)
        if running_from is not None:
            await _checked_in(session, booking, running_from, "telemetry")
            session.add(booking)
            checked_in += 1
            continue
        policy = await repo.policy(booking.instrument_id)
        if now >= booking.start_at + timedelta(minutes=policy.no_show_release_minutes):
            await _release(session, booking, instruments[booking.instrument_id], now)
            released += 1
    await session.flush()
    return checked_in, released


async def expire_unapproved(session: AsyncSession, now: datetime) -> int:
    """A request nobody approved before its start is rejected, freeing the slot's record."""
    rows = await BookingRepository(session).with_status(
        [BookingStatus.PENDING.value], start_before=now
    )
    for booking in rows:
        booking.status = BookingStatus.REJECTED.value
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
    instruments = await _instruments(session, {b.instrument_id for b in finished})
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
                _minutes(
                    max(s.start, window_start - CHECK_IN_EARLY),
                    min(s.end or window_end, window_end),
                )
                for s in running
            )
        else:
            # No telemetry for this instrument: the checked-in time up to the booked end.
            actual_start, actual_end = window_start, booking.end_at
            minutes = _minutes(actual_start, actual_end)
        booking.actual_start_at, booking.actual_end_at = actual_start, actual_end
        booking.actual_minutes = max(minutes, 0)
        booking.overrun_minutes = max(_minutes(booking.end_at, actual_end), 0)
        booking.status = BookingStatus.COMPLETED.value
        session.add(booking)
        await session.flush()
        policy = await repo.policy(booking.instrument_id)
        booked = _minutes(booking.start_at, booking.end_at)
        charged = (
            booking.actual_minutes
            if policy.charge_basis == ChargeBasis.ACTUAL.value
            else booked + booking.overrun_minutes
        )
        instrument = instruments[booking.instrument_id]
        result = await _charge(
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
                user_ids=await _staff_ids(session, instrument.organisation_id),
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
    instruments = await _instruments(session, {b.instrument_id for b in bookings})
    for booking in bookings:
        instrument = instruments[booking.instrument_id]
        local = booking.start_at.astimezone(ZoneInfo("Asia/Shanghai"))
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
    instruments = await _instruments(session, set(ids))
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
            user_ids=[booking.user_id, *await _staff_ids(session, instrument.organisation_id)],
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
