"""The audit trail's table (created in revision ``0002_registry``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

__all__ = ["AuditLog"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    occurred_at: datetime = Field(
        default_factory=_utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    organisation_id: uuid.UUID | None = None
    entity: str = Field(sa_type=Text)
    entity_id: str = Field(sa_type=Text)
    action: str = Field(sa_type=Text)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
