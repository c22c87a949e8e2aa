"""Program runs reported by gateways (:mod:`mqtt_contract.program_v1`): stored once, read back
as part of an instrument's data over a range (a booking session's data export).

A run belongs to the instrument whose channels the gateway's device feeds: runs are stored by
``(gateway, device)`` as the gateway names them and matched to an instrument through its
channels when they are read, so a run that arrives before its channels are set up is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection as SqlAlchemyConnection

from mqtt_contract.program_v1 import ProgramRun
from server.catalog.models import Channel

__all__ = ["StoredRun", "runs_in", "store_runs"]


def _utc(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


async def store_runs(
    conn: AsyncConnection[Any], runs: Sequence[tuple[uuid.UUID, ProgramRun]]
) -> int:
    """Insert and COMMIT ``(gateway id, run)`` pairs; a run already stored is left as it is.

    Returns how many were new.
    """
    stored = 0
    async with conn.transaction(), conn.cursor() as cur:
        for gateway_id, run in runs:
            await cur.execute(
                "INSERT INTO program_run (gateway_id, device_key, unit_key, run_id, program,"
                " result_id, outcome, started_at, ended_at, results)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (gateway_id, device_key, unit_key, run_id) DO NOTHING",
                (
                    gateway_id,
                    run.device,
                    run.unit,
                    run.run_id,
                    run.program,
                    run.result_id,
                    run.outcome,
                    _utc(run.started_ms),
                    _utc(run.ended_ms),
                    Jsonb([r.model_dump(exclude_none=True) for r in run.results]),
                ),
            )
            stored += cur.rowcount
    return stored


@dataclass(frozen=True, slots=True)
class StoredRun:
    device_key: str
    unit_key: str
    run_id: str
    program: str | None
    result_id: str | None
    outcome: str
    started_at: datetime | None
    ended_at: datetime
    results: list[dict[str, Any]]


async def runs_in(
    conn: SqlAlchemyConnection,
    channels: Sequence[Channel],
    windows: Sequence[tuple[datetime, datetime]],
) -> list[StoredRun]:
    """Runs of the devices behind ``channels`` that ended inside one of ``windows``."""
    devices = sorted({(c.gateway_id, c.device_key) for c in channels})
    if not devices or not windows:
        return []
    runs: list[StoredRun] = []
    for start, end in windows:
        result = await conn.execute(
            text(
                "SELECT device_key, unit_key, run_id, program, result_id, outcome, started_at,"
                " ended_at, results FROM program_run"
                " WHERE (gateway_id, device_key) IN"
                "   (SELECT * FROM unnest(CAST(:gateways AS uuid[]), CAST(:devices AS text[])))"
                " AND ended_at >= :start AND ended_at < :end ORDER BY ended_at, id"
            ),
            {
                "gateways": [g for g, _ in devices],
                "devices": [d for _, d in devices],
                "start": start,
                "end": end,
            },
        )
        runs.extend(StoredRun(*row) for row in result)
    return runs
