"""The columns every record of an instrument carries, shared by the registry's and the
calibration programme's tables (revision ``0002_registry``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, func
from sqlmodel import Field, SQLModel

__all__ = ["InstrumentRecordBase", "created_at_field", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class InstrumentRecordBase(SQLModel):
    """A record of one instrument, kept with the owning institution for tenancy checks."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
