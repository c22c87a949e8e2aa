"""Calibration programme tables (revision ``0002_registry``).

Certificates, intermediate checks, maintenance windows, out-of-service records, data
exports and impact reports. Timestamps are ``timestamptz``; validity is half-open
``[valid_from, valid_to)`` so a certificate stops being valid exactly at ``valid_to``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Date, DateTime, Double, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

__all__ = [
    "CalibrationCertificate",
    "CheckResult",
    "DataExport",
    "ImpactReport",
    "IntermediateCheck",
    "MaintenanceWindow",
    "OutOfService",
    "OutOfServiceCause",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _created_at() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class CheckResult(StrEnum):
    PASS = "pass"  # noqa: S105  (a result, not a password)
    FAIL = "fail"


class OutOfServiceCause(StrEnum):
    CALIBRATION_FAILED = "calibration_failed"
    CHECK_FAILED = "check_failed"
    FAULT = "fault"
    MANUAL = "manual"


class CalibrationCertificate(SQLModel, table=True):
    __tablename__ = "calibration_certificate"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    number: str = Field(sa_type=Text)
    agency: str = Field(sa_type=Text)
    is_internal: bool = False
    granted_on: date = Field(sa_type=Date)
    valid_from: datetime = Field(sa_type=DateTime(timezone=True))
    valid_to: datetime = Field(sa_type=DateTime(timezone=True))
    prepared_by: str | None = Field(default=None, sa_type=Text)
    approved_by: str | None = Field(default=None, sa_type=Text)
    document_url: str | None = Field(default=None, sa_type=Text)
    remarks: str | None = Field(default=None, sa_type=Text)
    # [{"device": .., "point": .., "kind": "offset_gain"|"table", "offset", "gain", "table"}]
    corrections: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    expanded_uncertainty: float | None = Field(default=None, sa_type=Double)
    coverage_factor: float | None = Field(default=None, sa_type=Double)
    uncertainty_unit: str | None = Field(default=None, sa_type=Text)
    acceptance_criteria: str | None = Field(default=None, sa_type=Text)
    result: str = Field(sa_type=Text)
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _created_at()


class IntermediateCheck(SQLModel, table=True):
    __tablename__ = "intermediate_check"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    performed_at: datetime = Field(sa_type=DateTime(timezone=True))
    performed_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    procedure: str | None = Field(default=None, sa_type=Text)
    reference_value: float | None = Field(default=None, sa_type=Double)
    measured_value: float | None = Field(default=None, sa_type=Double)
    tolerance: float | None = Field(default=None, sa_type=Double)
    unit: str | None = Field(default=None, sa_type=Text)
    acceptance_criteria: str | None = Field(default=None, sa_type=Text)
    result: str = Field(sa_type=Text)
    remarks: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _created_at()


class MaintenanceWindow(SQLModel, table=True):
    __tablename__ = "maintenance_window"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    start_at: datetime = Field(sa_type=DateTime(timezone=True))
    end_at: datetime = Field(sa_type=DateTime(timezone=True))
    description: str = Field(sa_type=Text)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _created_at()


class OutOfService(SQLModel, table=True):
    __tablename__ = "out_of_service"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    start_at: datetime = Field(sa_type=DateTime(timezone=True))
    end_at: datetime | None = _ts(nullable=True)
    reason: str = Field(sa_type=Text)
    cause_kind: str = Field(sa_type=Text)
    cause_id: uuid.UUID | None = None
    authorised_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    return_authorised_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    return_remarks: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _created_at()


class DataExport(SQLModel, table=True):
    __tablename__ = "data_export"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id")
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    range_start: datetime = Field(sa_type=DateTime(timezone=True))
    range_end: datetime = Field(sa_type=DateTime(timezone=True))
    format: str = Field(sa_type=Text)
    created_at: datetime = _created_at()


class ImpactReport(SQLModel, table=True):
    """What an out-of-tolerance finding may have affected (ISO/IEC 17025 §7.10), as found."""

    __tablename__ = "impact_report"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    out_of_service_id: uuid.UUID | None = Field(default=None, foreign_key="out_of_service.id")
    cause_kind: str = Field(sa_type=Text)
    cause_id: uuid.UUID
    since: datetime | None = _ts(nullable=True)
    found_at: datetime = Field(sa_type=DateTime(timezone=True))
    bookings: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    exports: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    notified_user_ids: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'")),
    )
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _created_at()
