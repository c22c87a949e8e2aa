"""The newest reading of every channel of an instrument, as its viewer may see it."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.v1 import QUALITY_CODES, Quality
from server.auth.models import AppUser
from server.telemetry.queries import resolve_access
from server.telemetry.schemas import LatestReading

__all__ = ["LatestRow", "latest_readings", "latest_rows"]

logger = logging.getLogger(__name__)

_QUALITY_BY_CODE = {code: quality for quality, code in QUALITY_CODES.items()}


@dataclass(frozen=True, slots=True)
class LatestRow:
    channel_id: int
    device_key: str
    point_key: str
    name: str
    name_en: str | None
    unit: str
    value: float | None
    ts: datetime | None
    quality: int | None


# One index probe per channel: the LATERAL subquery walks the (channel_id, ts) unique index
# backwards, on a plain table and on every chunk of a hypertable alike.
_LATEST_SQL = text(
    """
    SELECT c.id AS channel_id, c.device_key, c.point_key, c.name, c.name_en,
           c.canonical_unit AS unit, t.value, t.ts, t.quality
    FROM channel AS c
    LEFT JOIN LATERAL (
        SELECT tl.value, tl.ts, tl.quality
        FROM telemetry AS tl
        WHERE tl.channel_id = c.id
        ORDER BY tl.ts DESC
        LIMIT 1
    ) AS t ON true
    WHERE c.instrument_id = :instrument_id
    ORDER BY c.id
    """
)


async def latest_rows(session: AsyncSession, instrument_id: uuid.UUID) -> list[LatestRow]:
    """The newest stored row of every channel of the instrument, unfiltered (one query)."""
    connection = await session.connection()
    result = await connection.execute(_LATEST_SQL, {"instrument_id": instrument_id})
    return [LatestRow(**row._mapping) for row in result]


async def latest_readings(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID
) -> list[LatestReading]:
    """The newest reading of every channel.

    Enterprise users see a reading only when it was taken during one of their own bookings
    (so live values while their session runs); without such a booking the instrument is 404.
    """
    access = await resolve_access(session, user, instrument_id)
    rows = await latest_rows(session, access.instrument.id)
    readings = []
    for row in rows:
        visible = row.ts is not None and access.covers(row.ts)
        quality: Quality | None = None
        if visible and row.quality is not None:
            quality = _QUALITY_BY_CODE.get(row.quality)
            if quality is None:
                logger.warning(
                    "unknown quality code in telemetry",
                    extra={"channel_id": row.channel_id, "quality_code": row.quality},
                )
        readings.append(
            LatestReading(
                channel_id=row.channel_id,
                device_key=row.device_key,
                point_key=row.point_key,
                name=row.name,
                name_en=row.name_en,
                unit=row.unit,
                value=row.value if visible else None,
                ts=row.ts.astimezone(UTC) if visible and row.ts is not None else None,
                quality=quality,
            )
        )
    return readings
