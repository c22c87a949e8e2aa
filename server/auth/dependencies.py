"""``CurrentUser``: the authenticated user behind a bearer token; ``OptionalUser``: the same,
or None when no token came (a public page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from server.auth.models import AppUser
from server.auth.repository import UserRepository
from server.core.config import Settings
from server.core.db import SessionDep
from server.core.errors import Unauthorized
from server.core.security import InvalidToken, decode_access_token

__all__ = [
    "CurrentUser",
    "OptionalUser",
    "SettingsDep",
    "get_current_user",
    "get_optional_user",
    "get_settings_dep",
]

# auto_error=False: a missing token is reported by our own problem handler, not FastAPI's.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def _token_user(session: SessionDep, settings: Settings, token: str) -> AppUser:
    try:
        user_id = decode_access_token(token, settings.secret_key.get_secret_value())
    except InvalidToken as exc:
        raise Unauthorized("The access token is invalid or has expired") from exc
    user = await UserRepository(session).get(user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The access token's user no longer exists or is disabled")
    return user


async def get_current_user(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> AppUser:
    if not token:
        raise Unauthorized("Log in first: send an Authorization: Bearer <token> header")
    return await _token_user(session, settings, token)


async def get_optional_user(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> AppUser | None:
    """None for an anonymous visitor (no token); a bad token is still an error."""
    return await _token_user(session, settings, token) if token else None


CurrentUser = Annotated[AppUser, Depends(get_current_user)]
OptionalUser = Annotated[AppUser | None, Depends(get_optional_user)]
