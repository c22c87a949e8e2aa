"""``/api/v1/gateways``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from server.auth.dependencies import CurrentUser
from server.core.db import SessionDep
from server.gateways import service
from server.gateways.schemas import GatewayCreate, GatewayCreated, GatewayPublic

__all__ = ["router"]

router = APIRouter(prefix="/gateways", tags=["gateways"])


def _not_cached(response: Response) -> None:
    # A response carrying a secret must not be kept by browsers or proxies (as the log-in token).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


@router.get("", response_model=list[GatewayPublic])
async def list_gateways(session: SessionDep, user: CurrentUser) -> list[GatewayPublic]:
    return [GatewayPublic.model_validate(g) for g in await service.list_gateways(session, user)]


@router.post("", response_model=GatewayCreated, status_code=status.HTTP_201_CREATED)
async def create_gateway(
    session: SessionDep, user: CurrentUser, body: GatewayCreate, response: Response
) -> GatewayCreated:
    """Register a gateway. The response carries its MQTT password once; store it on the gateway."""
    gateway, secret = await service.create_gateway(session, user, body)
    _not_cached(response)
    return GatewayCreated.model_validate(
        {**GatewayPublic.model_validate(gateway).model_dump(), "secret": secret}
    )


@router.get("/{gateway_id}", response_model=GatewayPublic)
async def get_gateway(
    session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID
) -> GatewayPublic:
    return GatewayPublic.model_validate(await service.get_gateway(session, user, gateway_id))


@router.post("/{gateway_id}/secret", response_model=GatewayCreated)
async def rotate_secret(
    session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID, response: Response
) -> GatewayCreated:
    """Issue a new secret, shown once. Regenerate the broker's files (``mosquitto-auth``) after."""
    gateway, secret = await service.rotate_gateway_secret(session, user, gateway_id)
    _not_cached(response)
    return GatewayCreated.model_validate(
        {**GatewayPublic.model_validate(gateway).model_dump(), "secret": secret}
    )
