"""Delivers committed outbox rows: an in-app notification and, when configured, an e-mail.

Each row is claimed with ``FOR UPDATE SKIP LOCKED`` so several server processes can run the
dispatcher side by side. The in-app notification is written in the same transaction that
marks the row sent; an e-mail that fails is retried with back-off and the row stays pending.
A row queued before its user switched e-mail off for the kind is delivered in-app only (the
batch's preferences are read with one query).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.notifications.config import NotificationSettings
from server.notifications.models import Notification, OutboxMessage
from server.notifications.preferences import email_opt_outs
from server.notifications.smtp import MailSender, build_message

__all__ = ["dispatch_pending"]

logger = logging.getLogger(__name__)


async def dispatch_pending(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: NotificationSettings,
    sender: MailSender | None,
    *,
    batch: int = 100,
    now: datetime | None = None,
) -> int:
    """Deliver up to ``batch`` due messages; returns how many were marked sent."""
    now = now or datetime.now(UTC)
    sent = 0
    async with sessionmaker() as session, session.begin():
        rows = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.next_attempt_at) <= now)
            .order_by(col(OutboxMessage.id))
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        messages = rows.all()
        no_email = (
            await email_opt_outs(session, ((m.user_id, m.kind) for m in messages))
            if sender is not None
            else set()
        )
        for message in messages:
            user = await session.get(AppUser, message.user_id)
            if user is None:
                message.sent_at, message.last_error = now, "recipient no longer exists"
                session.add(message)
                continue
            if sender is not None and (message.user_id, message.kind) not in no_email:
                try:
                    await sender.send(
                        build_message(
                            sender=settings.smtp_from,
                            to=user.email,
                            subject=message.title,
                            body=message.body,
                        )
                    )
                except (OSError, ValueError) as exc:
                    message.attempts += 1
                    message.last_error = str(exc)[:500]
                    if message.attempts >= settings.outbox_max_attempts:
                        # Give up on e-mail but keep the in-app notice.
                        logger.error("e-mail to %s failed for good: %s", user.email, exc)
                    else:
                        backoff = timedelta(seconds=min(30 * 2**message.attempts, 3600))
                        message.next_attempt_at = now + backoff
                        session.add(message)
                        continue
            session.add(
                Notification(
                    user_id=message.user_id,
                    kind=message.kind,
                    title=message.title,
                    body=message.body,
                    data=message.data,
                )
            )
            message.sent_at = now
            session.add(message)
            sent += 1
    return sent
