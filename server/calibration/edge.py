"""The valid certificates' corrections as the edge agent's ``CalibrationSet``.

The server publishes the set retained on ``labshare/v1/gw/{key}/calibration`` (QoS 1); the
agent applies a correction only inside its validity, so an expired certificate stops
correcting on the gateway at the same instant it stops being valid here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.v1 import (
    Calibration,
    CalibrationSet,
    CalibrationTablePoint,
    TopicKind,
    encode,
    topic_for,
)
from server.gateways.models import Gateway
from server.gateways.operations import DocumentKind, store_document, stored_document

__all__ = [
    "CalibrationPublisher",
    "build_calibration_set",
    "gateways_of_instrument",
    "publish_calibration_sets",
    "stage_calibration_sets",
]

log = logging.getLogger(__name__)

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


class CalibrationPublisher(Protocol):
    """The server's broker connection (``server.telemetry.live.LiveHub``)."""

    async def publish_confirmed(self, topic: str, payload: bytes, *, retain: bool) -> bool: ...


_GATEWAYS_SQL = text("SELECT DISTINCT gateway_id FROM channel WHERE gateway_id IS NOT NULL")
_INSTRUMENT_GATEWAYS_SQL = text(
    "SELECT DISTINCT gateway_id FROM channel WHERE instrument_id = :instrument_id"
)
# Only the document that was published is marked: a newer one stored meanwhile stays pending.
_MARK_PUSHED_SQL = text(
    "UPDATE gateway_document SET pushed_at = now()"
    " WHERE gateway_id = :gateway_id AND kind = :kind AND content_hash = :content_hash"
)


def _stored_corrections(body: str) -> Any:
    try:
        return json.loads(body).get("corrections")
    except (ValueError, AttributeError):
        return None


async def gateways_of_instrument(
    session: AsyncSession, instrument_id: uuid.UUID
) -> list[uuid.UUID]:
    connection = await session.connection()
    rows = await connection.execute(_INSTRUMENT_GATEWAYS_SQL, {"instrument_id": instrument_id})
    return [row.gateway_id for row in rows]


async def stage_calibration_sets(
    session: AsyncSession, at: datetime, gateway_ids: Sequence[uuid.UUID] | None = None
) -> list[tuple[str, bytes, str, uuid.UUID]]:
    """Store the set of every gateway whose corrections differ from what it was last sent
    (or that was never confirmed sent); returns (topic, payload, hash, gateway id) to publish.

    A gateway that never had corrections is not sent an empty set.
    """
    if gateway_ids is None:
        connection = await session.connection()
        gateway_ids = [row.gateway_id for row in await connection.execute(_GATEWAYS_SQL)]
    staged: list[tuple[str, bytes, str, uuid.UUID]] = []
    for gateway_id in gateway_ids:
        gateway = await session.get(Gateway, gateway_id)
        if gateway is None:
            continue
        calibration_set = await build_calibration_set(session, gateway.id, at)
        payload = encode(calibration_set)
        wanted = json.loads(payload)["corrections"]
        stored = await stored_document(session, gateway, DocumentKind.CALIBRATION)
        if stored is None and not wanted:
            continue
        if (
            stored is not None
            and stored.pushed_at is not None
            and _stored_corrections(stored.body) == wanted
        ):
            continue
        document = {
            "body": payload.decode(),
            "content_type": "application/json",
            "content_hash": hashlib.sha256(payload).hexdigest(),
        }
        await store_document(session, gateway, DocumentKind.CALIBRATION, user=None, **document)
        topic = topic_for(gateway.key, TopicKind.CALIBRATION)
        staged.append((topic, payload, document["content_hash"], gateway.id))
    return staged


async def publish_calibration_sets(
    sessionmaker: async_sessionmaker[AsyncSession],
    publisher: CalibrationPublisher,
    at: datetime,
    gateway_ids: Sequence[uuid.UUID] | None = None,
) -> list[str]:
    """Publish changed sets RETAINED (QoS 1), so a gateway that connects later gets them too.

    Staged and committed first; a set the broker did not confirm stays pending for the
    next pass of the job runner. Returns the topics published.
    """
    async with sessionmaker() as session, session.begin():
        staged = await stage_calibration_sets(session, at, gateway_ids)
    published: list[tuple[str, str, uuid.UUID]] = []
    for topic, payload, content_hash, gateway_id in staged:
        if await publisher.publish_confirmed(topic, payload, retain=True):
            published.append((topic, content_hash, gateway_id))
        else:
            log.warning("calibration set for %s not confirmed by the broker; retrying later", topic)
    if published:
        async with sessionmaker() as session, session.begin():
            connection = await session.connection()
            for _, content_hash, gateway_id in published:
                await connection.execute(
                    _MARK_PUSHED_SQL,
                    {
                        "gateway_id": gateway_id,
                        "kind": DocumentKind.CALIBRATION.value,
                        "content_hash": content_hash,
                    },
                )
    return [topic for topic, _, _ in published]
