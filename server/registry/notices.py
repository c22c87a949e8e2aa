"""Telling users about calibration findings and reminders.

Each notice is recorded in the registry's own ``registry_notice`` table, whose unique
``dedupe_key`` makes a repeated reminder run harmless, and queued for the user through the
notification outbox (in-app and, when configured, e-mail).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from server.notifications.service import notify
from server.registry.models import RegistryNotice

__all__ = ["notify_users"]


async def notify_users(
    session: AsyncSession,
    *,
    user_ids: Iterable[uuid.UUID],
    kind: str,
    title: str,
    body: str,
    data: dict[str, Any],
    dedupe_key: str | None = None,
) -> list[uuid.UUID]:
    """Record a notice for each user (once per ``dedupe_key``); returns who was told."""
    recipients = list(dict.fromkeys(user_ids))
    if not recipients:
        return []
    # The local table is always written: it is the registry's own record of who was told,
    # and its unique key is what keeps reminders from repeating.
    told: list[uuid.UUID] = []
    connection = await session.connection()
    for user_id in recipients:
        statement = (
            insert(RegistryNotice)
            .values(
                id=uuid.uuid4(),
                user_id=user_id,
                kind=kind,
                title=title,
                body=body,
                data=data,
                dedupe_key=dedupe_key,
            )
            .on_conflict_do_nothing(constraint="registry_notice_dedupe_key")
            .returning(RegistryNotice.__table__.c.user_id)  # type: ignore[attr-defined]
        )
        if (await connection.execute(statement)).first() is not None:
            told.append(user_id)
    if told:
        await notify(session, user_ids=told, kind=kind, title=title, body=body, data=data)
    return told
