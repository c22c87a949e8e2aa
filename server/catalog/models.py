"""Labs, instruments and the telemetry channels of an instrument."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

__all__ = ["Channel", "Instrument", "Lab"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Lab(SQLModel, table=True):
    __tablename__ = "lab"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(sa_type=Text)
    name_en: str | None = Field(default=None, sa_type=Text)


class Instrument(SQLModel, table=True):
    __tablename__ = "instrument"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lab_id: uuid.UUID = Field(foreign_key="lab.id", index=True)
    # Denormalised from the lab so every tenancy filter is one indexed column.
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(sa_type=Text)
    name_en: str | None = Field(default=None, sa_type=Text)
    model: str | None = Field(default=None, sa_type=Text)
    manufacturer: str | None = Field(default=None, sa_type=Text)
    serial_number: str | None = Field(default=None, sa_type=Text)
    location: str | None = Field(default=None, sa_type=Text)
    is_open: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
    # Record fields of the registry (revision 0002_registry; docs/domain-rules.md §1 and §3).
    category: str | None = Field(default=None, sa_type=Text)
    specification: str | None = Field(default=None, sa_type=Text)
    original_value: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    currency: str | None = Field(default=None, sa_type=Text)
    country_of_origin: str | None = Field(default=None, sa_type=Text)
    manufacture_date: date | None = Field(default=None, sa_type=Date)
    purchase_date: date | None = Field(default=None, sa_type=Date)
    asset_class_code: str | None = Field(default=None, sa_type=Text)
    # Revision 0015: the institution's asset number (unique within it) and commissioning date.
    asset_number: str | None = Field(default=None, sa_type=Text)
    commissioned_on: date | None = Field(default=None, sa_type=Date)
    firmware_version: str | None = Field(default=None, sa_type=Text)
    technical_specifications: str | None = Field(default=None, sa_type=Text)
    main_functions: str | None = Field(default=None, sa_type=Text)
    accessories: str | None = Field(default=None, sa_type=Text)
    contact_name: str | None = Field(default=None, sa_type=Text)
    contact_phone: str | None = Field(default=None, sa_type=Text)
    contact_email: str | None = Field(default=None, sa_type=Text)
    fee_rule: str | None = Field(default=None, sa_type=Text)
    # Weekly calendar: {"mon": [["08:30", "17:00"]], ...} in Asia/Shanghai wall time.
    opening_hours: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    calibration_interval_days: int | None = Field(default=None, sa_type=Integer)
    service_modes: list[str] = Field(
        default_factory=lambda: ["staff_operated"],
        sa_column=Column(
            ARRAY(Text),
            nullable=False,
            server_default=text("ARRAY['staff_operated']::text[]"),
        ),
    )
    calibration_required: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true"))
    )


class Channel(SQLModel, table=True):
    __tablename__ = "channel"
    __table_args__ = (
        UniqueConstraint("gateway_id", "device_key", "point_key", name="channel_gateway_point_key"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(Integer, Identity(always=True), primary_key=True),
    )
    instrument_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("instrument.id"), nullable=False, index=True)
    )
    gateway_id: uuid.UUID = Field(foreign_key="gateway.id")
    device_key: str = Field(sa_type=Text)
    point_key: str = Field(sa_type=Text)
    name: str = Field(sa_type=Text)
    name_en: str | None = Field(default=None, sa_type=Text)
    canonical_unit: str = Field(sa_type=Text)
    normal_min: float | None = Field(default=None, sa_type=Double)
    normal_max: float | None = Field(default=None, sa_type=Double)
