"""The live board of a lab: its instruments with their state and newest readings, its gateways,
and the filter of the lab's live stream. Every query is restricted to the lab in SQL."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.catalog.models import Instrument, Lab
from server.telemetry.live import LiveFilter
from server.telemetry.schemas import BoardGateway, BoardInstrument, BoardReading, LabBoard
from server.telemetry.states import InstrumentState

__all__ = ["is_alarm", "lab_board", "lab_instrument_ids", "live_filter"]

_BOARD_SQL = text(
    """
    SELECT i.id AS instrument_id, c.id AS channel_id, c.gateway_id, c.point_key, c.name,
           c.name_en, c.canonical_unit AS unit, c.normal_min, c.normal_max, t.value, t.ts
    FROM instrument i
    JOIN channel c ON c.instrument_id = i.id
    LEFT JOIN LATERAL (
        SELECT tl.value, tl.ts FROM telemetry tl WHERE tl.channel_id = c.id
        ORDER BY tl.ts DESC LIMIT 1
    ) t ON true
    WHERE i.lab_id = :lab_id
    ORDER BY c.id
    """
)


def is_alarm(value: float | None, normal_min: float | None, normal_max: float | None) -> bool:
    if value is None:
        return False
    return (normal_min is not None and value < normal_min) or (
        normal_max is not None and value > normal_max
    )


async def lab_instrument_ids(session: AsyncSession, lab_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.exec(select(Instrument.id).where(Instrument.lab_id == lab_id))
    return list(rows.all())


async def lab_board(session: AsyncSession, lab: Lab) -> LabBoard:
    """Every instrument of the lab with its state and newest readings, and the lab's gateways."""
    instruments = (
        await session.exec(
            select(Instrument)
            .where(Instrument.lab_id == lab.id)
            .order_by(col(Instrument.name), col(Instrument.id))
        )
    ).all()
    conn = await session.connection()
    readings: dict[uuid.UUID, list[BoardReading]] = {i.id: [] for i in instruments}
    gateways_of: dict[uuid.UUID, set[uuid.UUID]] = {i.id: set() for i in instruments}
    for row in await conn.execute(_BOARD_SQL, {"lab_id": lab.id}):
        gateways_of[row.instrument_id].add(row.gateway_id)
        readings[row.instrument_id].append(
            BoardReading(
                channel_id=row.channel_id,
                point_key=row.point_key,
                name=row.name,
                name_en=row.name_en,
                unit=row.unit,
                value=row.value,
                ts=row.ts,
                normal_min=row.normal_min,
                normal_max=row.normal_max,
                alarm=is_alarm(row.value, row.normal_min, row.normal_max),
            )
        )
    current = {
        row.instrument_id: (row.state, row.start_at)
        for row in await conn.execute(
            text(
                "SELECT instrument_id, state, start_at FROM instrument_state_interval"
                " WHERE end_at IS NULL AND instrument_id = ANY(:ids)"
            ),
            {"ids": [i.id for i in instruments]},
        )
    }
    gateway_ids = sorted({g for ids in gateways_of.values() for g in ids})
    gateways = [
        BoardGateway(
            id=row.id, key=row.key, name=row.name, status=row.status, last_seen_at=row.last_seen_at
        )
        for row in await conn.execute(
            text(
                "SELECT id, key, name, status, last_seen_at FROM gateway"
                " WHERE id = ANY(:ids) ORDER BY key"
            ),
            {"ids": gateway_ids},
        )
    ]
    return LabBoard(
        lab_id=lab.id,
        name=lab.name,
        name_en=lab.name_en,
        instruments=[
            BoardInstrument(
                id=i.id,
                name=i.name,
                name_en=i.name_en,
                state=InstrumentState(current[i.id][0]) if i.id in current else None,
                state_since=current[i.id][1] if i.id in current else None,
                gateway_ids=sorted(gateways_of[i.id]),
                readings=readings[i.id],
            )
            for i in instruments
        ],
        gateways=gateways,
    )


async def live_filter(session: AsyncSession, instrument_ids: list[uuid.UUID]) -> LiveFilter:
    """What a live stream over these instruments passes: their channels and gateways."""
    conn = await session.connection()
    rows = (
        await conn.execute(
            text(
                "SELECT c.id, g.key FROM channel c JOIN gateway g ON g.id = c.gateway_id"
                " WHERE c.instrument_id = ANY(:ids)"
            ),
            {"ids": instrument_ids},
        )
    ).all()
    return LiveFilter(
        channel_ids=frozenset(r.id for r in rows),
        instrument_ids=frozenset(instrument_ids),
        gateway_keys=frozenset(r.key for r in rows),
    )
