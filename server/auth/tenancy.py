"""Who may see and change what. One place for the rules, so every endpoint agrees.

- platform admin: everything;
- lab staff / lab manager: their own institution's labs, instruments and gateways;
  only managers change them;
- enterprise users: the catalogue fields of open instruments, nothing else (yet).

Anything of another tenant is reported as absent (404), never as forbidden, so its
existence is not revealed.
"""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import (
    ENTERPRISE_ROLES,
    INSTITUTION_ROLES,
    AppUser,
    Organisation,
    OrganisationKind,
    Role,
)
from server.core.errors import Forbidden, ValidationFailed

__all__ = [
    "is_enterprise",
    "is_platform_admin",
    "managed_institution",
    "may_manage_organisation",
    "may_see_organisation",
    "require_catalogue_manager",
]


def role_of(user: AppUser) -> Role:
    return Role(user.role)


def is_platform_admin(user: AppUser) -> bool:
    return role_of(user) is Role.PLATFORM_ADMIN


def is_enterprise(user: AppUser) -> bool:
    return role_of(user) in ENTERPRISE_ROLES


def may_see_organisation(user: AppUser, organisation_id: uuid.UUID) -> bool:
    """Whether the user sees this institution's internal data (instruments, gateways)."""
    if is_platform_admin(user):
        return True
    return role_of(user) in INSTITUTION_ROLES and user.organisation_id == organisation_id


def may_manage_organisation(user: AppUser, organisation_id: uuid.UUID) -> bool:
    if is_platform_admin(user):
        return True
    return role_of(user) is Role.LAB_MANAGER and user.organisation_id == organisation_id


def require_catalogue_manager(user: AppUser) -> None:
    """Only lab managers and platform admins change the catalogue or the gateway registry."""
    if role_of(user) not in (Role.LAB_MANAGER, Role.PLATFORM_ADMIN):
        raise Forbidden(f"A {role_of(user).value} may not change instruments or gateways")


async def managed_institution(
    session: AsyncSession,
    user: AppUser,
    requested: uuid.UUID | None,
    *,
    not_yours: str,
    not_an_institution: str,
) -> uuid.UUID:
    """The institution a manager adds a record to: the one named, or their own. The messages
    say why another organisation is refused (``organisation_id``, 422)."""
    organisation_id = requested or user.organisation_id
    if not may_manage_organisation(user, organisation_id):
        raise ValidationFailed.for_field("organisation_id", not_yours)
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.INSTITUTION.value:
        raise ValidationFailed.for_field("organisation_id", not_an_institution)
    return organisation.id
