"""``/api/v1/registrations``, ``/api/v1/invitations`` and ``/api/v1/members``: enterprises
register; organisations' administrators invite colleagues and assign their roles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from server.auth.dependencies import CurrentUser
from server.auth.models import Role
from server.core.clock import Clock
from server.core.db import SessionDep
from server.core.errors import problem_responses
from server.core.validators import Text
from server.registration import service
from server.registration.models import RegistrationStatus

__all__ = ["router"]

router = APIRouter(tags=["registration"])

Short = Annotated[Text, Field(min_length=1, max_length=200)]


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company_name: Short
    # 统一社会信用代码, checked against its GB 32100-2015 check character.
    credit_code: Annotated[Text, Field(min_length=1, max_length=40)]
    contact_name: Short
    email: Annotated[Text, Field(min_length=3, max_length=254)]
    phone: Annotated[Text, Field(max_length=40)] | None = None
    city: Annotated[Text, Field(max_length=100)] | None = None
    password: Annotated[str, Field(min_length=1, max_length=200)]


class RegistrationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    company_name: str
    credit_code: str
    city: str | None
    contact_name: str
    email: str
    phone: str | None
    status: RegistrationStatus
    reason: str | None
    created_at: datetime
    decided_at: datetime | None
    organisation_id: uuid.UUID | None


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Text, Field(min_length=1, max_length=1000)]


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[Text, Field(min_length=3, max_length=254)]
    # What the invitee becomes; by default the ordinary role of the inviter's organisation
    # (an enterprise's member, an institution's lab staff).
    role: Role | None = None


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    accepted_at: datetime | None
    created_at: datetime


class InvitationCreated(InvitationOut):
    # Shown once, to pass on: the server keeps only its hash.
    token: str


class InvitationPublic(BaseModel):
    email: str
    organisation_name: str
    organisation_name_en: str | None
    expires_at: datetime


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: Short
    password: Annotated[str, Field(min_length=1, max_length=200)]


class AcceptedOut(BaseModel):
    email: str


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    created_at: datetime


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


@router.post("/registrations", response_model=RegistrationOut, status_code=status.HTTP_201_CREATED)
async def register(session: SessionDep, body: RegistrationIn) -> RegistrationOut:
    """An enterprise applies (no login); it can log in once a platform admin approves."""
    registration = await service.apply(session, **body.model_dump())
    return RegistrationOut.model_validate(registration)


@router.get("/registrations", response_model=list[RegistrationOut])
async def registrations(
    session: SessionDep,
    user: CurrentUser,
    status_: Annotated[RegistrationStatus | None, Query(alias="status")] = None,
) -> list[RegistrationOut]:
    return [
        RegistrationOut.model_validate(r)
        for r in await service.list_registrations(session, user, status_)
    ]


@router.post("/registrations/{registration_id}/approve", response_model=RegistrationOut)
async def approve(
    session: SessionDep, user: CurrentUser, now: Clock, registration_id: uuid.UUID
) -> RegistrationOut:
    return RegistrationOut.model_validate(
        await service.approve(session, user, registration_id, now=now)
    )


@router.post("/registrations/{registration_id}/reject", response_model=RegistrationOut)
async def reject(
    session: SessionDep, user: CurrentUser, now: Clock, registration_id: uuid.UUID, body: RejectIn
) -> RegistrationOut:
    return RegistrationOut.model_validate(
        await service.reject(session, user, registration_id, reason=body.reason, now=now)
    )


@router.post("/invitations", response_model=InvitationCreated, status_code=status.HTTP_201_CREATED)
async def invite(
    session: SessionDep, user: CurrentUser, now: Clock, body: InvitationIn, response: Response
) -> InvitationCreated:
    invitation, token = await service.invite(
        session, user, email=body.email, role=body.role, now=now
    )
    # The token is the invitee's key: browsers and proxies must not keep it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return InvitationCreated(**InvitationOut.model_validate(invitation).model_dump(), token=token)


@router.get("/invitations", response_model=list[InvitationOut])
async def invitations(session: SessionDep, user: CurrentUser) -> list[InvitationOut]:
    return [InvitationOut.model_validate(i) for i in await service.list_invitations(session, user)]


@router.get("/invitations/{token}", response_model=InvitationPublic)
async def invitation(session: SessionDep, now: Clock, token: str) -> InvitationPublic:
    """Who is invited and by which enterprise (no login: the token is the key)."""
    found, organisation = await service.find_invitation(session, token, now=now)
    return InvitationPublic(
        email=found.email,
        organisation_name=organisation.name,
        organisation_name_en=organisation.name_en,
        expires_at=found.expires_at,
    )


@router.post(
    "/invitations/{token}/accept", response_model=AcceptedOut, status_code=status.HTTP_201_CREATED
)
async def accept(session: SessionDep, now: Clock, token: str, body: AcceptIn) -> AcceptedOut:
    user = await service.accept_invitation(
        session, token, full_name=body.full_name, password=body.password, now=now
    )
    return AcceptedOut(email=user.email)


@router.get("/members", response_model=list[MemberOut])
async def members(session: SessionDep, user: CurrentUser) -> list[MemberOut]:
    """The users of your organisation (its administrators: enterprise admins, lab managers)."""
    return [MemberOut.model_validate(m) for m in await service.list_members(session, user)]


@router.put("/members/{member_id}/role", response_model=MemberOut, responses=problem_responses(409))
async def assign_role(
    session: SessionDep, user: CurrentUser, member_id: uuid.UUID, body: RoleIn
) -> MemberOut:
    """Give a colleague another role of your organisation (never your own: 409 ``own_role``);
    a role of another kind of organisation is 422 ``role_not_assignable``."""
    return MemberOut.model_validate(await service.assign_role(session, user, member_id, body.role))
