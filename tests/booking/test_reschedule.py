"""Rescheduling a booking: the booker moves it, a refusal leaves it as it was, and the late
window is closed to moves."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from tests.harness.app import API, PROBLEM, Login
from tests.harness.booking import SHANGHAI, STAFF_OPERATED, body, day_at
from tests.harness.factories import World

pytestmark = pytest.mark.integration


def _whole_hours_from_now(hours: int) -> datetime:
    return datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0) + timedelta(
        hours=hours
    )


async def test_the_booker_moves_a_booking_and_the_old_slot_is_freed(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    instrument = calibrated.instrument.id
    made = await client.post(
        f"{API}/bookings", json=body(instrument, day_at(10, 9), 2, **STAFF_OPERATED), headers=buyer
    )
    assert made.status_code == 201, made.text
    old = made.json()
    # Overlapping its own old time is fine: the old booking gives way.
    moved = await client.post(
        f"{API}/bookings/{old['id']}/reschedule",
        json={
            "start_at": day_at(10, 10).isoformat(),
            "end_at": day_at(10, 12).isoformat(),
        },
        headers=buyer,
    )
    assert moved.status_code == 201, moved.text
    new = moved.json()
    assert new["id"] != old["id"]
    assert (new["mode"], new["sample_count"], new["test_items"]) == (
        "staff_operated",
        2,
        ["温度偏差"],
    )
    again = await client.get(f"{API}/bookings/{old['id']}", headers=buyer)
    assert again.json()["status"] == "cancelled"
    # The old 09:00 hour is bookable again.
    staff = await login("staff@zjim.demo")
    freed = await client.post(
        f"{API}/bookings", json=body(instrument, day_at(10, 9), 1), headers=staff
    )
    assert freed.status_code == 201, freed.text


async def test_a_refused_move_leaves_the_booking_and_a_late_move_is_refused(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    staff = await login("staff@zjim.demo")
    instrument = calibrated.instrument.id
    mine = (
        await client.post(
            f"{API}/bookings",
            json=body(instrument, day_at(11, 9), 1, **STAFF_OPERATED),
            headers=buyer,
        )
    ).json()
    taken = await client.post(
        f"{API}/bookings", json=body(instrument, day_at(11, 14), 2), headers=staff
    )
    assert taken.status_code == 201, taken.text
    clash = await client.post(
        f"{API}/bookings/{mine['id']}/reschedule",
        json={"start_at": day_at(11, 15).isoformat(), "end_at": day_at(11, 16).isoformat()},
        headers=buyer,
    )
    assert clash.status_code == 409
    assert clash.headers["content-type"] == PROBLEM
    assert clash.json()["type"] == "/problems/booking-conflict"
    kept = await client.get(f"{API}/bookings/{mine['id']}", headers=buyer)
    assert kept.json()["status"] == "confirmed"

    # Someone else's booking cannot be moved by the buyer.
    other = await client.post(
        f"{API}/bookings/{taken.json()['id']}/reschedule",
        json={"start_at": day_at(12, 9).isoformat(), "end_at": day_at(12, 10).isoformat()},
        headers=buyer,
    )
    assert other.status_code in (403, 404)

    # Inside the 24 h cancellation window a move is refused with a code the web translates.
    soon = (
        await client.post(
            f"{API}/bookings",
            json=body(instrument, _whole_hours_from_now(3), 1, **STAFF_OPERATED),
            headers=buyer,
        )
    ).json()
    late = await client.post(
        f"{API}/bookings/{soon['id']}/reschedule",
        json={"start_at": day_at(13, 9).isoformat(), "end_at": day_at(13, 10).isoformat()},
        headers=buyer,
    )
    assert late.status_code == 409, late.text
    assert late.json()["code"] == "reschedule_too_late"
    assert late.json()["hours"] == 24
