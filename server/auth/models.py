"""Organisations and their users."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, Text, func
from sqlmodel import Field, SQLModel

__all__ = [
    "ENTERPRISE_ROLES",
    "INSTITUTION_ROLES",
    "AppUser",
    "LoginThrottle",
    "Organisation",
    "OrganisationKind",
    "Role",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class OrganisationKind(StrEnum):
    INSTITUTION = "institution"
    ENTERPRISE = "enterprise"
    PLATFORM = "platform"


class Role(StrEnum):
    ENTERPRISE_MEMBER = "enterprise_member"
    ENTERPRISE_ADMIN = "enterprise_admin"
    LAB_STAFF = "lab_staff"
    LAB_MANAGER = "lab_manager"
    PLATFORM_ADMIN = "platform_admin"


INSTITUTION_ROLES = frozenset({Role.LAB_STAFF, Role.LAB_MANAGER})
ENTERPRISE_ROLES = frozenset({Role.ENTERPRISE_MEMBER, Role.ENTERPRISE_ADMIN})

# Which organisation kind each role belongs to: a lab manager of an enterprise makes no sense.
ROLE_ORGANISATION_KIND: dict[Role, OrganisationKind] = {
    Role.ENTERPRISE_MEMBER: OrganisationKind.ENTERPRISE,
    Role.ENTERPRISE_ADMIN: OrganisationKind.ENTERPRISE,
    Role.LAB_STAFF: OrganisationKind.INSTITUTION,
    Role.LAB_MANAGER: OrganisationKind.INSTITUTION,
    Role.PLATFORM_ADMIN: OrganisationKind.PLATFORM,
}


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('institution', 'enterprise', 'platform')", name="organisation_kind_check"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_type=Text)
    name: str = Field(sa_type=Text)
    name_en: str | None = Field(default=None, sa_type=Text)
    city: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class AppUser(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(
            "role IN ('enterprise_member', 'enterprise_admin', 'lab_staff', 'lab_manager', "
            "'platform_admin')",
            name="app_user_role_check",
        ),
        CheckConstraint("email = lower(email)", name="app_user_email_lowercase_check"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    email: str = Field(sa_type=Text, unique=True)
    full_name: str = Field(sa_type=Text)
    password_hash: str = Field(sa_type=Text)
    role: str = Field(sa_type=Text)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": "true"})
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class LoginThrottle(SQLModel, table=True):
    """Failed log-ins counted per account (``scope='account'``) and per client address.

    Kept in the database, not in process memory, so every API process sees the same counts
    (server.auth.throttle).
    """

    __tablename__ = "login_throttle"
    __table_args__ = (
        CheckConstraint("scope IN ('account', 'address')", name="login_throttle_scope_check"),
    )

    scope: str = Field(sa_type=Text, primary_key=True)
    key: str = Field(sa_type=Text, primary_key=True)
    failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    window_start: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
    lockouts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
