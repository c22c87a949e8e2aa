"""iCalendar (RFC 5545) feeds of bookings, per user and per instrument.

Calendar clients cannot send a bearer token, so a feed URL carries a per-user token: an
HMAC of the user id under the server's secret key. Rotating the secret key revokes them all.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event

from server.booking.models import Booking

__all__ = ["build_calendar", "feed_token", "verify_feed_token"]

_STATUS = {
    "pending": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "checked_in": "CONFIRMED",
    "completed": "CONFIRMED",
    "cancelled": "CANCELLED",
    "rejected": "CANCELLED",
    "no_show": "CANCELLED",
}


def feed_token(secret_key: str, user_id: uuid.UUID) -> str:
    digest = hmac.new(secret_key.encode(), f"calendar-feed:{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def verify_feed_token(secret_key: str, user_id: uuid.UUID, token: str) -> bool:
    return hmac.compare_digest(feed_token(secret_key, user_id), token)


def build_calendar(
    name: str, bookings: Sequence[Booking], instrument_names: dict[uuid.UUID, str]
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//labshare//bookings//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    stamp = datetime.now(UTC)
    for booking in bookings:
        event = Event()
        event.add("uid", f"{booking.id}@labshare")
        event.add("dtstamp", stamp)
        # UTC instants: every client agrees on them without a VTIMEZONE block.
        event.add("dtstart", booking.start_at.astimezone(UTC))
        event.add("dtend", booking.end_at.astimezone(UTC))
        instrument = instrument_names.get(booking.instrument_id, str(booking.instrument_id))
        event.add("summary", f"{instrument}（{booking.mode}）")
        event.add("status", _STATUS.get(booking.status, "CONFIRMED"))
        description = f"预约 Booking {booking.id}\n状态 Status: {booking.status}"
        if booking.flag:
            description += f"\n受影响 Affected: {booking.flag_detail or booking.flag}"
        event.add("description", description)
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
