"""Self-operated time needs the registry's operator authorisation; a check-in counts as use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from server.booking import lifecycle
from server.core.errors import Conflict
from server.registry.models import OperatorAuthorisation
from tests.harness.app import API, Login
from tests.harness.booking import body, day_at
from tests.harness.factories import World

pytestmark = pytest.mark.integration


async def test_authorised_operator_books_self_operated_and_check_in_counts_as_use(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    buyer = demo.users["buyer@jingce.demo"]
    headers = await login("buyer@jingce.demo")
    start = day_at(4, 9)
    refused = await client.post(
        f"{API}/bookings", json=body(demo.instrument.id, start, 1), headers=headers
    )
    assert refused.status_code == 422
    granted = datetime.now(UTC) - timedelta(days=1)
    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            OperatorAuthorisation(
                instrument_id=demo.instrument.id,
                organisation_id=demo.instrument.organisation_id,
                user_id=buyer.id,
                trained_on=granted.date(),
                granted_at=granted,
                lapse_after_days=180,
            )
        )
    booked = await client.post(
        f"{API}/bookings", json=body(demo.instrument.id, start, 1), headers=headers
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["mode"] == "self_operated"

    # By hand, a few minutes after the start (the clock is the service's argument).
    async with app.state.sessionmaker() as session, session.begin():
        with pytest.raises(Conflict, match="Check-in opens"):
            await lifecycle.check_in(
                session, buyer, booked.json()["id"], now=start - timedelta(hours=1)
            )
    at = start + timedelta(minutes=3)
    async with app.state.sessionmaker() as session, session.begin():
        checked = await lifecycle.check_in(session, buyer, booked.json()["id"], now=at)
        assert checked.status == "checked_in"
        assert checked.check_in_source == "manual"
    async with app.state.sessionmaker() as session:
        last_used = (
            await (await session.connection()).execute(
                text("SELECT last_used_at FROM operator_authorisation WHERE user_id = :u"),
                {"u": buyer.id},
            )
        ).scalar()
    assert last_used == at
