"""Whether an instrument can be used over a time range, and if not, why.

One answer for booking and the catalogue alike. For many instruments at once it costs two
SQL statements (instrument facts, then every blocking record of every instrument), never one
query per instrument: the catalogue asks for thousands.

Blocking causes:

- calibration: a calibrated instrument is usable only inside ``[valid_from, valid_to)`` of a
  passing certificate; outside it is ``calibration_expired`` (or ``not_calibrated`` when it
  never had one). Instruments with ``calibration_required = false`` are never blocked by it.
- out of service: from ``start_at`` until return to service (open-ended while not returned).
- maintenance windows.
- gateway offline: only the present is known, so it blocks "now" (a short horizon from now),
  never future ranges.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = [
    "GATEWAY_OFFLINE_HORIZON",
    "Blocked",
    "UnusableReason",
    "Usability",
    "blocked_intervals",
    "check_usability",
    "uncovered",
]

# How far ahead an offline gateway blocks: the present is all we know about it.
GATEWAY_OFFLINE_HORIZON = timedelta(minutes=15)


class UnusableReason(StrEnum):
    CALIBRATION_EXPIRED = "calibration_expired"
    NOT_CALIBRATED = "not_calibrated"
    OUT_OF_SERVICE = "out_of_service"
    MAINTENANCE = "maintenance"
    GATEWAY_OFFLINE = "gateway_offline"


@dataclass(frozen=True)
class Blocked:
    start: datetime
    end: datetime
    reason: UnusableReason
    detail: str


@dataclass(frozen=True)
class Usability:
    usable: bool
    blocked: list[Blocked]


_INSTRUMENTS_SQL = text(
    """
    SELECT i.id, i.calibration_required,
           EXISTS (SELECT 1 FROM calibration_certificate c
                   WHERE c.instrument_id = i.id AND c.result = 'pass') AS ever_calibrated,
           EXISTS (SELECT 1 FROM channel ch JOIN gateway g ON g.id = ch.gateway_id
                   WHERE ch.instrument_id = i.id AND g.status = 'offline') AS gateway_offline
    FROM instrument i
    WHERE i.id = ANY(:ids)
    """
).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))

# Every record that opens or closes usability inside the range, for all instruments at once;
# the caller subtracts the union of the certificates from the range.
_RECORDS_SQL = text(
    """
    SELECT 'certificate' AS kind, instrument_id, valid_from AS start_at, valid_to AS end_at,
           number AS detail
    FROM calibration_certificate
    WHERE instrument_id = ANY(:ids) AND result = 'pass'
      AND valid_from < :end AND valid_to > :start
    UNION ALL
    SELECT 'out_of_service', instrument_id, start_at, end_at, reason
    FROM out_of_service
    WHERE instrument_id = ANY(:ids) AND start_at < :end AND (end_at IS NULL OR end_at > :start)
    UNION ALL
    SELECT 'maintenance', instrument_id, start_at, end_at, description
    FROM maintenance_window
    WHERE instrument_id = ANY(:ids) AND start_at < :end AND end_at > :start
    """
).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def uncovered(
    start: datetime, end: datetime, covers: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The parts of ``[start, end)`` not covered by any of the half-open ``covers``."""
    gaps: list[tuple[datetime, datetime]] = []
    cursor = start
    for cover_start, cover_end in sorted(covers):
        if cover_end <= cursor:
            continue
        if cover_start >= end:
            break
        if cover_start > cursor:
            gaps.append((cursor, cover_start))
        cursor = max(cursor, cover_end)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


async def blocked_intervals(
    session: AsyncSession,
    instrument_ids: Sequence[uuid.UUID],
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
) -> dict[uuid.UUID, list[Blocked]]:
    """Blocked parts of ``[start, end)`` per instrument (unknown ids are left out)."""
    _require_aware("start", start)
    _require_aware("end", end)
    if end <= start:
        raise ValueError("end must be after start")
    now = now or datetime.now(UTC)
    ids = list(dict.fromkeys(instrument_ids))
    if not ids:
        return {}
    connection = await session.connection()
    facts = (await connection.execute(_INSTRUMENTS_SQL, {"ids": ids})).all()
    records = (
        await connection.execute(_RECORDS_SQL, {"ids": ids, "start": start, "end": end})
    ).all()

    certificates: dict[uuid.UUID, list[tuple[datetime, datetime]]] = defaultdict(list)
    result: dict[uuid.UUID, list[Blocked]] = {row.id: [] for row in facts}
    for row in records:
        if row.kind == "certificate":
            certificates[row.instrument_id].append((row.start_at, row.end_at))
        elif row.kind == "out_of_service":
            result[row.instrument_id].append(
                Blocked(
                    max(start, row.start_at),
                    end if row.end_at is None else min(end, row.end_at),
                    UnusableReason.OUT_OF_SERVICE,
                    row.detail,
                )
            )
        else:
            result[row.instrument_id].append(
                Blocked(
                    max(start, row.start_at),
                    min(end, row.end_at),
                    UnusableReason.MAINTENANCE,
                    row.detail,
                )
            )

    for row in facts:
        blocked = result[row.id]
        if row.calibration_required:
            if row.ever_calibrated:
                reason = UnusableReason.CALIBRATION_EXPIRED
                detail = "no valid calibration certificate covers this time"
            else:
                reason = UnusableReason.NOT_CALIBRATED
                detail = "the instrument has never been calibrated"
            for gap_start, gap_end in uncovered(start, end, certificates[row.id]):
                blocked.append(Blocked(gap_start, gap_end, reason, detail))
        if row.gateway_offline and start <= now < end:
            blocked.append(
                Blocked(
                    now,
                    min(end, now + GATEWAY_OFFLINE_HORIZON),
                    UnusableReason.GATEWAY_OFFLINE,
                    "the instrument's gateway is offline",
                )
            )
        blocked.sort(key=lambda b: (b.start, b.end, b.reason.value))
    return result


async def check_usability(
    session: AsyncSession,
    instrument_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
) -> Usability:
    """Whether the instrument is usable over all of ``[start, end)``; unknown ids are not."""
    found = await blocked_intervals(session, [instrument_id], start, end, now=now)
    if instrument_id not in found:
        raise LookupError(f"instrument {instrument_id} does not exist")
    blocked = found[instrument_id]
    return Usability(usable=not blocked, blocked=blocked)
