"""The credit record of an institution: its dated facts, the counts the rules read, and the
credit class, stored (and audited) whenever it changes.

Facts come from where they are kept: CMA certificates and their audited changes (registry),
closed proficiency-testing rounds (proficiency), decided complaints (complaints), and this
domain's own supervisory findings and corrective actions.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.trail import audit
from server.auth.models import AppUser, Organisation, OrganisationKind
from server.complaints.models import Complaint, ComplaintStatus, Outcome
from server.core.errors import NotFound
from server.credit.models import (
    CorrectiveAction,
    CreditAssessment,
    CreditRuleSet,
    SupervisoryFinding,
)
from server.credit.rules import DEFAULT_RULES, FACTS, RuleSet, classify
from server.proficiency.models import PtRound, PtSubmission, RoundStatus
from server.registry.cma import CmaStatus, cma_status
from server.registry.models import CmaCertificate

__all__ = [
    "CreditRecord",
    "active_rules",
    "assess",
    "corrective_actions",
    "credit_record",
    "findings",
    "latest_classes",
    "reassess_all",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class CreditRecord:
    organisation_id: uuid.UUID
    organisation: str
    credit_class: str
    rule_version: int
    rule_id: str | None
    rule_text: str
    matched: list[dict[str, Any]]
    counts: dict[str, float]
    facts: list[dict[str, Any]] = field(default_factory=list)
    window_from: date | None = None

    def basis(self) -> dict[str, Any]:
        return {
            "rule_text": self.rule_text,
            "matched": self.matched,
            "counts": self.counts,
            "window_from": self.window_from.isoformat() if self.window_from else None,
        }


async def active_rules(session: AsyncSession) -> tuple[int, RuleSet]:
    """The newest configured rule set; version 0 is the built-in default."""
    rows = await session.exec(
        select(CreditRuleSet).order_by(col(CreditRuleSet.version).desc()).limit(1)
    )
    latest = rows.first()
    if latest is None or latest.version is None:
        return 0, RuleSet.model_validate(DEFAULT_RULES)
    return latest.version, RuleSet.model_validate(latest.rules)


async def _facts(
    session: AsyncSession, organisation_id: uuid.UUID, today: date, since: date
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    facts: list[dict[str, Any]] = []
    counts: dict[str, float] = dict.fromkeys(FACTS, 0)

    def fact(on: date, kind: str, what: str, counted: str | None, **detail: Any) -> None:
        """A dated fact of the record; ``counted`` names the count it adds one to."""
        if counted:
            counts[counted] += 1
        facts.append(
            {"on": on.isoformat(), "kind": kind, "text": what, "counted": counted, "detail": detail}
        )

    certificates = (
        await session.exec(
            select(CmaCertificate).where(CmaCertificate.organisation_id == organisation_id)
        )
    ).all()
    for c in certificates:
        state = cma_status(c.issued_on, c.valid_until, today)
        if state in (CmaStatus.VALID, CmaStatus.RENEWAL_DUE):
            counts["cma_valid"] = 1
        fact(
            c.issued_on,
            "cma",
            f"CMA {c.number} 发证，有效期至 {c.valid_until} / issued, valid until "
            f"{c.valid_until} — {state.value}",
            None,
            number=c.number,
            valid_until=c.valid_until.isoformat(),
            state=state.value,
        )
    changes = await (await session.connection()).execute(
        text(
            "SELECT occurred_at, entity, action FROM audit_log WHERE organisation_id = :org "
            "AND entity IN ('cma_certificate', 'cma_scope_item') AND action <> 'create' "
            "ORDER BY occurred_at"
        ),
        {"org": organisation_id},
    )
    for occurred_at, entity, action in changes:
        fact(
            occurred_at.astimezone(SHANGHAI).date(),
            "cma_change",
            f"CMA 变更 / change: {entity} {action}",
            None,
            entity=entity,
            action=action,
        )

    pt_rows = await session.exec(
        select(PtSubmission, PtRound)
        .join(PtRound, col(PtRound.id) == col(PtSubmission.round_id))
        .where(
            PtSubmission.organisation_id == organisation_id,
            PtRound.status == RoundStatus.CLOSED.value,
        )
    )
    for sub, pt_round in pt_rows.all():
        assert pt_round.closed_at is not None
        on = pt_round.closed_at.astimezone(SHANGHAI).date()
        adverse = on >= since and sub.judgement in ("unsatisfactory", "questionable")
        fact(
            on,
            "pt",
            f"能力验证 {pt_round.code} {pt_round.title}: {sub.score_kind} = "
            f"{sub.score:.2f}, {sub.judgement}",
            f"pt_{sub.judgement}" if adverse else None,
            code=pt_round.code,
            title=pt_round.title,
            score_kind=sub.score_kind,
            score=sub.score,
            judgement=sub.judgement,
        )

    findings = (
        await session.exec(
            select(SupervisoryFinding).where(SupervisoryFinding.organisation_id == organisation_id)
        )
    ).all()
    for f in findings:
        fact(
            f.found_on,
            f"finding:{f.kind}",
            f"{f.description}（证据 / evidence: {f.evidence}）",
            f"findings_{f.severity}" if f.found_on >= since else None,
            severity=f.severity,
            description=f.description,
            evidence=f.evidence,
        )

    complaints = (
        await session.exec(
            select(Complaint).where(
                Complaint.organisation_id == organisation_id,
                Complaint.status == ComplaintStatus.CLOSED.value,
            )
        )
    ).all()
    for complaint in complaints:
        assert complaint.decided_at is not None
        on = complaint.decided_at.astimezone(SHANGHAI).date()
        upheld = complaint.outcome in (Outcome.UPHELD.value, Outcome.PARTLY_UPHELD.value)
        fact(
            on,
            "complaint",
            f"投诉 {complaint.tracking_number}: {complaint.summary} — {complaint.outcome}",
            "complaints_upheld" if upheld and on >= since else None,
            tracking_number=complaint.tracking_number,
            summary=complaint.summary,
            outcome=complaint.outcome,
        )

    actions = (
        await session.exec(
            select(CorrectiveAction).where(CorrectiveAction.organisation_id == organisation_id)
        )
    ).all()
    for a in actions:
        overdue = a.closed_on is None and a.due_on < today
        progress = f"已关闭 / closed {a.closed_on}" if a.closed_on else f"期限 / due {a.due_on}"
        fact(
            a.closed_on or a.due_on,
            "corrective_action",
            f"整改 / corrective action: {a.description} — {progress}",
            "corrective_overdue" if overdue else None,
            description=a.description,
            due_on=a.due_on.isoformat(),
            closed_on=a.closed_on.isoformat() if a.closed_on else None,
        )
    facts.sort(key=lambda f: str(f["on"]), reverse=True)
    return facts, counts


async def credit_record(
    session: AsyncSession, organisation_id: uuid.UUID, now: datetime
) -> CreditRecord:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.INSTITUTION.value:
        raise NotFound("No such testing institution")
    version, rule_set = await active_rules(session)
    today = now.astimezone(SHANGHAI).date()
    since = today - timedelta(days=rule_set.window_days)
    facts, counts = await _facts(session, organisation_id, today, since)
    result = classify(rule_set, counts)
    return CreditRecord(
        organisation_id=organisation_id,
        organisation=organisation.name,
        credit_class=result.credit_class,
        rule_version=version,
        rule_id=result.rule_id,
        rule_text=result.rule_text,
        matched=result.matched,
        counts=counts,
        facts=facts,
        window_from=since,
    )


async def latest_assessment(
    session: AsyncSession, organisation_id: uuid.UUID
) -> CreditAssessment | None:
    rows = await session.exec(
        select(CreditAssessment)
        .where(CreditAssessment.organisation_id == organisation_id)
        .order_by(col(CreditAssessment.computed_at).desc(), col(CreditAssessment.id).desc())
        .limit(1)
    )
    return rows.first()


async def assess(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    now: datetime,
    actor: AppUser | None = None,
) -> CreditRecord:
    """Compute the class; when it (or the rule behind it) changed, keep it and audit it."""
    # One assessment of an institution at a time (the daily job, a page, a new finding):
    # otherwise two could both find the class changed and both record it.
    await (await session.connection()).execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"credit_class:{organisation_id}"},
    )
    record = await credit_record(session, organisation_id, now)
    last = await latest_assessment(session, organisation_id)
    changed = last is None or (last.credit_class, last.rule_id, last.rule_version) != (
        record.credit_class,
        record.rule_id,
        record.rule_version,
    )
    if changed:
        session.add(
            CreditAssessment(
                organisation_id=organisation_id,
                credit_class=record.credit_class,
                rule_version=record.rule_version,
                rule_id=record.rule_id,
                basis=record.basis(),
                computed_at=now,
            )
        )
        await session.flush()
        await audit(
            session,
            actor=actor,
            entity="credit_class",
            entity_id=organisation_id,
            action="change",
            organisation_id=organisation_id,
            before=None
            if last is None
            else {
                "class": last.credit_class,
                "rule_id": last.rule_id,
                "version": last.rule_version,
            },
            after={
                "class": record.credit_class,
                "rule_id": record.rule_id,
                "version": record.rule_version,
                "counts": record.counts,
            },
        )
    return record


async def findings(
    session: AsyncSession, organisation_id: uuid.UUID
) -> Sequence[SupervisoryFinding]:
    """An institution's supervisory findings, newest first."""
    rows = await session.exec(
        select(SupervisoryFinding)
        .where(SupervisoryFinding.organisation_id == organisation_id)
        .order_by(
            col(SupervisoryFinding.found_on).desc(), col(SupervisoryFinding.created_at).desc()
        )
    )
    return rows.all()


async def corrective_actions(
    session: AsyncSession, organisation_id: uuid.UUID
) -> Sequence[CorrectiveAction]:
    """An institution's corrective actions, open ones first, then by due date."""
    rows = await session.exec(
        select(CorrectiveAction)
        .where(CorrectiveAction.organisation_id == organisation_id)
        .order_by(col(CorrectiveAction.closed_on).is_not(None), col(CorrectiveAction.due_on))
    )
    return rows.all()


async def history(session: AsyncSession, organisation_id: uuid.UUID) -> list[CreditAssessment]:
    rows = await session.exec(
        select(CreditAssessment)
        .where(CreditAssessment.organisation_id == organisation_id)
        .order_by(col(CreditAssessment.computed_at).desc(), col(CreditAssessment.id).desc())
    )
    return list(rows.all())


async def institution_ids(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.exec(
        select(Organisation.id).where(Organisation.kind == OrganisationKind.INSTITUTION.value)
    )
    return list(rows.all())


async def latest_classes(
    session: AsyncSession, organisation_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Each institution's class as last assessed, in one query (lists of many institutions)."""
    if not organisation_ids:
        return {}
    rows = await session.exec(
        select(CreditAssessment.organisation_id, CreditAssessment.credit_class)
        .where(col(CreditAssessment.organisation_id).in_(organisation_ids))
        .order_by(
            col(CreditAssessment.organisation_id),
            col(CreditAssessment.computed_at).desc(),
            col(CreditAssessment.id).desc(),
        )
        .ext(distinct_on(col(CreditAssessment.organisation_id)))
    )
    return dict(rows.all())


async def reassess_all(session: AsyncSession, now: datetime) -> int:
    """Assess every institution (facts leave the rule's window as days pass); how many."""
    ids = await institution_ids(session)
    for organisation_id in ids:
        await assess(session, organisation_id, now)
    return len(ids)
