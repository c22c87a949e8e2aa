"""Booking problems (all 409: the request is fine, the schedule says no) and the stable codes of
the 422s a booking request gets from the booking rules (mode, duration, grid, lead time...)."""

from __future__ import annotations

from server.core.errors import Conflict

__all__ = [
    "APPROVAL_UNUSABLE_CODE",
    "BEYOND_HORIZON_CODE",
    "DURATION_TOO_LONG_CODE",
    "DURATION_TOO_SHORT_CODE",
    "INSIDE_LEAD_TIME_CODE",
    "NOTE_EMPTY_CODE",
    "NOTE_FILE_EMPTY_CODE",
    "NOTE_FILE_TOO_LARGE_CODE",
    "OFF_SLOT_GRID_CODE",
    "OPERATOR_AUTHORISATION_CODE",
    "OUTSIDE_OPENING_HOURS_CODE",
    "SELF_OPERATED_NOT_OFFERED_CODE",
    "STAFF_OPERATED_NOT_OFFERED_CODE",
    "ApprovalRefused",
    "InstrumentUnusable",
    "QuotaExceeded",
    "SlotTaken",
]


class SlotTaken(Conflict):
    slug = "booking-conflict"
    title = "The slot is already booked"
    code = "booking_conflict"


class InstrumentUnusable(Conflict):
    slug = "instrument-unusable"
    title = "The instrument cannot be used then"
    code = "instrument_unusable"


class QuotaExceeded(Conflict):
    slug = "quota-exceeded"
    title = "Booking quota exceeded"
    code = "quota_exceeded"


# The ``code`` of each 422 the booking rules give (``ValidationFailed`` naming the field).
# Self-operated time without a valid (not lapsed) operator authorisation on the instrument.
OPERATOR_AUTHORISATION_CODE = "operator_authorisation_required"
SELF_OPERATED_NOT_OFFERED_CODE = "self_operated_not_offered"
STAFF_OPERATED_NOT_OFFERED_CODE = "staff_operated_not_offered"
DURATION_TOO_SHORT_CODE = "duration_too_short"
DURATION_TOO_LONG_CODE = "duration_too_long"
OFF_SLOT_GRID_CODE = "off_slot_grid"
INSIDE_LEAD_TIME_CODE = "inside_lead_time"
BEYOND_HORIZON_CODE = "beyond_horizon"
OUTSIDE_OPENING_HOURS_CODE = "outside_opening_hours"


# The ``code`` of each 422 refusing a booking note: neither text nor file, an empty file, a file
# over the attachment size limit (the registry's, 20 MiB).
NOTE_EMPTY_CODE = "booking_note_empty"
NOTE_FILE_EMPTY_CODE = "booking_note_file_empty"
NOTE_FILE_TOO_LARGE_CODE = "booking_note_file_too_large"


# The stable ``code`` of the problem refusing an approval (the web translates it).
APPROVAL_UNUSABLE_CODE = "booking_approval_unusable"


class ApprovalRefused(InstrumentUnusable):
    """Approving would confirm time the instrument cannot serve (out of service, calibration
    expired, maintenance, a blackout); carries ``code``, ``reason`` and ``blocked_from``."""

    title = "The booking cannot be approved: the instrument cannot be used then"
