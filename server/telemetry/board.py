"""The live board of a lab or an institution: instruments with their state, whether they may be
used, their newest readings and their alarms, the gateways, and the filter of the live stream.

Every query is restricted to the board's instruments in SQL. What a tile says comes from three
domains: the telemetry state (running, idle, off, fault, offline), the calibration programme
(out of service, calibration expired: read through its public functions and model) and the
inspection stations (open SPC alarms, read from their alarm table). See ``docs/web.md`` ("Live
board") for how the web app colours a tile from these facts.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, or_, text
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.v1 import QUALITY_CODES, Quality
from server.auth.models import AppUser
from server.calibration.models import OutOfService
from server.calibration.service import calibration_statuses
from server.calibration.status import CalibrationState
from server.catalog.models import Instrument, Lab
from server.inspection.models import alarm_table, characteristic_table
from server.telemetry.live import LiveFilter
from server.telemetry.schemas import (
    BoardAcknowledgement,
    BoardAlarm,
    BoardAlarmKind,
    BoardGateway,
    BoardInstrument,
    BoardOutOfService,
    BoardReading,
    BoardUsability,
    LabBoard,
    ValueLabel,
    ValueMapEntry,
)
from server.telemetry.states import InstrumentState, StateRule

__all__ = [
    "ACKNOWLEDGED_SPC_SHOWN",
    "HEARTBEAT_MISSING_AFTER",
    "LOOP_FAULTS",
    "acknowledge",
    "channel_value_labels",
    "is_alarm",
    "lab_board",
    "lab_instrument_ids",
    "live_filter",
    "set_value_map",
    "value_maps",
]

# A gateway heard from before but without a heartbeat for this long (three of the default
# 30 s heartbeats) is offline, even when the broker has not delivered its last will yet.
HEARTBEAT_MISSING_AFTER = timedelta(seconds=90)
# An SPC alarm stays on the board this long after it was acknowledged, with who and why.
ACKNOWLEDGED_SPC_SHOWN = timedelta(hours=12)
# How far back the start of a channel's fault is looked for.
FAULT_LOOKBACK = timedelta(days=7)
# 4-20 mA loop faults (NAMUR NE 43), as the gateway reports them in a sample's quality.
LOOP_FAULTS = (Quality.LOOP_LOW_FAULT, Quality.LOOP_HIGH_FAULT)
_LOOP_CODES = [QUALITY_CODES[q] for q in LOOP_FAULTS]
_QUALITY_BY_CODE = {code: quality for quality, code in QUALITY_CODES.items()}

_IDS = bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))

_BOARD_SQL = text(
    """
    SELECT i.id AS instrument_id, c.id AS channel_id, c.gateway_id, c.point_key, c.name,
           c.name_en, c.canonical_unit AS unit, c.normal_min, c.normal_max, t.value, t.ts,
           t.quality
    FROM instrument i
    JOIN channel c ON c.instrument_id = i.id
    LEFT JOIN LATERAL (
        SELECT tl.value, tl.ts, tl.quality FROM telemetry tl WHERE tl.channel_id = c.id
        ORDER BY tl.ts DESC LIMIT 1
    ) t ON true
    WHERE i.id = ANY(:ids)
    ORDER BY c.id
    """
).bindparams(_IDS)

# The first sample of a channel's current fault: the oldest one after the newest good one.
_LOOP_SINCE_SQL = text(
    """
    SELECT min(ts) FROM telemetry
    WHERE channel_id = :channel_id AND ts > COALESCE(
        (SELECT max(ts) FROM telemetry WHERE channel_id = :channel_id AND ts > :floor
           AND quality <> ALL(:codes)),
        :floor)
    """
)
_RANGE_SINCE_SQL = text(
    """
    SELECT min(ts) FROM telemetry
    WHERE channel_id = :channel_id AND ts > COALESCE(
        (SELECT max(ts) FROM telemetry WHERE channel_id = :channel_id AND ts > :floor
           AND value IS NOT NULL
           AND (CAST(:low AS double precision) IS NULL OR value >= :low)
           AND (CAST(:high AS double precision) IS NULL OR value <= :high)),
        :floor)
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


def _status_labels(rule: StateRule | None) -> tuple[str | None, list[ValueLabel] | None]:
    """The status register's point and what its values mean, from the state rule."""
    if rule is None or rule.status is None:
        return None, None
    labels = [ValueLabel(value=v, state=s) for v, s in sorted(rule.status.map.items())]
    return rule.status.point, labels


async def value_maps(
    conn: AsyncConnection, channel_ids: Sequence[int]
) -> dict[int, list[ValueMapEntry]]:
    """The channels' own value maps (status registers configured by the lab's managers)."""
    if not channel_ids:
        return {}
    rows = await conn.execute(
        text("SELECT channel_id, labels FROM channel_value_map WHERE channel_id = ANY(:ids)"),
        {"ids": list(channel_ids)},
    )
    return {
        row.channel_id: [ValueMapEntry.model_validate(item) for item in row.labels] for row in rows
    }


async def set_value_map(
    conn: AsyncConnection, channel_id: int, labels: Sequence[ValueMapEntry], user_id: uuid.UUID
) -> None:
    """Replace the channel's value map; an empty one removes it."""
    if not labels:
        await conn.execute(
            text("DELETE FROM channel_value_map WHERE channel_id = :id"), {"id": channel_id}
        )
        return
    await conn.execute(
        text(
            "INSERT INTO channel_value_map (channel_id, labels, updated_by)"
            " VALUES (:id, CAST(:labels AS jsonb), :user_id)"
            " ON CONFLICT (channel_id) DO UPDATE SET labels = EXCLUDED.labels,"
            " updated_by = EXCLUDED.updated_by, updated_at = now()"
        ),
        {
            "id": channel_id,
            "labels": json.dumps([e.model_dump(exclude_none=True) for e in labels]),
            "user_id": user_id,
        },
    )


def _labels(
    entries: list[ValueMapEntry] | None,
    point_key: str,
    status: tuple[str | None, list[ValueLabel] | None],
) -> list[ValueLabel] | None:
    if entries:
        states = (
            {label.value: label.state for label in status[1] or []}
            if status[0] == point_key
            else {}
        )
        return [
            ValueLabel(value=e.value, name=e.name, name_en=e.name_en, state=states.get(e.value))
            for e in sorted(entries, key=lambda e: e.value)
        ]
    return status[1] if status[0] == point_key else None


async def channel_value_labels(
    conn: AsyncConnection, instrument_id: uuid.UUID, channels: Sequence[tuple[int, str]]
) -> dict[int, list[ValueLabel]]:
    """What the values of the instrument's status channels mean, per channel id, for the
    channels ``(id, point_key)`` that have words for their values (a value map, or the state
    rule's status register); channels that only measure are left out."""
    status = _status_labels((await _rules(conn, [instrument_id])).get(instrument_id))
    maps = await value_maps(conn, [channel_id for channel_id, _ in channels])
    found = {
        channel_id: _labels(maps.get(channel_id), point_key, status)
        for channel_id, point_key in channels
    }
    return {channel_id: labels for channel_id, labels in found.items() if labels}


async def _rules(
    conn: AsyncConnection, instrument_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StateRule]:
    rows = await conn.execute(
        text(
            "SELECT instrument_id, rule FROM instrument_state_rule WHERE instrument_id = ANY(:ids)"
        ).bindparams(_IDS),
        {"ids": list(instrument_ids)},
    )
    return {row.instrument_id: StateRule.model_validate(row.rule) for row in rows}


async def _usability(
    session: AsyncSession, instrument_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, BoardUsability]:
    statuses = await calibration_statuses(session, instrument_ids, now)
    open_records = (
        await session.exec(
            select(OutOfService)
            .where(
                col(OutOfService.instrument_id).in_(list(instrument_ids)),
                col(OutOfService.start_at) <= now,
                or_(col(OutOfService.end_at).is_(None), col(OutOfService.end_at) > now),
            )
            .order_by(col(OutOfService.start_at))
        )
    ).all()
    out = {r.instrument_id: r for r in open_records}
    result: dict[uuid.UUID, BoardUsability] = {}
    for instrument_id in instrument_ids:
        status = statuses.get(instrument_id)
        record = out.get(instrument_id)
        result[instrument_id] = BoardUsability(
            out_of_service=None
            if record is None
            else BoardOutOfService(
                since=record.start_at, cause=record.cause_kind, reason=record.reason
            ),
            calibration=None if status is None else status.state,
            calibration_valid_to=None if status is None else status.valid_to,
            never_calibrated=status is not None
            and status.state is CalibrationState.EXPIRED
            and status.certificate_number is None,
        )
    return result


async def _telemetry_acks(
    conn: AsyncConnection, instrument_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str, str, datetime], BoardAcknowledgement]:
    rows = await conn.execute(
        text(
            "SELECT a.instrument_id, a.kind, a.subject, a.since, a.acknowledged_at, a.note,"
            " u.full_name FROM telemetry_alarm_ack a JOIN app_user u ON u.id = a.acknowledged_by"
            " WHERE a.instrument_id = ANY(:ids)"
        ).bindparams(_IDS),
        {"ids": list(instrument_ids)},
    )
    return {
        (r.instrument_id, r.kind, r.subject, r.since): BoardAcknowledgement(
            at=r.acknowledged_at, by=r.full_name, note=r.note
        )
        for r in rows
    }


async def _spc_alarms(
    conn: AsyncConnection,
    organisation_id: uuid.UUID,
    instrument_ids: Sequence[uuid.UUID],
    now: datetime,
) -> list[BoardAlarm]:
    """Open SPC alarms of the board's instruments and of the institution's stations that
    measure on no instrument, and those acknowledged lately (with who and why)."""
    ch = characteristic_table.c
    al = alarm_table.c
    user = AppUser.__table__.c  # type: ignore[attr-defined]
    query = (
        sa_select(
            al.id,
            al.kind,
            al.rule,
            al.raised_at,
            al.acknowledged_at,
            al.cause,
            al.action,
            ch.instrument_id,
            ch.name,
            user.full_name,
        )
        .select_from(
            alarm_table.join(characteristic_table, ch.id == al.characteristic_id).outerjoin(
                AppUser.__table__,  # type: ignore[attr-defined]
                user.id == al.acknowledged_by,
            )
        )
        .where(
            ch.organisation_id == organisation_id,
            or_(ch.instrument_id.is_(None), ch.instrument_id.in_(list(instrument_ids))),
            or_(al.acknowledged_at.is_(None), al.acknowledged_at > now - ACKNOWLEDGED_SPC_SHOWN),
        )
        .order_by(al.id.desc())
        .limit(200)
    )
    return [
        BoardAlarm(
            kind=BoardAlarmKind.SPC,
            subject=str(row.id),
            instrument_id=row.instrument_id,
            since=row.raised_at,
            spc_alarm_id=row.id,
            spc_kind=row.kind,
            spc_rule=row.rule,
            characteristic=row.name,
            acknowledged=None
            if row.acknowledged_at is None
            else BoardAcknowledgement(
                at=row.acknowledged_at,
                by=row.full_name or "",
                note=f"{row.cause} / {row.action}",
            ),
        )
        for row in await conn.execute(query)
    ]


async def _fault_since(
    conn: AsyncConnection, reading: BoardReading, kind: BoardAlarmKind, now: datetime
) -> datetime | None:
    floor = now - FAULT_LOOKBACK
    if kind is BoardAlarmKind.LOOP_FAULT:
        since = await conn.scalar(
            _LOOP_SINCE_SQL,
            {"channel_id": reading.channel_id, "floor": floor, "codes": _LOOP_CODES},
        )
    else:
        since = await conn.scalar(
            _RANGE_SINCE_SQL,
            {
                "channel_id": reading.channel_id,
                "floor": floor,
                "low": reading.normal_min,
                "high": reading.normal_max,
            },
        )
    return since if isinstance(since, datetime) else reading.ts


async def board_for(
    session: AsyncSession,
    *,
    lab_id: uuid.UUID,
    name: str,
    name_en: str | None,
    organisation_id: uuid.UUID,
    instruments: Sequence[Instrument],
    now: datetime | None = None,
) -> LabBoard:
    """The board of these instruments (one lab's), with their gateways and alarms."""
    now = now or datetime.now(UTC)
    ids = [i.id for i in instruments]
    conn = await session.connection()
    rules = await _rules(conn, ids)
    readings: dict[uuid.UUID, list[BoardReading]] = {i: [] for i in ids}
    gateways_of: dict[uuid.UUID, set[uuid.UUID]] = {i: set() for i in ids}
    rows = (await conn.execute(_BOARD_SQL, {"ids": ids})).all()
    maps = await value_maps(conn, [row.channel_id for row in rows])
    for row in rows:
        gateways_of[row.instrument_id].add(row.gateway_id)
        status = _status_labels(rules.get(row.instrument_id))
        quality = None if row.quality is None else _QUALITY_BY_CODE.get(row.quality)
        readings[row.instrument_id].append(
            BoardReading(
                channel_id=row.channel_id,
                point_key=row.point_key,
                name=row.name,
                name_en=row.name_en,
                unit=row.unit,
                value=row.value,
                ts=row.ts,
                quality=quality,
                normal_min=row.normal_min,
                normal_max=row.normal_max,
                alarm=is_alarm(row.value, row.normal_min, row.normal_max),
                value_labels=_labels(maps.get(row.channel_id), row.point_key, status),
            )
        )
    current = {
        row.instrument_id: (row.state, row.start_at)
        for row in await conn.execute(
            text(
                "SELECT instrument_id, state, start_at FROM instrument_state_interval"
                " WHERE end_at IS NULL AND instrument_id = ANY(:ids)"
            ).bindparams(_IDS),
            {"ids": ids},
        )
    }
    gateway_ids = sorted({g for found in gateways_of.values() for g in found})
    gateways: list[BoardGateway] = []
    for row in await conn.execute(
        text(
            "SELECT g.id, g.key, g.name, g.status, g.last_seen_at, h.received_at"
            " FROM gateway g LEFT JOIN gateway_heartbeat h ON h.gateway_id = g.id"
            " WHERE g.id = ANY(:ids) ORDER BY g.key"
        ).bindparams(_IDS),
        {"ids": gateway_ids},
    ):
        heard = max((t for t in (row.last_seen_at, row.received_at) if t is not None), default=None)
        gateways.append(
            BoardGateway(
                id=row.id,
                key=row.key,
                name=row.name,
                status=row.status,
                last_seen_at=row.last_seen_at,
                heartbeat_at=row.received_at,
                heartbeat_missing=heard is not None and now - heard > HEARTBEAT_MISSING_AFTER,
            )
        )
    gateway_by_id = {g.id: g for g in gateways}
    usability = await _usability(session, ids, now)
    acks = await _telemetry_acks(conn, ids)

    alarms_of: dict[uuid.UUID | None, list[BoardAlarm]] = defaultdict(list)
    for instrument_id in ids:
        found: list[BoardAlarm] = []
        state = current.get(instrument_id)
        if state is not None and state[0] == InstrumentState.FAULT.value:
            found.append(
                BoardAlarm(
                    kind=BoardAlarmKind.STATE_FAULT,
                    subject="",
                    instrument_id=instrument_id,
                    since=state[1],
                )
            )
        for reading in readings[instrument_id]:
            kind = None
            if reading.quality in LOOP_FAULTS:
                kind = BoardAlarmKind.LOOP_FAULT
            elif reading.alarm:
                kind = BoardAlarmKind.OUT_OF_RANGE
            if kind is not None:
                found.append(
                    BoardAlarm(
                        kind=kind,
                        subject=str(reading.channel_id),
                        instrument_id=instrument_id,
                        since=await _fault_since(conn, reading, kind, now),
                        channel_id=reading.channel_id,
                        quality=reading.quality,
                        value=reading.value,
                    )
                )
        for gateway_id in sorted(gateways_of[instrument_id]):
            gateway = gateway_by_id.get(gateway_id)
            if gateway is None:
                continue
            heard_at = max(
                (t for t in (gateway.last_seen_at, gateway.heartbeat_at) if t is not None),
                default=None,
            )
            if gateway.heartbeat_missing or (gateway.status == "offline" and heard_at is not None):
                found.append(
                    BoardAlarm(
                        kind=BoardAlarmKind.GATEWAY_OFFLINE,
                        subject=gateway.key,
                        instrument_id=instrument_id,
                        since=heard_at,
                        gateway_key=gateway.key,
                    )
                )
        for alarm in found:
            if alarm.since is not None:
                alarm.acknowledged = acks.get(
                    (instrument_id, alarm.kind.value, alarm.subject, alarm.since)
                )
        alarms_of[instrument_id] = found
    spc = await _spc_alarms(conn, organisation_id, ids, now)
    for alarm in spc:
        alarms_of[alarm.instrument_id].append(alarm)

    board_alarms = [a for i in ids for a in alarms_of[i]] + alarms_of[None]
    return LabBoard(
        lab_id=lab_id,
        name=name,
        name_en=name_en,
        instruments=[
            BoardInstrument(
                id=i.id,
                name=i.name,
                name_en=i.name_en,
                state=InstrumentState(current[i.id][0]) if i.id in current else None,
                state_since=current[i.id][1] if i.id in current else None,
                gateway_ids=sorted(gateways_of[i.id]),
                readings=readings[i.id],
                usability=usability.get(i.id),
                alarms=alarms_of[i.id],
            )
            for i in instruments
        ],
        gateways=gateways,
        alarms=board_alarms,
    )


async def _instruments_of_lab(session: AsyncSession, lab_id: uuid.UUID) -> Sequence[Instrument]:
    return (
        await session.exec(
            select(Instrument)
            .where(Instrument.lab_id == lab_id)
            .order_by(col(Instrument.name), col(Instrument.id))
        )
    ).all()


async def lab_board(session: AsyncSession, lab: Lab, *, now: datetime | None = None) -> LabBoard:
    """Every instrument of the lab with its state, usability, readings and alarms."""
    return await board_for(
        session,
        lab_id=lab.id,
        name=lab.name,
        name_en=lab.name_en,
        organisation_id=lab.organisation_id,
        instruments=await _instruments_of_lab(session, lab.id),
        now=now,
    )


async def acknowledge(
    session: AsyncSession,
    user: AppUser,
    instrument: Instrument,
    *,
    kind: BoardAlarmKind,
    subject: str,
    since: datetime,
    note: str,
    now: datetime | None = None,
) -> BoardAlarm | None:
    """Record who acknowledged a raised telemetry alarm; None when no such alarm is raised.

    Raises ``LookupError`` when that occurrence was already acknowledged.
    """
    if kind is BoardAlarmKind.SPC:
        raise ValueError("SPC alarms are acknowledged by the inspection API")
    lab = await session.get(Lab, instrument.lab_id)
    if lab is None:
        return None
    board = await board_for(
        session,
        lab_id=lab.id,
        name=lab.name,
        name_en=lab.name_en,
        organisation_id=lab.organisation_id,
        instruments=[instrument],
        now=now,
    )
    [tile] = board.instruments
    alarm = next(
        (
            a
            for a in tile.alarms
            if a.kind is kind and a.subject == subject and a.since is not None and a.since == since
        ),
        None,
    )
    if alarm is None:
        return None
    if alarm.acknowledged is not None:
        raise LookupError("already acknowledged")
    conn = await session.connection()
    row = (
        await conn.execute(
            text(
                "INSERT INTO telemetry_alarm_ack (instrument_id, kind, subject, since,"
                " acknowledged_by, note) VALUES (:instrument_id, :kind, :subject, :since,"
                " :user_id, :note) ON CONFLICT DO NOTHING RETURNING acknowledged_at"
            ),
            {
                "instrument_id": instrument.id,
                "kind": kind.value,
                "subject": subject,
                "since": alarm.since,
                "user_id": user.id,
                "note": note,
            },
        )
    ).first()
    if row is None:
        raise LookupError("already acknowledged")
    alarm.acknowledged = BoardAcknowledgement(at=row.acknowledged_at, by=user.full_name, note=note)
    return alarm


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
