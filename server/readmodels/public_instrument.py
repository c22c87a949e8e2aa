"""The public page of one open instrument: what a visitor needs to choose it and book it.

Joins the catalogue entry (institution, calibration and live state, computed as the catalogue
search computes them), the registry record and CMA scope (public fields only,
server.catalog.visibility), the published hourly fees, the opening hours and the next free
slots. Anyone may read it, without logging in; a closed instrument is absent (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from server.billing.models import CostModel
from server.billing.service import cost_model_of, published_hourly_fees
from server.booking.availability import availability
from server.booking.opening_hours import from_record
from server.booking.repository import BookingRepository
from server.catalog.models import Instrument
from server.catalog.visibility import redact_instrument
from server.core.errors import NotFound
from server.readmodels.catalogue_search import CatalogueItem, CatalogueQuery, search_catalogue
from server.registry.service import scope_of_instrument

__all__ = ["FREE_SLOT_HORIZON", "PublicInstrument", "public_instrument"]

# How far ahead the page looks for free time, and how many free periods it lists.
FREE_SLOT_HORIZON = timedelta(days=14)
FREE_SLOTS_SHOWN = 6


@dataclass(frozen=True, slots=True)
class PublicInstrument:
    entry: CatalogueItem
    record: dict[str, Any]
    scope: list[dict[str, Any]]
    hourly_fees: dict[str, dict[str, Decimal]]
    fees_published_at: datetime | None
    timezone: str
    opening_hours: list[tuple[int, time, time]]
    free_slots: list[tuple[datetime, datetime]]


async def public_instrument(
    session: AsyncSession, instrument_id: uuid.UUID, *, now: datetime
) -> PublicInstrument:
    page = await search_catalogue(session, CatalogueQuery(now=now, instrument_id=instrument_id))
    instrument = await session.get(Instrument, instrument_id)
    if not page.items or instrument is None:
        raise NotFound(f"Instrument {instrument_id} not found")
    entry = page.items[0]
    record = redact_instrument(instrument.model_dump(), None, instrument.organisation_id)
    scope = [item.model_dump() for item in await scope_of_instrument(session, instrument_id)]
    # A lab that never published a cost model has no fee to show (not a fee of zero).
    published = await session.get(CostModel, instrument_id) is not None
    model, factors = await cost_model_of(session, instrument_id)
    policy = await BookingRepository(session).policy(instrument_id)
    free = await availability(session, [instrument_id], now, now + FREE_SLOT_HORIZON, now=now)
    slots = [(start, end) for start, end in free[0].free][:FREE_SLOTS_SHOWN] if free else []
    return PublicInstrument(
        entry=entry,
        record=record,
        scope=scope,
        hourly_fees=published_hourly_fees(model, factors) if published else {},
        fees_published_at=model.published_at if published else None,
        timezone=policy.timezone,
        opening_hours=list(from_record(instrument.opening_hours)),
        free_slots=slots,
    )
