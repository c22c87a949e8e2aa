"""``/api/v1/gateways/...``: health (lag, spool, gaps) and the pushed configuration.

The calibration set is pushed by the calibration programme's router, which builds it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from mqtt_contract.v1 import TopicKind, topic_for
from server.auth.dependencies import CurrentUser
from server.core.db import SessionDep
from server.core.errors import NotFound, problem_responses
from server.gateways import service
from server.gateways.operations import (
    DocumentKind,
    gateway_health,
    mark_pushed,
    parse_config_document,
    push_retained,
    store_document,
    stored_document,
)
from server.gateways.schemas import GatewayPublic, PushResult

__all__ = ["router"]

router = APIRouter(prefix="/gateways", tags=["gateways"])


class HeartbeatOut(BaseModel):
    received_at: datetime
    sent_at: datetime
    spool_depth: int
    spool_dropped_total: int
    last_seq: int
    devices: list[dict[str, Any]]


class SequenceGapOut(BaseModel):
    first_missing: int
    last_missing: int
    detected_at: datetime


class GatewayHealthOut(BaseModel):
    gateway: GatewayPublic
    lag_s: float | None = Field(description="how far behind the newest heartbeat is, seconds")
    heartbeat: HeartbeatOut | None
    gaps: list[SequenceGapOut] = Field(description="newest first, at most 50")
    missing_total: int = Field(description="sequence numbers never received, all time")


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: Annotated[str, Field(min_length=1, max_length=1_000_000)]


class DocumentOut(BaseModel):
    kind: Literal["config", "calibration"]
    content_type: str
    body: str
    content_hash: str
    pushed_at: datetime | None
    updated_at: datetime
    running: bool | None = Field(
        default=None, description="config only: the gateway reports running this document"
    )


def _health_out(health: Any) -> GatewayHealthOut:
    return GatewayHealthOut(
        gateway=GatewayPublic.model_validate(health.gateway),
        lag_s=health.lag_s,
        heartbeat=None if health.heartbeat is None else HeartbeatOut(**health.heartbeat),
        gaps=[SequenceGapOut(**g) for g in health.gaps],
        missing_total=health.missing_total,
    )


@router.get("/health", response_model=list[GatewayHealthOut])
async def list_health(session: SessionDep, user: CurrentUser) -> list[GatewayHealthOut]:
    """Every gateway the user may see, with lag, spool depth and sequence gaps."""
    now = datetime.now(UTC)
    return [
        _health_out(await gateway_health(session, g, now=now))
        for g in await service.list_gateways(session, user)
    ]


@router.get("/{gateway_id}/health", response_model=GatewayHealthOut)
async def get_health(
    session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID
) -> GatewayHealthOut:
    gateway = await service.get_gateway(session, user, gateway_id)
    return _health_out(await gateway_health(session, gateway))


@router.get("/{gateway_id}/config", response_model=DocumentOut)
async def get_config(session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID) -> DocumentOut:
    gateway = await service.get_gateway(session, user, gateway_id)
    document = await stored_document(session, gateway, DocumentKind.CONFIG)
    if document is None:
        raise NotFound("No configuration has been stored for this gateway")
    return DocumentOut(
        kind="config",
        content_type=document.content_type,
        body=document.body,
        content_hash=document.content_hash,
        pushed_at=document.pushed_at,
        updated_at=document.updated_at,
        running=gateway.config_hash == document.content_hash,
    )


@router.put("/{gateway_id}/config", response_model=PushResult, responses=problem_responses(503))
async def put_config(
    request: Request, session: SessionDep, user: CurrentUser, gateway_id: uuid.UUID, body: ConfigIn
) -> PushResult:
    """Store the gateway's configuration (YAML or JSON) and push it, retained."""
    gateway = await service.managed_gateway(session, user, gateway_id)
    content_type, content_hash = parse_config_document(gateway, body.document)
    await store_document(
        session,
        gateway,
        DocumentKind.CONFIG,
        body=body.document,
        content_type=content_type,
        content_hash=content_hash,
        user=user,
    )
    topic = topic_for(gateway.key, TopicKind.CONFIG)
    pushed = await push_retained(request, topic, body.document.encode())
    if pushed:
        await mark_pushed(session, gateway, DocumentKind.CONFIG)
    return PushResult(topic=topic, content_hash=content_hash, pushed=pushed)
