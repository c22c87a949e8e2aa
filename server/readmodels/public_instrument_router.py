"""``GET /api/v1/public/instruments/{id}``: an open instrument's public page, no login needed."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from decimal import Decimal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from server.calibration.status import CalibrationState
from server.core.clock import Clock
from server.core.db import SessionDep
from server.readmodels.public_instrument import public_instrument
from server.registry.schemas import InstrumentRecord, ScopeItemPublic

__all__ = ["router"]

router = APIRouter(tags=["catalog"])


class OpeningPeriod(BaseModel):
    weekday: int  # 0 = Monday
    opens: time
    closes: time  # 00:00 closes at the end of the day


class FreeSlot(BaseModel):
    start: datetime
    end: datetime


class PublicInstrumentOut(BaseModel):
    id: uuid.UUID
    name: str
    name_en: str | None
    institution_name: str
    institution_name_en: str | None
    city: str | None
    lab_name: str
    calibration_state: CalibrationState
    calibration_valid_to: datetime | None
    live_state: str | None
    record: InstrumentRecord
    scope: list[ScopeItemPublic]
    # Published fee per hour in CNY: user category -> mode -> amount (exact, two decimals).
    # Empty while the lab has not published a cost model.
    hourly_fees: dict[str, dict[str, Decimal]]
    fees_published_at: datetime | None
    timezone: str
    opening_hours: list[OpeningPeriod]
    free_slots: list[FreeSlot]


@router.get(
    "/public/instruments/{instrument_id}",
    response_model=PublicInstrumentOut,
    response_model_exclude_unset=True,
)
async def get_public_instrument(
    session: SessionDep, now: Clock, response: Response, instrument_id: uuid.UUID
) -> PublicInstrumentOut:
    """The public fields of an open instrument with its fees, hours and next free slots
    (the same answer with or without a token)."""
    result = await public_instrument(session, instrument_id, now=now)
    entry = result.entry
    # Free slots and the live state change by the minute: shared caches keep it briefly.
    response.headers["Cache-Control"] = "public, max-age=30"
    return PublicInstrumentOut(
        id=entry.id,
        name=entry.name,
        name_en=entry.name_en,
        institution_name=entry.institution_name,
        institution_name_en=entry.institution_name_en,
        city=entry.city,
        lab_name=entry.lab_name,
        calibration_state=CalibrationState(entry.calibration_state),
        calibration_valid_to=entry.calibration_valid_to,
        live_state=entry.live_state,
        record=InstrumentRecord.model_validate(result.record),
        scope=[ScopeItemPublic.model_validate(item) for item in result.scope],
        hourly_fees=result.hourly_fees,
        fees_published_at=result.fees_published_at,
        timezone=result.timezone,
        opening_hours=[
            OpeningPeriod(weekday=weekday, opens=opens, closes=closes)
            for weekday, opens, closes in result.opening_hours
        ],
        free_slots=[FreeSlot(start=start, end=end) for start, end in result.free_slots],
    )
