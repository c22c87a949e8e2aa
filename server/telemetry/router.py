"""Telemetry read API: series, state timeline and rules, export, live board and streams.

Every endpoint resolves access through :func:`server.telemetry.queries.resolve_access`, so
tenancy is the same everywhere (see that module).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import Response, StreamingResponse
from pydantic import Field
from sqlmodel import col, select

from server.auth.dependencies import CurrentUser
from server.auth.models import INSTITUTION_ROLES, Organisation
from server.auth.tenancy import (
    is_platform_admin,
    may_manage_organisation,
    may_see_organisation,
    role_of,
)
from server.calibration.exports import record_export
from server.catalog.models import Instrument, Lab
from server.catalog.repository import ChannelRepository, InstrumentRepository
from server.core.db import SessionDep
from server.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
    content_responses,
    problem_responses,
)
from server.core.read_replica import ReadConnection, ReadSessionDep
from server.core.validators import INT4_MAX
from server.telemetry import board, latest, retention_classes
from server.telemetry import export as exporting
from server.telemetry.live import LiveFilter, LiveHub
from server.telemetry.m4 import MAX_COLUMNS, channel_columns
from server.telemetry.programs import runs_in
from server.telemetry.queries import (
    MAX_POINTS,
    Access,
    channel_of,
    channel_series,
    check_range,
    resolve_access,
    state_timeline,
)
from server.telemetry.retention import DEFAULT_CLASS, RetentionClass
from server.telemetry.schemas import (
    RETENTION_CLASS_NAME,
    AlarmAcknowledgeIn,
    BoardAlarm,
    BoardAlarmKind,
    BoardIndexEntry,
    BoardLabRef,
    ChannelRetentionIn,
    ChannelRetentionOut,
    InstitutionBoard,
    LabBoard,
    LatestReading,
    RetentionClassIn,
    RetentionClassOut,
    SeriesOut,
    StateIntervalOut,
    ValueMapIn,
    ValueMapOut,
)
from server.telemetry.states import (
    LoopFaultRule,
    PowerRule,
    StateRule,
    StatusRule,
    get_rule,
    set_rule,
)

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["telemetry"])

# Channel ids are int4 serials.
ChannelId = Annotated[int, Path(ge=1, le=INT4_MAX)]
Start = Annotated[datetime, Query(description="inclusive, ISO 8601 with offset")]
End = Annotated[datetime, Query(description="exclusive, ISO 8601 with offset")]
# Seconds between SSE comments that keep proxies from closing an idle stream.
KEEPALIVE_S = 15.0


@router.get("/instruments/{instrument_id}/series", response_model=SeriesOut)
async def series(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    instrument_id: uuid.UUID,
    channel_id: Annotated[int, Query(ge=1, le=INT4_MAX)],
    start: Start,
    end: End,
    max_points: Annotated[int, Query(ge=1, le=MAX_POINTS)] = 2000,
    width: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_COLUMNS,
            description="the chart's width in pixels: one column each with its first, min, "
            "max and last value (M4) instead of round buckets; max_points is then ignored",
        ),
    ] = None,
) -> SeriesOut:
    """A channel down-sampled to at most ``max_points`` buckets (min, max, mean, count), or to
    ``width`` pixel columns (first, min, max, last, mean, count)."""
    check_range(start, end)
    access = await resolve_access(session, user, instrument_id)
    channel = await channel_of(session, access, channel_id)
    windows = None if access.windows is None else access.clip(start, end)
    # Who may see what is decided on the primary; the samples may come from the replica.
    async with ReadConnection(request) as reads:
        if width is not None:
            columns = await channel_columns(
                reads,
                channel,
                start,
                end,
                width=width,
                timescaledb=bool(request.app.state.timescaledb),
                windows=windows,
            )
            return SeriesOut.model_validate(columns, from_attributes=True)
        result = await channel_series(
            reads,
            channel,
            start,
            end,
            max_points=max_points,
            timescaledb=bool(request.app.state.timescaledb),
            windows=windows,
        )
    return SeriesOut.model_validate(result, from_attributes=True)


@router.get("/instruments/{instrument_id}/states", response_model=list[StateIntervalOut])
async def states(
    session: SessionDep,
    reads: ReadSessionDep,
    user: CurrentUser,
    instrument_id: uuid.UUID,
    start: Start,
    end: End,
) -> list[StateIntervalOut]:
    """State intervals clipped to the range (``end_at`` null: the current state)."""
    check_range(start, end)
    access = await resolve_access(session, user, instrument_id)
    intervals = await state_timeline(reads, access, start, end)
    return [StateIntervalOut.model_validate(i) for i in intervals]


@router.get("/instruments/{instrument_id}/state-rule", response_model=StateRule)
async def read_state_rule(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> StateRule:
    instrument = await _staff_instrument(session, user, instrument_id)
    rule = await get_rule(session, instrument.id)
    if rule is None:
        raise NotFound("This instrument has no state rule yet")
    return rule


@router.put("/instruments/{instrument_id}/state-rule", response_model=StateRule)
async def write_state_rule(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: StateRule
) -> StateRule:
    """Replace the rule; lab managers of the owning institution and platform admins."""
    instrument = await _staff_instrument(session, user, instrument_id)
    if not may_manage_organisation(user, instrument.organisation_id):
        raise Forbidden("Only the institution's lab managers change state rules")
    points = {c.point_key for c in await ChannelRepository(session).for_instrument(instrument.id)}
    signals: list[tuple[str, StatusRule | PowerRule | LoopFaultRule | None]] = [
        ("status", body.status),
        ("power", body.power),
        *((f"loop_faults[{i}]", loop) for i, loop in enumerate(body.loop_faults)),
    ]
    for name, signal in signals:
        if signal is not None and signal.point not in points:
            raise ValidationFailed.for_field(
                f"{name}.point", f"the instrument has no channel {signal.point!r}"
            )
    await set_rule(session, instrument.id, body)
    return body


@router.get(
    "/instruments/{instrument_id}/export",
    response_class=Response,
    responses=content_responses("text/csv", "application/vnd.apache.parquet"),
)
async def export(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    instrument_id: uuid.UUID,
    start: Start,
    end: End,
    format: exporting.ExportFormat = exporting.ExportFormat.CSV,
    channel_id: Annotated[list[Annotated[int, Field(ge=1, le=INT4_MAX)]] | None, Query()] = None,
) -> Response:
    """The samples of the range as CSV (UTF-8 with BOM) or Parquet; the export is recorded.

    Without ``channel_id`` the program runs that ended in the range (run, program and result
    identifiers, result values) are included (columns ``run`` and ``text``).
    """
    check_range(start, end)
    access = await resolve_access(session, user, instrument_id)
    channels = list(await ChannelRepository(session).for_instrument(access.instrument.id))
    if channel_id:
        wanted = set(channel_id)
        channels = [c for c in channels if c.id in wanted]
        if len(channels) != len(wanted):
            raise ValidationFailed.for_field("channel_id", "no such channel on this instrument")
    windows = access.clip(start, end)
    async with ReadConnection(request) as reads:
        rows = await exporting.export_rows(reads, channels, windows)
        if not channel_id:  # the whole session's data: the program runs that ended in it too
            rows = exporting.with_runs(rows, await runs_in(reads, channels, windows))
    body = (
        exporting.to_csv(rows)
        if format is exporting.ExportFormat.CSV
        else exporting.to_parquet(rows)
    )
    await _record_export(session, user, access, start, end, format.value)
    stamp = start.astimezone(exporting.EXPORT_TIMEZONE).strftime("%Y%m%d-%H%M")
    filename = f"instrument-{access.instrument.id}-{stamp}.{format.value}"
    return Response(
        body,
        media_type=format.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _record_export(
    session: SessionDep, user: CurrentUser, access: Access, start: datetime, end: datetime, fmt: str
) -> None:
    # The calibration programme keeps the record of exports (impact reports list them).
    await record_export(
        session,
        user=user,
        instrument_id=access.instrument.id,
        range_start=start,
        range_end=end,
        fmt=fmt,
    )


async def _staff_instrument(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> Instrument:
    instrument = await InstrumentRepository(session).get(instrument_id)
    if instrument is None or not may_see_organisation(user, instrument.organisation_id):
        raise NotFound(f"Instrument {instrument_id} not found")
    return instrument


# retention classes

ClassName = Annotated[str, Path(pattern=RETENTION_CLASS_NAME)]


def _require_institution_or_platform(user: CurrentUser) -> None:
    if not (is_platform_admin(user) or role_of(user) in INSTITUTION_ROLES):
        raise Forbidden("Retention classes are for institutions and the platform")


def _require_platform_admin(user: CurrentUser) -> None:
    if not is_platform_admin(user):
        raise Forbidden("Only platform admins define retention classes")


@router.get("/telemetry/retention-classes", response_model=list[RetentionClassOut])
async def list_retention_classes(session: SessionDep, user: CurrentUser) -> list[RetentionClassOut]:
    """Every class: how many days of raw samples and of one-minute rollups it keeps."""
    _require_institution_or_platform(user)
    return [
        RetentionClassOut(
            name=c.name, raw_days=c.raw_days, rollup_days=c.rollup_days, channels=count
        )
        for c, count in await retention_classes.list_classes(session)
    ]


@router.put(
    "/telemetry/retention-classes/{name}",
    response_model=RetentionClassOut,
    responses={
        201: {
            "description": "The class was created",
            "model": RetentionClassOut,
        }
    },
)
async def put_retention_class(
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    name: ClassName,
    body: RetentionClassIn,
) -> RetentionClassOut:
    """Define (201) or change (200) a class, platform admins; the next retention run applies it."""
    _require_platform_admin(user)
    if body.rollup_days < body.raw_days:
        # Charts read the rollup where raw samples are gone; it must outlive them.
        raise ValidationFailed.for_field("rollup_days", "must be at least raw_days")
    created = await retention_classes.put_class(
        session, RetentionClass(name, body.raw_days, body.rollup_days)
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    counts = {c.name: n for c, n in await retention_classes.list_classes(session)}
    return RetentionClassOut(
        name=name, raw_days=body.raw_days, rollup_days=body.rollup_days, channels=counts[name]
    )


@router.delete("/telemetry/retention-classes/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_retention_class(session: SessionDep, user: CurrentUser, name: ClassName) -> None:
    """Remove a class no channel uses (platform admins); the default class stays."""
    _require_platform_admin(user)
    if await retention_classes.get_class(session, name) is None:
        raise NotFound(f"Retention class {name!r} not found")
    if name == DEFAULT_CLASS:
        raise Conflict(f"{name!r} is the class of every channel without one; it cannot go")
    in_use = await retention_classes.channels_in_class(session, name)
    if in_use:
        raise Conflict(f"{in_use} channels are in {name!r}; move them to another class first")
    await retention_classes.delete_class(session, name)


async def _channel_for_staff(
    session: SessionDep, user: CurrentUser, channel_id: ChannelId
) -> retention_classes.ChannelOwner:
    owner = await retention_classes.channel_owner(session, channel_id)
    if owner is None or not may_see_organisation(user, owner.organisation_id):
        raise NotFound(f"Channel {channel_id} not found")
    return owner


def _channel_retention_out(found: retention_classes.ChannelRetention) -> ChannelRetentionOut:
    return ChannelRetentionOut(
        channel_id=found.channel_id,
        class_name=found.retention.name,
        raw_days=found.retention.raw_days,
        rollup_days=found.retention.rollup_days,
        is_default=not found.explicit,
    )


@router.get("/channels/{channel_id}/retention", response_model=ChannelRetentionOut)
async def read_channel_retention(
    session: SessionDep, user: CurrentUser, channel_id: ChannelId
) -> ChannelRetentionOut:
    owner = await _channel_for_staff(session, user, channel_id)
    return _channel_retention_out(
        await retention_classes.channel_retention(session, owner.channel_id)
    )


@router.put("/channels/{channel_id}/retention", response_model=ChannelRetentionOut)
async def write_channel_retention(
    session: SessionDep, user: CurrentUser, channel_id: ChannelId, body: ChannelRetentionIn
) -> ChannelRetentionOut:
    """Put a channel in a class: lab managers of the owning institution, platform admins."""
    owner = await _channel_for_staff(session, user, channel_id)
    if not may_manage_organisation(user, owner.organisation_id):
        raise Forbidden("Only the institution's lab managers choose how long data is kept")
    if await retention_classes.get_class(session, body.class_name) is None:
        raise ValidationFailed.for_field("class_name", f"no retention class {body.class_name!r}")
    await retention_classes.set_channel_class(session, owner.channel_id, body.class_name)
    return _channel_retention_out(
        await retention_classes.channel_retention(session, owner.channel_id)
    )


@router.get("/channels/{channel_id}/value-map", response_model=ValueMapOut)
async def read_value_map(
    session: SessionDep, user: CurrentUser, channel_id: ChannelId
) -> ValueMapOut:
    """What each value of a status-register channel means (empty: none configured)."""
    owner = await _channel_for_staff(session, user, channel_id)
    found = await board.value_maps(await session.connection(), [owner.channel_id])
    return ValueMapOut(channel_id=owner.channel_id, labels=found.get(owner.channel_id, []))


@router.put("/channels/{channel_id}/value-map", response_model=ValueMapOut)
async def write_value_map(
    session: SessionDep, user: CurrentUser, channel_id: ChannelId, body: ValueMapIn
) -> ValueMapOut:
    """Name the values of a status register (lab managers of the institution, platform admins);
    the live board shows these words instead of the number."""
    owner = await _channel_for_staff(session, user, channel_id)
    if not may_manage_organisation(user, owner.organisation_id):
        raise Forbidden("Only the institution's lab managers name a channel's values")
    values = [entry.value for entry in body.labels]
    if len(values) != len(set(values)):
        raise ValidationFailed.for_field("labels", "each value may be named once")
    await board.set_value_map(await session.connection(), owner.channel_id, body.labels, user.id)
    return ValueMapOut(
        channel_id=owner.channel_id, labels=sorted(body.labels, key=lambda e: e.value)
    )


# live board and streams


async def _lab_for_staff(session: SessionDep, user: CurrentUser, lab_id: uuid.UUID) -> Lab:
    lab = await session.get(Lab, lab_id)
    if lab is None or not may_see_organisation(user, lab.organisation_id):
        raise NotFound(f"Lab {lab_id} not found")
    return lab


@router.get("/labs/{lab_id}/board", response_model=LabBoard)
async def lab_board(session: SessionDep, user: CurrentUser, lab_id: uuid.UUID) -> LabBoard:
    """Every instrument of the lab with its state and newest readings, and the lab's gateways."""
    lab = await _lab_for_staff(session, user, lab_id)
    return await board.lab_board(session, lab)


ALARM_ALREADY_ACKNOWLEDGED = "alarm_already_acknowledged"
ALARM_NOT_RAISED = "alarm_not_raised"


@router.get("/boards", response_model=list[BoardIndexEntry])
async def list_boards(session: SessionDep, user: CurrentUser) -> list[BoardIndexEntry]:
    """The institutions whose boards the user may open, with their labs (platform admins: all)."""
    labs = (await session.exec(select(Lab).order_by(col(Lab.name), col(Lab.id)))).all()
    visible = [lab for lab in labs if may_see_organisation(user, lab.organisation_id)]
    org_ids = list(dict.fromkeys(lab.organisation_id for lab in visible))
    if not org_ids:
        return []
    orgs = (
        await session.exec(
            select(Organisation)
            .where(col(Organisation.id).in_(org_ids))
            .order_by(col(Organisation.name), col(Organisation.id))
        )
    ).all()
    return [
        BoardIndexEntry(
            organisation_id=org.id,
            name=org.name,
            name_en=org.name_en,
            labs=[
                BoardLabRef(id=lab.id, name=lab.name, name_en=lab.name_en)
                for lab in visible
                if lab.organisation_id == org.id
            ],
        )
        for org in orgs
    ]


@router.get("/organisations/{organisation_id}/board", response_model=InstitutionBoard)
async def institution_board(
    session: SessionDep, user: CurrentUser, organisation_id: uuid.UUID
) -> InstitutionBoard:
    """Every lab board of one institution, and all their alarms in one list."""
    org = await session.get(Organisation, organisation_id)
    if org is None or not may_see_organisation(user, org.id):
        raise NotFound(f"Institution {organisation_id} not found")
    labs = (
        await session.exec(
            select(Lab).where(Lab.organisation_id == org.id).order_by(col(Lab.name), col(Lab.id))
        )
    ).all()
    boards = [await board.lab_board(session, lab) for lab in labs]
    seen: set[tuple[str, str, uuid.UUID | None]] = set()
    alarms: list[BoardAlarm] = []
    for lab_board_ in boards:
        for alarm in lab_board_.alarms:
            # A station that measures on no instrument is on every lab board; list it once.
            key = (alarm.kind.value, alarm.subject, alarm.instrument_id)
            if key not in seen:
                seen.add(key)
                alarms.append(alarm)
    return InstitutionBoard(
        organisation_id=org.id, name=org.name, name_en=org.name_en, labs=boards, alarms=alarms
    )


@router.post(
    "/instruments/{instrument_id}/alarms/acknowledge",
    response_model=BoardAlarm,
    responses=problem_responses(404, 409, 422),
)
async def acknowledge_alarm(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: AlarmAcknowledgeIn
) -> BoardAlarm:
    """Acknowledge a raised telemetry alarm of the board (who, when, a note); lab staff.

    SPC alarms are acknowledged with their cause and action at
    ``POST /inspection/alarms/{id}/acknowledge``.
    """
    instrument = await _staff_instrument(session, user, instrument_id)
    if body.kind is BoardAlarmKind.SPC:
        raise ValidationFailed.for_field(
            "kind", "SPC alarms are acknowledged at /inspection/alarms/{id}/acknowledge"
        )
    try:
        alarm = await board.acknowledge(
            session,
            user,
            instrument,
            kind=body.kind,
            subject=body.subject,
            since=body.since,
            note=body.note,
        )
    except LookupError:
        raise Conflict(
            "This alarm was already acknowledged",
            extensions={"code": ALARM_ALREADY_ACKNOWLEDGED},
        ) from None
    if alarm is None:
        raise NotFound(
            "No such alarm is raised on this instrument now",
            extensions={"code": ALARM_NOT_RAISED},
        )
    return alarm


def _hub(request: Request) -> LiveHub:
    hub: LiveHub | None = getattr(request.app.state, "live_hub", None)
    if hub is None:
        raise ServiceUnavailable("Live streams are switched off on this server")
    return hub


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _stream(
    request: Request, hub: LiveHub, live_filter: LiveFilter, until: datetime | None
) -> AsyncIterator[bytes]:
    sub = hub.subscribe(live_filter)
    try:
        # A first event at once, so clients (and proxies) know the stream is up.
        yield _sse(
            "hello", {"gateways": {k: hub.gateway_status.get(k) for k in live_filter.gateway_keys}}
        )
        while not await request.is_disconnected():
            timeout = KEEPALIVE_S
            if until is not None:
                remaining = (until - datetime.now(UTC)).total_seconds()
                if remaining <= 0:
                    yield _sse("bye", {"reason": "booking ended"})
                    return
                timeout = min(timeout, remaining)
            try:
                event, data = await asyncio.wait_for(sub.queue.get(), timeout)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if event == "bye":
                return
            yield _sse(event, data)
    finally:
        hub.unsubscribe(sub)


def _event_stream(body: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/instruments/{instrument_id}/live",
    response_class=StreamingResponse,
    responses={**content_responses("text/event-stream"), **problem_responses(503)},
)
async def instrument_live(
    request: Request, session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> StreamingResponse:
    """Server-Sent Events: ``readings``, ``state`` and ``gateway`` events of one instrument.

    Enterprise users get a stream only during their own booking, ending with it.
    """
    hub = _hub(request)
    access = await resolve_access(session, user, instrument_id)
    until: datetime | None = None
    if access.windows is not None:
        now = datetime.now(UTC)
        current = [e for s, e in access.windows if s <= now < e]
        if not current:
            raise NotFound("No booking of yours is running on this instrument now")
        until = max(current)
    live_filter = await board.live_filter(session, [access.instrument.id])
    return _event_stream(_stream(request, hub, live_filter, until))


@router.get(
    "/labs/{lab_id}/live",
    response_class=StreamingResponse,
    responses={**content_responses("text/event-stream"), **problem_responses(503)},
)
async def lab_live(
    request: Request, session: SessionDep, user: CurrentUser, lab_id: uuid.UUID
) -> StreamingResponse:
    """Server-Sent Events for every instrument of a lab (lab staff: the live board)."""
    hub = _hub(request)
    lab = await _lab_for_staff(session, user, lab_id)
    live_filter = await board.live_filter(session, await board.lab_instrument_ids(session, lab.id))
    return _event_stream(_stream(request, hub, live_filter, None))


@router.get("/instruments/{instrument_id}/latest", response_model=list[LatestReading])
async def latest_readings(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> list[LatestReading]:
    """Newest reading per channel (``value``/``ts`` null when the channel has none yet)."""
    return await latest.latest_readings(session, user, instrument_id)
