"""Booking problems (all 409: the request is fine, the schedule says no)."""

from __future__ import annotations

from server.core.errors import Conflict

__all__ = ["InstrumentUnusable", "QuotaExceeded", "SlotTaken"]


class SlotTaken(Conflict):
    slug = "booking-conflict"
    title = "The slot is already booked"


class InstrumentUnusable(Conflict):
    slug = "instrument-unusable"
    title = "The instrument cannot be used then"


class QuotaExceeded(Conflict):
    slug = "quota-exceeded"
    title = "Booking quota exceeded"
