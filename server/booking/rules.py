"""Booking rules checked before a booking is stored: slot grid, usability, quotas, mode.

Correctness never rests on these checks: overlapping bookings are refused by the database's
exclusion constraint (SQLSTATE 23P01); the checks make the message friendlier and cover what
the database cannot know (opening hours, calibration, quotas)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.booking.access import is_staff_of
from server.booking.errors import (
    BEYOND_HORIZON_CODE,
    DURATION_TOO_LONG_CODE,
    DURATION_TOO_SHORT_CODE,
    INSIDE_LEAD_TIME_CODE,
    OFF_SLOT_GRID_CODE,
    OPERATOR_AUTHORISATION_CODE,
    OUTSIDE_OPENING_HOURS_CODE,
    SELF_OPERATED_NOT_OFFERED_CODE,
    STAFF_OPERATED_NOT_OFFERED_CODE,
    InstrumentUnusable,
    QuotaExceeded,
    SlotTaken,
)
from server.booking.integrations import (
    blocked_spans,
    is_operator_authorised,
)
from server.booking.intervals import weekly_open_intervals
from server.booking.models import (
    BookingMode,
    BookingPolicy,
)
from server.booking.opening_hours import Hours
from server.booking.repository import BookingRepository
from server.catalog.models import Instrument
from server.core.errors import ValidationFailed

__all__ = [
    "check_mode",
    "check_quota",
    "check_slot_rules",
    "check_usable",
    "minutes_between",
    "slot_conflict",
]

logger = logging.getLogger(__name__)


def minutes_between(start: datetime, end: datetime) -> int:
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
    minutes = minutes_between(start, end)
    if minutes < policy.min_duration_minutes:
        raise ValidationFailed.for_field(
            "end_at",
            f"a booking lasts at least {policy.min_duration_minutes} minutes",
            code=DURATION_TOO_SHORT_CODE,
        )
    if minutes > policy.max_duration_minutes:
        raise ValidationFailed.for_field(
            "end_at",
            f"a booking lasts at most {policy.max_duration_minutes} minutes",
            code=DURATION_TOO_LONG_CODE,
        )
    step = timedelta(minutes=policy.slot_minutes)
    for field, moment in (("start_at", start), ("end_at", end)):
        local = moment.astimezone(tz)
        if (local - datetime.combine(local.date(), time(0), tz)) % step:
            raise ValidationFailed.for_field(
                field,
                f"must be on the {policy.slot_minutes}-minute slot grid",
                code=OFF_SLOT_GRID_CODE,
            )
    if start < now + timedelta(minutes=policy.lead_time_minutes):
        raise ValidationFailed.for_field(
            "start_at",
            f"book at least {policy.lead_time_minutes} minutes ahead",
            code=INSIDE_LEAD_TIME_CODE,
        )
    if end > now + timedelta(days=policy.horizon_days):
        raise ValidationFailed.for_field(
            "end_at",
            f"bookings open at most {policy.horizon_days} days ahead",
            code=BEYOND_HORIZON_CODE,
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
        raise ValidationFailed.for_field(
            "start_at",
            "outside the instrument's opening hours",
            code=OUTSIDE_OPENING_HOURS_CODE,
        )


async def check_usable(
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


async def check_quota(
    session: AsyncSession,
    policy: BookingPolicy,
    organisation_id: uuid.UUID,
    start: datetime,
    end: datetime,
) -> None:
    tz = ZoneInfo(policy.timezone)
    repo = BookingRepository(session)
    wanted = minutes_between(start, end)
    windows = []
    if policy.quota_hours_per_week is not None:
        week = _week_start(start, tz)
        windows.append(("week", policy.quota_hours_per_week, week, week + timedelta(days=7)))
    if policy.quota_hours_per_month is not None:
        month, following = _month_start(start, tz)
        windows.append(("month", policy.quota_hours_per_month, month, following))
    for period, quota_hours, w_start, w_end in windows:
        used = await repo.booked_minutes(organisation_id, policy.instrument_id, w_start, w_end)
        inside = minutes_between(max(start, w_start), min(end, w_end))
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


async def check_mode(
    session: AsyncSession,
    user: AppUser,
    instrument: Instrument,
    policy: BookingPolicy,
    mode: BookingMode,
    at: datetime,
) -> None:
    if mode is BookingMode.STAFF_OPERATED:
        if not policy.staff_operated_allowed:
            raise ValidationFailed.for_field(
                "mode",
                "this instrument offers no sample testing",
                code=STAFF_OPERATED_NOT_OFFERED_CODE,
            )
        return
    if not policy.self_operated_allowed:
        raise ValidationFailed.for_field(
            "mode",
            "this instrument is operated by staff only",
            code=SELF_OPERATED_NOT_OFFERED_CODE,
        )
    if is_staff_of(user, instrument):
        return
    authorised = await is_operator_authorised(session, user.id, instrument.id, at)
    if not authorised:
        raise ValidationFailed.for_field(
            "mode",
            "self-operated time needs a valid operator authorisation on this instrument; "
            "book staff-operated sample testing instead",
            code=OPERATOR_AUTHORISATION_CODE,
        )


def slot_conflict(
    instrument_id: uuid.UUID, clashes: Sequence[tuple[datetime, datetime]]
) -> SlotTaken:
    slots = [{"start_at": s.isoformat(), "end_at": e.isoformat()} for s, e in clashes]
    when = ", ".join(f"{s['start_at']} – {s['end_at']}" for s in slots) or "a concurrent booking"
    return SlotTaken(
        f"The instrument is already booked at {when}",
        extensions={"instrument_id": str(instrument_id), "conflicting_slots": slots},
    )
