"""Domains below booking read its table in plain SQL; the statuses they name must be real."""

from __future__ import annotations

from server.booking.models import ACTIVE_STATUSES, INACTIVE_STATUSES, BookingStatus
from server.calibration import impact
from server.calibration import service as calibration_service
from server.telemetry import queries


def test_every_status_named_below_booking_is_a_booking_status() -> None:
    known = {status.value for status in BookingStatus}
    named = (
        set(impact.INACTIVE_BOOKING_STATUSES)
        | set(queries.READABLE_BOOKING_STATUSES)
        | set(calibration_service.USED_BOOKING_STATUSES)
    )
    assert named <= known, f"unknown booking statuses: {sorted(named - known)}"


def test_impact_report_leaves_out_exactly_the_bookings_that_never_used_the_instrument() -> None:
    assert set(impact.INACTIVE_BOOKING_STATUSES) == {s.value for s in INACTIVE_STATUSES}
    # Active and inactive statuses split the whole set between them.
    assert {s.value for s in ACTIVE_STATUSES} | set(impact.INACTIVE_BOOKING_STATUSES) == {
        s.value for s in BookingStatus
    }
