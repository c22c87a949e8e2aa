"""``/api/v1/credit``: credit records, supervisory findings, corrective actions and the rules."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, UploadFile, status
from pydantic import BaseModel, Field
from sqlmodel import col, select

from server.audit.trail import add_audited, audit, snapshot
from server.auth.dependencies import CurrentUser
from server.auth.models import AppUser, Organisation, OrganisationKind
from server.auth.tenancy import is_platform_admin, may_manage_organisation, may_see_organisation
from server.core.clock import Clock
from server.core.db import SessionDep
from server.core.errors import Forbidden, NotFound, ValidationFailed, problem_responses
from server.credit import service
from server.credit.models import (
    CorrectiveAction,
    CreditRuleSet,
    FindingKind,
    Severity,
    SocialResponsibilityReport,
    SupervisoryFinding,
)
from server.credit.reconciliation import finding_from_flag
from server.credit.rules import RuleSet

__all__ = ["router"]

router = APIRouter(prefix="/credit", tags=["credit records"])


def _regulator(user: AppUser) -> None:
    if not is_platform_admin(user):
        raise Forbidden("Only the platform (the regulator's seat) records this")


async def _check_institution(session: SessionDep, organisation_id: uuid.UUID) -> None:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.INSTITUTION.value:
        raise ValidationFailed.for_field("organisation_id", "no such testing institution")


async def _visible_institution(organisation_id: uuid.UUID, user: CurrentUser) -> uuid.UUID:
    """The institution named in the path, when the user may read its record."""
    if not may_see_organisation(user, organisation_id):
        raise NotFound("No such testing institution")
    return organisation_id


VisibleInstitution = Annotated[uuid.UUID, Depends(_visible_institution)]


async def _store_and_assess(
    session: SessionDep,
    user: AppUser,
    now: datetime,
    record: SupervisoryFinding | CorrectiveAction,
    *,
    action: str,
    before: dict[str, Any] | None = None,
) -> service.CreditRecord:
    """Stores a finding or corrective action with its audit entry, then reassesses the
    institution."""
    entity = (
        "credit_finding" if isinstance(record, SupervisoryFinding) else "credit_corrective_action"
    )
    await add_audited(session, user, record, entity=entity, action=action, before=before)
    return await service.assess(session, record.organisation_id, now, user)


def _record_out(record: service.CreditRecord) -> dict[str, Any]:
    out = asdict(record)
    out["organisation_id"] = str(record.organisation_id)
    out["window_from"] = record.window_from.isoformat() if record.window_from else None
    return out


class InstitutionClass(BaseModel):
    organisation_id: uuid.UUID
    name: str
    name_en: str | None
    city: str | None
    credit_class: str


@router.get("/institutions", response_model=list[InstitutionClass])
async def credit_institutions(
    session: SessionDep, user: CurrentUser, now: Clock
) -> list[InstitutionClass]:
    """The institutions whose record the user may read (the platform: all; institution staff:
    their own), each with its class as last assessed. A never-assessed institution's class is
    computed without storing it, as on the public list: a listing takes no locks."""
    rows = await session.exec(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.INSTITUTION.value)
        .order_by(col(Organisation.name))
    )
    organisations = [o for o in rows.all() if may_see_organisation(user, o.id)]
    classes = await service.latest_classes(session, [o.id for o in organisations])
    return [
        InstitutionClass(
            organisation_id=o.id,
            name=o.name,
            name_en=o.name_en,
            city=o.city,
            credit_class=classes.get(o.id)
            or (await service.credit_record(session, o.id, now)).credit_class,
        )
        for o in organisations
    ]


@router.get("/institutions/{organisation_id}", responses=problem_responses(404))
async def credit_record(
    organisation_id: VisibleInstitution, session: SessionDep, user: CurrentUser, now: Clock
) -> dict[str, Any]:
    """The record: class, the rule that gave it, the counts it read and the dated facts."""
    return _record_out(await service.assess(session, organisation_id, now, user))


@router.get("/institutions/{organisation_id}/history", responses=problem_responses(404))
async def credit_history(
    organisation_id: VisibleInstitution, session: SessionDep
) -> list[dict[str, Any]]:
    return [
        {
            "credit_class": a.credit_class,
            "rule_version": a.rule_version,
            "rule_id": a.rule_id,
            "basis": a.basis,
            "computed_at": a.computed_at.isoformat(),
        }
        for a in await service.history(session, organisation_id)
    ]


class FindingOut(BaseModel):
    id: uuid.UUID
    found_on: date
    kind: FindingKind
    severity: Severity
    description: str
    evidence: str
    booking_id: uuid.UUID | None
    published: bool
    created_at: datetime


@router.get("/institutions/{organisation_id}/findings", responses=problem_responses(404))
async def findings(organisation_id: VisibleInstitution, session: SessionDep) -> list[FindingOut]:
    """The institution's supervisory findings, newest first (a corrective action names one)."""
    rows = await service.findings(session, organisation_id)
    return [FindingOut.model_validate(f, from_attributes=True) for f in rows]


class ActionOut(BaseModel):
    id: uuid.UUID
    finding_id: uuid.UUID | None
    description: str
    due_on: date
    closed_on: date | None
    closure_note: str | None
    created_at: datetime


@router.get("/institutions/{organisation_id}/corrective-actions", responses=problem_responses(404))
async def corrective_actions(
    organisation_id: VisibleInstitution, session: SessionDep
) -> list[ActionOut]:
    """The institution's corrective actions, open ones first, then by due date."""
    rows = await service.corrective_actions(session, organisation_id)
    return [ActionOut.model_validate(a, from_attributes=True) for a in rows]


@router.post("/recompute", responses=problem_responses(403))
async def recompute(session: SessionDep, user: CurrentUser, now: Clock) -> list[dict[str, Any]]:
    _regulator(user)
    return [
        {"organisation_id": str(r.organisation_id), "credit_class": r.credit_class}
        for r in [
            await service.assess(session, org, now, user)
            for org in await service.institution_ids(session)
        ]
    ]


class FindingCreate(BaseModel):
    organisation_id: uuid.UUID
    found_on: date
    kind: FindingKind
    severity: Severity
    description: str = Field(min_length=1, max_length=2000)
    evidence: str = Field(min_length=1, max_length=5000)
    published: bool = False


@router.post(
    "/findings", status_code=status.HTTP_201_CREATED, responses=problem_responses(403, 422)
)
async def record_finding(
    body: FindingCreate, session: SessionDep, user: CurrentUser, now: Clock
) -> dict[str, Any]:
    """A supervisory finding with its evidence (reconciliation flags: the endpoint below)."""
    _regulator(user)
    await _check_institution(session, body.organisation_id)
    if body.kind is FindingKind.RECONCILIATION_FLAG:
        # A flag is recorded from the evaluation's check, with its evidence: the endpoint below.
        raise ValidationFailed.for_field(
            "kind", "record a reconciliation flag through /credit/findings/from-reconciliation"
        )
    finding = SupervisoryFinding(**body.model_dump(), recorded_by=user.id)
    record = await _store_and_assess(session, user, now, finding, action="create")
    return {"id": str(finding.id), "credit_class": record.credit_class}


class FlagFinding(BaseModel):
    booking_id: uuid.UUID
    severity: Severity = Severity.MINOR
    published: bool = False


@router.post(
    "/findings/from-reconciliation",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 404, 409),
)
async def record_reconciliation_flag(
    body: FlagFinding, session: SessionDep, user: CurrentUser, now: Clock
) -> dict[str, Any]:
    """A finding from the sharing evaluation's flag on one booking, with the flag as evidence."""
    _regulator(user)
    finding = await finding_from_flag(
        session,
        body.booking_id,
        severity=body.severity,
        published=body.published,
        actor=user,
        now=now,
    )
    record = await _store_and_assess(session, user, now, finding, action="create")
    return {
        "id": str(finding.id),
        "description": finding.description,
        "evidence": finding.evidence,
        "credit_class": record.credit_class,
    }


class ActionCreate(BaseModel):
    organisation_id: uuid.UUID
    finding_id: uuid.UUID | None = None
    description: str = Field(min_length=1, max_length=2000)
    due_on: date


@router.post(
    "/corrective-actions",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
async def require_action(
    body: ActionCreate, session: SessionDep, user: CurrentUser, now: Clock
) -> dict[str, Any]:
    _regulator(user)
    await _check_institution(session, body.organisation_id)
    if body.finding_id is not None:
        finding = await session.get(SupervisoryFinding, body.finding_id)
        if finding is None or finding.organisation_id != body.organisation_id:
            raise ValidationFailed.for_field("finding_id", "no such finding of this institution")
    action = CorrectiveAction(**body.model_dump())
    await _store_and_assess(session, user, now, action, action="create")
    return {"id": str(action.id)}


class ActionClose(BaseModel):
    closed_on: date
    closure_note: str = Field(min_length=1, max_length=2000)


@router.post("/corrective-actions/{action_id}/close", responses=problem_responses(403, 404))
async def close_action(
    action_id: uuid.UUID, body: ActionClose, session: SessionDep, user: CurrentUser, now: Clock
) -> dict[str, Any]:
    action = await session.get(CorrectiveAction, action_id)
    if action is None or not may_see_organisation(user, action.organisation_id):
        raise NotFound("No such corrective action")
    if not may_manage_organisation(user, action.organisation_id):
        raise Forbidden("Only the institution's lab manager or the platform closes it")
    before = snapshot(action)
    action.closed_on = body.closed_on
    action.closure_note = body.closure_note
    record = await _store_and_assess(session, user, now, action, action="close", before=before)
    return {"id": str(action.id), "credit_class": record.credit_class}


MAX_REPORT_BYTES = 10 * 1024 * 1024


@router.put(
    "/institutions/{organisation_id}/social-responsibility-reports/{year}",
    responses=problem_responses(403, 404, 422),
)
async def upload_social_report(
    organisation_id: uuid.UUID,
    year: Annotated[int, Path(ge=2000, le=2100)],
    file: Annotated[UploadFile, File()],
    session: SessionDep,
    user: CurrentUser,
) -> dict[str, Any]:
    """The institution's social responsibility report for a year (PDF, at most 10 MiB),
    published on its public page; a new upload replaces the year's report."""
    await _visible_institution(organisation_id, user)
    if not may_manage_organisation(user, organisation_id):
        raise Forbidden("Only the institution's lab manager publishes its report")
    content = await file.read(MAX_REPORT_BYTES + 1)
    if len(content) > MAX_REPORT_BYTES:
        raise ValidationFailed.for_field("file", "larger than 10 MiB")
    if not content.startswith(b"%PDF-"):
        raise ValidationFailed.for_field("file", "the report must be a PDF file")
    report = await session.get(SocialResponsibilityReport, (organisation_id, year))
    if report is None:
        report = SocialResponsibilityReport(
            organisation_id=organisation_id, year=year, filename="", size_bytes=0, content=b""
        )
    report.filename = (file.filename or f"report-{year}.pdf")[:200]
    report.size_bytes = len(content)
    report.content = content
    report.uploaded_by = user.id
    session.add(report)
    await session.flush()
    await audit(
        session,
        actor=user,
        entity="credit_social_report",
        entity_id=f"{organisation_id}/{year}",
        action="upload",
        organisation_id=organisation_id,
        after={"year": year, "filename": report.filename, "size_bytes": report.size_bytes},
    )
    return {"year": year, "filename": report.filename, "size_bytes": report.size_bytes}


@router.get("/rules")
async def get_rules(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    version, rules = await service.active_rules(session)
    return {"version": version, "rules": rules.model_dump(by_alias=True)}


@router.put("/rules", responses=problem_responses(403, 422))
async def set_rules(body: RuleSet, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """A new version of the rules; classes are recomputed against it when next read."""
    _regulator(user)
    rule_set = CreditRuleSet(rules=body.model_dump(by_alias=True), created_by=user.id)
    session.add(rule_set)
    await session.flush()
    await audit(
        session,
        actor=user,
        entity="credit_rule_set",
        entity_id=str(rule_set.version),
        action="create",
        organisation_id=None,
        after=rule_set.rules,
    )
    return {"version": rule_set.version, "rules": rule_set.rules}
