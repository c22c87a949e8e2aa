"""Registry tables (revision ``0002_registry``): CMA qualification and its scope, equipment
history, operator authorisations, attachments and local notices (the audit trail, created
in the same revision, is ``server.audit``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Date, DateTime, ForeignKey, LargeBinary, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from server.registry.columns import InstrumentRecordBase, created_at_field

__all__ = [
    "CmaCertificate",
    "CmaScopeItem",
    "EquipmentEvent",
    "EquipmentEventKind",
    "InstrumentAttachment",
    "InstrumentScopeItem",
    "OperatorAuthorisation",
    "RegistryNotice",
    "ScopeCategory",
    "ServiceMode",
]


class ScopeCategory(StrEnum):
    PRODUCT = "product"
    ITEM = "item"
    PARAMETER = "parameter"


class ServiceMode(StrEnum):
    SELF_OPERATED = "self_operated"
    STAFF_OPERATED = "staff_operated"


class EquipmentEventKind(StrEnum):
    MAINTENANCE = "maintenance"
    FAULT = "fault"
    DAMAGE = "damage"
    REPAIR = "repair"
    MODIFICATION = "modification"


class CmaCertificate(SQLModel, table=True):
    __tablename__ = "cma_certificate"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    number: str = Field(sa_type=Text, unique=True)
    issuing_authority: str | None = Field(default=None, sa_type=Text)
    issued_on: date = Field(sa_type=Date)
    valid_until: date = Field(sa_type=Date)
    cnas_number: str | None = Field(default=None, sa_type=Text)
    cnas_valid_until: date | None = Field(default=None, sa_type=Date)
    created_at: datetime = created_at_field()


class CmaScopeItem(SQLModel, table=True):
    __tablename__ = "cma_scope_item"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    certificate_id: uuid.UUID = Field(foreign_key="cma_certificate.id")
    category: str = Field(sa_type=Text)
    name: str = Field(sa_type=Text)
    name_en: str | None = Field(default=None, sa_type=Text)
    standard_name: str | None = Field(default=None, sa_type=Text)
    standard_number: str = Field(sa_type=Text)


class InstrumentScopeItem(SQLModel, table=True):
    __tablename__ = "instrument_scope_item"

    instrument_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("instrument.id"), primary_key=True)
    )
    scope_item_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("cma_scope_item.id"), primary_key=True)
    )


class EquipmentEvent(InstrumentRecordBase, table=True):
    """Maintenance done, faults, damage, repairs and modifications (ISO/IEC 17025 §6.4.13)."""

    __tablename__ = "equipment_event"

    kind: str = Field(sa_type=Text)
    occurred_at: datetime = Field(sa_type=DateTime(timezone=True))
    description: str = Field(sa_type=Text)
    performed_by: str | None = Field(default=None, sa_type=Text)
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class OperatorAuthorisation(InstrumentRecordBase, table=True):
    __tablename__ = "operator_authorisation"

    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    trained_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    trained_on: date = Field(sa_type=Date)
    granted_at: datetime = Field(sa_type=DateTime(timezone=True))
    lapse_after_days: int | None = None
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    remarks: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_at_field()


class InstrumentAttachment(InstrumentRecordBase, table=True):
    __tablename__ = "instrument_attachment"

    kind: str = Field(sa_type=Text)
    filename: str = Field(sa_type=Text)
    content_type: str = Field(sa_type=Text)
    size_bytes: int
    content: bytes = Field(sa_type=LargeBinary)
    uploaded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class RegistryNotice(SQLModel, table=True):
    """A notice to one user; ``dedupe_key`` keeps reminders from being sent twice."""

    __tablename__ = "registry_notice"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    kind: str = Field(sa_type=Text)
    title: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    dedupe_key: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_at_field()
