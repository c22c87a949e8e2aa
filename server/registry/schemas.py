"""Request and response bodies of the registry endpoints."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
)

from server.core.validators import check_text
from server.registry.models import EquipmentEventKind, ScopeCategory, ServiceMode
from server.registry.records import InputModel, PublicModel, Text

__all__ = [
    "AttachmentPublic",
    "AuditEntry",
    "AuthorisationCreate",
    "AuthorisationPublic",
    "CmaCertificateCreate",
    "CmaCertificatePublic",
    "CmaPublicStatus",
    "EquipmentEventCreate",
    "EquipmentEventPublic",
    "InstrumentRecord",
    "InstrumentRecordUpdate",
    "ScopeItemCreate",
    "ScopeItemPublic",
    "ScopeLinks",
]

LongText = (
    Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=5000), AfterValidator(check_text)
    ]
    | None
)
# A standard's number carries its year: "GB/T 2423.1-2008", "JJF 1101-2019", "ISO 6892-1:2019".
STANDARD_NUMBER = re.compile(r"^[A-Z][A-Za-z/ ]*\s?[0-9][0-9.\-]*[-:](19|20)[0-9]{2}$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


class ScopeItemCreate(InputModel):
    category: ScopeCategory
    name: Text
    name_en: LongText = None
    standard_name: LongText = None
    standard_number: Text

    @field_validator("standard_number")
    @classmethod
    def _with_year(cls, value: str) -> str:
        if not STANDARD_NUMBER.match(value):
            raise ValueError(
                "give the standard's number with its year, e.g. GB/T 2423.1-2008 or JJF 1101-2019"
            )
        return value


class ScopeItemPublic(PublicModel):
    id: uuid.UUID
    certificate_id: uuid.UUID
    category: str
    name: str
    name_en: str | None
    standard_name: str | None
    standard_number: str


class CmaCertificateCreate(InputModel):
    number: Annotated[str, StringConstraints(strip_whitespace=True)]
    issued_on: date
    # As printed on the certificate (its last valid day); derived from issued_on when absent.
    valid_until: date | None = None
    issuing_authority: LongText = None
    cnas_number: LongText = None
    cnas_valid_until: date | None = None
    organisation_id: uuid.UUID | None = None
    scope: list[ScopeItemCreate] = Field(default_factory=list)


class CmaCertificatePublic(PublicModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    number: str
    issuing_authority: str | None
    issued_on: date
    valid_until: date
    cnas_number: str | None
    cnas_valid_until: date | None
    status: str
    scope: list[ScopeItemPublic]


class CmaPublicStatus(BaseModel):
    """What anyone may check about a CMA certificate (docs/domain-rules.md §4)."""

    number: str
    institution: str
    institution_en: str | None
    issued_on: date
    valid_until: date
    status: str


def _opening_hours(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
        if not isinstance(spans, list):
            raise ValueError(f"{day}: give a list of [start, end] pairs")
        for span in spans:
            if (
                not isinstance(span, list)
                or len(span) != 2
                or not all(isinstance(t, str) and HHMM.match(t) for t in span)
                or span[0] >= span[1]
            ):
                raise ValueError(f'{day}: {span!r} is not an ["HH:MM", "HH:MM"] pair in order')
    return value


class InstrumentRecordUpdate(InputModel):
    category: LongText = None
    specification: LongText = None
    original_value: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    country_of_origin: LongText = None
    manufacture_date: date | None = None
    purchase_date: date | None = None
    asset_class_code: LongText = None
    asset_number: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
            AfterValidator(check_text),
        ]
        | None
    ) = None
    commissioned_on: date | None = None
    firmware_version: LongText = None
    technical_specifications: LongText = None
    main_functions: LongText = None
    accessories: LongText = None
    contact_name: LongText = None
    contact_phone: LongText = None
    contact_email: (
        Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None
    ) = None
    fee_rule: LongText = None
    opening_hours: dict[str, Any] | None = None
    calibration_interval_days: Annotated[int, Field(gt=0, le=3650)] | None = None
    calibration_required: bool | None = None
    service_modes: list[ServiceMode] | None = None

    @field_validator("opening_hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _opening_hours(value)

    @field_validator("service_modes")
    @classmethod
    def _some_mode(cls, value: list[ServiceMode] | None) -> list[ServiceMode] | None:
        if value is not None and not value:
            raise ValueError("an instrument offers at least one service mode")
        return value


class InstrumentRecord(PublicModel):
    """The record; fields the reader may not see (server.catalog.visibility) are left out."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    name_en: str | None
    model: str | None
    manufacturer: str | None
    serial_number: str | None = None
    location: str | None
    is_open: bool
    category: str | None
    specification: str | None
    original_value: Decimal | None = None
    currency: str | None = None
    country_of_origin: str | None
    manufacture_date: date | None
    purchase_date: date | None = None
    asset_class_code: str | None = None
    asset_number: str | None = None
    commissioned_on: date | None = None
    firmware_version: str | None = None
    technical_specifications: str | None
    main_functions: str | None
    accessories: str | None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    fee_rule: str | None
    opening_hours: dict[str, Any] | None
    calibration_interval_days: int | None
    calibration_required: bool
    service_modes: list[str]
    scope: list[ScopeItemPublic] = Field(default_factory=list)


class ScopeLinks(InputModel):
    scope_item_ids: list[uuid.UUID]


class EquipmentEventCreate(InputModel):
    kind: EquipmentEventKind
    occurred_at: AwareDatetime
    description: Text
    performed_by: LongText = None


class EquipmentEventPublic(PublicModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    kind: str
    occurred_at: datetime
    description: str
    performed_by: str | None
    recorded_by: uuid.UUID | None


class AuthorisationCreate(InputModel):
    user_id: uuid.UUID
    trained_on: date
    trained_by: uuid.UUID | None = None
    lapse_after_days: Annotated[int, Field(gt=0, le=3650)] | None = None
    remarks: LongText = None


class AuthorisationPublic(PublicModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    user_id: uuid.UUID
    trained_by: uuid.UUID | None
    trained_on: date
    granted_at: datetime
    lapse_after_days: int | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    remarks: str | None
    active: bool = False
    lapses_at: datetime | None = None
    # Who holds it, for the lab's list (filled where the list is read).
    user_name: str | None = None
    user_email: str | None = None
    organisation_name: str | None = None


class AttachmentPublic(PublicModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    created_at: datetime


class AuditEntry(PublicModel):
    id: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_name: str | None = None  # None: the system (a background job, an import)
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
