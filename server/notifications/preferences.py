"""E-mail preferences: per user and notification kind, whether the notice is also e-mailed.

Only choices are stored; a kind without a row is e-mailed, as before preferences existed.
Mandatory kinds (``server.notifications.kinds.MANDATORY``) are e-mailed whatever is stored.

Problem codes: ``notification_kind_unknown`` (422, a kind the server does not emit),
``notification_kind_mandatory`` (422, e-mail for a mandatory kind cannot be switched off).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import func, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.core.errors import ValidationFailed
from server.notifications.kinds import BY_KIND, MANDATORY
from server.notifications.models import EmailPreference

__all__ = [
    "NOTIFICATION_KIND_MANDATORY",
    "NOTIFICATION_KIND_UNKNOWN",
    "email_opt_outs",
    "email_settings",
    "set_email_preferences",
]

NOTIFICATION_KIND_UNKNOWN = "notification_kind_unknown"
"""Problem code: a preference names a kind of notification the server does not send."""

NOTIFICATION_KIND_MANDATORY = "notification_kind_mandatory"
"""Problem code: e-mail for this kind is mandatory and cannot be switched off."""


async def email_settings(session: AsyncSession, user_id: uuid.UUID) -> dict[str, bool]:
    """The user's stored choices, kind -> e-mail on (kinds without a choice are absent)."""
    rows = await session.exec(
        select(EmailPreference.kind, EmailPreference.email_enabled).where(
            EmailPreference.user_id == user_id
        )
    )
    return dict(rows.all())


async def set_email_preferences(
    session: AsyncSession, user_id: uuid.UUID, choices: Mapping[str, bool]
) -> None:
    """Store the choices (validated: known kinds, mandatory ones stay on); flushes."""
    for index, (kind, enabled) in enumerate(choices.items()):
        field = f"preferences.{index}.kind"
        if kind not in BY_KIND:
            raise ValidationFailed.for_field(
                field, f"unknown notification kind {kind!r}", code=NOTIFICATION_KIND_UNKNOWN
            )
        if kind in MANDATORY and not enabled:
            raise ValidationFailed.for_field(
                field,
                f"e-mail for {kind!r} is mandatory and cannot be switched off",
                code=NOTIFICATION_KIND_MANDATORY,
            )
    rows = [
        {"user_id": user_id, "kind": kind, "email_enabled": enabled}
        for kind, enabled in choices.items()
        if kind not in MANDATORY
    ]
    if not rows:
        return
    statement = insert(EmailPreference).values(rows)
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["user_id", "kind"],
            set_={"email_enabled": statement.excluded.email_enabled, "updated_at": func.now()},
        )
    )


async def email_opt_outs(
    session: AsyncSession, pairs: Iterable[tuple[uuid.UUID, str]]
) -> set[tuple[uuid.UUID, str]]:
    """Which (user, kind) pairs must not be e-mailed: one query for all of them."""
    wanted: Collection[tuple[uuid.UUID, str]] = {
        (user_id, kind) for user_id, kind in pairs if kind not in MANDATORY
    }
    if not wanted:
        return set()
    rows = await session.exec(
        select(EmailPreference.user_id, EmailPreference.kind).where(
            tuple_(col(EmailPreference.user_id), col(EmailPreference.kind)).in_(list(wanted)),
            col(EmailPreference.email_enabled).is_(False),
        )
    )
    return set(rows.all())
