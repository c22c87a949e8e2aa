"""1,000 concurrent attempts at overlapping slots through a real server process: the
exclusion constraint lets exactly one win per slot, every other attempt gets a 409 problem."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.harness.booking import STAFF_OPERATED, body, day_at
from tests.harness.factories import PASSWORD, World
from tests.harness.live_server import live_server

# 1,000 requests through a real uvicorn process: outside the fast lane.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

SLOTS = 10
ATTEMPTS = 1000
CONCURRENCY = 100


@pytest.mark.timeout(300)
async def test_one_winner_per_slot_under_1000_concurrent_attempts(
    app: FastAPI, database_url: str, calibrated: World
) -> None:
    instrument = calibrated.instrument.id
    with live_server(database_url, pool_size=20) as base:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
            headers = {}
            for email in ("buyer@jingce.demo", "staff@zjim.demo"):
                r = await client.post(
                    "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
                )
                headers[email] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            gate = asyncio.Semaphore(CONCURRENCY)

            async def attempt(n: int) -> tuple[int, int, dict[str, object]]:
                slot = n % SLOTS
                # Starts 09:00, 09:30 or 10:00 for two hours: every pair in a slot overlaps.
                start = day_at(10 + 2 * slot, 9) + timedelta(minutes=30 * ((n // SLOTS) % 3))
                if n % 2:
                    who, extra = "buyer@jingce.demo", STAFF_OPERATED
                else:
                    who, extra = "staff@zjim.demo", {}
                async with gate:
                    r = await client.post(
                        "/api/v1/bookings",
                        json=body(instrument, start, 2, **extra),
                        headers=headers[who],
                    )
                return slot, r.status_code, r.json()

            results = await asyncio.gather(*(attempt(n) for n in range(ATTEMPTS)))

    statuses = Counter(status for _, status, _ in results)
    assert statuses == {201: SLOTS, 409: ATTEMPTS - SLOTS}, statuses
    winners = Counter(slot for slot, status, _ in results if status == 201)
    assert winners == dict.fromkeys(range(SLOTS), 1)
    for _, status, problem in results:
        if status == 409:
            assert problem["type"] == "/problems/booking-conflict"
            # A loser of the race waited for the winner's commit, so it can name the slot.
            assert problem["conflicting_slots"], problem
    async with app.state.sessionmaker() as session:
        active = (
            await (await session.connection()).execute(
                text("SELECT count(*) FROM booking WHERE status IN ('pending', 'confirmed')")
            )
        ).scalar()
    assert active == SLOTS
