"""The quote names the problems the booking would be refused with, and booking then agrees."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from tests.harness.app import API, Login
from tests.harness.booking import SHANGHAI, STAFF_OPERATED, body, day_at, publish, sql
from tests.harness.factories import World

pytestmark = pytest.mark.integration


async def _bookings(app: FastAPI) -> int:
    rows = await sql(app, "SELECT count(*) AS n FROM booking")
    return int(str(rows[0]["n"]))


def _as_answered(refusal: dict[str, object]) -> dict[str, object]:
    """The problem details ``POST /bookings`` answers for a refusal the quote listed."""
    answered = {k: v for k, v in refusal.items() if not (k == "errors" and v == [])}
    return {**answered, "instance": f"{API}/bookings"}


async def _quote_then_book(
    client: httpx.AsyncClient, headers: dict[str, str], request: dict[str, object]
) -> tuple[dict[str, object], httpx.Response]:
    quoted = await client.post(f"{API}/bookings/quote", json=request, headers=headers)
    assert quoted.status_code == 200, quoted.text
    booked = await client.post(f"{API}/bookings", json=request, headers=headers)
    return quoted.json(), booked


async def test_self_operated_quote_without_authorisation_names_the_refusal(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    await publish(client, login, calibrated)
    buyer = await login("buyer@jingce.demo")
    request = body(calibrated.instrument.id, day_at(5, 9), 1, mode="self_operated")
    quoted = await client.post(f"{API}/bookings/quote", json=request, headers=buyer)
    assert quoted.status_code == 200, quoted.text
    quote = quoted.json()
    # The fee is still quoted ...
    assert quote["total"] == quote["hourly_fee"] != "0.00"
    # ... with the refusal the booking would get.
    [refusal] = quote["refusals"]
    assert refusal["code"] == "operator_authorisation_required"
    assert refusal["status"] == 422
    assert [e["field"] for e in refusal["errors"]] == ["mode"]
    assert "operator authorisation" in refusal["detail"]
    # The quote held nothing.
    assert await _bookings(app) == 0

    booked = await client.post(f"{API}/bookings", json=request, headers=buyer)
    assert booked.status_code == 422
    assert booked.json() == _as_answered(refusal)


async def test_quote_past_the_quota_names_hours_and_minutes_used(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    await publish(client, login, calibrated, quota_hours_per_week="3")
    buyer = await login("buyer@jingce.demo")
    monday = day_at(14 - datetime.now(SHANGHAI).weekday(), 9)
    first = body(calibrated.instrument.id, monday, 2, **STAFF_OPERATED)
    quote, booked = await _quote_then_book(client, buyer, first)
    assert quote["refusals"] == []
    assert booked.status_code == 201, booked.text

    second = body(calibrated.instrument.id, monday + timedelta(days=1), 2, **STAFF_OPERATED)
    quote, refused = await _quote_then_book(client, buyer, second)
    assert quote["total"] == booked.json()["quoted_amount"]
    [refusal] = quote["refusals"]
    assert refusal["code"] == "quota_exceeded"
    assert refusal["status"] == 409
    assert (refusal["period"], refusal["quota_hours"], refusal["used_minutes"]) == (
        "week",
        "3.00",
        120,
    )
    assert refusal["type"] == "/problems/quota-exceeded"
    assert refusal["errors"] == []
    assert refused.status_code == 409
    assert refused.json() == _as_answered(refusal)

    # An hour still fits the quota.
    quote, fits = await _quote_then_book(
        client,
        buyer,
        body(calibrated.instrument.id, monday + timedelta(days=1), 1, **STAFF_OPERATED),
    )
    assert quote["refusals"] == []
    assert fits.status_code == 201, fits.text


async def test_quote_lists_every_broken_rule_in_the_order_booking_checks_them(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    await publish(client, login, calibrated, lead_time_minutes=0, slot_minutes=30)
    buyer = await login("buyer@jingce.demo")
    staff = await login("staff@zjim.demo")
    start = day_at(6, 9)
    taken = await client.post(
        f"{API}/bookings",
        json=body(calibrated.instrument.id, start, 2, **STAFF_OPERATED),
        headers=staff,
    )
    assert taken.status_code == 201, taken.text
    # Off the grid, self-operated without authorisation, and on a taken slot.
    request = body(calibrated.instrument.id, start + timedelta(minutes=10), 1)
    quote, refused = await _quote_then_book(client, buyer, request)
    codes = [r["code"] for r in quote["refusals"]]
    assert codes == ["off_slot_grid", "operator_authorisation_required", "booking_conflict"]
    conflict = quote["refusals"][2]
    assert [datetime.fromisoformat(s["start_at"]) for s in conflict["conflicting_slots"]] == [start]
    assert refused.status_code == 422
    assert refused.json() == _as_answered(quote["refusals"][0])


async def test_quote_far_ahead_or_in_the_past_names_the_time_rule(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    await publish(client, login, calibrated, quota_hours_per_month="10")
    buyer = await login("buyer@jingce.demo")
    # The last evening of the calendar: only the horizon is asked about, no month after it.
    last = datetime(9999, 12, 31, 20, tzinfo=SHANGHAI)
    for start, code in ((last, "beyond_horizon"), (day_at(-2, 9), "inside_lead_time")):
        request = body(calibrated.instrument.id, start, 1, **STAFF_OPERATED)
        quote, refused = await _quote_then_book(client, buyer, request)
        assert [r["code"] for r in quote["refusals"]] == [code]
        assert refused.status_code == 422
        assert refused.json() == _as_answered(quote["refusals"][0])
