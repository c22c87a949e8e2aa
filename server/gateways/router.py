"""``/api/v1/gateways``: the registry, with the broker's accounts kept in line (``broker``)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import text

from server.auth.dependencies import CurrentUser
from server.core.config import Settings
from server.core.db import SessionDep
from server.core.errors import content_responses, problem_responses
from server.gateways import service
from server.gateways.broker import check_key_available, sync_gateway
from server.gateways.models import Gateway
from server.gateways.mosquitto import gateway_client_id
from server.gateways.schemas import (
    GatewayChannel,
    GatewayCreate,
    GatewayCreated,
    GatewayPublic,
    GatewayRetired,
)

__all__ = ["router"]

router = APIRouter(prefix="/gateways", tags=["gateways"])


def _not_cached(response: Response) -> None:
    # A response carrying a secret must not be kept by browsers or proxies (as the log-in token).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


@router.get("", response_model=list[GatewayPublic])
async def list_gateways(session: SessionDep, user: CurrentUser) -> list[GatewayPublic]:
    return [GatewayPublic.model_validate(g) for g in await service.list_gateways(session, user)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "",
    response_model=GatewayCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(503),
)
async def create_gateway(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    body: GatewayCreate,
    response: Response,
) -> GatewayCreated:
    """Register a gateway. The response carries its MQTT password once; store it on the gateway.

    The broker gets the account before the registry commits; 503 ``broker_update_failed`` when
    it did not take it (nothing is registered then)."""
    settings = _settings(request)
    check_key_available(settings, body.key)
    gateway, secret = await service.create_gateway(session, user, body)
    updated = await sync_gateway(settings, session, gateway, secret)
    _not_cached(response)
    return GatewayCreated.model_validate(
        {
            **GatewayPublic.model_validate(gateway).model_dump(),
            "secret": secret,
            "broker_updated": updated,
        }
    )


@router.get("/{gateway_id}", response_model=GatewayPublic)
async def get_gateway(
    session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID
) -> GatewayPublic:
    return GatewayPublic.model_validate(await service.get_gateway(session, user, gateway_id))


@router.post(
    "/{gateway_id}/secret", response_model=GatewayCreated, responses=problem_responses(409, 503)
)
async def rotate_secret(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    gateway_id: uuid.UUID,
    response: Response,
) -> GatewayCreated:
    """Issue a new secret, shown once; the old one is refused from then on.

    503 ``broker_update_failed`` when the broker did not take it (the old secret stays valid)."""
    gateway, secret = await service.rotate_gateway_secret(session, user, gateway_id)
    updated = await sync_gateway(_settings(request), session, gateway, secret)
    _not_cached(response)
    return GatewayCreated.model_validate(
        {
            **GatewayPublic.model_validate(gateway).model_dump(),
            "secret": secret,
            "broker_updated": updated,
        }
    )


@router.post(
    "/{gateway_id}/retire", response_model=GatewayRetired, responses=problem_responses(409, 503)
)
async def retire_gateway(
    request: Request, session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID
) -> GatewayRetired:
    """Retire a gateway: its broker account goes, its channels and history stay."""
    gateway = await service.retire_gateway(session, user, gateway_id)
    updated = await sync_gateway(_settings(request), session, gateway)
    return GatewayRetired.model_validate(
        {**GatewayPublic.model_validate(gateway).model_dump(), "broker_updated": updated}
    )


PASSWORD_ENV = "LABSHARE_EDGE_MQTT_PASSWORD"  # noqa: S105 - the variable's name, not a secret


def agent_config(gateway: Gateway, host: str, port: int) -> str:
    """A starting edge-agent configuration for ``gateway`` (docs/edge-agent.md)."""
    name = " ".join(gateway.name.split())
    return "\n".join(
        [
            f"# labshare edge agent: gateway {gateway.key} ({name})",
            "# The MQTT password is the gateway's secret, shown once when it was issued. Put it",
            f"# into the environment variable {PASSWORD_ENV}, never into this file.",
            "# Add the instruments under devices (docs/edge-agent.md), or push a configuration",
            "# from the gateways page.",
            "gateway:",
            f"  key: {gateway.key}",
            "mqtt:",
            f"  host: {_yaml_scalar(host)}",
            f"  port: {port}",
            f"  username: {gateway.key}",
            f"  password_env: {PASSWORD_ENV}",
            f"  client_id: {gateway_client_id(gateway.key)}",
            "spool:",
            "  path: ./spool.sqlite3",
            "heartbeat:",
            "  interval_s: 30",
            "devices: []",
            "",
        ]
    )


def _yaml_scalar(value: str) -> str:
    # Host names and addresses are plain scalars; anything else is quoted for YAML.
    if value and all(c.isalnum() or c in ".-_:" for c in value) and not value[0].isdigit():
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@router.get(
    "/{gateway_id}/agent-config",
    response_class=Response,
    responses=content_responses("application/yaml"),
)
async def download_agent_config(
    request: Request, session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID
) -> Response:
    """The edge agent's configuration file for this gateway, ready but for its devices."""
    gateway = await service.managed_gateway(session, user, gateway_id)
    settings = _settings(request)
    body = agent_config(
        gateway,
        settings.gateway_mqtt_host or settings.mqtt_host,
        settings.gateway_mqtt_port or settings.mqtt_port,
    )
    return Response(
        body,
        media_type="application/yaml",
        headers={
            "Content-Disposition": f'attachment; filename="{gateway.key}.yaml"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/{gateway_id}/channels", response_model=list[GatewayChannel])
async def list_channels(
    session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID
) -> list[GatewayChannel]:
    """The channels this gateway feeds: device and point, instrument, name and unit.

    Channels belong to the catalogue (added under ``/instruments/{id}/channels``); this reads
    its table, as a lower layer may (docs/architecture.md)."""
    gateway = await service.get_gateway(session, user, gateway_id)
    conn = await session.connection()
    rows = await conn.execute(
        text(
            "SELECT c.id, c.device_key, c.point_key, c.name, c.name_en, c.canonical_unit,"
            " c.instrument_id, i.name AS instrument_name, i.name_en AS instrument_name_en"
            " FROM channel c JOIN instrument i ON i.id = c.instrument_id"
            " WHERE c.gateway_id = :gid ORDER BY c.device_key, c.point_key"
        ),
        {"gid": gateway.id},
    )
    return [GatewayChannel.model_validate(dict(r._mapping)) for r in rows]
