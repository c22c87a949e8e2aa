"""The statuses a booking goes through, and the groups of them other domains read bookings by.

They sit at the bottom of the server because domains below booking read the booking table too:
telemetry lets an enterprise read the data of its bookings' windows, calibration's impact report
lists the bookings an unusable instrument touched. Naming the statuses once here keeps those
readers and the booking domain from drifting apart.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ACTIVE_STATUSES",
    "INACTIVE_STATUSES",
    "READABLE_STATUSES",
    "USED_STATUSES",
    "BookingStatus",
]


class BookingStatus(StrEnum):
    PENDING = "pending"  # waiting for staff approval; holds the slot
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    NO_SHOW = "no_show"  # released: the slot is free again, the booking is still billed


# Statuses that hold the instrument: the exclusion constraint's WHERE clause uses exactly these.
ACTIVE_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
)
# Statuses in which the instrument was never put to use for the booking.
INACTIVE_STATUSES = (BookingStatus.CANCELLED, BookingStatus.REJECTED, BookingStatus.NO_SHOW)
# Statuses in which the instrument was put to use: a calibration lapse makes their results suspect.
USED_STATUSES = (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)
# Bookings whose time window an enterprise may read the instrument's data of.
READABLE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)
