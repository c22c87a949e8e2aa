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

from server.auth.models import ENTERPRISE_ROLES, INSTITUTION_ROLES, AppUser, Role
from server.core.errors import Forbidden

__all__ = [
    "is_enterprise",
    "is_platform_admin",
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
