"""``notify``: what every domain calls to tell users something.

It only writes outbox rows in the caller's transaction: if the business change rolls back,
so does the notice, and nothing is ever sent about a change that did not happen. The
dispatcher (server.notifications.dispatcher) turns committed rows into in-app notifications
and e-mails.

A recipient who switched e-mail off for the kind (server.notifications.preferences) gets no
outbox row: the in-app notification is written straight away, in the same transaction. The
recipients' preferences are read with one query per call.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.notifications.models import Notification, OutboxMessage
from server.notifications.preferences import email_opt_outs

__all__ = ["list_notifications", "mark_read", "notify"]


async def notify(
    session: AsyncSession,
    *,
    user_ids: Iterable[uuid.UUID],
    kind: str,
    title: str,
    body: str,
    data: Mapping[str, Any] | None = None,
) -> list[OutboxMessage]:
    """Queue one message per distinct user in the current transaction (flushes, no commit);
    returns the queued outbox rows (users who want no e-mail for ``kind`` get none: their
    in-app notification is added directly)."""
    payload = {
        k: (str(v) if isinstance(v, uuid.UUID | datetime) else v) for k, v in (data or {}).items()
    }
    recipients = list(dict.fromkeys(user_ids))
    if not recipients:
        return []
    no_email = {user for user, _ in await email_opt_outs(session, ((u, kind) for u in recipients))}
    messages = [
        OutboxMessage(kind=kind, user_id=user_id, title=title, body=body, data=payload)
        for user_id in recipients
        if user_id not in no_email
    ]
    session.add_all(messages)
    session.add_all(
        Notification(user_id=user_id, kind=kind, title=title, body=body, data=payload)
        for user_id in recipients
        if user_id in no_email
    )
    await session.flush()
    return messages


async def list_notifications(
    session: AsyncSession, user_id: uuid.UUID, *, unread_only: bool = False, limit: int = 100
) -> Sequence[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    query = query.order_by(col(Notification.created_at).desc()).limit(limit)
    return (await session.exec(query)).all()


async def mark_read(session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID) -> bool:
    result = await session.exec(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.user_id) == user_id)
        .values(read_at=func.coalesce(Notification.read_at, func.now()))
    )
    return bool(result.rowcount)
