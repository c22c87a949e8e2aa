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

from server.audit.trail import add_audited, snapshot
from server.auth.models import INSTITUTION_ROLES, AppUser, Organisation, Role
from server.auth.tenancy import is_platform_admin, role_of
from server.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.proficiency import stats
from server.proficiency.models import (
    AssignedMethod,
    PtItem,
    PtRound,
    PtSubmission,
    RoundStatus,
    ScorePolicy,
    SigmaMethod,
)

__all__ = [
    "ItemInput",
    "ResultInput",
    "RoundInput",
    "close_round",
    "create_round",
    "get_round",
    "report_item",
    "require_provider",
    "round_items",
    "round_report",
    "score_item",
    "submit_result",
]

# The key of a round's only item when the provider defines no items (and of migrated rounds).
SOLE_ITEM_KEY = "A"

# The coverage factor assumed for U(x_pt) in En numbers and for U(x) when only u(x) is given.
DEFAULT_K = 2.0


@dataclass
class ItemInput:
    """A test item; values left out are taken from the round's."""

    key: str
    name: str
    reference_value: float | None = None
    reference_u: float | None = None
    sigma_fixed: float | None = None


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
    test_items: list[ItemInput] | None = None


@dataclass
class ResultInput:
    value: float
    item: str | None = None
    standard_u: float | None = None
    expanded_u: float | None = None
    coverage_k: float | None = None
    publish: bool = False


def require_provider(user: AppUser) -> None:
    """The platform runs the proficiency-testing scheme: its administrators are the provider."""
    if not is_platform_admin(user):
        raise Forbidden("Only the platform, as proficiency-testing provider, manages rounds")


def _resolve_items(data: RoundInput) -> list[ItemInput]:
    """The round's items with the round's values filled in where an item gives none."""
    given = data.test_items or [ItemInput(key=SOLE_ITEM_KEY, name=data.items)]
    keys = [item.key for item in given]
    if len(set(keys)) != len(keys):
        raise ValidationFailed.for_field("test_items", "each item needs its own key")
    items = []
    for item in given:
        resolved = ItemInput(
            key=item.key,
            name=item.name,
            reference_value=item.reference_value
            if item.reference_value is not None
            else data.reference_value,
            reference_u=item.reference_u if item.reference_u is not None else data.reference_u,
            sigma_fixed=item.sigma_fixed if item.sigma_fixed is not None else data.sigma_fixed,
        )
        field = "test_items" if data.test_items else "reference_value"
        if data.assigned_method is AssignedMethod.REFERENCE and (
            resolved.reference_value is None or resolved.reference_u is None
        ):
            raise ValidationFailed.for_field(
                field,
                f"item {item.key}: a reference assigned value needs its value and its uncertainty",
            )
        if data.sigma_method is SigmaMethod.FIXED and resolved.sigma_fixed is None:
            raise ValidationFailed.for_field(
                "test_items" if data.test_items else "sigma_fixed",
                f"item {item.key}: a fixed σ_pt needs its value",
            )
        if data.assigned_method is AssignedMethod.CONSENSUS:
            resolved.reference_value = resolved.reference_u = None
        if data.sigma_method is SigmaMethod.ROBUST:
            resolved.sigma_fixed = None
        items.append(resolved)
    return items


def _check_round(data: RoundInput) -> list[ItemInput]:
    items = _resolve_items(data)
    if data.score_policy is not ScorePolicy.Z and data.assigned_method is AssignedMethod.CONSENSUS:
        # ζ and En compare uncertainties; a consensus value's u(x_pt) depends on the very results
        # scored, which ISO 13528 §9.6/9.7 advise against.
        raise ValidationFailed.for_field(
            "score_policy", "ζ and En scores need a reference assigned value, not a consensus"
        )
    return items


async def create_round(session: AsyncSession, data: RoundInput, actor: AppUser) -> PtRound:
    require_provider(actor)
    items = _check_round(data)
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
    for position, item in enumerate(items):
        session.add(
            PtItem(
                round_id=pt_round.id,
                position=position,
                key=item.key,
                name=item.name,
                reference_value=item.reference_value,
                reference_u=item.reference_u,
                sigma_fixed=item.sigma_fixed,
            )
        )
    await add_audited(session, actor, pt_round, entity="pt_round")
    return pt_round


async def get_round(session: AsyncSession, round_id: uuid.UUID) -> PtRound:
    pt_round = await session.get(PtRound, round_id)
    if pt_round is None:
        raise NotFound("No such proficiency-testing round")
    return pt_round


async def round_items(session: AsyncSession, round_id: uuid.UUID) -> list[PtItem]:
    rows = await session.exec(
        select(PtItem).where(PtItem.round_id == round_id).order_by(col(PtItem.position))
    )
    return list(rows.all())


def _pick_item(items: list[PtItem], key: str | None) -> PtItem:
    if key is None:
        if len(items) == 1:
            return items[0]
        raise ValidationFailed.for_field(
            "item", "this round has several items: say which one the result is for"
        )
    for item in items:
        if item.key == key:
            return item
    raise ValidationFailed.for_field("item", f"the round has no item {key}")


async def submit_result(
    session: AsyncSession, pt_round: PtRound, user: AppUser, data: ResultInput, now: datetime
) -> PtSubmission:
    """An institution's result for one item, replaceable until the deadline."""
    if role_of(user) not in INSTITUTION_ROLES:
        raise Forbidden("Only staff of a testing institution submit proficiency-testing results")
    if pt_round.status != RoundStatus.OPEN:
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
    item = _pick_item(await round_items(session, pt_round.id), data.item)
    rows = await session.exec(
        select(PtSubmission).where(
            PtSubmission.item_id == item.id,
            PtSubmission.organisation_id == user.organisation_id,
        )
    )
    submission = rows.first()
    before = snapshot(submission)
    if submission is None:
        submission = PtSubmission(
            round_id=pt_round.id, item_id=item.id, organisation_id=user.organisation_id, value=0
        )
    submission.value = data.value
    submission.standard_u = data.standard_u
    submission.expanded_u = data.expanded_u
    submission.coverage_k = data.coverage_k
    submission.publish = data.publish
    submission.submitted_by = user.id
    submission.submitted_at = now
    session.add(submission)
    action = "submit" if before is None else "resubmit"
    await add_audited(
        session, user, submission, entity="pt_submission", action=action, before=before
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


def score_item(pt_round: PtRound, item: PtItem, submissions: list[PtSubmission]) -> dict[str, Any]:
    """One item's assigned value, σ_pt and each of its results' scores; returns its statistics."""
    values = [s.value for s in submissions]
    robust: stats.RobustEstimate | None = None
    needs_robust = (
        pt_round.assigned_method == AssignedMethod.CONSENSUS.value
        or pt_round.sigma_method == SigmaMethod.ROBUST.value
    )
    if needs_robust:
        if len(values) < 2:
            raise Conflict(
                f"Item {item.key}: robust statistics need results from at least two participants"
            )
        try:
            robust = stats.algorithm_a(values)
        except ValueError as exc:
            raise Conflict(
                f"Item {item.key}: the robust statistics cannot be computed: {exc}"
            ) from exc
    if pt_round.assigned_method == AssignedMethod.REFERENCE.value:
        assert item.reference_value is not None
        assert item.reference_u is not None
        x_pt, u_x_pt = item.reference_value, item.reference_u
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
        sigma_pt: float | None = item.sigma_fixed
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
        "item": item.key,
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
    if pt_round.status == RoundStatus.CLOSED:
        raise Conflict("The round is already closed")
    submissions = await round_submissions(session, pt_round.id)
    if not submissions:
        raise Conflict("No results were submitted: there is nothing to evaluate")
    items = await round_items(session, pt_round.id)
    for item in items:
        of_item = [s for s in submissions if s.item_id == item.id]
        item.statistics = score_item(pt_round, item, of_item) if of_item else None
        session.add(item)
    # The round keeps its first scored item's statistics, as single-item clients read them.
    pt_round.statistics = next((i.statistics for i in items if i.statistics), None)
    pt_round.status = RoundStatus.CLOSED
    pt_round.closed_at = now
    for sub in submissions:
        session.add(sub)
    session.add(pt_round)
    await add_audited(session, actor, pt_round, entity="pt_round", action="close")
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


def _result(sub: PtSubmission, name: str | None, item_key: str) -> dict[str, Any]:
    return {
        "item": item_key,
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
    items = await round_items(session, pt_round.id)
    keys = {item.id: item.key for item in items}
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
    closed = pt_round.status == RoundStatus.CLOSED
    report: dict[str, Any] = _round_fields(pt_round)
    report["statistics"] = pt_round.statistics if closed else None

    def shown(s: PtSubmission) -> dict[str, Any]:
        return _result(s, names.get(s.organisation_id), keys[s.item_id])

    own: list[PtSubmission] = []
    if viewer is not None and is_platform_admin(viewer):
        visible = submissions
    else:
        if viewer is not None and role_of(viewer) in (Role.LAB_MANAGER, Role.LAB_STAFF):
            own = [s for s in submissions if s.organisation_id == viewer.organisation_id]
        visible = [s for s in submissions if s.publish and s not in own] if closed else []
    report["results"] = [shown(s) for s in visible]
    report["own_results"] = [shown(s) for s in own]
    # Single-item clients read one own result: the first item's.
    first_own = next((s for s in own if items and s.item_id == items[0].id), None)
    report["own_result"] = shown(first_own) if first_own else None
    report["test_items"] = [
        {
            "key": item.key,
            "name": item.name,
            "reference_value": item.reference_value,
            "reference_u": item.reference_u,
            "sigma_fixed": item.sigma_fixed,
            "statistics": item.statistics if closed else None,
            "results": [shown(s) for s in visible if s.item_id == item.id],
            "own_result": next((shown(s) for s in own if s.item_id == item.id), None),
        }
        for item in items
    ]
    return report


def report_item(report: dict[str, Any], key: str | None) -> dict[str, Any]:
    """One item of a round report: the one with this key, or the first when none is named."""
    items: list[dict[str, Any]] = report["test_items"]
    if key is None and items:
        return items[0]
    for item in items:
        if item["key"] == key:
            return item
    raise NotFound(f"The round has no item {key}")


async def set_publication(
    session: AsyncSession, pt_round: PtRound, user: AppUser, *, publish: bool
) -> list[PtSubmission]:
    """Whether the institution's results of this round (every item) appear on its public page."""
    if role_of(user) is not Role.LAB_MANAGER:
        raise Forbidden("Only a lab manager decides whether the institution's result is public")
    rows = await session.exec(
        select(PtSubmission).where(
            PtSubmission.round_id == pt_round.id,
            PtSubmission.organisation_id == user.organisation_id,
        )
    )
    submissions = list(rows.all())
    if not submissions:
        raise NotFound("Your institution has no result in this round")
    for submission in submissions:
        before = snapshot(submission)
        submission.publish = publish
        session.add(submission)
        action = "publish" if publish else "unpublish"
        await add_audited(
            session, user, submission, entity="pt_submission", action=action, before=before
        )
    return submissions
