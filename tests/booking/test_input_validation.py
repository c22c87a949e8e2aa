"""Booking inputs the fuzzer found turning into 500s: each is now a 422 problem naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import World

pytestmark = pytest.mark.integration

MANAGER = "manager@zjim.demo"
BUYER = "buyer@jingce.demo"


def assert_problem(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == 422
    # A list parameter's item is named with its index (query.status.0).
    assert any(e["field"] in (field, f"{field}.0") for e in problem["errors"]), problem


async def availability(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    return await client.get(
        f"{API}/availability",
        params={"start": start.isoformat(), "end": (start + timedelta(days=7)).isoformat()},
        headers=headers,
    )


async def test_a_time_zone_outside_the_iana_database_is_refused_and_availability_keeps_working(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login(MANAGER)
    url = f"{API}/instruments/{demo.instrument.id}/booking-policy"
    response = await client.put(url, json={"timezone": "Mars/Olympus_Mons"}, headers=manager)
    assert_problem(response, "timezone")

    buyer = await login(BUYER)
    assert (await availability(client, buyer)).status_code == 200
    assert (await availability(client, manager)).status_code == 200
    # A real zone is still accepted, and the policy reads it back.
    response = await client.put(url, json={"timezone": "Europe/Berlin"}, headers=manager)
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    "field",
    [
        "waitlist_offer_minutes",
        "lead_time_minutes",
        "min_duration_minutes",
        "max_duration_minutes",
    ],
)
async def test_policy_integers_beyond_the_column_are_refused(
    client: httpx.AsyncClient, demo: World, login: Login, field: str
) -> None:
    manager = await login(MANAGER)
    url = f"{API}/instruments/{demo.instrument.id}/booking-policy"
    body: dict[str, object] = {field: 143321138606}
    if field == "min_duration_minutes":
        body["max_duration_minutes"] = 143321138606
    response = await client.put(url, json=body, headers=manager)
    assert_problem(response, field)
    # The policy is unchanged.
    policy = (await client.get(url, headers=manager)).json()
    assert policy[field] < 2**31


async def test_a_nul_in_the_status_filter_is_a_422(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    buyer = await login(BUYER)
    response = await client.get(f"{API}/bookings", params={"status": "\x00"}, headers=buyer)
    assert_problem(response, "query.status")
    # An unknown status is named as well; the known ones still filter.
    response = await client.get(f"{API}/bookings", params={"status": "lost"}, headers=buyer)
    assert_problem(response, "query.status")
    response = await client.get(f"{API}/bookings", params={"status": "confirmed"}, headers=buyer)
    assert response.status_code == 200, response.text


async def test_a_nul_in_any_text_input_is_a_422_naming_it(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login(MANAGER)
    start = datetime.now(UTC) + timedelta(days=3)
    response = await client.post(
        f"{API}/instruments/{demo.instrument.id}/blackouts",
        json={
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=1)).isoformat(),
            "reason": "年检\x00",
        },
        headers=manager,
    )
    assert_problem(response, "reason")
    # A query parameter no schema types as text is checked too.
    response = await client.get(
        f"{API}/catalogue/instruments", params={"q": "温度\x00"}, headers=manager
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_a_huge_bulk_shift_is_a_422(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login(MANAGER)
    response = await client.post(
        f"{API}/bookings/bulk",
        json={
            "booking_ids": [str(demo.instrument.id)],
            "action": "reschedule",
            "shift_minutes": 10**15,
        },
        headers=manager,
    )
    assert_problem(response, "shift_minutes")
