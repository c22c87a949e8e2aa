"""``/api/v1/calendar``: iCalendar (RFC 5545) feeds of bookings, per user and per instrument."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import col, select

from server.auth.dependencies import CurrentUser, SettingsDep
from server.auth.models import AppUser
from server.booking.access import list_bookings, may_see_booking
from server.booking.ical import (
    FeedLanguage,
    build_calendar,
    feed_details,
    feed_token,
    name_in,
    verify_feed_token,
)
from server.booking.models import Booking
from server.catalog.models import Instrument
from server.core.db import SessionDep
from server.core.errors import NotFound, content_responses

__all__ = ["router"]

router = APIRouter(tags=["calendar"])
# What feed_token makes: 40 lower-case hex digits. Anything else is refused before the
# constant-time comparison (which cannot compare non-ASCII text).
FeedToken = Annotated[
    str, Query(pattern=r"^[0-9a-f]{40}$", description="the feed token of /calendar/links")
]
# The language the events are written in; without it, Chinese first and English beside it.
Language = Annotated[
    FeedLanguage | None,
    Query(
        alias="lang",
        description="zh-CN or en: mode, status and names in that language; both when absent",
    ),
]
ICS = "text/calendar; charset=utf-8"
FEED_PAST = timedelta(days=90)


class FeedLinks(BaseModel):
    user_feed: str
    instrument_feed_template: str


@router.get("/calendar/links", response_model=FeedLinks)
async def links(
    request: Request, user: CurrentUser, settings: SettingsDep, language: Language = None
) -> FeedLinks:
    """Subscribable feed URLs (they carry the user's feed token instead of a log-in) whose
    events are written in ``lang``, the web app's language."""
    token = feed_token(settings.secret_key.get_secret_value(), user.id)
    base = str(request.base_url).rstrip("/") + "/api/v1/calendar"
    suffix = f"&lang={language}" if language else ""
    return FeedLinks(
        user_feed=f"{base}/users/{user.id}.ics?token={token}{suffix}",
        instrument_feed_template=(
            f"{base}/instruments/{{instrument_id}}.ics?user={user.id}&token={token}{suffix}"
        ),
    )


async def _feed_user(
    session: SessionDep, settings: SettingsDep, user_id: uuid.UUID, token: str
) -> AppUser:
    user = await session.get(AppUser, user_id)
    if (
        user is None
        or not user.is_active
        or not verify_feed_token(settings.secret_key.get_secret_value(), user_id, token)
    ):
        raise NotFound("No such calendar feed")
    return user


def _web_base(request: Request) -> str:
    """The web app is served by this server: its pages hang off the request's base URL."""
    return str(request.base_url).rstrip("/")


@router.get(
    "/calendar/users/{user_id}.ics",
    response_class=Response,
    responses=content_responses("text/calendar"),
)
async def user_feed(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user_id: uuid.UUID,
    token: FeedToken,
    language: Language = None,
) -> Response:
    user = await _feed_user(session, settings, user_id, token)
    rows = await session.exec(
        select(Booking)
        .where(Booking.user_id == user.id, col(Booking.end_at) > datetime.now(UTC) - FEED_PAST)
        .order_by(col(Booking.start_at))
    )
    bookings = list(rows.all())
    details = await feed_details(session, bookings, _web_base(request), language)
    body = build_calendar(f"labshare · {user.full_name}", bookings, details)
    return Response(body, media_type=ICS)


@router.get(
    "/calendar/instruments/{instrument_id}.ics",
    response_class=Response,
    responses=content_responses("text/calendar"),
)
async def instrument_feed(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    instrument_id: uuid.UUID,
    user: Annotated[uuid.UUID, Query()],
    token: FeedToken,
    language: Language = None,
) -> Response:
    """The instrument's bookings the feed's user may see (their own, or all for its staff)."""
    viewer = await _feed_user(session, settings, user, token)
    instrument = await session.get(Instrument, instrument_id)
    if instrument is None:
        raise NotFound("No such calendar feed")
    bookings = [
        b
        for b in await list_bookings(
            session, viewer, start=datetime.now(UTC) - FEED_PAST, instrument_id=instrument_id
        )
        if may_see_booking(viewer, b, instrument)
    ]
    if not bookings and not (
        instrument.is_open or viewer.organisation_id == instrument.organisation_id
    ):
        raise NotFound("No such calendar feed")
    details = await feed_details(session, bookings, _web_base(request), language)
    name = name_in(instrument.name, instrument.name_en, language)
    body = build_calendar(f"labshare · {name}", bookings, details)
    return Response(body, media_type=ICS)
