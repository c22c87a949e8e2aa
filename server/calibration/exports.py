"""Data exports, recorded so an out-of-tolerance finding can trace the data that left."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.calibration.models import DataExport

__all__ = ["record_export"]


async def record_export(
    session: AsyncSession,
    *,
    user: AppUser,
    instrument_id: uuid.UUID,
    range_start: datetime,
    range_end: datetime,
    fmt: str,
) -> DataExport:
    """Record that ``user`` exported the instrument's data for ``[range_start, range_end)``."""
    export = DataExport(
        instrument_id=instrument_id,
        user_id=user.id,
        organisation_id=user.organisation_id,
        range_start=range_start,
        range_end=range_end,
        format=fmt,
    )
    session.add(export)
    await session.flush()
    return export
