"""The demo holds bookings in every state, with fees and vouchers, and re-seeding adds nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from server.demo.bookings import seed_demo_bookings
from server.demo.seed import DemoSeed

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
