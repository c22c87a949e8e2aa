"""``/api/v1/notifications``: the user's in-app notifications and e-mail preferences."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from server.auth.dependencies import CurrentUser
from server.core.db import SessionDep
from server.core.errors import NotFound
from server.notifications.kinds import KindGroup, kinds_for_role
from server.notifications.preferences import email_settings, set_email_preferences
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


class EmailPreferenceOut(BaseModel):
    kind: str = Field(description="The notification kind (stable identifier).")
    group: KindGroup
    email_enabled: bool = Field(description="Whether this kind is also sent by e-mail.")
    editable: bool = Field(description="False for mandatory kinds: always e-mailed.")


class EmailPreferencesOut(BaseModel):
    email: str = Field(description="Where the e-mails go.")
    email_possible: bool = Field(description="Whether the user has an address to e-mail.")
    preferences: list[EmailPreferenceOut]


class EmailPreferenceIn(BaseModel):
    kind: str = Field(min_length=1, max_length=100)
    email_enabled: bool


class EmailPreferencesIn(BaseModel):
    preferences: list[EmailPreferenceIn] = Field(max_length=200)


async def _preferences(session: SessionDep, user: CurrentUser) -> EmailPreferencesOut:
    chosen = await email_settings(session, user.id)
    return EmailPreferencesOut(
        email=user.email,
        email_possible=bool(user.email),
        preferences=[
            EmailPreferenceOut(
                kind=k.kind,
                group=k.group,
                email_enabled=True if k.mandatory else chosen.get(k.kind, True),
                editable=not k.mandatory,
            )
            for k in kinds_for_role(user.role)
        ],
    )


@router.get("/notifications/preferences", response_model=EmailPreferencesOut)
async def email_preferences(session: SessionDep, user: CurrentUser) -> EmailPreferencesOut:
    """Every notification kind the user can receive, whether it is also e-mailed, and whether
    the user may change that. In-app notifications are always sent."""
    return await _preferences(session, user)


@router.put("/notifications/preferences", response_model=EmailPreferencesOut)
async def update_email_preferences(
    session: SessionDep, user: CurrentUser, body: EmailPreferencesIn
) -> EmailPreferencesOut:
    """Set e-mail on or off for the kinds given (others keep their setting). Problem codes
    ``notification_kind_unknown`` and ``notification_kind_mandatory`` (422)."""
    await set_email_preferences(
        session, user.id, {p.kind: p.email_enabled for p in body.preferences}
    )
    return await _preferences(session, user)
