"""ISO 8601 allows UTC offsets up to ±23:59, PostgreSQL's timestamptz input only ±15:59: the
server sends every aware instant to the database in UTC, so any valid offset works everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.harness.app import API, Login
from tests.harness.factories import World

pytestmark = pytest.mark.integration

FAR_EAST = timezone(timedelta(hours=20, minutes=30))
FAR_WEST = timezone(-timedelta(hours=23, minutes=43))


async def test_an_instant_with_any_iso_offset_reaches_the_database_unchanged(app: FastAPI) -> None:
    moments = [
        datetime(2026, 6, 12, 10, 40, 5, tzinfo=FAR_EAST),
        datetime(2026, 6, 12, 10, 40, 5, tzinfo=FAR_WEST),
        datetime(2026, 6, 12, 10, 40, 5, 123456, tzinfo=UTC),
    ]
    async with app.state.engine.connect() as conn:
        for moment in moments:
            stored = await conn.execute(text("SELECT CAST(:t AS timestamptz)"), {"t": moment})
            assert stored.scalar_one() == moment


async def test_availability_asked_with_a_far_offset_answers(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).astimezone(FAR_EAST)
    response = await client.get(
        f"{API}/availability",
        params={"start": start.isoformat(), "end": (start + timedelta(days=2)).isoformat()},
        headers=buyer,
    )
    assert response.status_code == 200, response.text
