"""Booking tables: the per-instrument policy, blackouts, bookings, waitlist, booking notes.

Opening hours are not booking's: they are the registry record's (``instrument.opening_hours``),
read through ``server.booking.opening_hours``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ARRAY, CheckConstraint, Column, DateTime, LargeBinary, Numeric, Text, func
from sqlmodel import Field, SQLModel

from server.core.booking_status import BookingStatus

__all__ = [
    "Blackout",
    "Booking",
    "BookingMode",
    "BookingNote",
    "BookingPolicy",
    "ChargeBasis",
    "WaitlistEntry",
    "WaitlistStatus",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class BookingMode(StrEnum):
    SELF_OPERATED = "self_operated"
    STAFF_OPERATED = "staff_operated"


class ChargeBasis(StrEnum):
    ACTUAL = "actual"
    BOOKED = "booked"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class BookingPolicy(SQLModel, table=True):
    """How an instrument may be booked. Instruments without a row use the defaults below."""

    __tablename__ = "booking_policy"

    instrument_id: uuid.UUID = Field(foreign_key="instrument.id", primary_key=True)
    timezone: str = Field(default="Asia/Shanghai", sa_type=Text)
    slot_minutes: int = 30
    buffer_minutes: int = 0
    lead_time_minutes: int = 60
    min_duration_minutes: int = 30
    max_duration_minutes: int = 8 * 60
    horizon_days: int = 90
    approval_required: bool = False
    self_operated_allowed: bool = True
    staff_operated_allowed: bool = True
    cancellation_window_hours: int = 24
    late_cancellation_share: Decimal = Field(default=Decimal("0.5"), sa_type=Numeric(5, 4))
    no_show_share: Decimal = Field(default=Decimal("1"), sa_type=Numeric(5, 4))
    no_show_release_minutes: int = 30
    charge_basis: str = Field(default=ChargeBasis.ACTUAL.value, sa_type=Text)
    quota_hours_per_week: Decimal | None = Field(default=None, sa_type=Numeric(8, 2))
    quota_hours_per_month: Decimal | None = Field(default=None, sa_type=Numeric(8, 2))
    voucher_max_share: Decimal = Field(default=Decimal("0.5"), sa_type=Numeric(5, 4))
    waitlist_offer_minutes: int = 120


class Blackout(SQLModel, table=True):
    __tablename__ = "blackout"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id", index=True)
    start_at: datetime = Field(sa_type=DateTime(timezone=True))
    end_at: datetime = Field(sa_type=DateTime(timezone=True))
    reason: str = Field(default="", sa_type=Text)


class Booking(SQLModel, table=True):
    __tablename__ = "booking"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id", index=True)
    # The booking organisation (an enterprise, or the institution itself for internal use).
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    start_at: datetime = Field(sa_type=DateTime(timezone=True))
    end_at: datetime = Field(sa_type=DateTime(timezone=True))
    status: BookingStatus = Field(default=BookingStatus.CONFIRMED, sa_type=Text)
    mode: BookingMode = Field(default=BookingMode.SELF_OPERATED, sa_type=Text)
    sample_count: int = 0
    test_items: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    purpose: str = Field(default="", sa_type=Text)
    series_id: uuid.UUID | None = Field(default=None, index=True)
    user_category: str = Field(default="enterprise", sa_type=Text)
    quoted_amount: Decimal = Field(default=Decimal("0.00"), sa_type=Numeric(12, 2))
    checked_in_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    check_in_source: str | None = Field(default=None, sa_type=Text)
    actual_start_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    actual_end_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    actual_minutes: int | None = None
    overrun_minutes: int = 0
    flag: str | None = Field(default=None, sa_type=Text)
    flag_detail: str | None = Field(default=None, sa_type=Text)
    reminder_sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Why the lab rejected the booking; shown to its booker.
    decision_reason: str | None = Field(default=None, sa_type=Text)
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancelled_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class WaitlistEntry(SQLModel, table=True):
    __tablename__ = "waitlist_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    start_at: datetime = Field(sa_type=DateTime(timezone=True))
    end_at: datetime = Field(sa_type=DateTime(timezone=True))
    mode: BookingMode = Field(default=BookingMode.SELF_OPERATED, sa_type=Text)
    status: WaitlistStatus = Field(default=WaitlistStatus.WAITING, sa_type=Text)
    offered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    offer_expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    booking_id: uuid.UUID | None = Field(default=None, foreign_key="booking.id")
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class BookingNote(SQLModel, table=True):
    """One entry of a booking's sample information thread: text, one file, or both.

    The booker's organisation and the lab staff of the instrument's institution read and write
    it. The file is stored like instrument attachments (``bytea``, the registry's size limit).
    """

    __tablename__ = "booking_note"
    __table_args__ = (
        CheckConstraint(
            "body <> '' OR attachment_content IS NOT NULL", name="booking_note_not_empty_check"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    booking_id: uuid.UUID = Field(foreign_key="booking.id", index=True, ondelete="CASCADE")
    author_id: uuid.UUID = Field(foreign_key="app_user.id")
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
    body: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    attachment_filename: str | None = Field(default=None, sa_type=Text)
    attachment_content_type: str | None = Field(default=None, sa_type=Text)
    attachment_size_bytes: int | None = None
    attachment_content: bytes | None = Field(default=None, sa_type=LargeBinary)
