"""Complaint tables (revision ``0009_complaints``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, DateTime, LargeBinary, Text
from sqlmodel import Field, SQLModel

from server.registry.columns import created_at_field

__all__ = [
    "Complaint",
    "ComplaintAttachment",
    "ComplaintEvent",
    "ComplaintStatus",
    "Outcome",
    "SubjectKind",
]


class ComplaintStatus(StrEnum):
    AWAITING_RESPONSE = "awaiting_response"  # the institution has until response_due to answer
    UNDER_REVIEW = "under_review"  # answered (or the deadline passed): the platform decides
    CLOSED = "closed"


class Outcome(StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"


class SubjectKind(StrEnum):
    INSTITUTION = "institution"
    REPORT = "report"
    BOOKING = "booking"


class Complaint(SQLModel, table=True):
    __tablename__ = "complaint"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tracking_number: str = Field(sa_type=Text, unique=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    subject_kind: SubjectKind = Field(sa_type=Text)
    report_number: str | None = Field(default=None, sa_type=Text)
    booking_id: uuid.UUID | None = Field(default=None, foreign_key="booking.id")
    summary: str = Field(sa_type=Text)
    details: str = Field(sa_type=Text)
    anonymous: bool = True
    contact_name: str | None = Field(default=None, sa_type=Text)
    contact_phone: str | None = Field(default=None, sa_type=Text)
    contact_email: str | None = Field(default=None, sa_type=Text)
    filed_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    filer_key: str = Field(sa_type=Text)
    status: ComplaintStatus = Field(default=ComplaintStatus.AWAITING_RESPONSE, sa_type=Text)
    response_due: datetime = Field(sa_type=DateTime(timezone=True))
    response: str | None = Field(default=None, sa_type=Text)
    responded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    outcome: Outcome | None = Field(default=None, sa_type=Text)
    decision: str | None = Field(default=None, sa_type=Text)
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class ComplaintAttachment(SQLModel, table=True):
    __tablename__ = "complaint_attachment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    complaint_id: uuid.UUID = Field(foreign_key="complaint.id")
    filename: str = Field(sa_type=Text)
    content_type: str = Field(sa_type=Text)
    size_bytes: int
    content: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = created_at_field()


class ComplaintEvent(SQLModel, table=True):
    """The public timeline a complainant follows by tracking number."""

    __tablename__ = "complaint_event"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    complaint_id: uuid.UUID = Field(foreign_key="complaint.id")
    occurred_at: datetime = created_at_field()
    status: ComplaintStatus = Field(sa_type=Text)
    note: str = Field(sa_type=Text)
