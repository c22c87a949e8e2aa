"""iCalendar (RFC 5545) feeds of bookings, per user and per instrument.

Calendar clients cannot send a bearer token, so a feed URL carries a per-user token: an
HMAC of the user id under the server's secret key. Rotating the secret key revokes them all.

An event is what a person reads in a phone calendar: the instrument, the mode and status in
words in the reader's language (the feed URL's ``lang``, ``zh-CN`` or ``en``, which the web app
sets to its own language; without it Chinese first, English beside it), a short booking
reference, where the instrument stands and a link back to the web app. It only changes when the booking does: an unchanged
booking gives a byte-identical ``VEVENT`` on every fetch, so clients do not churn.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import Organisation
from server.booking.models import Booking, BookingMode
from server.catalog.models import Instrument, Lab
from server.core.booking_status import BookingStatus
from server.notifications.models import OutboxMessage

__all__ = [
    "BookingRevision",
    "FeedDetails",
    "FeedLanguage",
    "InstrumentPlace",
    "booking_reference",
    "build_calendar",
    "feed_details",
    "feed_token",
    "name_in",
    "verify_feed_token",
]

# The languages of the web app; a feed in neither says everything in both.
FeedLanguage = Literal["zh-CN", "en"]

# RFC 5545 §3.8.1.11 STATUS of a VEVENT.
_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.CHECKED_IN: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.REJECTED: "CANCELLED",
    BookingStatus.NO_SHOW: "CANCELLED",
}
# The same words as the web app's booking screens, (Chinese, English).
_Words = tuple[str, str]
_STATUS_WORDS: dict[BookingStatus, _Words] = {
    BookingStatus.PENDING: ("待审批", "Pending"),
    BookingStatus.CONFIRMED: ("已确认", "Confirmed"),
    BookingStatus.CHECKED_IN: ("使用中", "Checked in"),
    BookingStatus.COMPLETED: ("已完成", "Completed"),
    BookingStatus.CANCELLED: ("已取消", "Cancelled"),
    BookingStatus.REJECTED: ("未批准", "Rejected"),
    BookingStatus.NO_SHOW: ("未到场", "No-show"),
}
_MODE_WORDS: dict[BookingMode, _Words] = {
    BookingMode.SELF_OPERATED: ("自主上机", "Self-operated"),
    BookingMode.STAFF_OPERATED: ("委托测试", "Staff-operated sample testing"),
}
_BOOKING_WORDS: _Words = ("预约", "Booking")
_FLAG_WORDS: _Words = ("受影响", "Affected")
_LABELS: dict[str, _Words] = {
    "reference": ("预约编号", "Reference"),
    "instrument": ("仪器", "Instrument"),
    "mode": ("方式", "Mode"),
    "status": ("状态", "Status"),
    "location": ("地点", "Location"),
    "link": ("查看预约", "View the booking"),
}
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
    language: FeedLanguage | None = None


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


def name_in(name: str, name_en: str | None, language: FeedLanguage | None) -> str:
    """A name in the feed's language: the English one where there is one, else the Chinese."""
    if language == "zh-CN":
        return name
    if language == "en":
        return name_en or name
    return _both(name, name_en)


def _say(words: _Words, language: FeedLanguage | None) -> str:
    return name_in(words[0], words[1], language)


def place_of(
    instrument: Instrument,
    lab: Lab | None,
    institution: Organisation | None,
    language: FeedLanguage | None = None,
) -> str:
    """City, institution, lab and the instrument's own ``location`` (room, address), broad
    to narrow as Chinese addresses go; a part already said by a later one is left out."""
    room = (instrument.location or "").strip()
    parts: list[str] = []
    if institution is not None:
        if institution.city and institution.city not in institution.name:
            parts.append(institution.city)
        parts.append(name_in(institution.name, institution.name_en, language))
    if lab is not None and lab.name not in room:
        parts.append(name_in(lab.name, lab.name_en, language))
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
    sequence += booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW)
    return BookingRevision(last_modified=max(times), sequence=sequence)


async def feed_details(
    session: AsyncSession,
    bookings: Sequence[Booking],
    web_base: str,
    language: FeedLanguage | None = None,
) -> FeedDetails:
    """Load the instruments (with lab and institution) and the revisions of ``bookings``."""
    if not bookings:
        return FeedDetails(web_base=web_base, language=language)
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
            location=place_of(i, labs.get(i.lab_id), orgs.get(i.organisation_id), language),
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
    return FeedDetails(
        web_base=web_base, instruments=places, revisions=revisions, language=language
    )


def _event(booking: Booking, details: FeedDetails) -> Event:
    place = details.instruments.get(booking.instrument_id) or InstrumentPlace(
        name=str(booking.instrument_id)
    )
    revision = details.revisions.get(booking.id) or revision_of(booking)
    reference = booking_reference(booking.id)
    language = details.language
    status = _STATUS.get(booking.status, "CONFIRMED")
    status_words = _say(_STATUS_WORDS.get(booking.status, _BOOKING_WORDS), language)
    mode_words = _say(_MODE_WORDS.get(booking.mode, _BOOKING_WORDS), language)
    link = booking_link(details.web_base, booking.id)

    def label(key: str) -> str:
        return _say(_LABELS[key], language)

    # Bilingual feeds name the instrument in Chinese in the summary, as the lab does.
    name = place.name if language is None else name_in(place.name, place.name_en, language)
    summary = f"{name} · {mode_words} · {reference}"
    if status != "CONFIRMED":
        summary = (
            f"[{status_words}] {summary}" if language == "en" else f"【{status_words}】{summary}"
        )
    lines = [
        f"{label('reference')}: {reference}",
        f"{label('instrument')}: {name_in(place.name, place.name_en, language)}",
        f"{label('mode')}: {mode_words}",
        f"{label('status')}: {status_words}",
    ]
    if booking.flag:
        lines.append(f"{_say(_FLAG_WORDS, language)}: {booking.flag_detail or booking.flag}")
    if place.location:
        lines.append(f"{label('location')}: {place.location}")
    lines.append(f"{label('link')}: {link}")

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
