"""Calibration test helpers: raw SQL and bookings written straight into the booking table."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

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
