"""The audit trail: who changed what, when, with the record before and after."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from fastapi.encoders import jsonable_encoder
from sqlalchemy import or_
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.models import AuditLog
from server.auth.models import AppUser

__all__ = ["add_audited", "audit", "audit_entries", "snapshot"]

# Never copied into the trail: file bodies are large and secrets must not leak into it.
Row = TypeVar("Row", bound=SQLModel)

_EXCLUDED = frozenset({"content", "password_hash", "secret_hash", "mqtt_password_hash"})


def snapshot(record: SQLModel | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a record's columns, for the before/after of an audit entry."""
    if record is None:
        return None
    # Enum-typed text columns read back from the database hold plain strings, which is what the
    # snapshot stores; pydantic would warn that they are not enum members.
    data = {k: v for k, v in record.model_dump(warnings=False).items() if k not in _EXCLUDED}
    # Money and measured values stay exact: decimals as their text, never as floats.
    encoded: dict[str, Any] = jsonable_encoder(data, custom_encoder={Decimal: str})
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


async def add_audited(
    session: AsyncSession,
    actor: AppUser | None,
    record: Row,
    *,
    entity: str,
    action: str = "create",
    before: dict[str, Any] | None = None,
    organisation_id: uuid.UUID | None = None,
) -> Row:
    """Store a new or changed record (one with an ``id``) and its audit entry (``before`` for
    a change).

    The entry is filed under ``organisation_id``, by default the record's own institution.
    """
    session.add(record)
    await session.flush()
    after = snapshot(record) or {}
    await audit(
        session,
        actor=actor,
        entity=entity,
        entity_id=after["id"],
        action=action,
        organisation_id=organisation_id or getattr(record, "organisation_id", None),
        before=before,
        after=after,
    )
    return record


async def audit_entries(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID | None,
    entity: str | None = None,
    entity_id: str | None = None,
    instrument_id: uuid.UUID | None = None,
    limit: int = 200,
) -> Sequence[tuple[AuditLog, str | None]]:
    """Entries newest first, each with its actor's name (None for the system).

    ``instrument_id`` selects everything about one instrument: the instrument's own entries and
    those of every record that names it (cost model, certificates, checks, authorisations, ...).
    """
    query = (
        select(AuditLog, AppUser.full_name)
        .outerjoin(AppUser, col(AppUser.id) == col(AuditLog.actor_id))
        .order_by(col(AuditLog.id).desc())
        .limit(limit)
    )
    if organisation_id is not None:
        query = query.where(AuditLog.organisation_id == organisation_id)
    if entity is not None:
        query = query.where(AuditLog.entity == entity)
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == entity_id)
    if instrument_id is not None:
        named = str(instrument_id)
        query = query.where(
            or_(
                col(AuditLog.entity_id) == named,
                col(AuditLog.after)["instrument_id"].astext == named,
                col(AuditLog.before)["instrument_id"].astext == named,
            )
        )
    return [(entry, name) for entry, name in (await session.exec(query)).all()]
