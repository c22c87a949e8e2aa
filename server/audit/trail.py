"""The audit trail: who changed what, when, with the record before and after."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.registry.models import AuditLog

__all__ = ["audit", "audit_entries", "snapshot"]

# Never copied into the trail: file bodies are large and secrets must not leak into it.
_EXCLUDED = frozenset({"content", "password_hash", "secret_hash", "mqtt_password_hash"})


def snapshot(record: SQLModel | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a record's columns, for the before/after of an audit entry."""
    if record is None:
        return None
    data = {k: v for k, v in record.model_dump().items() if k not in _EXCLUDED}
    encoded: dict[str, Any] = jsonable_encoder(data)
    return encoded


async def audit(
    session: AsyncSession,
    *,
    actor: AppUser | None,
    entity: str,
    entity_id: uuid.UUID | str,
    action: str,
    organisation_id: uuid.UUID | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        organisation_id=organisation_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before=before,
        after=after,
    )
    session.add(entry)
    await session.flush()
    return entry


async def audit_entries(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID | None,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 200,
) -> Sequence[AuditLog]:
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
    if organisation_id is not None:
        query = query.where(AuditLog.organisation_id == organisation_id)
    if entity is not None:
        query = query.where(AuditLog.entity == entity)
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == entity_id)
    return (await session.exec(query)).all()
