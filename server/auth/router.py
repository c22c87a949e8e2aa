"""``/api/v1/auth``: token log-in and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from server.auth import service
from server.auth.dependencies import CurrentUser, SettingsDep
from server.auth.models import Role
from server.auth.schemas import OrganisationPublic, Token, UserMe
from server.core.db import SessionDep
from server.core.security import create_access_token

__all__ = ["router"]

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token)
async def login(
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange email (``username``) and password for a bearer token."""
    user = await service.authenticate(session, form.username, form.password)
    token = create_access_token(
        user.id, settings.secret_key.get_secret_value(), settings.access_token_expire_minutes
    )
    return Token(access_token=token.token, expires_in=token.expires_in)


@router.get("/me", response_model=UserMe)
async def me(session: SessionDep, user: CurrentUser) -> UserMe:
    organisation = await service.user_organisation(session, user)
    return UserMe(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=Role(user.role),
        organisation=OrganisationPublic.model_validate(organisation, from_attributes=True),
    )
