"""``/api/v1/auth``: token log-in and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from server.auth import service, throttle
from server.auth.dependencies import CurrentUser, SettingsDep
from server.auth.models import Role
from server.auth.schemas import OrganisationPublic, Token, UserMe
from server.core.db import SessionDep
from server.core.errors import Unauthorized
from server.core.security import create_access_token

__all__ = ["router"]

router = APIRouter(prefix="/auth", tags=["auth"])


def _throttle_policy(request: Request) -> throttle.LoginThrottlePolicy:
    # Tests may preset app.state.login_throttle_policy (shorter lock-outs, lower limits).
    policy: throttle.LoginThrottlePolicy | None = getattr(
        request.app.state, "login_throttle_policy", None
    )
    return policy or throttle.DEFAULT_POLICY


@router.post(
    "/token",
    response_model=Token,
    responses={
        429: {
            "description": "Too many failed log-ins for this account or from this address: "
            "problem code `login_throttled`, `retry_after_s` and a Retry-After header"
        }
    },
)
async def login(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange email (``username``) and password for a bearer token.

    Failed log-ins are limited per account and per client address (server.auth.throttle);
    while locked out, even the right password is answered 429.
    """
    engine = request.app.state.engine
    policy = _throttle_policy(request)
    address = request.client.host if request.client else None
    attempt = await throttle.begin_attempt(engine, policy, form.username, address)
    try:
        user = await service.authenticate(session, form.username, form.password)
    except Unauthorized:
        await throttle.finish_attempt(engine, policy, attempt, succeeded=False)
        raise
    await throttle.finish_attempt(engine, policy, attempt, succeeded=True)
    # The token must not be kept by browsers or proxies (RFC 6749 §5.1).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
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
