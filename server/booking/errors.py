"""Booking problems (all 409: the request is fine, the schedule says no)."""

from __future__ import annotations

from server.core.errors import Conflict

__all__ = [
    "APPROVAL_UNUSABLE_CODE",
    "ApprovalRefused",
    "InstrumentUnusable",
    "QuotaExceeded",
    "SlotTaken",
]


class SlotTaken(Conflict):
    slug = "booking-conflict"
    title = "The slot is already booked"


class InstrumentUnusable(Conflict):
    slug = "instrument-unusable"
    title = "The instrument cannot be used then"


class QuotaExceeded(Conflict):
    slug = "quota-exceeded"
    title = "Booking quota exceeded"


# The stable ``code`` of the problem refusing an approval (the web translates it).
APPROVAL_UNUSABLE_CODE = "booking_approval_unusable"


class ApprovalRefused(InstrumentUnusable):
    """Approving would confirm time the instrument cannot serve (out of service, calibration
    expired, maintenance, a blackout); carries ``code``, ``reason`` and ``blocked_from``."""

    title = "The booking cannot be approved: the instrument cannot be used then"
