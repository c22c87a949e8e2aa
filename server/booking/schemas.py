"""Request and response bodies of the booking endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from server.billing.schemas import ChargeOut
from server.booking.models import BookingMode
from server.booking.opening_hours import END_OF_DAY
from server.core.validators import INT4_MAX, Text, TimeZoneName
from server.telemetry.schemas import ValueLabel

__all__ = [
    "AvailabilityOut",
    "BlackoutCreate",
    "BookingCreate",
    "BookingOut",
    "BulkAction",
    "BulkResult",
    "DetailedBookingOut",
    "OccurrenceResult",
    "OpeningHoursIn",
    "OperatorCandidate",
    "PolicyIn",
    "PolicyOut",
    "RejectBody",
    "RescheduleBody",
    "SeriesCreate",
    "SeriesResult",
    "UnavailableOut",
    "WaitlistCreate",
    "WaitlistOut",
]


# Two years in minutes: the longest a booking horizon reaches; well inside the int4 columns.
MAX_POLICY_MINUTES = 2 * 366 * 24 * 60
assert MAX_POLICY_MINUTES < INT4_MAX


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _SlotInput(_Input):
    instrument_id: uuid.UUID
    start_at: AwareDatetime
    end_at: AwareDatetime
    mode: BookingMode = BookingMode.SELF_OPERATED
    sample_count: Annotated[int, Field(ge=0, le=10_000)] = 0
    test_items: list[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50
    )
    purpose: Annotated[Text, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _ordered(self) -> _SlotInput:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        if self.mode is BookingMode.STAFF_OPERATED and self.sample_count < 1:
            raise ValueError("staff-operated sample testing needs sample_count >= 1")
        return self


class BookingCreate(_SlotInput):
    pass


class RescheduleBody(_Input):
    """The new time of a booking; everything else stays as booked."""

    start_at: AwareDatetime
    end_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> RescheduleBody:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class SeriesCreate(_SlotInput):
    rrule: Annotated[Text, Field(min_length=5, max_length=500, examples=["FREQ=WEEKLY;COUNT=4"])]


class OccurrenceResult(BaseModel):
    start_at: datetime
    end_at: datetime
    outcome: Literal["booked", "conflict", "unusable", "rejected"]
    detail: str
    booking_id: uuid.UUID | None = None


class SeriesResult(BaseModel):
    series_id: uuid.UUID
    occurrences: list[OccurrenceResult]


class BookingOut(_Output):
    id: uuid.UUID
    instrument_id: uuid.UUID
    organisation_id: uuid.UUID
    user_id: uuid.UUID
    start_at: datetime
    end_at: datetime
    status: str
    mode: str
    sample_count: int
    test_items: list[str]
    purpose: str
    series_id: uuid.UUID | None
    user_category: str
    quoted_amount: Decimal
    checked_in_at: datetime | None
    check_in_source: str | None
    actual_start_at: datetime | None
    actual_end_at: datetime | None
    actual_minutes: int | None
    overrun_minutes: int
    flag: str | None
    flag_detail: str | None
    # Why the lab rejected it (a rejection always has one; null for any other decision).
    decision_reason: str | None = None
    created_at: datetime


class ListedBookingOut(BookingOut):
    """A booking in a list, with its instrument's names: lab staff see bookings on their
    institution's other labs' instruments too, which their instrument list does not hold."""

    instrument_name: str
    instrument_name_en: str | None


class BookingEvent(BaseModel):
    """One step of a booking's history. ``kind``: requested, approved, rejected (``detail``: the
    lab's reason), checked_in (``detail``: manual or telemetry), completed, cancelled
    (``detail``: booker or lab), no_show, charged (``detail``: the amount in CNY)."""

    kind: Literal[
        "requested",
        "approved",
        "rejected",
        "checked_in",
        "completed",
        "cancelled",
        "no_show",
        "charged",
    ]
    at: datetime
    detail: str | None = None


class SessionCertificate(BaseModel):
    """A calibration certificate valid during some of the session; ``covers_session`` when it
    was valid for all of it."""

    number: str
    agency: str
    valid_from: datetime
    valid_to: datetime
    result: str
    expanded_uncertainty: float | None
    coverage_factor: float | None
    uncertainty_unit: str | None
    covers_session: bool


class SessionStateShare(ValueLabel):
    """How many of a status channel's readings during the session had this value, with the
    value's meaning (none for a value its map does not name)."""

    readings: int


class SessionChannel(BaseModel):
    """What one of the instrument's channels recorded during the session. A status channel
    (one whose values have words) also lists its values by how often each was read, since
    its minimum and mean mean nothing."""

    id: int
    name: str
    name_en: str | None
    unit: str
    readings: int
    min: float | None
    max: float | None
    mean: float | None
    states: list[SessionStateShare] | None = None


class BookingSessionOut(BaseModel):
    """A booking looked back on: its history, the certificates that covered it, its charge and
    its data over ``window_start``–``window_end`` (the actual use where measured)."""

    booking: ListedBookingOut
    window_start: datetime
    window_end: datetime
    history: list[BookingEvent]
    certificates: list[SessionCertificate]
    charge: ChargeOut | None
    channels: list[SessionChannel]


class RejectBody(_Input):
    """Why the lab rejects the booking: its booker reads this on the booking and in the
    notification."""

    reason: Annotated[Text, Field(min_length=1, max_length=500)]


class Booker(BaseModel):
    user_id: uuid.UUID
    full_name: str
    email: str
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_name_en: str | None


class OperatorStatus(BaseModel):
    """The booker's operator authorisation on the instrument at the booked start.

    ``state``: ``authorised``, ``lapsed`` (it lapsed or was revoked before the start),
    ``none`` (never authorised), ``not_needed`` (staff-operated, or the lab's own staff)."""

    state: Literal["authorised", "lapsed", "none", "not_needed"]
    lapses_at: datetime | None = None


class UnusableNow(BaseModel):
    """Why the instrument cannot serve the booked time (the first block found)."""

    reason: str
    detail: str
    blocked_from: datetime


class DetailedBookingOut(BookingOut):
    """A booking as the lab reviews it: who booked, their operator authorisation, and whether
    the instrument can serve the booked time."""

    booker: Booker
    operator: OperatorStatus
    unusable: UnusableNow | None


class OperatorCandidate(BaseModel):
    user_id: uuid.UUID
    full_name: str
    email: str
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_name_en: str | None
    authorised: bool


class Slot(BaseModel):
    start: datetime
    end: datetime


class BlockedOut(BaseModel):
    start: datetime
    end: datetime
    reason: str
    detail: str


class UnavailableOut(BaseModel):
    """A period that cannot be booked. ``reason``: the registry's out_of_service,
    calibration_expired, not_calibrated, maintenance, or closed, horizon, lead_time, blackout,
    booked, slot_grid; ``detail``: the registry's or the blackout's text."""

    start: datetime
    end: datetime
    reason: str
    detail: str


class AvailabilityOut(BaseModel):
    instrument_id: uuid.UUID
    free: list[Slot]
    # The registry's usability blocks only (kept for older clients); ``unavailable`` explains
    # every part of the window that is not free.
    blocked: list[BlockedOut]
    unavailable: list[UnavailableOut]


class OpeningHoursIn(_Input):
    """One weekly opening period; ``closes`` 00:00 means the end of the day (24:00)."""

    weekday: Annotated[int, Field(ge=0, le=6)]
    opens: time
    closes: time

    @model_validator(mode="after")
    def _ordered(self) -> OpeningHoursIn:
        if self.closes <= self.opens and self.closes != END_OF_DAY:
            raise ValueError("closes must be after opens")
        return self


class PolicyIn(_Input):
    timezone: TimeZoneName = "Asia/Shanghai"
    slot_minutes: Annotated[int, Field(ge=5, le=24 * 60)] = 30
    buffer_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 0
    # Bounded by what a booking can span (the horizon is at most two years).
    lead_time_minutes: Annotated[int, Field(ge=0, le=MAX_POLICY_MINUTES)] = 60
    min_duration_minutes: Annotated[int, Field(ge=5, le=MAX_POLICY_MINUTES)] = 30
    max_duration_minutes: Annotated[int, Field(ge=5, le=MAX_POLICY_MINUTES)] = 480
    horizon_days: Annotated[int, Field(ge=1, le=730)] = 90
    approval_required: bool = False
    self_operated_allowed: bool = True
    staff_operated_allowed: bool = True
    cancellation_window_hours: Annotated[int, Field(ge=0, le=24 * 14)] = 24
    late_cancellation_share: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.5")
    no_show_share: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("1")
    no_show_release_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30
    charge_basis: Literal["actual", "booked"] = "actual"
    # numeric(8, 2) columns
    quota_hours_per_week: Annotated[Decimal, Field(gt=0, max_digits=8, decimal_places=2)] | None = (
        None
    )
    quota_hours_per_month: (
        Annotated[Decimal, Field(gt=0, max_digits=8, decimal_places=2)] | None
    ) = None
    voucher_max_share: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.5")
    waitlist_offer_minutes: Annotated[int, Field(ge=5, le=MAX_POLICY_MINUTES)] = 120
    # Kept for clients of the policy endpoint; stored in the instrument's registry record
    # (the one place opening hours live). Omitted or null leaves the record's hours alone;
    # an empty list clears them (open around the clock).
    opening_hours: list[OpeningHoursIn] | None = None

    @model_validator(mode="after")
    def _durations(self) -> PolicyIn:
        if self.max_duration_minutes < self.min_duration_minutes:
            raise ValueError("max_duration_minutes must be >= min_duration_minutes")
        return self


class PolicyOut(_Output):
    instrument_id: uuid.UUID
    timezone: str
    slot_minutes: int
    buffer_minutes: int
    lead_time_minutes: int
    min_duration_minutes: int
    max_duration_minutes: int
    horizon_days: int
    approval_required: bool
    self_operated_allowed: bool
    staff_operated_allowed: bool
    cancellation_window_hours: int
    late_cancellation_share: Decimal
    no_show_share: Decimal
    no_show_release_minutes: int
    charge_basis: str
    quota_hours_per_week: Decimal | None
    quota_hours_per_month: Decimal | None
    voucher_max_share: Decimal
    waitlist_offer_minutes: int
    # The instrument record's opening hours (read-only view; empty = around the clock).
    opening_hours: list[OpeningHoursIn] = Field(default_factory=list)


class BlackoutCreate(_Input):
    start_at: AwareDatetime
    end_at: AwareDatetime
    reason: Annotated[Text, Field(max_length=500)] = ""


class BlackoutOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    instrument_id: uuid.UUID
    start_at: datetime
    end_at: datetime
    reason: str


class BulkAction(_Input):
    booking_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    action: Literal["cancel", "reschedule"]
    # At most the two-year horizon either way.
    shift_minutes: Annotated[int, Field(ge=-MAX_POLICY_MINUTES, le=MAX_POLICY_MINUTES)] | None = (
        None
    )
    reason: Annotated[Text, Field(max_length=500)] = ""

    @model_validator(mode="after")
    def _shift(self) -> BulkAction:
        if self.action == "reschedule" and not self.shift_minutes:
            raise ValueError("reschedule needs a non-zero shift_minutes")
        return self


class BulkResult(BaseModel):
    booking_id: uuid.UUID
    outcome: Literal["cancelled", "rescheduled", "conflict", "not_found", "unchanged"]
    detail: str
    booking: BookingOut | None = None


class WaitlistCreate(_Input):
    instrument_id: uuid.UUID
    start_at: AwareDatetime
    end_at: AwareDatetime
    mode: BookingMode = BookingMode.SELF_OPERATED


class WaitlistOut(_Output):
    id: uuid.UUID
    instrument_id: uuid.UUID
    start_at: datetime
    end_at: datetime
    mode: str
    status: str
    offered_at: datetime | None
    offer_expires_at: datetime | None
    booking_id: uuid.UUID | None
