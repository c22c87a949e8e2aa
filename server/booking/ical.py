"""iCalendar (RFC 5545) feeds of bookings, per user and per instrument.

Calendar clients cannot send a bearer token, so a feed URL carries a per-user token: an
HMAC of the user id under the server's secret key. Rotating the secret key revokes them all.

An event is what a person reads in a phone calendar: the instrument, the mode and status in
words (Chinese first, English beside it), a short booking reference, where the instrument
stands and a link back to the web app. It only changes when the booking does: an unchanged
booking gives a byte-identical ``VEVENT`` on every fetch, so clients do not churn.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import Organisation
from server.booking.models import Booking
from server.catalog.models import Instrument, Lab
from server.notifications.models import OutboxMessage

__all__ = [
    "BookingRevision",
    "FeedDetails",
    "InstrumentPlace",
    "booking_reference",
    "build_calendar",
    "feed_details",
    "feed_token",
    "verify_feed_token",
]

# RFC 5545 §3.8.1.11 STATUS of a VEVENT.
_STATUS = {
    "pending": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "checked_in": "CONFIRMED",
    "completed": "CONFIRMED",
    "cancelled": "CANCELLED",
    "rejected": "CANCELLED",
    "no_show": "CANCELLED",
}
# The same words as the web app's booking screens.
_STATUS_WORDS = {
    "pending": "待审批 Pending",
    "confirmed": "已确认 Confirmed",
    "checked_in": "使用中 Checked in",
    "completed": "已完成 Completed",
    "cancelled": "已取消 Cancelled",
    "rejected": "未批准 Rejected",
    "no_show": "未到场 No-show",
}
_MODE_WORDS = {
    "self_operated": "自主上机 Self-operated",
    "staff_operated": "委托测试 Staff-operated sample testing",
}
_FLAG_WORDS = "受影响 Affected"
# Outbox kinds written when something an event shows changes (time, status, flag). Reminders,
# approval requests and the creation notice are not revisions of the booking.
_REVISING_KINDS = (
    "booking_approved",
    "booking_rejected",
    "booking_cancelled",
    "booking_rescheduled",
    "no_show",
    "booking_completed",
    "booking_flagged",
)
_RESCHEDULED = "booking_rescheduled"
UID_DOMAIN = "labshare"
REFRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class InstrumentPlace:
    """An instrument's names and where it stands (the event's LOCATION)."""

    name: str
    name_en: str | None = None
    location: str = ""


@dataclass(frozen=True, slots=True)
class BookingRevision:
    """When a booking last changed and how often its time or status did (SEQUENCE)."""

    last_modified: datetime
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class FeedDetails:
    """What a feed needs besides the bookings: instruments, revisions, the web app's address."""

    web_base: str
    instruments: Mapping[uuid.UUID, InstrumentPlace] = field(default_factory=dict)
    revisions: Mapping[uuid.UUID, BookingRevision] = field(default_factory=dict)


def feed_token(secret_key: str, user_id: uuid.UUID) -> str:
    digest = hmac.new(secret_key.encode(), f"calendar-feed:{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def verify_feed_token(secret_key: str, user_id: uuid.UUID, token: str) -> bool:
    return hmac.compare_digest(feed_token(secret_key, user_id), token)


def booking_reference(booking_id: uuid.UUID) -> str:
    """The short reference people quote: ``LS-`` and the first 8 hex digits of the booking id.

    Bookings have no number of their own; this one is stable, needs no counter, and a booking
    is found from it by its id prefix. It is not guaranteed unique (the UID and the link are).
    """
    return f"LS-{booking_id.hex[:8].upper()}"


def booking_link(web_base: str, booking_id: uuid.UUID) -> str:
    return f"{web_base.rstrip('/')}/bookings?id={booking_id}"


def _both(name: str, name_en: str | None) -> str:
    return f"{name} {name_en}" if name_en and name_en != name else name


def place_of(instrument: Instrument, lab: Lab | None, institution: Organisation | None) -> str:
    """City, institution, lab and the instrument's own ``location`` (room, address), broad
    to narrow as Chinese addresses go; a part already said by a later one is left out."""
    room = (instrument.location or "").strip()
    parts: list[str] = []
    if institution is not None:
        if institution.city and institution.city not in institution.name:
            parts.append(institution.city)
        parts.append(_both(institution.name, institution.name_en))
    if lab is not None and lab.name not in room:
        parts.append(_both(lab.name, lab.name_en))
    if room:
        parts.append(room)
    return " · ".join(parts)


def revision_of(booking: Booking, changes: Sequence[tuple[str, datetime]] = ()) -> BookingRevision:
    """A booking's revision from its own timestamps and the outbox rows about it.

    ``changes`` are (kind, written at) of the booking's outbox rows. SEQUENCE counts what
    RFC 5545 §3.8.7.4 says must raise it: each change of the time (a reschedule) and of the
    STATUS (a decision on a request, a cancellation, a no-show).
    """
    times = [booking.created_at]
    times += [t for t in (booking.decided_at, booking.cancelled_at, booking.checked_in_at) if t]
    times += [at for kind, at in changes if kind in _REVISING_KINDS]
    sequence = len({at for kind, at in changes if kind == _RESCHEDULED})
    sequence += booking.decided_at is not None
    sequence += booking.status in ("cancelled", "no_show")
    return BookingRevision(last_modified=max(times), sequence=sequence)


async def feed_details(
    session: AsyncSession, bookings: Sequence[Booking], web_base: str
) -> FeedDetails:
    """Load the instruments (with lab and institution) and the revisions of ``bookings``."""
    if not bookings:
        return FeedDetails(web_base=web_base)
    instruments = list(
        await session.exec(
            select(Instrument).where(col(Instrument.id).in_({b.instrument_id for b in bookings}))
        )
    )
    labs = {
        lab.id: lab
        for lab in await session.exec(
            select(Lab).where(col(Lab.id).in_({i.lab_id for i in instruments}))
        )
    }
    orgs = {
        org.id: org
        for org in await session.exec(
            select(Organisation).where(
                col(Organisation.id).in_({i.organisation_id for i in instruments})
            )
        )
    }
    places = {
        i.id: InstrumentPlace(
            name=i.name,
            name_en=i.name_en,
            location=place_of(i, labs.get(i.lab_id), orgs.get(i.organisation_id)),
        )
        for i in instruments
    }
    booking_id = col(OutboxMessage.data)["booking_id"].astext
    rows = await session.exec(
        select(booking_id, OutboxMessage.kind, OutboxMessage.created_at).where(
            col(OutboxMessage.kind).in_(_REVISING_KINDS),
            booking_id.in_([str(b.id) for b in bookings]),
        )
    )
    changes: dict[str, list[tuple[str, datetime]]] = {}
    for bid, kind, at in rows:
        changes.setdefault(bid, []).append((kind, at))
    revisions = {b.id: revision_of(b, changes.get(str(b.id), ())) for b in bookings}
    return FeedDetails(web_base=web_base, instruments=places, revisions=revisions)


def _event(booking: Booking, details: FeedDetails) -> Event:
    place = details.instruments.get(booking.instrument_id) or InstrumentPlace(
        name=str(booking.instrument_id)
    )
    revision = details.revisions.get(booking.id) or revision_of(booking)
    reference = booking_reference(booking.id)
    status = _STATUS.get(booking.status, "CONFIRMED")
    status_words = _STATUS_WORDS.get(booking.status, "预约 Booking")
    mode_words = _MODE_WORDS.get(booking.mode, "预约 Booking")
    link = booking_link(details.web_base, booking.id)

    summary = f"{place.name} · {mode_words} · {reference}"
    if status != "CONFIRMED":
        summary = f"【{status_words}】{summary}"
    lines = [
        f"预约编号 Reference: {reference}",
        f"仪器 Instrument: {_both(place.name, place.name_en)}",
        f"方式 Mode: {mode_words}",
        f"状态 Status: {status_words}",
    ]
    if booking.flag:
        lines.append(f"{_FLAG_WORDS}: {booking.flag_detail or booking.flag}")
    if place.location:
        lines.append(f"地点 Location: {place.location}")
    lines.append(f"查看预约 View the booking: {link}")

    event = Event()
    # The booking id is a UUID: unique on its own, and the same for every host name the
    # server is reached under (a host in the UID would duplicate events across them).
    event.add("uid", f"{booking.id}@{UID_DOMAIN}")
    # RFC 5545 §3.8.7.2: for a published feed, when the event was last revised.
    event.add("dtstamp", revision.last_modified.astimezone(UTC))
    event.add("created", booking.created_at.astimezone(UTC))
    event.add("last-modified", revision.last_modified.astimezone(UTC))
    event.add("sequence", revision.sequence)
    # UTC instants: every client agrees on them without a VTIMEZONE block.
    event.add("dtstart", booking.start_at.astimezone(UTC))
    event.add("dtend", booking.end_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("status", status)
    if place.location:
        event.add("location", place.location)
    event.add("description", "\n".join(lines))
    event.add("url", link)
    # Bookings hold the instrument: show the time as busy, cancelled ones as free.
    event.add("transp", "TRANSPARENT" if status == "CANCELLED" else "OPAQUE")
    return event


def build_calendar(name: str, bookings: Sequence[Booking], details: FeedDetails) -> bytes:
    """The feed; the same bookings and details always give the same bytes."""
    calendar = Calendar()
    calendar.add("prodid", "-//labshare//bookings//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})  # RFC 7986
    calendar.add("x-published-ttl", "PT1H")
    for booking in sorted(bookings, key=lambda b: (b.start_at, b.id.hex)):
        calendar.add_component(_event(booking, details))
    ical: bytes = calendar.to_ical()
    return ical
