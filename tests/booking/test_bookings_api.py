"""Bookings through the HTTP API on a real, migrated PostgreSQL."""

from __future__ import annotations

from datetime import UTC, timedelta

import httpx
import pytest
from fastapi import FastAPI

from tests.harness.app import API, PROBLEM, Login
from tests.harness.booking import STAFF_OPERATED, body, day_at
from tests.harness.factories import World

pytestmark = pytest.mark.integration


async def test_overlap_is_a_409_problem_naming_the_slot(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    demo = calibrated
    start = day_at(10, 9)
    first = await client.post(
        f"{API}/bookings", json=body(demo.instrument.id, start, 2, **STAFF_OPERATED), headers=buyer
    )
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "confirmed"
    staff = await login("staff@zjim.demo")
    clash = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, start + timedelta(hours=1), 2),
        headers=staff,
    )
    assert clash.status_code == 409
    assert clash.headers["content-type"] == PROBLEM
    problem = clash.json()
    assert problem["type"] == "/problems/booking-conflict"
    assert problem["conflicting_slots"] == [
        {
            "start_at": start.astimezone(UTC).isoformat(),
            "end_at": (start + timedelta(hours=2)).astimezone(UTC).isoformat(),
        }
    ]
    # Back to back is fine: the range is half-open.
    after = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, start + timedelta(hours=2), 1),
        headers=staff,
    )
    assert after.status_code == 201, after.text


async def test_the_database_refuses_overlap_even_without_the_pre_check(
    app: FastAPI, demo: World
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    start = day_at(12, 9)
    insert = text(
        "INSERT INTO booking (instrument_id, organisation_id, user_id, start_at, end_at, status) "
        "VALUES (:i, :o, :u, :s, :e, :status)"
    )
    buyer = demo.users["buyer@jingce.demo"]
    args = {"i": demo.instrument.id, "o": buyer.organisation_id, "u": buyer.id}
    async with app.state.sessionmaker() as session, session.begin():
        await (await session.connection()).execute(
            insert, {**args, "s": start, "e": start + timedelta(hours=2), "status": "confirmed"}
        )
    async with app.state.sessionmaker() as session:
        with pytest.raises(IntegrityError) as caught:
            async with session.begin():
                await (await session.connection()).execute(
                    insert,
                    {
                        **args,
                        "s": start + timedelta(minutes=30),
                        "e": start + timedelta(hours=3),
                        "status": "pending",
                    },
                )
        assert getattr(caught.value.orig, "sqlstate", None) == "23P01"
    # A cancelled booking does not hold the slot.
    async with app.state.sessionmaker() as session, session.begin():
        await (await session.connection()).execute(
            insert, {**args, "s": start, "e": start + timedelta(hours=1), "status": "cancelled"}
        )


async def test_enterprise_self_operation_needs_an_authorisation(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    buyer = await login("buyer@jingce.demo")
    response = await client.post(
        f"{API}/bookings", json=body(demo.instrument.id, day_at(11, 9), 1), headers=buyer
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mode"
