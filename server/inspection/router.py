"""``/api/v1/inspection``: characteristics, results over HTTP, charts, limits, capability, alarms.

Everything here belongs to one institution: its staff (and platform admins) see and change
it; nobody else learns that a characteristic exists (404).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError

from mqtt_contract.units import UnitProblem
from server.auth.dependencies import CurrentUser
from server.auth.models import AppUser
from server.auth.tenancy import is_platform_admin, may_see_organisation
from server.core.db import SessionDep
from server.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, problem_responses
from server.inspection import queries
from server.inspection.capability import capability, current_indices
from server.inspection.chartdata import chart_points_json
from server.inspection.limits import Exclusion, freeze_limits
from server.inspection.schemas import (
    AlarmAcknowledge,
    AlarmPublic,
    CapabilityOut,
    CharacteristicCreate,
    CharacteristicPublic,
    ChartOut,
    IntervalOut,
    LimitsCreate,
    LimitsPublic,
    ResultsIn,
    ResultsStored,
)
from server.inspection.service import (
    Characteristic,
    NewResult,
    convert,
    load_characteristic,
    load_limits,
    magnitude_problem,
    store_results,
    subgroup_problem,
)

__all__ = ["router"]

router = APIRouter(prefix="/inspection", tags=["inspection"])
_CHART_MAX = 20_000


async def _visible(
    session: SessionDep, user: AppUser, characteristic_id: uuid.UUID
) -> Characteristic:
    found = await load_characteristic(session, characteristic_id)
    if found is None or not may_see_organisation(user, found.organisation_id):
        raise NotFound(f"No characteristic {characteristic_id}")
    return found


def _staff_organisation(user: AppUser, requested: uuid.UUID | None) -> uuid.UUID:
    if is_platform_admin(user):
        if requested is None:
            raise ValidationFailed.for_field(
                "organisation_id", "a platform admin names the institution"
            )
        return requested
    if user.organisation_id is None or not may_see_organisation(user, user.organisation_id):
        raise Forbidden("Only an institution's staff define inspection characteristics")
    if requested is not None and requested != user.organisation_id:
        raise Forbidden("Characteristics belong to your own institution")
    return user.organisation_id


@router.post(
    "/characteristics",
    status_code=status.HTTP_201_CREATED,
    response_model=CharacteristicPublic,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_characteristic(
    body: CharacteristicCreate, session: SessionDep, user: CurrentUser
) -> CharacteristicPublic:
    organisation_id = _staff_organisation(user, body.organisation_id)
    conn = await session.connection()
    if body.responsible_user_ids:
        responsible = set(body.responsible_user_ids)
        if await queries.members_of(conn, responsible, organisation_id) != len(responsible):
            raise ValidationFailed.for_field(
                "responsible_user_ids", "every responsible user must belong to the institution"
            )
    if (
        body.instrument_id is not None
        and await queries.instrument_owner(conn, body.instrument_id) != organisation_id
    ):
        raise ValidationFailed.for_field(
            "instrument_id", "the station must be an instrument of the same institution"
        )
    values = body.model_dump(exclude={"organisation_id"})
    values["chart"] = body.chart.value
    values["rules"] = sorted(set(body.rules))
    try:
        row = await queries.insert_characteristic(conn, organisation_id, values)
    except IntegrityError as exc:
        raise Conflict(
            f"Characteristic {body.product}/{body.key} already exists, or an instrument or user "
            "named does not exist"
        ) from exc
    return CharacteristicPublic(**row._mapping)


def _characteristic_public(row: Any) -> CharacteristicPublic:
    doc = dict(row._mapping)
    n = int(doc.pop("current_n"))
    cpk, ppk = current_indices(
        n, doc.pop("current_mean"), doc.pop("current_sd"), doc.pop("current_sigma_within"),
        doc["lsl"], doc["usl"],
    )  # fmt: skip
    return CharacteristicPublic(**doc, current_n=n, current_cpk=cpk, current_ppk=ppk)


@router.get(
    "/characteristics",
    response_model=list[CharacteristicPublic],
    responses=problem_responses(401),
)
async def list_characteristics(
    session: SessionDep,
    user: CurrentUser,
    instrument_id: uuid.UUID | None = None,
) -> list[CharacteristicPublic]:
    """The characteristics of the user's institution, with points charted and open alarms."""
    organisation_id = None
    if not is_platform_admin(user):
        if user.organisation_id is None or not may_see_organisation(user, user.organisation_id):
            return []
        organisation_id = user.organisation_id
    conn = await session.connection()
    rows = await queries.characteristics(conn, organisation_id, instrument_id)
    return [_characteristic_public(row) for row in rows]


@router.get(
    "/characteristics/{characteristic_id}",
    response_model=CharacteristicPublic,
    responses=problem_responses(401, 404),
)
async def get_characteristic(
    characteristic_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> CharacteristicPublic:
    await _visible(session, user, characteristic_id)
    conn = await session.connection()
    return _characteristic_public(await queries.characteristic(conn, characteristic_id))


@router.post(
    "/characteristics/{characteristic_id}/results",
    status_code=status.HTTP_201_CREATED,
    response_model=ResultsStored,
    responses=problem_responses(401, 404, 422),
)
async def post_results(
    characteristic_id: uuid.UUID, body: ResultsIn, session: SessionDep, user: CurrentUser
) -> ResultsStored:
    """Results posted by a station over HTTP: plotted, judged and alarmed like MQTT results."""
    characteristic = await _visible(session, user, characteristic_id)
    results = []
    for i, r in enumerate(body.results):
        try:
            value = convert(r.value, r.unit or characteristic.unit, characteristic.unit)
        except UnitProblem as exc:
            raise ValidationFailed.for_field(f"results.{i}.unit", str(exc)) from exc
        problem = subgroup_problem(characteristic, r.subgroup)
        if problem:
            raise ValidationFailed.for_field(f"results.{i}.subgroup", problem)
        problem = magnitude_problem(value)
        if problem:
            raise ValidationFailed.for_field(f"results.{i}.value", problem)
        if r.ts.tzinfo is None:
            raise ValidationFailed.for_field(
                f"results.{i}.ts", "give the time zone (for example Z)"
            )
        results.append(
            NewResult(
                characteristic,
                r.ts,
                value,
                r.part,
                r.subgroup,
                r.operator,
                body.station,
                client_id=r.id,
            )
        )
    outcome = await store_results(session, results, gateway_id=None, source="http")
    return ResultsStored(
        stored=outcome.stored, duplicates=outcome.duplicates, points=outcome.points,
        alarms_raised=outcome.alarms_raised,
    )  # fmt: skip


def _limits_public(m: RowMapping) -> LimitsPublic:
    return LimitsPublic(**{k: m[k] for k in LimitsPublic.model_fields})


@router.get(
    "/characteristics/{characteristic_id}/limits",
    response_model=list[LimitsPublic],
    responses=problem_responses(401, 404),
)
async def list_limits(
    characteristic_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> list[LimitsPublic]:
    await _visible(session, user, characteristic_id)
    conn = await session.connection()
    return [_limits_public(m) for m in await queries.limits(conn, characteristic_id)]


@router.post(
    "/characteristics/{characteristic_id}/limits",
    status_code=status.HTTP_201_CREATED,
    response_model=LimitsPublic,
    responses=problem_responses(401, 404, 422),
)
async def create_limits(
    characteristic_id: uuid.UUID, body: LimitsCreate, session: SessionDep, user: CurrentUser
) -> LimitsPublic:
    """Phase 1: freeze limits from a baseline (points excluded with their reasons)."""
    characteristic = await _visible(session, user, characteristic_id)
    try:
        made = await freeze_limits(
            session, characteristic, body.baseline_first, body.baseline_last,
            [Exclusion(e.position, e.reason) for e in body.exclusions],
            note=body.note, user_id=user.id,
        )  # fmt: skip
    except ValueError as exc:
        raise ValidationFailed.for_field("baseline_first", str(exc)) from exc
    conn = await session.connection()
    (made_row,) = await queries.limits(conn, characteristic_id, [made.version])
    return _limits_public(made_row)


@router.get(
    "/characteristics/{characteristic_id}/chart",
    response_model=ChartOut,
    responses=problem_responses(401, 404, 422),
)
async def chart(
    characteristic_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    start: Annotated[int, Query(ge=0, le=2**31 - 1, description="first position")] = 0,
    limit: Annotated[int, Query(ge=1, le=_CHART_MAX)] = 10_000,
) -> Response:
    """The chart's points (columns), with every limits version they were judged against."""
    characteristic = await _visible(session, user, characteristic_id)
    conn = await session.connection()
    points_json, versions = await chart_points_json(conn, characteristic_id, start, limit)
    state = await queries.current_limits_version(conn, characteristic_id)
    if state is not None:
        versions.add(state)
    limit_rows = await queries.limits(conn, characteristic_id, versions)
    body = {
        "characteristic_id": str(characteristic_id),
        "chart": characteristic.chart.value,
        "lsl": characteristic.lsl,
        "usl": characteristic.usl,
        "limits": [_limits_public(r).model_dump(mode="json") for r in limit_rows],
    }
    # The points arrive as JSON text from PostgreSQL: spliced in, never parsed here.
    encoded = orjson.dumps(body)[:-1] + b',"points":' + points_json + b"}"
    return Response(encoded, media_type="application/json")


@router.get(
    "/characteristics/{characteristic_id}/capability",
    response_model=CapabilityOut,
    responses=problem_responses(401, 404, 422),
)
async def get_capability(
    characteristic_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    period_from: Annotated[datetime | None, Query(alias="from")] = None,
    period_to: Annotated[datetime | None, Query(alias="to")] = None,
    bins: Annotated[int, Query(ge=2, le=200)] = 20,
) -> CapabilityOut:
    """Cp, Cpk (within sigma of the current limits version), Pp, Ppk over a period."""
    characteristic = await _visible(session, user, characteristic_id)
    conn = await session.connection()
    values = await queries.result_values(conn, characteristic_id, period_from, period_to)
    if len(values) < 2:
        raise ValidationFailed.for_field("from", "the period holds fewer than 2 results")
    version = await queries.current_limits_version(conn, characteristic_id)
    sigma_within = estimator = None
    if version is not None:
        limits = await load_limits(conn, characteristic_id, version)
        sigma_within, estimator = limits.sigma_within, limits.sigma_estimator
    result = capability(values, characteristic.lsl, characteristic.usl, sigma_within, estimator)
    low = min([*values, *(x for x in (characteristic.lsl, characteristic.usl) if x is not None)])
    high = max([*values, *(x for x in (characteristic.lsl, characteristic.usl) if x is not None)])
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - low) / width), bins - 1)] += 1

    def interval(i: Any) -> IntervalOut | None:
        return None if i is None else IntervalOut(low=i.low, high=i.high)

    def number(x: float | None) -> float | None:
        return x if x is not None and math.isfinite(x) else None

    return CapabilityOut(
        characteristic_id=characteristic_id, period_from=period_from, period_to=period_to,
        n=result.n, mean=result.mean, lsl=characteristic.lsl, usl=characteristic.usl,
        sigma_within=result.sigma_within, sigma_within_estimator=result.sigma_within_estimator,
        sigma_overall=result.sigma_overall, cp=number(result.cp), cpk=number(result.cpk),
        pp=number(result.pp), ppk=number(result.ppk), cp_ci=interval(result.cp_ci),
        cpk_ci=interval(result.cpk_ci), pp_ci=interval(result.pp_ci),
        ppk_ci=interval(result.ppk_ci), confidence=result.confidence,
        anderson_darling=number(result.anderson_darling), normality_p=result.normality_p,
        normal=result.normal, out_of_spec=result.out_of_spec, limits_version=version,
        histogram_edges=[low + i * width for i in range(bins + 1)], histogram_counts=counts,
    )  # fmt: skip


@router.get("/alarms", response_model=list[AlarmPublic], responses=problem_responses(401))
async def list_alarms(
    session: SessionDep,
    user: CurrentUser,
    characteristic_id: uuid.UUID | None = None,
    instrument_id: uuid.UUID | None = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlarmPublic]:
    """Alarms of the user's institution, newest first (the live board and a station's record)."""
    organisation_id = None
    if not is_platform_admin(user):
        if user.organisation_id is None or not may_see_organisation(user, user.organisation_id):
            return []
        organisation_id = user.organisation_id
    conn = await session.connection()
    rows = await queries.alarms(
        conn,
        organisation_id=organisation_id,
        characteristic_id=characteristic_id,
        instrument_id=instrument_id,
        open_only=open_only,
        limit=limit,
    )
    return [AlarmPublic(**row) for row in rows]


@router.post(
    "/alarms/{alarm_id}/acknowledge",
    response_model=AlarmPublic,
    responses=problem_responses(401, 404, 409, 422),
)
async def acknowledge_alarm(
    alarm_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    body: AlarmAcknowledge,
    session: SessionDep,
    user: CurrentUser,
) -> AlarmPublic:
    """Acknowledge an alarm with its cause and the action taken; it stays in the record."""
    conn = await session.connection()
    found = await queries.alarm_for_update(conn, alarm_id)
    if found is None:
        raise NotFound(f"No alarm {alarm_id}")
    characteristic_id, acknowledged_at = found
    await _visible(session, user, characteristic_id)
    if acknowledged_at is not None:
        raise Conflict(f"Alarm {alarm_id} is already acknowledged")
    updated = await queries.acknowledge_alarm(conn, alarm_id, user.id, body.cause, body.action)
    return AlarmPublic(**updated)
