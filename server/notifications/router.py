"""``/api/v1/notifications``: the user's in-app notifications."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict

from server.auth.dependencies import CurrentUser
from server.core.db import SessionDep
from server.core.errors import NotFound
from server.notifications.service import list_notifications, mark_read

__all__ = ["router"]

router = APIRouter(tags=["notifications"])


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    title: str
    body: str
    data: dict[str, object]
    read_at: datetime | None
    created_at: datetime


@router.get("/notifications", response_model=list[NotificationOut])
async def notifications(
    session: SessionDep, user: CurrentUser, unread: bool = False
) -> list[NotificationOut]:
    rows = await list_notifications(session, user.id, unread_only=unread)
    return [NotificationOut.model_validate(n) for n in rows]


@router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def read(session: SessionDep, user: CurrentUser, notification_id: uuid.UUID) -> None:
    if not await mark_read(session, user.id, notification_id):
        raise NotFound(f"Notification {notification_id} not found")
