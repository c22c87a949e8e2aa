"""The transactional outbox and in-app notifications."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Identity, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

__all__ = ["EmailPreference", "Notification", "OutboxMessage"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class OutboxMessage(SQLModel, table=True):
    """Written in the same transaction as the change it reports; the dispatcher delivers it."""

    __tablename__ = "outbox"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    kind: str = Field(sa_type=Text)
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    title: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class Notification(SQLModel, table=True):
    __tablename__ = "notification"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(sa_type=Text)
    title: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class EmailPreference(SQLModel, table=True):
    """Whether a user wants e-mail for one notification kind. No row: e-mail, as always; the
    in-app notification is sent either way."""

    __tablename__ = "notification_email_preference"

    user_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    kind: str = Field(sa_type=Text, primary_key=True)
    email_enabled: bool = True
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
