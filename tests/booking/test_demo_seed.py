"""The demo holds bookings in every state, with fees and vouchers, and re-seeding adds nothing."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from server.demo.bookings import seed_demo_bookings
from server.demo.seed import DemoSeed
from tests.harness.app import API, Login

pytestmark = pytest.mark.integration


async def test_demo_bookings_cover_every_state_and_are_idempotent(
    app: FastAPI, demo: DemoSeed
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        assert await seed_demo_bookings(session, demo.instrument, demo.users) == 8
    async with app.state.sessionmaker() as session, session.begin():
        assert await seed_demo_bookings(session, demo.instrument, demo.users) == 0
    async with app.state.sessionmaker() as session:
        connection = await session.connection()
        statuses = {
            r[0] for r in await connection.execute(text("SELECT DISTINCT status FROM booking"))
        }
        charges = (
            await connection.execute(
                text("SELECT kind, amount, voucher_amount, enterprise_amount FROM booking_charge")
            )
        ).all()
        voucher = (
            await connection.execute(
                text("SELECT status, balance FROM voucher WHERE code = 'HZKJQ-2026-000123'")
            )
        ).one()
    assert statuses == {
        "pending",
        "confirmed",
        "checked_in",
        "completed",
        "cancelled",
        "rejected",
        "no_show",
    }
    assert {c.kind for c in charges} == {"usage", "no_show", "late_cancellation"}
    for c in charges:
        assert c.voucher_amount + c.enterprise_amount == c.amount
        assert c.voucher_amount <= (c.amount * Decimal("0.5"))
    assert voucher.status == "confirmed_used"
    assert voucher.balance == Decimal("5000.00") - sum(c.voucher_amount for c in charges)


async def test_the_completed_demo_booking_has_its_session_data(
    app: FastAPI, client: httpx.AsyncClient, demo: DemoSeed, login: Login
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_demo_bookings(session, demo.instrument, demo.users)
    buyer = await login("buyer@jingce.demo")
    completed = (await client.get(f"{API}/bookings?status=completed", headers=buyer)).json()
    assert len(completed) == 1
    page = (await client.get(f"{API}/bookings/{completed[0]['id']}/session", headers=buyer)).json()
    channels = {c["name_en"]: c for c in page["channels"]}
    # A reading a minute over the 125 minutes of actual use, on every channel of the chamber.
    assert channels["Temperature"]["readings"] == 125
    assert channels["Temperature"]["min"] == 23.0
    assert 84.0 < channels["Temperature"]["max"] < 86.0
    assert channels["Setpoint"]["mean"] == 85.0
    assert [e["kind"] for e in page["history"]][-2:] == ["completed", "charged"]
    export = await client.get(
        f"{API}/instruments/{demo.instrument.id}/export",
        params={
            "start": page["window_start"],
            "end": page["window_end"],
            "format": "csv",
        },
        headers=buyer,
    )
    assert export.status_code == 200, export.text
    assert len(export.text.strip().splitlines()) > 125  # a header and the readings
