"""``/api/v1/pt`` endpoints: rounds, results, closing and the per-viewer reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
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


class ResultSubmit(BaseModel):
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
    pt_round = await service.create_round(session, service.RoundInput(**body.model_dump()), user)
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
async def score_chart(round_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    """Ranked scores with the ±2 and ±3 lines, of the results this viewer may see."""
    _no_enterprise(user)
    pt_round = await service.get_round(session, round_id)
    report = await service.round_report(session, pt_round, user)
    results = list(report["results"])
    if report["own_result"] is not None:
        results.append({**report["own_result"], "organisation": "本机构 / own"})
    labelled = [{**r, "label": r.get("organisation") or ""} for r in results]
    svg = score_chart_svg(labelled, (report["statistics"] or {}).get("score"))
    return Response(svg, media_type="image/svg+xml")
