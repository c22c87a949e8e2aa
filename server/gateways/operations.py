"""Running gateways: health (lag, spool depth, sequence gaps) and documents pushed to them.

Health comes from what the ingest worker stores: the latest heartbeat per gateway
(``gateway_heartbeat``: spool depth, samples dropped, last sequence number, devices) and the
gaps it found in sequence numbers (``gateway_seq_gap``). Lag is how late the newest
heartbeat arrived (server receive time minus the gateway's own timestamp), or, when the
gateway is silent, how long ago it was last heard from.

Configuration and calibration are pushed as RETAINED QoS 1 messages on the contract topics
(``labshare/v1/gw/{key}/config`` and ``.../calibration``): a gateway that connects later, or
restarts, receives the current document at once. The document is stored per gateway
(``gateway_document``) so it can be shown and pushed again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fastapi import Request
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.gateway_config import ConfigError, config_hash, parse_config_text
from server.auth.models import AppUser
from server.core.errors import FieldError, ServiceUnavailable, ValidationFailed
from server.gateways.models import Gateway

__all__ = [
    "DocumentKind",
    "GatewayHealth",
    "StoredDocument",
    "gateway_health",
    "parse_config_document",
    "push_retained",
    "store_document",
    "stored_document",
]


class DocumentKind(StrEnum):
    CONFIG = "config"
    CALIBRATION = "calibration"


@dataclass(frozen=True, slots=True)
class GatewayHealth:
    gateway: Gateway
    heartbeat: dict[str, Any] | None
    lag_s: float | None
    gaps: list[dict[str, Any]]
    missing_total: int


@dataclass(frozen=True, slots=True)
class StoredDocument:
    kind: DocumentKind
    content_type: str
    body: str
    content_hash: str
    pushed_at: datetime | None
    updated_at: datetime


async def gateway_health(
    session: AsyncSession, gateway: Gateway, *, now: datetime | None = None, gap_limit: int = 50
) -> GatewayHealth:
    now = now or datetime.now(UTC)
    conn = await session.connection()
    beat = (
        await conn.execute(
            text(
                "SELECT received_at, sent_at, spool_depth, spool_dropped_total, last_seq, devices"
                " FROM gateway_heartbeat WHERE gateway_id = :id"
            ),
            {"id": gateway.id},
        )
    ).first()
    heartbeat = None if beat is None else dict(beat._mapping)
    gaps = [
        dict(r._mapping)
        for r in await conn.execute(
            text(
                "SELECT first_missing, last_missing, detected_at FROM gateway_seq_gap"
                " WHERE gateway_id = :id ORDER BY detected_at DESC, id DESC LIMIT :limit"
            ),
            {"id": gateway.id, "limit": gap_limit},
        )
    ]
    missing_total = (
        await conn.execute(
            text(
                "SELECT COALESCE(sum(last_missing - first_missing + 1), 0)"
                " FROM gateway_seq_gap WHERE gateway_id = :id"
            ),
            {"id": gateway.id},
        )
    ).scalar()
    lag_s: float | None = None
    if heartbeat is not None:
        arrival = (heartbeat["received_at"] - heartbeat["sent_at"]).total_seconds()
        silence = (now - heartbeat["received_at"]).total_seconds()
        lag_s = max(arrival, 0.0) + max(silence, 0.0)
    elif gateway.last_seen_at is not None:
        lag_s = max((now - gateway.last_seen_at).total_seconds(), 0.0)
    return GatewayHealth(gateway, heartbeat, lag_s, gaps, int(missing_total or 0))


def _sha256(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def parse_config_document(gateway: Gateway, body: str) -> tuple[str, str]:
    """Validate a gateway configuration; returns (content type, hash the agent will report).

    The schema is the one the edge agent runs on, so a document the agent would refuse is
    refused here, with the same field names.
    """
    try:
        config = parse_config_text(body.encode())
    except ConfigError as exc:
        errors = [
            FieldError(f"document.{i.path}" if i.path else "document", i.message)
            for i in exc.issues
        ]
        raise ValidationFailed(f"The configuration is not usable: {exc}", errors=errors) from exc
    if config.gateway.key != gateway.key:
        raise ValidationFailed.for_field("document.gateway.key", f"must be {gateway.key!r}")
    content_type = "application/json" if body.lstrip().startswith("{") else "application/yaml"
    return content_type, config_hash(config)


async def store_document(
    session: AsyncSession,
    gateway: Gateway,
    kind: DocumentKind,
    *,
    body: str,
    content_type: str,
    content_hash: str,
    user: AppUser | None,
) -> None:
    conn = await session.connection()
    await conn.execute(
        text(
            "INSERT INTO gateway_document"
            " (gateway_id, kind, content_type, body, content_hash, updated_by, updated_at)"
            " VALUES (:gid, :kind, :ct, :body, :hash, :uid, now())"
            " ON CONFLICT (gateway_id, kind) DO UPDATE SET content_type = EXCLUDED.content_type,"
            " body = EXCLUDED.body, content_hash = EXCLUDED.content_hash,"
            " updated_by = EXCLUDED.updated_by, updated_at = now(), pushed_at = NULL"
        ),
        {
            "gid": gateway.id,
            "kind": kind.value,
            "ct": content_type,
            "body": body,
            "hash": content_hash,
            "uid": user.id if user else None,
        },
    )


async def mark_pushed(session: AsyncSession, gateway: Gateway, kind: DocumentKind) -> None:
    conn = await session.connection()
    await conn.execute(
        text(
            "UPDATE gateway_document SET pushed_at = now() WHERE gateway_id = :gid AND kind = :kind"
        ),
        {"gid": gateway.id, "kind": kind.value},
    )


async def stored_document(
    session: AsyncSession, gateway: Gateway, kind: DocumentKind
) -> StoredDocument | None:
    conn = await session.connection()
    row = (
        await conn.execute(
            text(
                "SELECT content_type, body, content_hash, pushed_at, updated_at"
                " FROM gateway_document WHERE gateway_id = :gid AND kind = :kind"
            ),
            {"gid": gateway.id, "kind": kind.value},
        )
    ).first()
    if row is None:
        return None
    return StoredDocument(
        kind, row.content_type, row.body, row.content_hash, row.pushed_at, row.updated_at
    )


def canonical_json(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


async def push_retained(request: Request, topic: str, payload: bytes) -> bool:
    """Publish a gateway document, retained, over the server's broker connection.

    False when the broker did not confirm it (the document stays stored and is pushed again).
    """
    hub = getattr(request.app.state, "live_hub", None)
    if hub is None:
        raise ServiceUnavailable("This server has no broker connection (live hub switched off)")
    ok: bool = await hub.publish_confirmed(topic, payload, retain=True)
    return ok
