"""Labs, instruments and the telemetry channels of an instrument."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
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
