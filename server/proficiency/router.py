"""``/api/v1/pt`` endpoints: rounds, results, closing and the per-viewer reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field
from sqlmodel import col, select

from server.auth.dependencies import CurrentUser
from server.auth.models import ENTERPRISE_ROLES
from server.auth.tenancy import role_of
from server.core.clock import Clock
from server.core.db import SessionDep
from server.core.errors import Forbidden, problem_responses
from server.proficiency import service
from server.proficiency.chart import score_chart_svg
from server.proficiency.models import AssignedMethod, PtRound, ScorePolicy, SigmaMethod

__all__ = ["router"]

router = APIRouter(prefix="/pt", tags=["proficiency testing"])


class ItemCreate(BaseModel):
    """A test item; x_pt, u(x_pt) and σ_pt left out are the round's."""

    key: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=500)
    reference_value: float | None = Field(default=None, allow_inf_nan=False)
    reference_u: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    sigma_fixed: float | None = Field(default=None, gt=0, allow_inf_nan=False)


class RoundCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    title_en: str | None = Field(default=None, max_length=200)
    measurand: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=32)
    items: str = Field(min_length=1, max_length=2000)
    assigned_method: AssignedMethod
    reference_value: float | None = Field(default=None, allow_inf_nan=False)
    reference_u: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    sigma_method: SigmaMethod
    sigma_fixed: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    score_policy: ScorePolicy = ScorePolicy.Z
    deadline: datetime
    # Several test items, each scored on its own; none: one item "A" described by ``items``.
    test_items: list[ItemCreate] | None = Field(default=None, min_length=1, max_length=26)


class ResultSubmit(BaseModel):
    # The item's key; may be left out when the round has a single item.
    item: str | None = Field(default=None, max_length=16)
    value: float = Field(allow_inf_nan=False)
    standard_u: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    expanded_u: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    coverage_k: float | None = Field(default=None, gt=0, le=10, allow_inf_nan=False)
    publish: bool = False


class PublishChoice(BaseModel):
    publish: bool


def _no_enterprise(user: CurrentUser) -> None:
    if role_of(user) in ENTERPRISE_ROLES:
        raise Forbidden("Proficiency testing concerns testing institutions and the platform")


@router.post(
    "/rounds", status_code=status.HTTP_201_CREATED, responses=problem_responses(403, 409, 422)
)
async def create_round(body: RoundCreate, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    fields = body.model_dump(exclude={"test_items"})
    items = [service.ItemInput(**i.model_dump()) for i in body.test_items or []]
    data = service.RoundInput(**fields, test_items=items or None)
    pt_round = await service.create_round(session, data, user)
    return await service.round_report(session, pt_round, user)


@router.get("/rounds", responses=problem_responses(403))
async def list_rounds(session: SessionDep, user: CurrentUser) -> list[dict[str, Any]]:
    _no_enterprise(user)
    rounds = (await session.exec(select(PtRound).order_by(col(PtRound.deadline).desc()))).all()
    return [await service.round_report(session, r, user) for r in rounds]


@router.get("/rounds/{round_id}", responses=problem_responses(403, 404))
async def get_round(round_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    _no_enterprise(user)
    pt_round = await service.get_round(session, round_id)
    return await service.round_report(session, pt_round, user)


@router.put("/rounds/{round_id}/my-result", responses=problem_responses(403, 404, 409, 422))
async def submit_result(
    round_id: uuid.UUID, body: ResultSubmit, session: SessionDep, user: CurrentUser, now: Clock
) -> dict[str, Any]:
    pt_round = await service.get_round(session, round_id)
    await service.submit_result(
        session, pt_round, user, service.ResultInput(**body.model_dump()), now
    )
    return await service.round_report(session, pt_round, user)


@router.put("/rounds/{round_id}/my-result/publish", responses=problem_responses(403, 404))
async def choose_publication(
    round_id: uuid.UUID, body: PublishChoice, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """Whether the institution's result of this round appears on its public page."""
    pt_round = await service.get_round(session, round_id)
    await service.set_publication(session, pt_round, user, publish=body.publish)
    return await service.round_report(session, pt_round, user)


@router.post("/rounds/{round_id}/close", responses=problem_responses(403, 404, 409))
async def close_round(
    round_id: uuid.UUID, session: SessionDep, user: CurrentUser, now: Clock
) -> dict[str, Any]:
    pt_round = await service.get_round(session, round_id)
    await service.close_round(session, pt_round, user, now)
    return await service.round_report(session, pt_round, user)


@router.get(
    "/rounds/{round_id}/chart.svg",
    responses={200: {"content": {"image/svg+xml": {}}}, **problem_responses(403, 404)},
    response_class=Response,
)
async def score_chart(
    round_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    item: str | None = Query(default=None, max_length=16),
) -> Response:
    """Ranked scores of one item (the first when none is named) with the ±2 and ±3 lines, of
    the results this viewer may see."""
    _no_enterprise(user)
    pt_round = await service.get_round(session, round_id)
    report = await service.round_report(session, pt_round, user)
    chosen = service.report_item(report, item)
    results = list(chosen["results"])
    if chosen["own_result"] is not None:
        results.append({**chosen["own_result"], "organisation": "本机构 / own"})
    labelled = [{**r, "label": r.get("organisation") or ""} for r in results]
    svg = score_chart_svg(labelled, (chosen["statistics"] or {}).get("score"))
    return Response(svg, media_type="image/svg+xml")
