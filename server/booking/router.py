"""``/api/v1/availability``, ``/api/v1/bookings``, ``/api/v1/waitlist`` and booking policies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import col, select

from server.audit.trail import add_audited, audit, snapshot
from server.auth.dependencies import CurrentUser
from server.auth.tenancy import is_enterprise, may_manage_organisation
from server.billing.models import Charge
from server.billing.schemas import ChargeOut
from server.billing.service import quote_json
from server.booking import access, bulk, jobs, lifecycle, operators, review, series, waitlist
from server.booking.availability import availability
from server.booking.models import Blackout, BookingPolicy, WaitlistEntry, WaitlistStatus
from server.booking.opening_hours import from_record, to_record
from server.booking.repository import BookingRepository
from server.booking.schemas import (
    AvailabilityOut,
    BlackoutCreate,
    BlackoutOut,
    BlockedOut,
    BookingCreate,
    BookingOut,
    BookingSessionOut,
    BulkAction,
    BulkResult,
    DetailedBookingOut,
    ListedBookingOut,
    OpeningHoursIn,
    OperatorCandidate,
    PolicyIn,
    PolicyOut,
    RejectBody,
    RescheduleBody,
    SeriesCreate,
    SeriesResult,
    Slot,
    UnavailableOut,
    WaitlistCreate,
    WaitlistOut,
)
from server.booking.session import booking_session
from server.catalog import service as catalog
from server.catalog.models import Instrument
from server.core.booking_status import BookingStatus
from server.core.db import SessionDep
from server.core.errors import Forbidden, NotFound, ValidationFailed, problem_responses
from server.registry import service as registry
from server.registry.schemas import InstrumentRecordUpdate

__all__ = ["router"]

router = APIRouter(tags=["booking"])

MAX_WINDOW = timedelta(days=120)


def _now() -> datetime:
    return datetime.now(UTC)


class BookingRefusalFieldError(BaseModel):
    field: str
    message: str


class BookingRefusal(BaseModel):
    """A problem ``POST /bookings`` would answer this request with now: the same problem details
    (without ``instance``), with its stable ``code`` and extension members (``reason`` and
    ``blocked_from``; ``period``, ``quota_hours`` and ``used_minutes``; ``conflicting_slots``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    code: str
    title: str
    status: int
    detail: str
    # A 422's offending fields (start_at, end_at, mode).
    errors: list[BookingRefusalFieldError] = Field(default_factory=list)


class QuoteOut(BaseModel):
    instrument_id: uuid.UUID
    category: str
    factor: Decimal
    minutes: int
    # The published fee per hour for this category and mode, and its cost lines.
    hourly_fee: Decimal
    hourly_lines: list[dict[str, Any]]
    # What is charged: time at the hourly fee (rounded half up to the fen), samples.
    lines: list[dict[str, Any]]
    total: Decimal
    approval_required: bool
    charge_basis: str
    voucher_max_share: Decimal
    no_show_share: Decimal
    late_cancellation_share: Decimal
    cancellation_window_hours: int
    # What booking this would be refused with now, in the order the booking checks them (the
    # first is the one it answers); empty when it would pass. The quote above stands either way.
    refusals: list[BookingRefusal]


@router.get("/availability", response_model=list[AvailabilityOut])
async def get_availability(
    session: SessionDep,
    user: CurrentUser,
    start: AwareDatetime,
    end: AwareDatetime,
    instrument_id: Annotated[list[uuid.UUID] | None, Query()] = None,
) -> list[AvailabilityOut]:
    """Free slots per instrument, and why the rest of the window is not free (``unavailable``);
    without ``instrument_id`` every bookable instrument the user sees."""
    if end <= start or end - start > MAX_WINDOW:
        raise ValidationFailed.for_field("end", "the window must be positive and at most 120 days")
    visible = await catalog.list_instruments(session, user)
    allowed = {i.id for i in visible}
    ids = list(instrument_id) if instrument_id else [i.id for i in visible]
    for i in ids:
        if i not in allowed:
            raise NotFound(f"Instrument {i} not found")
    result = await availability(session, ids, start, end, now=_now())
    return [
        AvailabilityOut(
            instrument_id=a.instrument_id,
            free=[Slot(start=s, end=e) for s, e in a.free],
            blocked=[
                BlockedOut(start=b.start, end=b.end, reason=b.reason, detail=b.detail)
                for b in a.blocked
            ],
            unavailable=[
                UnavailableOut(start=u.start, end=u.end, reason=u.reason, detail=u.detail)
                for u in a.unavailable
            ],
        )
        for a in result
    ]


async def _policy_out(session: SessionDep, instrument: Instrument) -> PolicyOut:
    policy = await BookingRepository(session).policy(instrument.id)
    return PolicyOut.model_validate(
        {
            **policy.model_dump(),
            "opening_hours": [
                OpeningHoursIn(weekday=weekday, opens=opens, closes=closes)
                for weekday, opens, closes in from_record(instrument.opening_hours)
            ],
        }
    )


@router.get("/instruments/{instrument_id}/booking-policy", response_model=PolicyOut)
async def get_policy(session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID) -> PolicyOut:
    instrument = await catalog.get_visible_instrument(session, user, instrument_id)
    return await _policy_out(session, instrument)


@router.put("/instruments/{instrument_id}/booking-policy", response_model=PolicyOut)
async def put_policy(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: PolicyIn
) -> PolicyOut:
    instrument = await catalog.get_visible_instrument(session, user, instrument_id)
    if not may_manage_organisation(user, instrument.organisation_id):
        if is_enterprise(user):
            raise NotFound(f"Instrument {instrument_id} not found")
        raise Forbidden("Only the lab manager sets booking rules")
    policy = await session.get(BookingPolicy, instrument_id) or BookingPolicy(
        instrument_id=instrument_id
    )
    for key, value in body.model_dump(exclude={"opening_hours"}).items():
        setattr(policy, key, value)
    session.add(policy)
    if body.opening_hours is not None:
        # Written to the registry record, audited there like any other edit of it.
        hours = to_record((h.weekday, h.opens, h.closes) for h in body.opening_hours)
        await registry.update_record(
            session, user, instrument_id, InstrumentRecordUpdate(opening_hours=hours)
        )
    await session.flush()
    return await _policy_out(session, instrument)


@router.get("/instruments/{instrument_id}/blackouts", response_model=list[BlackoutOut])
async def list_blackouts(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, include_past: bool = False
) -> list[BlackoutOut]:
    """The instrument's blackouts by start, those not yet over unless ``include_past`` (staff of
    the owning institution)."""
    instrument = await catalog.get_instrument_for_staff(session, user, instrument_id)
    query = select(Blackout).where(Blackout.instrument_id == instrument.id)
    if not include_past:
        query = query.where(col(Blackout.end_at) > _now())
    rows = await session.exec(query.order_by(col(Blackout.start_at)))
    return [BlackoutOut.model_validate(b) for b in rows]


@router.post(
    "/instruments/{instrument_id}/blackouts",
    response_model=BlackoutOut,
    status_code=status.HTTP_201_CREATED,
)
async def add_blackout(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: BlackoutCreate
) -> BlackoutOut:
    """Close the instrument for a period; bookings inside it are flagged for the lab to follow up."""
    instrument = await catalog.get_instrument_for_staff(session, user, instrument_id)
    if body.end_at <= body.start_at:
        raise ValidationFailed.for_field("end_at", "must be after start_at")
    blackout = await add_audited(
        session,
        user,
        Blackout(instrument_id=instrument.id, **body.model_dump()),
        entity="blackout",
        organisation_id=instrument.organisation_id,
    )
    await jobs.flag_unusable(session, _now(), instrument_ids=[instrument.id])
    return BlackoutOut.model_validate(blackout)


@router.delete("/blackouts/{blackout_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_blackout(session: SessionDep, user: CurrentUser, blackout_id: uuid.UUID) -> None:
    """Reopen the period (staff of the owning institution); the removal is in the audit trail."""
    blackout = await session.get(Blackout, blackout_id)
    if blackout is None:
        raise NotFound(f"Blackout {blackout_id} not found")
    instrument = await catalog.get_instrument_for_staff(session, user, blackout.instrument_id)
    await audit(
        session,
        actor=user,
        entity="blackout",
        entity_id=blackout.id,
        action="delete",
        organisation_id=instrument.organisation_id,
        before=snapshot(blackout),
    )
    await session.delete(blackout)
    await session.flush()


@router.post("/bookings/quote", response_model=QuoteOut)
async def quote(session: SessionDep, user: CurrentUser, body: BookingCreate) -> QuoteOut:
    """The fee breakdown for this booking before it is made, and the problems making it would be
    refused with now (nothing is booked or held)."""
    result = await lifecycle.quote_booking(session, user, body, now=_now())
    q, policy = result.quote, result.policy
    as_json = quote_json(q)
    return QuoteOut(
        instrument_id=body.instrument_id,
        category=q.category,
        factor=q.factor,
        minutes=q.minutes,
        hourly_fee=q.hourly_fee,
        hourly_lines=as_json["hourly_lines"],
        lines=as_json["lines"],
        total=q.total,
        approval_required=policy.approval_required,
        charge_basis=policy.charge_basis,
        voucher_max_share=policy.voucher_max_share,
        no_show_share=policy.no_show_share,
        late_cancellation_share=policy.late_cancellation_share,
        cancellation_window_hours=policy.cancellation_window_hours,
        refusals=[BookingRefusal.model_validate(r.as_problem()) for r in result.refusals],
    )


@router.post("/bookings", response_model=BookingOut, status_code=status.HTTP_201_CREATED)
async def create_booking(session: SessionDep, user: CurrentUser, body: BookingCreate) -> BookingOut:
    return BookingOut.model_validate(
        await lifecycle.create_booking(session, user, body, now=_now())
    )


@router.post("/bookings/series", response_model=SeriesResult, status_code=status.HTTP_201_CREATED)
async def create_series(session: SessionDep, user: CurrentUser, body: SeriesCreate) -> SeriesResult:
    """Recurring bookings (RRULE); every occurrence is reported, conflicts do not stop the rest."""
    data = BookingCreate.model_validate(body.model_dump(exclude={"rrule"}))
    series_id, results = await series.create_series(session, user, data, body.rrule, now=_now())
    return SeriesResult(series_id=series_id, occurrences=results)


@router.post("/bookings/bulk", response_model=list[BulkResult])
async def bulk_bookings(
    session: SessionDep, user: CurrentUser, body: BulkAction
) -> list[BulkResult]:
    outcomes = await bulk.bulk_action(session, user, body, now=_now())
    return [
        BulkResult(
            booking_id=o.booking_id,
            outcome=o.outcome,
            detail=o.detail,
            booking=BookingOut.model_validate(o.booking) if o.booking is not None else None,
        )
        for o in outcomes
    ]


@router.get("/bookings", response_model=list[ListedBookingOut])
async def list_bookings(
    session: SessionDep,
    user: CurrentUser,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    status_: Annotated[list[BookingStatus] | None, Query(alias="status")] = None,
    flagged: bool | None = None,
    instrument_id: uuid.UUID | None = None,
) -> list[ListedBookingOut]:
    bookings = await access.list_bookings(
        session,
        user,
        start=start,
        end=end,
        statuses=[s.value for s in status_] if status_ else None,
        flagged=flagged,
        instrument_id=instrument_id,
    )
    instruments = await access.instruments_by_id(session, {b.instrument_id for b in bookings})
    return [
        ListedBookingOut(
            **BookingOut.model_validate(b).model_dump(),
            instrument_name=instruments[b.instrument_id].name,
            instrument_name_en=instruments[b.instrument_id].name_en,
        )
        for b in bookings
    ]


@router.get("/bookings/detailed", response_model=list[DetailedBookingOut])
async def list_detailed_bookings(
    session: SessionDep,
    user: CurrentUser,
    status_: Annotated[list[BookingStatus] | None, Query(alias="status")] = None,
    instrument_id: uuid.UUID | None = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    flagged: bool | None = None,
) -> list[DetailedBookingOut]:
    """The bookings on the user's institution's instruments as the lab reviews them: who booked
    (user and organisation), their operator authorisation, and ``unusable`` when the instrument
    cannot serve an open booking's time. ``start``/``end`` keep the bookings that overlap the
    period (the day's work); ``flagged=true`` the ones an out-of-service or calibration lapse
    flagged. Lab staff and platform admins only."""
    return await review.detailed_bookings(
        session,
        user,
        statuses=[s.value for s in status_] if status_ else None,
        instrument_id=instrument_id,
        start=start,
        end=end,
        flagged=flagged,
        now=_now(),
    )


@router.get(
    "/instruments/{instrument_id}/operator-candidates", response_model=list[OperatorCandidate]
)
async def list_operator_candidates(
    session: SessionDep,
    user: CurrentUser,
    instrument_id: uuid.UUID,
    q: Annotated[str, Query(min_length=1, max_length=100)],
) -> list[OperatorCandidate]:
    """Users the lab manager may authorise on the instrument, by name or e-mail (at most 20):
    those of the institution and of organisations that booked its instruments, or anyone by
    exact e-mail."""
    return await operators.operator_candidates(session, user, instrument_id, q, _now())


@router.get("/bookings/{booking_id}/session", response_model=BookingSessionOut)
async def get_booking_session(
    session: SessionDep, user: CurrentUser, booking_id: uuid.UUID
) -> BookingSessionOut:
    """The booking's history, the calibration certificates valid during its session, its charge,
    and what each channel of the instrument recorded over the actual use (else the booked time);
    the booker's organisation, the lab's staff and platform admins."""
    return await booking_session(session, user, booking_id)


@router.get("/bookings/{booking_id}", response_model=BookingOut)
async def get_booking(session: SessionDep, user: CurrentUser, booking_id: uuid.UUID) -> BookingOut:
    booking, _ = await access.get_booking(session, user, booking_id)
    return BookingOut.model_validate(booking)


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut)
async def cancel(session: SessionDep, user: CurrentUser, booking_id: uuid.UUID) -> BookingOut:
    return BookingOut.model_validate(
        await lifecycle.cancel_booking(session, user, booking_id, now=_now())
    )


@router.post(
    "/bookings/{booking_id}/reschedule",
    response_model=BookingOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
async def reschedule(
    session: SessionDep, user: CurrentUser, booking_id: uuid.UUID, body: RescheduleBody
) -> BookingOut:
    """Move the booker's booking to a new time: the new booking (a new id, checked like any new
    booking) replaces the old one, which is cancelled. Refused (409, ``code``
    ``reschedule_too_late``, with ``hours``) inside the cancellation window."""
    return BookingOut.model_validate(
        await lifecycle.reschedule_booking(
            session, user, booking_id, body.start_at, body.end_at, now=_now()
        )
    )


@router.post(
    "/bookings/{booking_id}/approve",
    response_model=BookingOut,
    responses=problem_responses(409),
)
async def approve(session: SessionDep, user: CurrentUser, booking_id: uuid.UUID) -> BookingOut:
    """Confirm a pending booking; refused (409, ``code`` ``booking_approval_unusable``, with
    ``reason`` and ``blocked_from``) when the instrument cannot serve the booked time."""
    return BookingOut.model_validate(
        await lifecycle.decide(session, user, booking_id, approve=True, now=_now())
    )


@router.post("/bookings/{booking_id}/reject", response_model=BookingOut)
async def reject(
    session: SessionDep, user: CurrentUser, booking_id: uuid.UUID, body: RejectBody
) -> BookingOut:
    """Reject a pending booking with a reason, which its booker sees on the booking and in the
    notification."""
    return BookingOut.model_validate(
        await lifecycle.decide(
            session, user, booking_id, approve=False, now=_now(), reason=body.reason
        )
    )


@router.post("/bookings/{booking_id}/check-in", response_model=BookingOut)
async def check_in(session: SessionDep, user: CurrentUser, booking_id: uuid.UUID) -> BookingOut:
    return BookingOut.model_validate(
        await lifecycle.check_in(session, user, booking_id, now=_now())
    )


@router.post("/bookings/{booking_id}/no-show", response_model=BookingOut)
async def no_show(session: SessionDep, user: CurrentUser, booking_id: uuid.UUID) -> BookingOut:
    return BookingOut.model_validate(
        await lifecycle.mark_no_show(session, user, booking_id, now=_now())
    )


@router.post("/waitlist", response_model=WaitlistOut, status_code=status.HTTP_201_CREATED)
async def join_waitlist(
    session: SessionDep, user: CurrentUser, body: WaitlistCreate
) -> WaitlistOut:
    return WaitlistOut.model_validate(await waitlist.join_waitlist(session, user, body, now=_now()))


@router.get("/waitlist", response_model=list[WaitlistOut])
async def my_waitlist(session: SessionDep, user: CurrentUser) -> list[WaitlistOut]:
    rows = await session.exec(
        select(WaitlistEntry)
        .where(WaitlistEntry.user_id == user.id)
        .order_by(col(WaitlistEntry.start_at))
    )
    return [WaitlistOut.model_validate(e) for e in rows]


@router.post(
    "/waitlist/{entry_id}/accept", response_model=BookingOut, status_code=status.HTTP_201_CREATED
)
async def accept_offer(session: SessionDep, user: CurrentUser, entry_id: uuid.UUID) -> BookingOut:
    return BookingOut.model_validate(
        await lifecycle.accept_offer(session, user, entry_id, now=_now())
    )


@router.delete("/waitlist/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
async def leave_waitlist(session: SessionDep, user: CurrentUser, entry_id: uuid.UUID) -> None:
    entry = await session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound(f"Waitlist entry {entry_id} not found")
    entry.status = WaitlistStatus.CANCELLED
    session.add(entry)


@router.get("/bookings/{booking_id}/charge", response_model=ChargeOut)
async def booking_charge(
    session: SessionDep, user: CurrentUser, booking_id: uuid.UUID
) -> ChargeOut:
    await access.get_booking(session, user, booking_id)
    charge = (await session.exec(select(Charge).where(Charge.booking_id == booking_id))).first()
    if charge is None:
        raise NotFound(f"Booking {booking_id} has not been charged yet")
    return ChargeOut.model_validate(charge)
