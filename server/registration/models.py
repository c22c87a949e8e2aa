"""Registrations of enterprises and invitations to join an organisation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Text, func
from sqlmodel import Field, SQLModel

from server.auth.models import Role

__all__ = ["EnterpriseRegistration", "Invitation", "RegistrationStatus"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class RegistrationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class EnterpriseRegistration(SQLModel, table=True):
    """An application; the organisation and its first (admin) user exist only once approved."""

    __tablename__ = "enterprise_registration"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    company_name: str = Field(sa_type=Text)
    credit_code: str = Field(sa_type=Text)
    city: str | None = Field(default=None, sa_type=Text)
    contact_name: str = Field(sa_type=Text)
    email: str = Field(sa_type=Text)
    phone: str | None = Field(default=None, sa_type=Text)
    password_hash: str = Field(sa_type=Text)
    status: RegistrationStatus = Field(default=RegistrationStatus.PENDING, sa_type=Text)
    reason: str | None = Field(default=None, sa_type=Text)
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class Invitation(SQLModel, table=True):
    """A link an organisation's administrator sends a colleague: an enterprise admin invites its
    users, a lab manager the institution's staff. ``role`` is what the invitee becomes; only the
    token's SHA-256 is kept."""

    __tablename__ = "invitation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    email: str = Field(sa_type=Text)
    role: Role = Field(sa_type=Text)
    token_hash: str = Field(sa_type=Text, unique=True)
    invited_by: uuid.UUID = Field(foreign_key="app_user.id")
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    accepted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
