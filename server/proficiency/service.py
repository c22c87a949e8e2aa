"""Rounds, results and closing: what the proficiency-testing endpoints and the demo call.

Services only flush; the request (or the demo seed) commits.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import INSTITUTION_ROLES, AppUser, Organisation, Role
from server.auth.tenancy import is_platform_admin, role_of
from server.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.proficiency import stats
from server.proficiency.models import (
    AssignedMethod,
    PtRound,
    PtSubmission,
    RoundStatus,
    ScorePolicy,
    SigmaMethod,
)
from server.registry.audit import audit, snapshot

__all__ = [
    "ResultInput",
    "RoundInput",
    "close_round",
    "create_round",
    "get_round",
    "require_provider",
    "round_report",
    "submit_result",
]

# The coverage factor assumed for U(x_pt) in En numbers and for U(x) when only u(x) is given.
DEFAULT_K = 2.0


@dataclass
class RoundInput:
    code: str
    title: str
    measurand: str
    unit: str
    items: str
    assigned_method: AssignedMethod
    sigma_method: SigmaMethod
    score_policy: ScorePolicy
    deadline: datetime
    title_en: str | None = None
    reference_value: float | None = None
    reference_u: float | None = None
    sigma_fixed: float | None = None


@dataclass
class ResultInput:
    value: float
    standard_u: float | None = None
    expanded_u: float | None = None
    coverage_k: float | None = None
    publish: bool = False


def require_provider(user: AppUser) -> None:
    """The platform runs the proficiency-testing scheme: its administrators are the provider."""
    if not is_platform_admin(user):
        raise Forbidden("Only the platform, as proficiency-testing provider, manages rounds")


def _check_round(data: RoundInput) -> None:
    if data.assigned_method is AssignedMethod.REFERENCE and (
        data.reference_value is None or data.reference_u is None
    ):
        raise ValidationFailed.for_field(
            "reference_value", "a reference assigned value needs its value and its uncertainty"
        )
    if data.sigma_method is SigmaMethod.FIXED and data.sigma_fixed is None:
        raise ValidationFailed.for_field("sigma_fixed", "a fixed σ_pt needs its value")
    if data.score_policy is not ScorePolicy.Z and data.assigned_method is AssignedMethod.CONSENSUS:
        # ζ and En compare uncertainties; a consensus value's u(x_pt) depends on the very results
        # scored, which ISO 13528 §9.6/9.7 advise against.
        raise ValidationFailed.for_field(
            "score_policy", "ζ and En scores need a reference assigned value, not a consensus"
        )


async def create_round(session: AsyncSession, data: RoundInput, actor: AppUser) -> PtRound:
    require_provider(actor)
    _check_round(data)
    existing = await session.exec(select(PtRound).where(PtRound.code == data.code))
    if existing.first() is not None:
        raise Conflict(f"A round with code {data.code} already exists")
    pt_round = PtRound(
        code=data.code,
        title=data.title,
        title_en=data.title_en,
        measurand=data.measurand,
        unit=data.unit,
        items=data.items,
        assigned_method=data.assigned_method.value,
        reference_value=data.reference_value,
        reference_u=data.reference_u,
        sigma_method=data.sigma_method.value,
        sigma_fixed=data.sigma_fixed,
        score_policy=data.score_policy.value,
        deadline=data.deadline,
        created_by=actor.id,
    )
    session.add(pt_round)
    await session.flush()
    await audit(
        session,
        actor=actor,
        entity="pt_round",
        entity_id=pt_round.id,
        action="create",
        organisation_id=None,
        after=snapshot(pt_round),
    )
    return pt_round


async def get_round(session: AsyncSession, round_id: uuid.UUID) -> PtRound:
    pt_round = await session.get(PtRound, round_id)
    if pt_round is None:
        raise NotFound("No such proficiency-testing round")
    return pt_round


async def submit_result(
    session: AsyncSession, pt_round: PtRound, user: AppUser, data: ResultInput, now: datetime
) -> PtSubmission:
    """An institution's result, replaceable until the deadline."""
    if role_of(user) not in INSTITUTION_ROLES:
        raise Forbidden("Only staff of a testing institution submit proficiency-testing results")
    if pt_round.status != RoundStatus.OPEN.value:
        raise Conflict("The round is closed: results can no longer be submitted")
    if now > pt_round.deadline:
        raise Conflict(f"The deadline ({pt_round.deadline.isoformat()}) has passed")
    for name in ("value", "standard_u", "expanded_u", "coverage_k"):
        number = getattr(data, name)
        if number is not None and not math.isfinite(number):
            raise ValidationFailed.for_field(name, "must be a finite number")
    if (data.expanded_u is None) != (data.coverage_k is None):
        raise ValidationFailed.for_field("coverage_k", "an expanded uncertainty needs its k")
    if data.standard_u is not None and data.expanded_u is not None:
        raise ValidationFailed.for_field("expanded_u", "give u(x) or U(x) with k, not both")
    if pt_round.score_policy != ScorePolicy.Z.value and (
        data.standard_u is None and data.expanded_u is None
    ):
        raise ValidationFailed.for_field(
            "standard_u", "this round scores with uncertainties: give u(x), or U(x) and k"
        )
    rows = await session.exec(
        select(PtSubmission).where(
            PtSubmission.round_id == pt_round.id,
            PtSubmission.organisation_id == user.organisation_id,
        )
    )
    submission = rows.first()
    before = snapshot(submission)
    if submission is None:
        submission = PtSubmission(
            round_id=pt_round.id, organisation_id=user.organisation_id, value=0
        )
    submission.value = data.value
    submission.standard_u = data.standard_u
    submission.expanded_u = data.expanded_u
    submission.coverage_k = data.coverage_k
    submission.publish = data.publish
    submission.submitted_by = user.id
    submission.submitted_at = now
    session.add(submission)
    await session.flush()
    await audit(
        session,
        actor=user,
        entity="pt_submission",
        entity_id=submission.id,
        action="submit" if before is None else "resubmit",
        organisation_id=user.organisation_id,
        before=before,
        after=snapshot(submission),
    )
    return submission


def _u(sub: PtSubmission) -> float | None:
    if sub.standard_u is not None:
        return sub.standard_u
    if sub.expanded_u is not None and sub.coverage_k:
        return sub.expanded_u / sub.coverage_k
    return None


def _expanded(sub: PtSubmission) -> float | None:
    if sub.expanded_u is not None:
        return sub.expanded_u
    if sub.standard_u is not None:
        return DEFAULT_K * sub.standard_u
    return None


def score_round(pt_round: PtRound, submissions: list[PtSubmission]) -> dict[str, Any]:
    """Assigned value, σ_pt and each result's score; returns the round's statistics."""
    values = [s.value for s in submissions]
    robust: stats.RobustEstimate | None = None
    needs_robust = (
        pt_round.assigned_method == AssignedMethod.CONSENSUS.value
        or pt_round.sigma_method == SigmaMethod.ROBUST.value
    )
    if needs_robust:
        if len(values) < 2:
            raise Conflict("Robust statistics need results from at least two participants")
        try:
            robust = stats.algorithm_a(values)
        except ValueError as exc:
            raise Conflict(f"The robust statistics cannot be computed: {exc}") from exc
    if pt_round.assigned_method == AssignedMethod.REFERENCE.value:
        assert pt_round.reference_value is not None
        assert pt_round.reference_u is not None
        x_pt, u_x_pt = pt_round.reference_value, pt_round.reference_u
        assigned_note = "参考值及其标准不确定度 / reference value with its standard uncertainty"
    else:
        assert robust is not None
        x_pt = robust.mean
        u_x_pt = stats.consensus_uncertainty(robust.sd, robust.p)
        assigned_note = (
            "参加者结果的稳健平均值 x*（ISO 13528 算法 A），u(x_pt) = 1.25·s*/√p"
            " / robust mean x* of the results (ISO 13528 Algorithm A)"
        )
    if pt_round.sigma_method == SigmaMethod.FIXED.value:
        sigma_pt: float | None = pt_round.sigma_fixed
        sigma_note = "由提供者规定 / fixed by the provider"
    else:
        assert robust is not None
        sigma_pt = robust.sd
        sigma_note = "参加者结果的稳健标准差 s* / robust standard deviation s* of the results"
    kind, reason = stats.choose_score(pt_round.score_policy, sigma_pt, u_x_pt)
    for sub in submissions:
        if kind is stats.ScoreKind.Z:
            assert sigma_pt is not None
            score = stats.z(sub.value, x_pt, sigma_pt)
        elif kind is stats.ScoreKind.Z_PRIME:
            assert sigma_pt is not None
            score = stats.z_prime(sub.value, x_pt, sigma_pt, u_x_pt)
        elif kind is stats.ScoreKind.ZETA:
            u = _u(sub)
            assert u is not None
            score = stats.zeta(sub.value, u, x_pt, u_x_pt)
        else:
            expanded = _expanded(sub)
            assert expanded is not None
            score = stats.en(sub.value, expanded, x_pt, DEFAULT_K * u_x_pt)
        sub.score_kind = kind.value
        sub.score = score
        sub.judgement = stats.judge(kind, score).value
    return {
        "participants": len(submissions),
        "x_pt": x_pt,
        "u_x_pt": u_x_pt,
        "sigma_pt": sigma_pt,
        "assigned_value_basis": assigned_note,
        "sigma_pt_basis": sigma_note if sigma_pt is not None else None,
        "robust_mean": robust.mean if robust else None,
        "robust_sd": robust.sd if robust else None,
        "iterations": robust.iterations if robust else None,
        "score": kind.value,
        "score_reason": reason,
    }


async def round_submissions(session: AsyncSession, round_id: uuid.UUID) -> list[PtSubmission]:
    rows = await session.exec(
        select(PtSubmission)
        .where(PtSubmission.round_id == round_id)
        .order_by(col(PtSubmission.submitted_at))
    )
    return list(rows.all())


async def close_round(
    session: AsyncSession, pt_round: PtRound, actor: AppUser, now: datetime
) -> PtRound:
    require_provider(actor)
    if pt_round.status == RoundStatus.CLOSED.value:
        raise Conflict("The round is already closed")
    submissions = await round_submissions(session, pt_round.id)
    if not submissions:
        raise Conflict("No results were submitted: there is nothing to evaluate")
    pt_round.statistics = score_round(pt_round, submissions)
    pt_round.status = RoundStatus.CLOSED.value
    pt_round.closed_at = now
    for sub in submissions:
        session.add(sub)
    session.add(pt_round)
    await session.flush()
    await audit(
        session,
        actor=actor,
        entity="pt_round",
        entity_id=pt_round.id,
        action="close",
        organisation_id=None,
        after=snapshot(pt_round),
    )
    return pt_round


def _round_fields(pt_round: PtRound) -> dict[str, Any]:
    return {
        "id": str(pt_round.id),
        "code": pt_round.code,
        "title": pt_round.title,
        "title_en": pt_round.title_en,
        "measurand": pt_round.measurand,
        "unit": pt_round.unit,
        "items": pt_round.items,
        "assigned_method": pt_round.assigned_method,
        "sigma_method": pt_round.sigma_method,
        "score_policy": pt_round.score_policy,
        "deadline": pt_round.deadline.isoformat(),
        "status": pt_round.status,
        "closed_at": pt_round.closed_at.isoformat() if pt_round.closed_at else None,
    }


def _result(sub: PtSubmission, name: str | None) -> dict[str, Any]:
    return {
        "organisation_id": str(sub.organisation_id) if name is not None else None,
        "organisation": name,
        "value": sub.value,
        "standard_u": _u(sub),
        "expanded_u": sub.expanded_u,
        "coverage_k": sub.coverage_k,
        "publish": sub.publish,
        "submitted_at": sub.submitted_at.isoformat(),
        "score_kind": sub.score_kind,
        "score": sub.score,
        "judgement": sub.judgement,
    }


async def round_report(
    session: AsyncSession, pt_round: PtRound, viewer: AppUser | None
) -> dict[str, Any]:
    """The round as this viewer may see it.

    - the provider (platform admin): every result with the institution's name;
    - an institution: its own result; once closed, the statistics and the results other
      institutions agreed to publish, never another's unpublished result;
    - the public (``viewer=None``): a closed round's statistics and the results their
      institutions agreed to publish.
    """
    submissions = await round_submissions(session, pt_round.id)
    names = {
        o.id: o.name
        for o in (
            await session.exec(
                select(Organisation).where(
                    col(Organisation.id).in_([s.organisation_id for s in submissions])
                )
            )
        ).all()
    }
    closed = pt_round.status == RoundStatus.CLOSED.value
    report: dict[str, Any] = _round_fields(pt_round)
    report["statistics"] = pt_round.statistics if closed else None
    if viewer is not None and is_platform_admin(viewer):
        report["results"] = [_result(s, names.get(s.organisation_id)) for s in submissions]
        report["own_result"] = None
        return report
    own = None
    if viewer is not None and role_of(viewer) in (Role.LAB_MANAGER, Role.LAB_STAFF):
        own = next((s for s in submissions if s.organisation_id == viewer.organisation_id), None)
    report["own_result"] = _result(own, names.get(own.organisation_id)) if own else None
    if not closed:
        report["results"] = []
        return report
    published = [s for s in submissions if s.publish and s is not own]
    report["results"] = [_result(s, names.get(s.organisation_id)) for s in published]
    return report


async def set_publication(
    session: AsyncSession, pt_round: PtRound, user: AppUser, *, publish: bool
) -> PtSubmission:
    if role_of(user) is not Role.LAB_MANAGER:
        raise Forbidden("Only a lab manager decides whether the institution's result is public")
    rows = await session.exec(
        select(PtSubmission).where(
            PtSubmission.round_id == pt_round.id,
            PtSubmission.organisation_id == user.organisation_id,
        )
    )
    submission = rows.first()
    if submission is None:
        raise NotFound("Your institution has no result in this round")
    before = snapshot(submission)
    submission.publish = publish
    session.add(submission)
    await session.flush()
    await audit(
        session,
        actor=user,
        entity="pt_submission",
        entity_id=submission.id,
        action="publish" if publish else "unpublish",
        organisation_id=user.organisation_id,
        before=before,
        after=snapshot(submission),
    )
    return submission
