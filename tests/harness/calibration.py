"""Calibration test helpers: raw SQL, bookings written straight into the booking table, and a
failed intermediate check through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tests.harness.factories import World


async def run_sql(app: FastAPI, statement: str, params: dict[str, object]) -> list[object]:
    async with app.state.sessionmaker() as session, session.begin():
        result = await (await session.connection()).execute(text(statement), params)
        return list(result.scalars()) if result.returns_rows else []


async def insert_booking(
    app: FastAPI, demo: World, start: datetime, hours: float, status: str
) -> uuid.UUID:
    buyer = demo.users["buyer@jingce.demo"]
    booking_id = uuid.uuid4()
    await run_sql(
        app,
        "INSERT INTO booking (id, instrument_id, organisation_id, user_id, start_at, end_at, status)"
        " VALUES (:id, :instrument, :org, :user, :start, :end, :status)",
        {
            "id": booking_id,
            "instrument": demo.instrument.id,
            "org": buyer.organisation_id,
            "user": buyer.id,
            "start": start,
            "end": start + timedelta(hours=hours),
            "status": status,
        },
    )
    return booking_id


async def fail_intermediate_check(
    client: httpx.AsyncClient, headers: dict[str, str], instrument_id: uuid.UUID
) -> dict[str, Any]:
    """An intermediate check an hour ago, 1.4 °C off at 50 °C against ±0.5 °C: the instrument
    goes out of service. Returns the response (check, out_of_service, impact_report)."""
    failed = await client.post(
        f"/api/v1/instruments/{instrument_id}/calibration/checks",
        headers=headers,
        json={
            "performed_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "reference_value": 50.0,
            "measured_value": 51.4,
            "tolerance": 0.5,
        },
    )
    assert failed.status_code == 201, failed.text
    body: dict[str, Any] = failed.json()
    assert body["out_of_service"] is not None
    return body
