"""Apply, decide, invite, accept.

Problems carry a stable ``code`` the web app translates (web/src/i18n/problems.ts):
``credit_code_invalid``, ``password_too_short``, ``email_invalid`` (422), ``email_taken``,
``credit_code_taken``, ``registration_decided`` (409), ``invitation_invalid`` (404).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.trail import audit
from server.auth.models import AppUser, Organisation, OrganisationKind, Role
from server.auth.service import MIN_PASSWORD_LENGTH
from server.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from server.core.security import hash_password
from server.notifications.service import notify
from server.registration.credit_code import is_valid_credit_code, normalise
from server.registration.models import (
    EnterpriseRegistration,
    Invitation,
    RegistrationStatus,
)

__all__ = [
    "ASSIGNABLE_ROLES",
    "INVITATION_LIFETIME",
    "accept_invitation",
    "apply",
    "approve",
    "assign_role",
    "find_invitation",
    "invite",
    "list_invitations",
    "list_members",
    "list_registrations",
    "reject",
]

INVITATION_LIFETIME = timedelta(days=7)


def _invalid(field: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field}: {message}", errors=[FieldError(field, message)], extensions={"code": code}
    )


def _email(value: str) -> str:
    email = value.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise _invalid("email", "email_invalid", "is not an email address")
    return email


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise _invalid(
            "password", "password_too_short", f"must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    return hash_password(value)


async def _email_in_use(session: AsyncSession, email: str) -> bool:
    user = await session.exec(select(AppUser.id).where(AppUser.email == email))
    if user.first() is not None:
        return True
    pending = await session.exec(
        select(EnterpriseRegistration.id).where(
            EnterpriseRegistration.email == email,
            EnterpriseRegistration.status == RegistrationStatus.PENDING,
        )
    )
    return pending.first() is not None


async def apply(
    session: AsyncSession,
    *,
    company_name: str,
    credit_code: str,
    contact_name: str,
    email: str,
    password: str,
    phone: str | None = None,
    city: str | None = None,
) -> EnterpriseRegistration:
    code = normalise(credit_code)
    if not is_valid_credit_code(code):
        raise _invalid(
            "credit_code",
            "credit_code_invalid",
            "is not a unified social credit code (GB 32100-2015 check character)",
        )
    address = _email(email)
    password_hash = _password(password)
    if await _email_in_use(session, address):
        raise Conflict(f"{address} is already registered", extensions={"code": "email_taken"})
    taken = await session.exec(
        select(EnterpriseRegistration.id).where(
            EnterpriseRegistration.credit_code == code,
            EnterpriseRegistration.status != RegistrationStatus.REJECTED,
        )
    )
    if taken.first() is not None:
        raise Conflict(
            f"An enterprise with credit code {code} is already registered",
            extensions={"code": "credit_code_taken"},
        )
    registration = EnterpriseRegistration(
        company_name=company_name.strip(),
        credit_code=code,
        city=(city or "").strip() or None,
        contact_name=contact_name.strip(),
        email=address,
        phone=(phone or "").strip() or None,
        password_hash=password_hash,
    )
    session.add(registration)
    await session.flush()
    admins = await session.exec(
        select(AppUser.id).where(
            AppUser.role == Role.PLATFORM_ADMIN.value, col(AppUser.is_active).is_(True)
        )
    )
    await notify(
        session,
        user_ids=admins.all(),
        kind="registration_submitted",
        title=f"企业注册待审核：{registration.company_name}",
        body=f"{registration.company_name}（{code}）申请注册，联系人 {registration.contact_name}。",
        data={"registration_id": registration.id},
    )
    return registration


def _require_platform_admin(user: AppUser) -> None:
    if user.role != Role.PLATFORM_ADMIN.value:
        raise Forbidden("Only platform administrators decide on registrations")


async def list_registrations(
    session: AsyncSession, user: AppUser, status: RegistrationStatus | None
) -> Sequence[EnterpriseRegistration]:
    _require_platform_admin(user)
    query = select(EnterpriseRegistration)
    if status is not None:
        query = query.where(EnterpriseRegistration.status == status.value)
    query = query.order_by(col(EnterpriseRegistration.created_at).desc()).limit(500)
    return (await session.exec(query)).all()


async def _pending(
    session: AsyncSession, user: AppUser, registration_id: uuid.UUID
) -> EnterpriseRegistration:
    _require_platform_admin(user)
    registration = await session.get(EnterpriseRegistration, registration_id, with_for_update=True)
    if registration is None:
        raise NotFound(f"Registration {registration_id} not found")
    if registration.status != RegistrationStatus.PENDING:
        raise Conflict(
            f"Registration {registration_id} was already {registration.status}",
            extensions={"code": "registration_decided", "status": registration.status},
        )
    return registration


async def approve(
    session: AsyncSession, user: AppUser, registration_id: uuid.UUID, *, now: datetime
) -> EnterpriseRegistration:
    """Creates the enterprise and its admin account (the applicant's e-mail and password)."""
    registration = await _pending(session, user, registration_id)
    taken = await session.exec(select(AppUser.id).where(AppUser.email == registration.email))
    if taken.first() is not None:
        raise Conflict(
            f"{registration.email} is already registered", extensions={"code": "email_taken"}
        )
    organisation = Organisation(
        kind=OrganisationKind.ENTERPRISE.value,
        name=registration.company_name,
        city=registration.city,
    )
    session.add(organisation)
    await session.flush()
    admin = AppUser(
        organisation_id=organisation.id,
        email=registration.email,
        full_name=registration.contact_name,
        role=Role.ENTERPRISE_ADMIN.value,
        password_hash=registration.password_hash,
    )
    session.add(admin)
    registration.status = RegistrationStatus.APPROVED
    registration.decided_by, registration.decided_at = user.id, now
    registration.organisation_id = organisation.id
    session.add(registration)
    await session.flush()
    await notify(
        session,
        user_ids=[admin.id],
        kind="registration_approved",
        title="企业注册已通过 / Your registration is approved",
        body=f"{registration.company_name} 已通过审核，可以登录预约仪器。"
        " Your enterprise is approved: you can log in and book instruments.",
        data={"organisation_id": organisation.id},
    )
    return registration


async def reject(
    session: AsyncSession,
    user: AppUser,
    registration_id: uuid.UUID,
    *,
    reason: str,
    now: datetime,
) -> EnterpriseRegistration:
    registration = await _pending(session, user, registration_id)
    registration.status = RegistrationStatus.REJECTED
    registration.reason = reason.strip()
    registration.decided_by, registration.decided_at = user.id, now
    session.add(registration)
    await session.flush()
    return registration


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Whom an organisation's administrator may bring in, and as what: an enterprise admin its users,
# a lab manager the institution's staff. Everyone else invites no one.
ASSIGNABLE_ROLES: dict[Role, tuple[Role, ...]] = {
    Role.ENTERPRISE_ADMIN: (Role.ENTERPRISE_MEMBER, Role.ENTERPRISE_ADMIN),
    Role.LAB_MANAGER: (Role.LAB_STAFF, Role.LAB_MANAGER),
}


def _assignable(user: AppUser) -> tuple[Role, ...]:
    roles = ASSIGNABLE_ROLES.get(Role(user.role))
    if roles is None:
        raise Forbidden(
            "Only an organisation's administrator (an enterprise admin or a lab manager) "
            "invites users and assigns roles",
            extensions={"code": "not_organisation_admin"},
        )
    return roles


def _checked_role(user: AppUser, role: Role | None) -> Role:
    """The role asked for, or the ordinary one of the admin's organisation; 422 if not theirs."""
    roles = _assignable(user)
    if role is None:
        return roles[0]
    if role not in roles:
        raise ValidationFailed(
            f"role: {role.value} is not a role of your organisation",
            errors=[FieldError("role", "is not a role of your organisation")],
            extensions={"code": "role_not_assignable", "role": role.value},
        )
    return role


async def invite(
    session: AsyncSession,
    user: AppUser,
    *,
    email: str,
    now: datetime,
    role: Role | None = None,
) -> tuple[Invitation, str]:
    """A new invitation and its token (shown once; only its hash is kept)."""
    granted = _checked_role(user, role)
    address = _email(email)
    if await _email_in_use(session, address):
        raise Conflict(f"{address} is already registered", extensions={"code": "email_taken"})
    token = secrets.token_urlsafe(24)
    invitation = Invitation(
        organisation_id=user.organisation_id,
        email=address,
        role=granted,
        token_hash=_token_hash(token),
        invited_by=user.id,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    await session.flush()
    return invitation, token


async def list_invitations(session: AsyncSession, user: AppUser) -> Sequence[Invitation]:
    _assignable(user)
    query = (
        select(Invitation)
        .where(Invitation.organisation_id == user.organisation_id)
        .order_by(col(Invitation.created_at).desc())
        .limit(200)
    )
    return (await session.exec(query)).all()


async def list_members(session: AsyncSession, user: AppUser) -> Sequence[AppUser]:
    """The users of the administrator's own organisation, by name."""
    _assignable(user)
    query = (
        select(AppUser)
        .where(AppUser.organisation_id == user.organisation_id)
        .order_by(col(AppUser.full_name), col(AppUser.email))
    )
    return (await session.exec(query)).all()


async def assign_role(
    session: AsyncSession, user: AppUser, member_id: uuid.UUID, role: Role
) -> AppUser:
    """Give a colleague another role of the organisation, with an audit entry.

    An administrator cannot change their own role: the organisation would be left without one
    by a slip of the hand; another administrator does it."""
    granted = _checked_role(user, role)
    member = await session.get(AppUser, member_id)
    if member is None or member.organisation_id != user.organisation_id:
        raise NotFound(f"User {member_id} not found")
    if member.id == user.id:
        raise Conflict(
            "You cannot change your own role; ask another administrator",
            extensions={"code": "own_role"},
        )
    if member.role == granted.value:
        return member
    before = {"role": member.role}
    member.role = granted.value
    session.add(member)
    await session.flush()
    await audit(
        session,
        actor=user,
        entity="app_user",
        entity_id=member.id,
        action="assign_role",
        organisation_id=member.organisation_id,
        before=before,
        after={"role": member.role},
    )
    return member


async def find_invitation(
    session: AsyncSession, token: str, *, now: datetime
) -> tuple[Invitation, Organisation]:
    invitation = (
        await session.exec(
            select(Invitation).where(Invitation.token_hash == _token_hash(token)).with_for_update()
        )
    ).first()
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        raise NotFound(
            "This invitation is unknown, used or expired", extensions={"code": "invitation_invalid"}
        )
    organisation = await session.get(Organisation, invitation.organisation_id)
    assert organisation is not None
    return invitation, organisation


async def accept_invitation(
    session: AsyncSession, token: str, *, full_name: str, password: str, now: datetime
) -> AppUser:
    invitation, _ = await find_invitation(session, token, now=now)
    password_hash = _password(password)
    taken = await session.exec(
        select(func.count()).select_from(AppUser).where(AppUser.email == invitation.email)
    )
    if taken.one():
        raise Conflict(
            f"{invitation.email} is already registered", extensions={"code": "email_taken"}
        )
    user = AppUser(
        organisation_id=invitation.organisation_id,
        email=invitation.email,
        full_name=full_name.strip(),
        role=Role(invitation.role).value,
        password_hash=password_hash,
    )
    session.add(user)
    invitation.accepted_at = now
    session.add(invitation)
    await session.flush()
    return user
