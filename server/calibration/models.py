"""Calibration programme tables (revision ``0002_registry``).

Certificates, intermediate checks, maintenance windows, out-of-service records, data
exports and impact reports. Timestamps are ``timestamptz``; validity is half-open
``[valid_from, valid_to)`` so a certificate stops being valid exactly at ``valid_to``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Date, DateTime, Double, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from server.registry.columns import InstrumentRecordBase, created_at_field

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


def _ts(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _json_list(default: str = "'[]'::jsonb") -> Any:
    return Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text(default)),
    )


class CheckResult(StrEnum):
    PASS = "pass"  # noqa: S105  (a result, not a password)
    FAIL = "fail"


class OutOfServiceCause(StrEnum):
    CALIBRATION_FAILED = "calibration_failed"
    CHECK_FAILED = "check_failed"
    FAULT = "fault"
    MANUAL = "manual"


class CalibrationCertificate(InstrumentRecordBase, table=True):
    __tablename__ = "calibration_certificate"

    number: str = Field(sa_type=Text)
    agency: str = Field(sa_type=Text)
    is_internal: bool = False
    granted_on: date = Field(sa_type=Date)
    valid_from: datetime = Field(sa_type=DateTime(timezone=True))
    valid_to: datetime = Field(sa_type=DateTime(timezone=True))
    prepared_by: str | None = Field(default=None, sa_type=Text)
    approved_by: str | None = Field(default=None, sa_type=Text)
    document_url: str | None = Field(default=None, sa_type=Text)
    # The certificate itself, a PDF kept with the instrument's attachments.
    document_attachment_id: uuid.UUID | None = Field(
        default=None, foreign_key="instrument_attachment.id", ondelete="SET NULL"
    )
    remarks: str | None = Field(default=None, sa_type=Text)
    # [{"device": .., "point": .., "kind": "offset_gain"|"table", "offset", "gain", "table"}]
    corrections: list[dict[str, Any]] = _json_list()
    expanded_uncertainty: float | None = Field(default=None, sa_type=Double)
    coverage_factor: float | None = Field(default=None, sa_type=Double)
    uncertainty_unit: str | None = Field(default=None, sa_type=Text)
    acceptance_criteria: str | None = Field(default=None, sa_type=Text)
    result: str = Field(sa_type=Text)
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class IntermediateCheck(InstrumentRecordBase, table=True):
    __tablename__ = "intermediate_check"

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
    created_at: datetime = created_at_field()


class MaintenanceWindow(InstrumentRecordBase, table=True):
    __tablename__ = "maintenance_window"

    start_at: datetime = Field(sa_type=DateTime(timezone=True))
    end_at: datetime = Field(sa_type=DateTime(timezone=True))
    description: str = Field(sa_type=Text)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class OutOfService(InstrumentRecordBase, table=True):
    __tablename__ = "out_of_service"

    start_at: datetime = Field(sa_type=DateTime(timezone=True))
    end_at: datetime | None = _ts(nullable=True)
    reason: str = Field(sa_type=Text)
    cause_kind: str = Field(sa_type=Text)
    cause_id: uuid.UUID | None = None
    authorised_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    return_authorised_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    return_remarks: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_at_field()


class DataExport(SQLModel, table=True):
    __tablename__ = "data_export"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id")
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    range_start: datetime = Field(sa_type=DateTime(timezone=True))
    range_end: datetime = Field(sa_type=DateTime(timezone=True))
    format: str = Field(sa_type=Text)
    created_at: datetime = created_at_field()


class ImpactReport(InstrumentRecordBase, table=True):
    """What an out-of-tolerance finding may have affected (ISO/IEC 17025 §7.10), as found."""

    __tablename__ = "impact_report"

    out_of_service_id: uuid.UUID | None = Field(default=None, foreign_key="out_of_service.id")
    cause_kind: str = Field(sa_type=Text)
    cause_id: uuid.UUID
    since: datetime | None = _ts(nullable=True)
    found_at: datetime = Field(sa_type=DateTime(timezone=True))
    bookings: list[dict[str, Any]] = _json_list()
    exports: list[dict[str, Any]] = _json_list()
    notified_user_ids: list[str] = _json_list("'[]'")
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
