"""Demo proficiency testing, complaints and credit records (``seed-demo --catalogue``).

One closed round with the four catalogue institutions (one questionable, one unsatisfactory
result), one open round, a complaint awaiting the institution's answer and one decided, a
published supervisory finding with its corrective action, and each institution's credit class
computed from those facts. Idempotent: nothing is added twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser, Organisation, Role
from server.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    Outcome,
    SubjectKind,
)
from server.credit.models import CorrectiveAction, FindingKind, Severity, SupervisoryFinding
from server.credit.service import assess, institution_ids
from server.demo.catalogue import INSTITUTIONS
from server.proficiency.models import PtItem, PtRound, PtSubmission, RoundStatus
from server.proficiency.service import SOLE_ITEM_KEY, score_item

__all__ = ["CLOSED_ROUND", "seed_demo_trust"]

CLOSED_ROUND = "ZJ-PT-2026-01"
OPEN_ROUND = "ZJ-PT-2026-02"
ZJIM, ZJU, NINGBO, WENZHOU = (spec.name for spec in INSTITUTIONS)
# x_pt = 50.000 °C, sigma_pt = 0.100 °C: z = 0.3, -0.5, 2.4 (questionable), -3.8 (unsatisfactory).
RESULTS = {ZJIM: (50.03, True), ZJU: (49.95, True), NINGBO: (50.24, True), WENZHOU: (49.62, False)}


async def _organisations(session: AsyncSession) -> dict[str, Organisation]:
    rows = await session.exec(select(Organisation).where(col(Organisation.name).in_(RESULTS)))
    return {o.name: o for o in rows.all()}


async def _admin(session: AsyncSession) -> AppUser | None:
    rows = await session.exec(select(AppUser).where(AppUser.role == Role.PLATFORM_ADMIN.value))
    return rows.first()


async def seed_demo_trust(session: AsyncSession, now: datetime | None = None) -> bool:
    """Returns False when the demo rounds were there already."""
    now = now or datetime.now(UTC)
    if (await session.exec(select(PtRound).where(PtRound.code == CLOSED_ROUND))).first():
        return False
    orgs = await _organisations(session)
    admin = await _admin(session)
    closed = PtRound(
        code=CLOSED_ROUND,
        title="恒温油槽温度测量能力验证",
        title_en="Temperature measurement in a stirred oil bath",
        measurand="温度 / temperature",
        unit="°C",
        items="一支封装铂电阻温度计（编号 PT-A），在 50 °C 点测量 / one sealed PRT (PT-A) at 50 °C",
        assigned_method="reference",
        reference_value=50.000,
        reference_u=0.010,
        sigma_method="fixed",
        sigma_fixed=0.100,
        score_policy="z",
        deadline=now - timedelta(days=20),
        created_by=admin.id if admin else None,
    )
    session.add(closed)
    await session.flush()
    item = PtItem(
        round_id=closed.id,
        key=SOLE_ITEM_KEY,
        name=closed.items,
        reference_value=closed.reference_value,
        reference_u=closed.reference_u,
        sigma_fixed=closed.sigma_fixed,
    )
    session.add(item)
    await session.flush()
    submissions = []
    for name, (value, publish) in RESULTS.items():
        submission = PtSubmission(
            round_id=closed.id,
            item_id=item.id,
            organisation_id=orgs[name].id,
            value=value,
            standard_u=0.03,
            publish=publish,
            submitted_at=now - timedelta(days=25),
        )
        session.add(submission)
        submissions.append(submission)
    await session.flush()
    item.statistics = closed.statistics = score_item(closed, item, submissions)
    closed.status = RoundStatus.CLOSED
    closed.closed_at = now - timedelta(days=14)
    open_round = PtRound(
        code=OPEN_ROUND,
        title="铜合金拉伸强度能力验证",
        title_en="Tensile strength of a copper alloy",
        measurand="抗拉强度 / tensile strength",
        unit="MPa",
        items="三根同批次铜合金试样 / three specimens of one batch",
        assigned_method="consensus",
        sigma_method="robust",
        score_policy="z",
        deadline=now + timedelta(days=20),
        created_by=admin.id if admin else None,
    )
    session.add(open_round)
    await session.flush()
    session.add(
        PtItem(round_id=open_round.id, key=SOLE_ITEM_KEY, name=open_round.items, position=0)
    )

    in_progress = Complaint(
        tracking_number="TS20261125-DEMO000001",
        organisation_id=orgs[NINGBO].id,
        subject_kind=SubjectKind.REPORT,
        report_number="NBJY-2026-004512",
        summary="检测报告出具超过约定时限",
        details="约定 5 个工作日出具报告，实际第 12 个工作日才收到。",
        anonymous=True,
        filer_key="demo",
        response_due=now + timedelta(days=3),
        created_at=now - timedelta(days=7),
    )
    decided = Complaint(
        tracking_number="TS20261020-DEMO000002",
        organisation_id=orgs[WENZHOU].id,
        subject_kind=SubjectKind.INSTITUTION,
        summary="收费高于公示价格",
        details="电气安全试验按每小时 600 元收费，公示价格为 420 元。",
        anonymous=False,
        contact_name="赵先生",
        contact_phone="13800000000",
        filer_key="demo",
        status=ComplaintStatus.CLOSED,
        response_due=now - timedelta(days=30),
        response="经核查，系收费系统费率未更新，已退还差额。",
        responded_at=now - timedelta(days=35),
        outcome=Outcome.UPHELD,
        decision="多收费用属实，机构已退款并更新费率。/ Overcharge confirmed; refunded.",
        decided_at=now - timedelta(days=28),
        decided_by=admin.id if admin else None,
        created_at=now - timedelta(days=40),
    )
    session.add_all([in_progress, decided])
    await session.flush()
    for complaint, events in (
        (
            in_progress,
            [(7, ComplaintStatus.AWAITING_RESPONSE, "已受理，等待被投诉机构答复 / received")],
        ),
        (
            decided,
            [
                (40, ComplaintStatus.AWAITING_RESPONSE, "已受理，等待被投诉机构答复 / received"),
                (
                    35,
                    ComplaintStatus.UNDER_REVIEW,
                    "机构已答复，平台审查中 / answered, under review",
                ),
                (28, ComplaintStatus.CLOSED, "已办结：投诉成立 / upheld"),
            ],
        ),
    ):
        for days, status, note in events:
            session.add(
                ComplaintEvent(
                    complaint_id=complaint.id,
                    occurred_at=now - timedelta(days=days),
                    status=status,
                    note=note,
                )
            )

    finding = SupervisoryFinding(
        organisation_id=orgs[WENZHOU].id,
        found_on=(now - timedelta(days=60)).date(),
        kind=FindingKind.FLYING_INSPECTION.value,
        severity=Severity.MINOR.value,
        description="部分检测原始记录缺少复核签名 / some raw records lack the checker's signature",
        evidence="飞行检查笔录 FX-2026-031，抽查记录 12 份中 3 份",
        published=True,
        recorded_by=admin.id if admin else None,
    )
    session.add(finding)
    await session.flush()
    session.add(
        CorrectiveAction(
            organisation_id=orgs[WENZHOU].id,
            finding_id=finding.id,
            description="修订记录控制程序，补签并培训 / revise record control, re-sign, train",
            due_on=(now + timedelta(days=30)).date(),
        )
    )
    await session.flush()
    for organisation_id in await institution_ids(session):
        await assess(session, organisation_id, now, admin)
    return True
