"""The status groups other domains read bookings by split the booking statuses as users expect."""

from __future__ import annotations

from server.core.booking_status import (
    ACTIVE_STATUSES,
    INACTIVE_STATUSES,
    READABLE_STATUSES,
    USED_STATUSES,
    BookingStatus,
)


def test_active_and_inactive_statuses_split_every_booking_between_them() -> None:
    assert set(ACTIVE_STATUSES).isdisjoint(INACTIVE_STATUSES)
    assert set(ACTIVE_STATUSES) | set(INACTIVE_STATUSES) == set(BookingStatus)


def test_a_pending_booking_gives_no_data_and_used_the_instrument_in_no_status_it_was_refused_in() -> (
    None
):
    # An enterprise reads data only once its booking is confirmed; a refused or cancelled
    # booking never used the instrument, so a calibration lapse cannot make its results suspect.
    assert BookingStatus.PENDING not in READABLE_STATUSES
    assert set(USED_STATUSES) <= set(READABLE_STATUSES) <= set(ACTIVE_STATUSES)
    assert set(USED_STATUSES).isdisjoint(INACTIVE_STATUSES)
