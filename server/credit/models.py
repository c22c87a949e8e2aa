"""Credit-record tables (revision ``0009_credit``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Date, LargeBinary, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from server.registry.columns import created_at_field

__all__ = [
    "CorrectiveAction",
    "CreditAssessment",
    "CreditRuleSet",
    "FindingKind",
    "Severity",
    "SocialResponsibilityReport",
    "SupervisoryFinding",
]


class FindingKind(StrEnum):
    FLYING_INSPECTION = "flying_inspection"  # 飞行检查: an unannounced inspection
    RECONCILIATION_FLAG = (
        "reconciliation_flag"  # a booking whose charged use the sensor contradicts
    )
    COMPLAINT_INVESTIGATION = "complaint_investigation"
    OTHER = "other"


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    SERIOUS = "serious"


class SupervisoryFinding(SQLModel, table=True):
    __tablename__ = "credit_finding"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    found_on: date = Field(sa_type=Date)
    kind: str = Field(sa_type=Text)
    severity: str = Field(sa_type=Text)
    description: str = Field(sa_type=Text)
    evidence: str = Field(sa_type=Text)
    booking_id: uuid.UUID | None = None
    published: bool = False
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class CorrectiveAction(SQLModel, table=True):
    __tablename__ = "credit_corrective_action"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    finding_id: uuid.UUID | None = Field(default=None, foreign_key="credit_finding.id")
    description: str = Field(sa_type=Text)
    due_on: date = Field(sa_type=Date)
    closed_on: date | None = Field(default=None, sa_type=Date)
    closure_note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_at_field()


class CreditRuleSet(SQLModel, table=True):
    __tablename__ = "credit_rule_set"

    version: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    rules: dict[str, Any] = Field(sa_type=JSONB)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class CreditAssessment(SQLModel, table=True):
    """A credit class as computed, kept whenever it changes: the record's history."""

    __tablename__ = "credit_assessment"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    credit_class: str = Field(sa_type=Text)
    rule_version: int
    rule_id: str | None = Field(default=None, sa_type=Text)
    basis: dict[str, Any] = Field(sa_type=JSONB)
    computed_at: datetime = created_at_field()


class SocialResponsibilityReport(SQLModel, table=True):
    """An institution's yearly social responsibility report (a PDF), published on its page."""

    __tablename__ = "credit_social_report"

    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", primary_key=True)
    year: int = Field(primary_key=True)
    filename: str = Field(sa_type=Text)
    size_bytes: int
    content: bytes = Field(sa_type=LargeBinary)
    uploaded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
