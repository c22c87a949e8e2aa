"""``/api/v1/gateways``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from server.auth.dependencies import CurrentUser
from server.core.db import SessionDep
from server.gateways import service
from server.gateways.schemas import GatewayCreate, GatewayCreated, GatewayPublic

__all__ = ["router"]

router = APIRouter(prefix="/gateways", tags=["gateways"])


@router.get("", response_model=list[GatewayPublic])
async def list_gateways(session: SessionDep, user: CurrentUser) -> list[GatewayPublic]:
    return [GatewayPublic.model_validate(g) for g in await service.list_gateways(session, user)]


@router.post("", response_model=GatewayCreated, status_code=status.HTTP_201_CREATED)
async def create_gateway(
    session: SessionDep, user: CurrentUser, body: GatewayCreate
) -> GatewayCreated:
    """Register a gateway. The response carries its MQTT password once; store it on the gateway."""
    gateway, secret = await service.create_gateway(session, user, body)
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
    session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID
) -> GatewayCreated:
    """Issue a new secret, shown once. Regenerate the broker's files (``mosquitto-auth``) after."""
    gateway, secret = await service.rotate_gateway_secret(session, user, gateway_id)
    return GatewayCreated.model_validate(
        {**GatewayPublic.model_validate(gateway).model_dump(), "secret": secret}
    )
