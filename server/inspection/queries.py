"""The inspection API's reads and writes: the statements behind ``server.inspection.router``."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, RowMapping, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.inspection.models import (
    alarm_table,
    characteristic_table,
    chart_state_table,
    limits_table,
    result_table,
)

__all__ = [
    "CURRENT_RESULTS",
    "acknowledge_alarm",
    "alarm_for_update",
    "alarms",
    "characteristic",
    "characteristics",
    "current_limits_version",
    "insert_characteristic",
    "instrument_owner",
    "limits",
    "members_of",
    "result_values",
]

CURRENT_RESULTS = 1000
"""The list's current capability is that of each characteristic's latest results, this many."""

# The latest results through the (characteristic_id, ts) index, so the list costs the same
# whatever the length of the record.
_LIST_SQL = f"""
SELECT c.*, s.limits_version, coalesce(s.next_position, 0) AS points,
       (SELECT count(*) FROM inspection_alarm a
         WHERE a.characteristic_id = c.id AND a.acknowledged_at IS NULL) AS open_alarms,
       cur.n AS current_n, cur.mean AS current_mean, cur.sd AS current_sd,
       l.sigma_within AS current_sigma_within
  FROM inspection_characteristic c
  LEFT JOIN inspection_chart_state s ON s.characteristic_id = c.id
  LEFT JOIN inspection_limits l
    ON l.characteristic_id = c.id AND l.version = s.limits_version
  CROSS JOIN LATERAL (
    SELECT count(*) AS n, avg(value) AS mean, stddev_samp(value) AS sd
      FROM (SELECT r.value FROM inspection_result r WHERE r.characteristic_id = c.id
             ORDER BY r.ts DESC LIMIT {CURRENT_RESULTS}) latest
  ) cur
"""  # noqa: S608 - a constant


async def members_of(
    conn: AsyncConnection, user_ids: Collection[uuid.UUID], organisation_id: uuid.UUID
) -> int:
    """How many of ``user_ids`` are users of the organisation."""
    count = (
        await conn.execute(
            text("SELECT count(*) FROM app_user WHERE id = ANY(:ids) AND organisation_id = :org"),
            {"ids": list(user_ids), "org": organisation_id},
        )
    ).scalar_one()
    return int(count)


async def instrument_owner(conn: AsyncConnection, instrument_id: uuid.UUID) -> uuid.UUID | None:
    """The organisation of an instrument; None for no such instrument."""
    owner: uuid.UUID | None = (
        await conn.execute(
            text("SELECT organisation_id FROM instrument WHERE id = :id"), {"id": instrument_id}
        )
    ).scalar_one_or_none()
    return owner


async def insert_characteristic(
    conn: AsyncConnection, organisation_id: uuid.UUID, values: dict[str, Any]
) -> Row[Any]:
    """The new characteristic's row; raises ``IntegrityError`` (the savepoint rolled back) for a
    duplicate product/key or an instrument or user that does not exist."""
    async with conn.begin_nested():
        row: Row[Any] = (
            await conn.execute(
                insert(characteristic_table)
                .values(organisation_id=organisation_id, **values)
                .returning(characteristic_table)
            )
        ).one()
    return row


async def characteristics(
    conn: AsyncConnection, organisation_id: uuid.UUID | None, instrument_id: uuid.UUID | None
) -> Sequence[Row[Any]]:
    """Characteristics with their chart state, open alarms and the statistics of their latest
    results, by product and key; ``None`` filters nothing."""
    where, params = [], {}
    if organisation_id is not None:
        where.append("c.organisation_id = :org")
        params["org"] = organisation_id
    if instrument_id is not None:
        where.append("c.instrument_id = :instrument")
        params["instrument"] = instrument_id
    sql = (
        _LIST_SQL
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY c.product, c.key"
    )
    return (await conn.execute(text(sql), params)).all()


async def characteristic(conn: AsyncConnection, characteristic_id: uuid.UUID) -> Row[Any]:
    """One characteristic as :func:`characteristics` lists it (it must exist)."""
    return (
        await conn.execute(text(_LIST_SQL + " WHERE c.id = :id"), {"id": characteristic_id})
    ).one()


async def limits(
    conn: AsyncConnection,
    characteristic_id: uuid.UUID,
    versions: Collection[int] | None = None,
) -> list[RowMapping]:
    """A characteristic's limits versions, oldest first: all of them, or those named."""
    query = select(limits_table).where(limits_table.c.characteristic_id == characteristic_id)
    if versions is not None:
        query = query.where(limits_table.c.version.in_(sorted(versions)))
    rows = await conn.execute(query.order_by(limits_table.c.version))
    return [row._mapping for row in rows]


async def current_limits_version(conn: AsyncConnection, characteristic_id: uuid.UUID) -> int | None:
    """The limits version the chart judges new points against; None before limits are frozen."""
    version: int | None = (
        await conn.execute(
            select(chart_state_table.c.limits_version).where(
                chart_state_table.c.characteristic_id == characteristic_id
            )
        )
    ).scalar_one_or_none()
    return version


async def result_values(
    conn: AsyncConnection,
    characteristic_id: uuid.UUID,
    period_from: datetime | None,
    period_to: datetime | None,
) -> list[float]:
    """A characteristic's result values from ``period_from`` (inclusive) to ``period_to``."""
    query = select(result_table.c.value).where(
        result_table.c.characteristic_id == characteristic_id
    )
    if period_from is not None:
        query = query.where(result_table.c.ts >= period_from)
    if period_to is not None:
        query = query.where(result_table.c.ts < period_to)
    return [float(v) for (v,) in await conn.execute(query)]


async def alarms(
    conn: AsyncConnection,
    *,
    organisation_id: uuid.UUID | None,
    characteristic_id: uuid.UUID | None,
    instrument_id: uuid.UUID | None,
    open_only: bool,
    limit: int,
) -> list[RowMapping]:
    """Alarms newest first; ``None`` filters nothing."""
    query = select(alarm_table).join(
        characteristic_table, characteristic_table.c.id == alarm_table.c.characteristic_id
    )
    if organisation_id is not None:
        query = query.where(characteristic_table.c.organisation_id == organisation_id)
    if characteristic_id is not None:
        query = query.where(alarm_table.c.characteristic_id == characteristic_id)
    if instrument_id is not None:
        query = query.where(characteristic_table.c.instrument_id == instrument_id)
    if open_only:
        query = query.where(alarm_table.c.acknowledged_at.is_(None))
    rows = await conn.execute(query.order_by(alarm_table.c.id.desc()).limit(limit))
    return [row._mapping for row in rows]


async def alarm_for_update(
    conn: AsyncConnection, alarm_id: int
) -> tuple[uuid.UUID, datetime | None] | None:
    """An alarm's characteristic and acknowledgement time, the row locked; None for no alarm."""
    row = (
        await conn.execute(
            select(alarm_table.c.characteristic_id, alarm_table.c.acknowledged_at)
            .where(alarm_table.c.id == alarm_id)
            .with_for_update()
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def acknowledge_alarm(
    conn: AsyncConnection, alarm_id: int, user_id: uuid.UUID, cause: str, action: str
) -> RowMapping:
    """Records the acknowledgement (now, by whom, cause and action); the updated alarm."""
    updated: Row[Any] = (
        await conn.execute(
            update(alarm_table)
            .where(alarm_table.c.id == alarm_id)
            .values(
                acknowledged_at=func.now(),
                acknowledged_by=user_id,
                cause=cause,
                action=action,
            )
            .returning(alarm_table)
        )
    ).one()
    return updated._mapping
