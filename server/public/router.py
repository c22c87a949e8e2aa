"""The public pages under ``/public``: institutions by city and field, each institution's CMA
certificate and scope (searchable), open instruments with fees, published proficiency-testing
results, credit class with its basis and complaint figures; the violations notice board; and
the complaint form and tracking page, which work as plain HTML forms.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import Organisation, OrganisationKind
from server.billing.models import CostModel, UserCategory
from server.billing.service import cost_model_of, published_hourly_fees
from server.catalog.models import Instrument
from server.complaints import service as complaints
from server.complaints.models import Complaint, ComplaintStatus, Outcome
from server.complaints.router import ComplaintForm
from server.core.clock import Clock
from server.core.db import SessionDep
from server.core.errors import AppError, NotFound
from server.credit import service as credit
from server.credit.models import (
    FindingKind,
    Severity,
    SocialResponsibilityReport,
    SupervisoryFinding,
)
from server.credit.rules import FACTS
from server.evaluation.calendar import Period
from server.evaluation.metrics import Level, Scope, compute_metrics
from server.proficiency.chart import score_chart_svg
from server.proficiency.models import PtItem, PtRound, PtSubmission, RoundStatus
from server.proficiency.service import report_item, round_report
from server.public.html import STYLE, STYLESHEET_PATH, e, page, table
from server.registry.cma import cma_status
from server.registry.models import CmaCertificate, CmaScopeItem, ScopeCategory

__all__ = ["router"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
router = APIRouter(prefix="/public", include_in_schema=False)

_STATUS = {
    "valid": "有效 / valid",
    "renewal_due": "有效，待复查 / valid, renewal due",
    "expired": "已过期 / expired",
    "not_yet_valid": "尚未生效 / not yet valid",
    ComplaintStatus.AWAITING_RESPONSE: "等待机构答复 / awaiting the institution's answer",
    ComplaintStatus.UNDER_REVIEW: "平台审查中 / under review by the platform",
    ComplaintStatus.CLOSED: "已办结 / closed",
    "satisfactory": "满意 / satisfactory",
    "questionable": "有问题 / questionable",
    "unsatisfactory": "不满意 / unsatisfactory",
}
_FINDING_KIND = {
    FindingKind.FLYING_INSPECTION.value: "飞行检查 / flying inspection",
    FindingKind.RECONCILIATION_FLAG.value: "共享评价核对异常 / sharing-evaluation reconciliation",
    FindingKind.COMPLAINT_INVESTIGATION.value: "投诉调查 / complaint investigation",
    FindingKind.OTHER.value: "其他 / other",
}
_SEVERITY = {
    Severity.MINOR.value: "一般 / minor",
    Severity.MAJOR.value: "较重 / major",
    Severity.SERIOUS.value: "严重 / serious",
}
_CATEGORY = {
    ScopeCategory.PRODUCT.value: "产品 / product",
    ScopeCategory.ITEM.value: "项目 / item",
    ScopeCategory.PARAMETER.value: "参数 / parameter",
}
_SCORE_KIND = {"z": "z", "z_prime": "z′", "zeta": "ζ", "en": "En"}
_OP = {"==": "=", ">=": "≥", ">": ">", "<=": "≤", "<": "<"}
_FACT_KIND = {
    "pt": "能力验证 / proficiency testing",
    "complaint": "投诉 / complaint",
    "corrective_action": "整改 / corrective action",
}


def _score_text(kind: str | None, score: float | None) -> str:
    if score is None:
        return ""
    return f"{e(_SCORE_KIND.get(kind or '', kind))} = {score:.2f}"


def _html(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status_code)


def _class_badge(credit_class: str) -> str:
    return f'<strong class="class-{e(credit_class)}">{e(credit_class)}</strong>'


async def _institutions(session: AsyncSession) -> list[Organisation]:
    rows = await session.exec(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.INSTITUTION.value)
        .order_by(col(Organisation.name))
    )
    return list(rows.all())


@router.get(STYLESHEET_PATH.removeprefix("/public"))
async def stylesheet() -> Response:
    return Response(STYLE, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("", response_class=HTMLResponse)
async def index(session: SessionDep) -> HTMLResponse:
    cities = Counter(o.city or "—" for o in await _institutions(session))
    links = "".join(
        f'<li><a href="/public/institutions?city={quote(c)}">{e(c)}</a>（{n}）</li>'
        for c, n in sorted(cities.items())
    )
    body = (
        "<p>检验检测机构的资质、能力验证、信用等级与投诉情况，向社会公开。"
        '<span class="en" lang="en">Qualifications, proficiency testing, credit classes and complaints '
        "of the testing institutions, open to the public.</span></p>"
        f"<h2>按城市 <span class=en lang=en>By city</span></h2><ul>{links}</ul>"
    )
    return _html(page("公共信息平台", "Public information platform", body))


@router.get("/institutions", response_class=HTMLResponse)
async def institutions(
    session: SessionDep,
    now: Clock,
    city: Annotated[str | None, Query(max_length=50)] = None,
    field: Annotated[str | None, Query(max_length=50)] = None,
) -> HTMLResponse:
    """Institutions by city and by field (a word of their CMA scope)."""
    orgs = await _institutions(session)
    if city:
        orgs = [o for o in orgs if (o.city or "") == city]
    if field:
        like = f"%{field}%"
        rows = await session.exec(
            select(CmaCertificate.organisation_id)
            .join(CmaScopeItem, col(CmaScopeItem.certificate_id) == col(CmaCertificate.id))
            .where(
                or_(
                    col(CmaScopeItem.name).ilike(like),
                    col(CmaScopeItem.name_en).ilike(like),
                    col(CmaScopeItem.standard_name).ilike(like),
                )
            )
        )
        matching = set(rows.all())
        orgs = [o for o in orgs if o.id in matching]
    # The class as last assessed (daily by the job runner, and whenever an institution's page
    # is opened): one query for the whole list. A never-assessed institution's class is computed
    # without storing it: a listing takes no locks, so it cannot deadlock with the job's pass.
    classes = await credit.latest_classes(session, [o.id for o in orgs])
    lines = []
    for o in orgs:
        credit_class = (
            classes.get(o.id) or (await credit.credit_record(session, o.id, now)).credit_class
        )
        lines.append(
            [
                f'<a href="/public/institutions/{o.id}">{e(o.name)}</a>'
                f'<br><span class="en" lang="en">{e(o.name_en)}</span>',
                e(o.city),
                _class_badge(credit_class),
            ]
        )
    search = (
        '<form method="get" action="/public/institutions">'
        f'<label>城市 / City <input name="city" value="{e(city)}"></label>'
        f'<label>领域 / Field <input name="field" value="{e(field)}"></label>'
        "<button>筛选 / Filter</button></form>"
    )
    body = search + table(["机构 / Institution", "城市 / City", "信用等级 / Credit class"], lines)
    return _html(page("检验检测机构", "Testing institutions", body))


async def _scope_section(
    session: AsyncSession, organisation_id: uuid.UUID, now: datetime, q: str | None
) -> str:
    today = now.astimezone(SHANGHAI).date()
    certificates = (
        await session.exec(
            select(CmaCertificate).where(CmaCertificate.organisation_id == organisation_id)
        )
    ).all()
    out = []
    for c in certificates:
        state = cma_status(c.issued_on, c.valid_until, today).value
        out.append(
            f"<p>CMA 证书编号 / certificate <strong>{e(c.number)}</strong>，"
            f"发证机关 / issued by {e(c.issuing_authority)}，{e(c.issued_on)} – {e(c.valid_until)}，"
            f"状态 / status: <strong>{e(_STATUS.get(state, state))}</strong></p>"
        )
        query = select(CmaScopeItem).where(CmaScopeItem.certificate_id == c.id)
        if q:
            like = f"%{q}%"
            query = query.where(
                or_(
                    col(CmaScopeItem.standard_number).ilike(like),
                    col(CmaScopeItem.name).ilike(like),
                    col(CmaScopeItem.name_en).ilike(like),
                )
            )
        items = (await session.exec(query.order_by(col(CmaScopeItem.standard_number)))).all()
        out.append(
            table(
                ["类别 / Category", "项目或参数 / Item or parameter", "标准 / Standard"],
                (
                    [
                        e(_CATEGORY.get(i.category, i.category)),
                        f'{e(i.name)} <span class="en" lang="en">{e(i.name_en)}</span>',
                        f"{e(i.standard_number)} {e(i.standard_name)}",
                    ]
                    for i in items
                ),
                empty="没有符合的能力范围 / no matching scope item",
            )
        )
    if not certificates:
        out.append("<p>未登记CMA资质 / no CMA certificate on record</p>")
    return "".join(out)


async def _instruments_section(session: AsyncSession, organisation_id: uuid.UUID) -> str:
    instruments = (
        await session.exec(
            select(Instrument)
            .where(Instrument.organisation_id == organisation_id, col(Instrument.is_open))
            .order_by(col(Instrument.name))
        )
    ).all()
    rows = []
    for i in instruments:
        if await session.get(CostModel, i.id) is None:
            # No cost accounting published: there is no fee to show, not a fee of nothing.
            self_operated: object = "未公布 / not published"
            staff_operated: object = self_operated
        else:
            model, factors = await cost_model_of(session, i.id)
            fees = published_hourly_fees(model, factors).get(UserCategory.ENTERPRISE.value, {})
            self_operated, staff_operated = fees.get("self_operated"), fees.get("staff_operated")
        rows.append(
            [
                f'{e(i.name)} <span class="en" lang="en">{e(i.name_en)}</span>',
                e(i.model),
                e(self_operated),
                e(staff_operated),
            ]
        )
    return table(
        [
            "仪器 / Instrument",
            "型号 / Model",
            "自主操作 元/小时 / self-operated CNY/h",
            "代为操作 元/小时 / staff-operated CNY/h",
        ],
        rows,
    )


async def _sharing_section(session: AsyncSession, organisation_id: uuid.UUID, now: datetime) -> str:
    """The last 365 Beijing days of the sharing evaluation, measured from the instruments."""
    today = now.astimezone(SHANGHAI).date()
    period = Period(today - timedelta(days=364), today)
    rows = await compute_metrics(
        await session.connection(),
        Level.INSTITUTION,
        Scope(organisation_id=organisation_id),
        period,
        now,
    )
    row = rows[0] if rows else None
    if row is None:
        return "<p>暂无仪器 / no instruments</p>"
    rate = "—" if row.sharing_rate is None else f"{row.sharing_rate:.1%}"
    return f"<p class=en lang=en>{e(period.first)} – {e(period.last)}</p>" + table(
        [
            "仪器 / Instruments",
            "有效机时 / Effective hours",
            "对外服务机时 / External service hours",
            "共享率 / Sharing rate",
            "服务记录 / Service records",
            "服务企业 / Enterprises served",
        ],
        [
            [
                str(row.instruments),
                f"{row.effective_hours:.0f}",
                f"{row.external_service_hours:.0f}",
                rate,
                str(row.service_records),
                str(row.enterprises),
            ]
        ],
    )


async def _several_items(session: AsyncSession, round_id: uuid.UUID) -> bool:
    rows = await session.exec(select(PtItem.id).where(PtItem.round_id == round_id).limit(2))
    return len(rows.all()) > 1


async def _pt_section(session: AsyncSession, organisation_id: uuid.UUID) -> str:
    rows = await session.exec(
        select(PtSubmission, PtRound, PtItem)
        .join(PtRound, col(PtRound.id) == col(PtSubmission.round_id))
        .join(PtItem, col(PtItem.id) == col(PtSubmission.item_id))
        .where(
            PtSubmission.organisation_id == organisation_id,
            PtRound.status == RoundStatus.CLOSED,
        )
        .order_by(col(PtRound.closed_at).desc(), col(PtItem.position))
    )
    lines = []
    rounds: set[uuid.UUID] = set()
    published: set[uuid.UUID] = set()
    for sub, r, item in rows.all():
        rounds.add(r.id)
        if not sub.publish:
            continue
        published.add(r.id)
        several = await _several_items(session, r.id)
        lines.append(
            [
                f'<a href="/public/pt/{r.id}">{e(r.code)}</a> {e(r.title)}'
                + (f" · {e(item.key)}" if several else ""),
                f"{e(r.measurand)} ({e(r.unit)})",
                _score_text(sub.score_kind, sub.score),
                e(_STATUS.get(sub.judgement or "", sub.judgement)),
            ]
        )
    participated = len(rounds)
    head = (
        f"<p>参加已结束的能力验证 {participated} 次，公开其中 {len(published)} 次结果 / "
        f"took part in {participated} closed rounds, publishes {len(published)} results</p>"
    )
    return head + table(
        ["轮次 / Round", "被测量 / Measurand", "评分 / Score", "结果 / Judgement"], lines
    )


async def _complaints_section(session: AsyncSession, organisation_id: uuid.UUID) -> str:
    rows = (
        await session.exec(select(Complaint).where(Complaint.organisation_id == organisation_id))
    ).all()
    by_status = Counter(c.status for c in rows)
    by_outcome = Counter(c.outcome for c in rows if c.outcome)
    return table(
        [
            "收到 / Filed",
            "办理中 / In progress",
            "已办结 / Closed",
            "成立 / Upheld",
            "部分成立 / Partly upheld",
            "不成立 / Not upheld",
        ],
        [
            [
                str(len(rows)),
                str(
                    by_status[ComplaintStatus.AWAITING_RESPONSE]
                    + by_status[ComplaintStatus.UNDER_REVIEW]
                ),
                str(by_status[ComplaintStatus.CLOSED]),
                str(by_outcome[Outcome.UPHELD]),
                str(by_outcome[Outcome.PARTLY_UPHELD]),
                str(by_outcome[Outcome.NOT_UPHELD]),
            ]
        ],
    )


def _credit_basis(record: credit.CreditRecord) -> str:
    """The class, the rule that gave it, the conditions that held and the dated facts counted.

    Only what the rules counted is listed, by date and kind; a supervisory finding's text
    appears only where the regulator published it (the notice board), not here.
    """
    conditions = "".join(
        f"<li>{e(FACTS.get(m['fact'], m['fact']))} {e(_OP.get(m['op'], m['op']))} {e(_g(m['value']))}"
        f"（实际 / actual {e(_g(m['actual']))}）</li>"
        for m in record.matched
    )
    counted = [
        [
            e(f["on"]),
            e(FACTS.get(f["counted"], f["counted"])),
            e(_FACT_KIND.get(f["kind"], "监督检查 / supervisory finding")),
        ]
        for f in record.facts
        if f["counted"]
    ]
    return (
        f"<p>信用等级 / Credit class: {_class_badge(record.credit_class)}"
        f"（规则 / rule {e(record.rule_id or 'default')}, v{record.rule_version}）：{e(record.rule_text)}</p>"
        + (f"<p>成立的条件 / conditions that hold:</p><ul>{conditions}</ul>" if conditions else "")
        + f"<p>计入的记录 / facts counted since {e(record.window_from)}:</p>"
        + table(
            ["日期 / Date", "计为 / Counted as", "来源 / Source"],
            counted,
            empty="无不良记录 / no adverse facts",
        )
    )


@router.get("/institutions/{organisation_id}", response_class=HTMLResponse)
async def institution(
    organisation_id: uuid.UUID,
    session: SessionDep,
    now: Clock,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.INSTITUTION.value:
        raise NotFound("No such testing institution")
    record = await credit.assess(session, organisation_id, now)
    basis = _credit_basis(record)
    search = (
        f'<form method="get" action="/public/institutions/{organisation_id}">'
        f"<label>按标准号或参数检索 / Search by standard number or parameter "
        f'<input name="q" value="{e(q)}"></label><button>检索 / Search</button></form>'
    )
    body = (
        f'<p>{e(organisation.city)} · <span class="en" lang="en">{e(organisation.name_en)}</span></p>'
        f"<h2>信用等级 <span class=en lang=en>Credit class</span></h2>{basis}"
        f"<h2>CMA资质与能力范围 <span class=en lang=en>CMA certificate and scope</span></h2>"
        f"{search}{await _scope_section(session, organisation_id, now, q)}"
        f"<h2>开放仪器与收费 <span class=en lang=en>Open instruments and fees</span></h2>"
        f"{await _instruments_section(session, organisation_id)}"
        f"<h2>共享情况 <span class=en lang=en>Sharing</span></h2>"
        f"{await _sharing_section(session, organisation_id, now)}"
        f"<h2>能力验证 <span class=en lang=en>Proficiency testing</span></h2>"
        f"{await _pt_section(session, organisation_id)}"
        f"<h2>社会责任报告 <span class=en lang=en>Social responsibility report</span></h2>"
        f"{await _social_section(session, organisation_id)}"
        f"<h2>投诉统计 <span class=en lang=en>Complaints</span></h2>"
        f"{await _complaints_section(session, organisation_id)}"
        f'<p><a href="/public/complaints/new?organisation_id={organisation_id}">'
        "投诉举报该机构 / File a complaint about this institution</a></p>"
    )
    return _html(page(organisation.name, organisation.name_en or "", body))


@router.get("/pt/{round_id}", response_class=HTMLResponse)
async def pt_round(round_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    found = await session.get(PtRound, round_id)
    if found is None or found.status != RoundStatus.CLOSED:
        raise NotFound("No such closed proficiency-testing round")
    report = await round_report(session, found, None)
    sections = "".join(
        _pt_item_section(found, item, several=len(report["test_items"]) > 1)
        for item in report["test_items"]
    )
    body = (
        f"<p>{e(found.measurand)} ({e(found.unit)}) · {e(found.items)}</p>"
        + sections
        + "<p class=en lang=en>仅显示同意公开的机构结果 / only results their institutions agreed"
        " to publish</p>"
    )
    return _html(page(f"能力验证 {found.code} {found.title}", found.title_en or "", body))


def _pt_item_section(found: PtRound, item: dict[str, Any], *, several: bool) -> str:
    """One test item of a closed round: its x_pt, σ_pt, the score chosen and why, the ranked
    chart and the published results."""
    stats: dict[str, Any] = item["statistics"] or {}
    head = f"<h2>物品 / item {e(item['key'])}：{e(item['name'])}</h2>" if several else ""
    if not stats:
        return head + "<p>该物品无结果 / no results for this item</p>"
    results = [{**r, "label": r["organisation"]} for r in item["results"]]
    rows = [
        [
            e(r["organisation"]),
            e(r["value"]),
            f"{r['score']:.2f}",
            e(_STATUS.get(r["judgement"], r["judgement"])),
        ]
        for r in results
    ]
    return (
        head + f"<p>指定值 / assigned value x_pt = {stats.get('x_pt', 0):.4g} {e(found.unit)}"
        f"（{e(stats.get('assigned_value_basis'))}），"
        f"u(x_pt) = {stats.get('u_x_pt', 0):.3g}，σ_pt = {e(_g(stats.get('sigma_pt')))}"
        f"（{e(stats.get('sigma_pt_basis'))}），参加者 / participants: "
        f"{e(stats.get('participants'))}</p>"
        f"<p>评分 / score: {e(stats.get('score_reason'))}</p>"
        f"{score_chart_svg(results, stats.get('score'))}"
        + table(["机构 / Institution", "结果 / Result", "评分 / Score", "结果 / Judgement"], rows)
    )


def _g(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@router.get("/institutions/{organisation_id}/social-responsibility-{year}.pdf")
async def social_report(organisation_id: uuid.UUID, year: int, session: SessionDep) -> Response:
    report = await session.get(SocialResponsibilityReport, (organisation_id, year))
    if report is None:
        raise NotFound("No social responsibility report for this year")
    return Response(
        report.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(report.filename)}"},
    )


async def _social_section(session: AsyncSession, organisation_id: uuid.UUID) -> str:
    rows = await session.exec(
        select(SocialResponsibilityReport.year)
        .where(SocialResponsibilityReport.organisation_id == organisation_id)
        .order_by(col(SocialResponsibilityReport.year).desc())
    )
    links = "".join(
        f'<li><a href="/public/institutions/{organisation_id}/social-responsibility-{y}.pdf">'
        f"{y} 年度 / {y} (PDF)</a></li>"
        for y in rows.all()
    )
    return f"<ul>{links}</ul>" if links else "<p>未发布 / not published</p>"


@router.get("/notices", response_class=HTMLResponse)
async def notices(session: SessionDep) -> HTMLResponse:
    """Violations the regulator chose to publish."""
    rows = await session.exec(
        select(SupervisoryFinding, Organisation)
        .join(Organisation, col(Organisation.id) == col(SupervisoryFinding.organisation_id))
        .where(col(SupervisoryFinding.published))
        .order_by(col(SupervisoryFinding.found_on).desc())
    )
    lines = [
        [
            e(f.found_on),
            f'<a href="/public/institutions/{o.id}">{e(o.name)}</a>',
            e(_FINDING_KIND.get(f.kind, f.kind)),
            e(_SEVERITY.get(f.severity, f.severity)),
            e(f.description),
        ]
        for f, o in rows.all()
    ]
    body = table(
        ["日期 / Date", "机构 / Institution", "类型 / Kind", "程度 / Severity", "内容 / Finding"],
        lines,
    )
    return _html(page("违规公告", "Notice board of violations", body))


@router.get("/complaints/new", response_class=HTMLResponse)
async def complaint_form(
    session: SessionDep, organisation_id: uuid.UUID | None = None
) -> HTMLResponse:
    options = "".join(
        f'<option value="{o.id}"{" selected" if o.id == organisation_id else ""}>{e(o.name)}</option>'
        for o in await _institutions(session)
    )
    body = (
        "<p>可匿名投诉；留下联系方式的，仅平台可见。"
        '<span class="en" lang="en">You may complain anonymously; contact details, if given, are seen '
        "by the platform only.</span></p>"
        '<form method="post" action="/public/complaints" enctype="multipart/form-data">'
        f'<label>被投诉机构 / Institution <select name="organisation_id" required>{options}</select></label>'
        '<label>投诉对象 / About <select name="subject_kind">'
        '<option value="institution">机构 / the institution</option>'
        '<option value="report">检测报告 / a test report</option></select></label>'
        "<p>投诉某次预约须由预约客户登录后在平台的“投诉举报”页面提交。"
        '<span class="en" lang="en">A complaint about a booking is filed by the booking\'s '
        'customer, logged in, on the <a href="/complaints">complaints page</a>.</span></p>'
        '<label>报告编号 / Report number <input name="report_number"></label>'
        '<label>事由 / Summary <input name="summary" required maxlength="200"></label>'
        '<label>详细情况 / Details <textarea name="details" required rows="6" maxlength="5000">'
        "</textarea></label>"
        '<label><input type="checkbox" name="anonymous" value="true" checked> 匿名 / anonymous</label>'
        '<label>姓名 / Name <input name="contact_name"></label>'
        '<label>电话 / Telephone <input name="contact_phone"></label>'
        '<label>电子邮件 / E-mail <input name="contact_email" type="email"></label>'
        "<label>附件（PDF、PNG、JPEG，每个不超过5 MiB，最多3个）/ Attachments (PDF, PNG, JPEG, "
        'up to 5 MiB each, at most 3) <input type="file" name="attachments" multiple '
        'accept=".pdf,.png,.jpg,.jpeg"></label>'
        "<button>提交 / Submit</button></form>"
    )
    return _html(page("投诉举报", "File a complaint", body))


@router.post("/complaints", response_class=HTMLResponse)
async def file_complaint(
    form: Annotated[ComplaintForm, Depends()],
    anonymous: Annotated[bool, Form()] = False,
    booking_id: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    """The HTML form's target: the tracking number on success, the reason on refusal."""
    try:
        booking = uuid.UUID(booking_id) if booking_id and booking_id.strip() else None
    except ValueError:
        return _refused("预约编号格式不对 / the booking id is not valid", 422)
    try:
        complaint = await form.file(anonymous=anonymous, booking_id=booking)
    except AppError as exc:
        return _refused(exc.detail, exc.status)
    body = (
        f'<p>投诉已受理。查询编号 / Tracking number: <strong id="tracking-number">'
        f"{e(complaint.tracking_number)}</strong></p>"
        "<p>请保存此编号以查询办理进度。 <span class=en lang=en>Keep this number to follow your "
        "complaint.</span></p>"
        f'<p><a href="/public/complaints/track?number={quote(complaint.tracking_number)}">'
        "查询进度 / Follow the status</a></p>"
    )
    return _html(page("投诉已受理", "Complaint received", body), 201)


def _refused(detail: str, status_code: int) -> HTMLResponse:
    body = f'<p role="alert">未能受理 / Not accepted: {e(detail)}</p><p><a href="/public/complaints/new">返回 / Back</a></p>'
    return _html(page("未能受理", "Not accepted", body), status_code)


@router.get("/complaints/track", response_class=HTMLResponse)
async def track(
    session: SessionDep, now: Clock, number: Annotated[str | None, Query(max_length=40)] = None
) -> HTMLResponse:
    form = (
        '<form method="get" action="/public/complaints/track">'
        f'<label>查询编号 / Tracking number <input name="number" value="{e(number)}" required></label>'
        "<button>查询 / Look up</button></form>"
    )
    if not number:
        return _html(page("投诉进度查询", "Follow a complaint", form))
    try:
        view = await complaints.tracking_view(session, number, now)
    except NotFound:
        return _html(
            page("投诉进度查询", "Follow a complaint", form + "<p>未找到 / not found</p>"), 404
        )
    timeline = table(
        ["时间 / Time", "进展 / Progress"],
        (
            [
                e(
                    f"{datetime.fromisoformat(t['occurred_at']).astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
                ),
                e(t["note"]),
            ]
            for t in view["timeline"]
        ),
    )
    body = (
        form
        + f'<p>状态 / Status: <strong id="complaint-status">{e(_STATUS.get(view["status"], view["status"]))}</strong></p>'
        + f"<p>机构答复期限 / answer due: {e(view['response_due'][:10])}</p>"
        + (
            "<p><strong>机构逾期未答复，平台将直接处理 / the institution did not answer in time; "
            "the platform decides without its answer</strong></p>"
            if view["answer_overdue"]
            else ""
        )
        + (f"<p>处理结论 / Decision: {e(view['decision'])}</p>" if view["decision"] else "")
        + timeline
    )
    return _html(page("投诉进度查询", "Follow a complaint", body))


@router.get("/pt/{round_id}/chart.svg")
async def pt_chart(
    round_id: uuid.UUID, session: SessionDep, item: str | None = Query(default=None, max_length=16)
) -> Response:
    found = await session.get(PtRound, round_id)
    if found is None or found.status != RoundStatus.CLOSED:
        raise NotFound("No such closed proficiency-testing round")
    report = await round_report(session, found, None)
    chosen = report_item(report, item)
    results = [{**r, "label": r["organisation"]} for r in chosen["results"]]
    svg = score_chart_svg(results, (chosen["statistics"] or {}).get("score"))
    return Response(svg, media_type="image/svg+xml")
