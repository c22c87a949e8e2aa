"""Log-in and user management."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import ROLE_ORGANISATION_KIND, AppUser, Organisation, Role
from server.auth.repository import OrganisationRepository, UserRepository
from server.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from server.core.security import hash_password, password_needs_rehash, verify_password

__all__ = ["MIN_PASSWORD_LENGTH", "authenticate", "create_user", "user_organisation"]

MIN_PASSWORD_LENGTH = 8


async def authenticate(session: AsyncSession, email: str, password: str) -> AppUser:
    """The active user with these credentials; ``Unauthorized`` otherwise (same for all causes)."""
    user = await UserRepository(session).get_by_email(email.strip())
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise Unauthorized("Incorrect email or password")
    if not user.is_active:
        raise Unauthorized("Incorrect email or password")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


async def user_organisation(session: AsyncSession, user: AppUser) -> Organisation:
    organisation = await OrganisationRepository(session).get(user.organisation_id)
    if organisation is None:  # the foreign key makes this impossible short of corruption
        raise NotFound("The user's organisation no longer exists")
    return organisation


async def create_user(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    email: str,
    full_name: str,
    role: Role,
    password: str,
) -> AppUser:
    organisation = await OrganisationRepository(session).get(organisation_id)
    if organisation is None:
        raise ValidationFailed.for_field("organisation_id", "no such organisation")
    expected_kind = ROLE_ORGANISATION_KIND[role]
    if organisation.kind != expected_kind.value:
        raise ValidationFailed.for_field(
            "role",
            f"a {role.value} must belong to an {expected_kind.value}, not {organisation.kind}",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.for_field(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    normalised = email.strip().lower()
    if "@" not in normalised:
        raise ValidationFailed.for_field("email", "is not an email address")
    users = UserRepository(session)
    if await users.get_by_email(normalised) is not None:
        raise Conflict(f"A user with email {normalised} already exists")
    user = AppUser(
        organisation_id=organisation_id,
        email=normalised,
        full_name=full_name,
        role=role.value,
        password_hash=hash_password(password),
    )
    try:
        return await users.add(user)
    except IntegrityError as exc:
        raise Conflict(f"A user with email {normalised} already exists") from exc
