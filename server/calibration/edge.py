"""The valid certificates' corrections as the edge agent's ``CalibrationSet``.

The server publishes the set retained on ``labshare/v1/gw/{key}/calibration`` (QoS 1); the
agent applies a correction only inside its validity, so an expired certificate stops
correcting on the gateway at the same instant it stops being valid here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.v1 import Calibration, CalibrationSet, CalibrationTablePoint
from server.gateways.models import Gateway

__all__ = ["build_calibration_set"]

# The newest passing certificate valid at ``at`` for every instrument behind the gateway.
_CURRENT_SQL = text(
    """
    SELECT DISTINCT ON (c.instrument_id)
           c.id, c.instrument_id, c.corrections, c.valid_from, c.valid_to
    FROM calibration_certificate c
    WHERE c.result = 'pass' AND c.valid_from <= :at AND c.valid_to > :at
      AND c.instrument_id IN (SELECT instrument_id FROM channel WHERE gateway_id = :gateway_id)
    ORDER BY c.instrument_id, c.valid_to DESC
    """
)
_CHANNELS_SQL = text(
    "SELECT instrument_id, device_key, point_key FROM channel WHERE gateway_id = :gateway_id"
)


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


async def build_calibration_set(
    session: AsyncSession, gateway_id: uuid.UUID, at: datetime
) -> CalibrationSet:
    """Corrections for every channel of the gateway whose instrument has a valid certificate."""
    gateway = await session.get(Gateway, gateway_id)
    if gateway is None:
        raise LookupError(f"gateway {gateway_id} does not exist")
    connection = await session.connection()
    params = {"gateway_id": gateway_id, "at": at}
    channels = {
        (row.instrument_id, row.device_key, row.point_key)
        for row in await connection.execute(_CHANNELS_SQL, params)
    }
    corrections: list[Calibration] = []
    for row in await connection.execute(_CURRENT_SQL, params):
        for index, item in enumerate(row.corrections):
            # A correction for a point this gateway does not read belongs to another gateway.
            if (row.instrument_id, item["device"], item["point"]) not in channels:
                continue
            corrections.append(
                Calibration(
                    id=f"{row.id.hex[:24]}-{index}",
                    device=item["device"],
                    point=item["point"],
                    kind=item.get("kind", "offset_gain"),
                    offset=item.get("offset", 0.0),
                    gain=item.get("gain", 1.0),
                    table=[CalibrationTablePoint(**p) for p in item.get("table", [])],
                    valid_from_ms=_ms(row.valid_from),
                    valid_to_ms=_ms(row.valid_to),
                )
            )
    corrections.sort(key=lambda c: (c.device, c.point))
    return CalibrationSet(gateway=gateway.key, issued_at_ms=_ms(at), corrections=corrections)
