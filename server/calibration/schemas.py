"""Request and response bodies of the calibration endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from mqtt_contract.v1 import KEY_PATTERN
from server.calibration.models import CheckResult
from server.calibration.status import CalibrationState
from server.core.validators import check_text
from server.registry.records import InputModel, PublicModel, Text

__all__ = [
    "CalibrationOverview",
    "CalibrationStatusPublic",
    "CertificateCreate",
    "CertificatePublic",
    "CheckCreate",
    "CheckPublic",
    "CorrectionIn",
    "ImpactBooking",
    "ImpactExport",
    "ImpactReportPublic",
    "MaintenanceCreate",
    "MaintenancePublic",
    "NotifiedPerson",
    "OutOfServiceCreate",
    "OutOfServicePublic",
    "RecordedFinding",
    "ReturnToService",
]

OptionalText = (
    Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(check_text)
    ]
    | None
)
Key = Annotated[str, Field(pattern=KEY_PATTERN)]


class TablePoint(InputModel):
    raw: float
    corrected: float


class CorrectionIn(InputModel):
    """A correction of one channel: ``corrected = raw * gain + offset`` or a table."""

    device: Key
    point: Key
    kind: Literal["offset_gain", "table"] = "offset_gain"
    offset: float = 0.0
    gain: float = 1.0
    table: list[TablePoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _table_usable(self) -> CorrectionIn:
        if self.kind == "table":
            raws = [p.raw for p in self.table]
            if len(raws) < 2:
                raise ValueError("a correction table needs at least two points")
            if len(set(raws)) != len(raws):
                raise ValueError("a correction table may not repeat a raw value")
        elif self.gain == 0:
            raise ValueError("gain 0 would erase every reading")
        return self


class CertificateCreate(InputModel):
    number: Text
    agency: Text
    is_internal: bool = False
    granted_on: date
    valid_from: AwareDatetime
    valid_to: AwareDatetime
    prepared_by: OptionalText = None
    approved_by: OptionalText = None
    document_url: OptionalText = None
    remarks: OptionalText = None
    corrections: list[CorrectionIn] = Field(default_factory=list)
    expanded_uncertainty: float | None = Field(default=None, ge=0)
    coverage_factor: float | None = Field(default=None, gt=0)
    uncertainty_unit: OptionalText = None
    acceptance_criteria: OptionalText = None
    result: CheckResult

    @model_validator(mode="after")
    def _ordered(self) -> CertificateCreate:
        if self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        if (self.expanded_uncertainty is None) != (self.coverage_factor is None):
            raise ValueError("give the expanded uncertainty together with its coverage factor k")
        return self


class CertificatePublic(PublicModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    number: str
    agency: str
    is_internal: bool
    granted_on: date
    valid_from: datetime
    valid_to: datetime
    prepared_by: str | None
    approved_by: str | None
    document_url: str | None
    document_attachment_id: uuid.UUID | None = Field(
        default=None, description="the certificate's PDF: GET /api/v1/attachments/{id}/content"
    )
    remarks: str | None
    corrections: list[dict[str, Any]]
    expanded_uncertainty: float | None
    coverage_factor: float | None
    uncertainty_unit: str | None
    acceptance_criteria: str | None
    result: str
    created_at: datetime


class CheckCreate(InputModel):
    performed_at: AwareDatetime
    procedure: OptionalText = None
    reference_value: float | None = None
    measured_value: float | None = None
    tolerance: float | None = Field(default=None, ge=0)
    unit: OptionalText = None
    acceptance_criteria: OptionalText = None
    # Left out: decided from |measured - reference| <= tolerance when those are given.
    result: CheckResult | None = None
    remarks: OptionalText = None

    @model_validator(mode="after")
    def _decidable(self) -> CheckCreate:
        measured = (self.reference_value, self.measured_value, self.tolerance)
        if self.result is None and any(v is None for v in measured):
            raise ValueError(
                "give a result, or reference_value, measured_value and tolerance to decide it"
            )
        return self


class CheckPublic(PublicModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    performed_at: datetime
    performed_by: uuid.UUID | None
    procedure: str | None
    reference_value: float | None
    measured_value: float | None
    tolerance: float | None
    unit: str | None
    acceptance_criteria: str | None
    result: str
    remarks: str | None


class MaintenanceCreate(InputModel):
    start_at: AwareDatetime
    end_at: AwareDatetime
    description: Text

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceCreate:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class MaintenancePublic(PublicModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    start_at: datetime
    end_at: datetime
    description: str


class OutOfServiceCreate(InputModel):
    reason: Text
    start_at: AwareDatetime | None = None


class ReturnToService(InputModel):
    remarks: Text
    at: AwareDatetime | None = None


class OutOfServicePublic(PublicModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    start_at: datetime
    end_at: datetime | None
    reason: str
    cause_kind: str
    cause_id: uuid.UUID | None
    authorised_by: uuid.UUID | None
    return_authorised_by: uuid.UUID | None
    return_remarks: str | None


class CalibrationStatusPublic(BaseModel):
    instrument_id: uuid.UUID
    state: CalibrationState
    certificate_number: str | None
    valid_to: datetime | None
    next_due_at: datetime | None


class ImpactBooking(BaseModel):
    booking_id: uuid.UUID
    start_at: datetime
    end_at: datetime
    status: str
    user_id: uuid.UUID | None
    user_name: str | None
    user_email: str | None
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    # "suspect_period": before the finding, results may be affected; "after_finding": on or
    # after it, on an instrument out of service (pending and confirmed ones are flagged by
    # the booking domain for rescheduling or cancellation).
    period: Literal["suspect_period", "after_finding"] = "suspect_period"


class ImpactExport(BaseModel):
    export_id: uuid.UUID
    created_at: datetime
    range_start: datetime
    range_end: datetime
    format: str
    user_id: uuid.UUID
    user_name: str | None
    user_email: str | None
    organisation_id: uuid.UUID
    organisation_name: str | None


class NotifiedPerson(BaseModel):
    """Someone the impact report's notice went to."""

    user_id: uuid.UUID
    full_name: str
    email: str
    organisation_name: str
    organisation_name_en: str | None


class ImpactReportPublic(PublicModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    out_of_service_id: uuid.UUID | None
    cause_kind: str
    cause_id: uuid.UUID
    since: datetime | None
    found_at: datetime
    bookings: list[ImpactBooking] = Field(description="bookings of the suspect period")
    upcoming_bookings: list[ImpactBooking] = Field(
        default_factory=list, description="bookings from the finding on, as found"
    )
    exports: list[ImpactExport]
    notified_user_ids: list[uuid.UUID]
    notified: list[NotifiedPerson] = Field(
        default_factory=list, description="who was told, by name (the notified_user_ids)"
    )

    @model_validator(mode="after")
    def _split_periods(self) -> ImpactReportPublic:
        # One stored list; two lists for readers, so the suspect period stays what it was.
        stored = self.bookings + self.upcoming_bookings
        self.bookings = [b for b in stored if b.period == "suspect_period"]
        self.upcoming_bookings = [b for b in stored if b.period == "after_finding"]
        return self


class RecordedFinding(BaseModel):
    """A recorded certificate or check, with what a failure set off."""

    certificate: CertificatePublic | None = None
    check: CheckPublic | None = None
    out_of_service: OutOfServicePublic | None = None
    impact_report: ImpactReportPublic | None = None


class CalibrationOverview(BaseModel):
    status: CalibrationStatusPublic
    certificates: list[CertificatePublic]
    checks: list[CheckPublic]
    maintenance: list[MaintenancePublic]
    out_of_service: list[OutOfServicePublic]
    impact_reports: list[ImpactReportPublic]
