"""The public information pages: plain HTML, no login, no JavaScript needed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from server.billing.models import CostModel
from server.jobs.config import JobSettings
from server.jobs.runner import BackgroundJobs
from tests.harness.app import API, Login
from tests.harness.factories import ZJIM, ZJU, World
from tests.harness.trust import add_cma

pytestmark = pytest.mark.integration


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html)
    assert match is not None
    return match.group(1)


async def test_institution_page_shows_the_facts_without_login(
    app: FastAPI, client: httpx.AsyncClient, demo: World
) -> None:
    await add_cma(app, demo, ZJIM, "231112050001")
    org = demo.organisations[ZJIM].id
    page = await client.get(f"/public/institutions/{org}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text
    assert _title(page.text).startswith(ZJIM)
    # Styled from a stylesheet of its own origin: the page's policy refuses inline styles.
    assert "style-src 'self'" in page.headers["content-security-policy"]
    assert "<style" not in page.text
    sheet = re.search(r'<link rel="stylesheet" href="([^"]+)">', page.text)
    assert sheet is not None
    css = await client.get(sheet.group(1))
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "border-collapse" in css.text
    assert "231112050001" in page.text
    assert "有效 / valid" in page.text
    assert "JJF 1101-2019" in page.text
    assert "<td>参数 / parameter</td>" in page.text  # the scope category in words
    assert "高低温试验箱" in page.text  # the open instrument
    assert 'class="class-A"' in page.text
    # Sharing figures of the last 365 days: one open instrument, no service yet.
    assert re.search(r"<td>1</td><td>0</td><td>0</td><td>[^<]*</td><td>0</td><td>0</td>", page.text)

    searched = await client.get(f"/public/institutions/{org}", params={"q": "GB/T 2951"})
    assert "电线电缆" in searched.text
    assert "JJF 1101-2019" not in searched.text
    by_parameter = await client.get(f"/public/institutions/{org}", params={"q": "Temperature"})
    assert "JJF 1101-2019" in by_parameter.text
    assert "GB/T 2951" not in by_parameter.text


def _instrument_row(html: str, name: str) -> str:
    match = re.search(rf"<tr><td>{name} .*?</tr>", html)
    assert match is not None
    return match.group(0)


async def test_fees_are_shown_once_published_and_never_as_zero_before(
    app: FastAPI, client: httpx.AsyncClient, demo: World
) -> None:
    url = f"/public/institutions/{demo.organisations[ZJIM].id}"
    before = _instrument_row((await client.get(url)).text, "高低温试验箱")
    assert before.count("未公布 / not published") == 2
    assert "0.00" not in before

    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            CostModel(
                instrument_id=demo.instrument.id,
                consumables_per_hour=Decimal("30"),
                staff_service_per_hour=Decimal("50"),
                annual_depreciation=Decimal("160000"),
                rated_annual_hours=1600,
            )
        )
    after = _instrument_row((await client.get(url)).text, "高低温试验箱")
    # Full cost recovery for enterprises: 30 + 160000 / 1600 = 130 CNY/h, with staff 180.
    assert re.search(r"<td>SETH-Z-040L</td><td>130\.00</td><td>180\.00</td>", after), after


def _listed_class(html: str, institution: str) -> str:
    row = next(r for r in html.split("<tr>") if institution in r)
    match = re.search(r'class="class-([A-D])"', row)
    assert match is not None, row
    return match.group(1)


# The test runs the daily pass itself: the app's own job runner would race it, storing the
# class of the world before the CMA certificate was added.
@pytest.mark.parametrize("job_settings", [JobSettings(jobs_enabled=False)])
async def test_the_list_shows_stored_classes_which_the_daily_job_brings_up_to_date(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    await add_cma(app, demo, ZJIM, "231112050001")
    admin = await login("admin@platform.demo")
    assert _listed_class((await client.get("/public/institutions")).text, ZJIM) == "A"
    finding = await client.post(
        f"{API}/credit/findings",
        json={
            "organisation_id": str(demo.organisations[ZJIM].id),
            "found_on": date.today().isoformat(),
            "kind": "flying_inspection",
            "severity": "major",
            "description": "原始记录未能溯源",
            "evidence": "飞行检查记录 FX-2026-07",
            "published": True,
        },
        headers=admin,
    )
    assert finding.status_code == 201, finding.text
    # The finding's class is stored when it is recorded: the list agrees at once.
    assert _listed_class((await client.get("/public/institutions")).text, ZJIM) == "C"

    # Two years on the finding has left the rules' window; the day's job pass reassesses.
    later = datetime.now(UTC) + timedelta(days=740)
    await BackgroundJobs(app.state.sessionmaker, JobSettings(jobs_enabled=False)).run_once(later)
    assert _listed_class((await client.get("/public/institutions")).text, ZJIM) == "A"


async def test_lists_by_city_and_field(
    app: FastAPI, client: httpx.AsyncClient, demo: World
) -> None:
    await add_cma(app, demo, ZJIM, "231112050001")
    everyone = await client.get("/public/institutions")
    assert ZJIM in everyone.text
    assert ZJU in everyone.text
    assert "杭州精测科技有限公司" not in everyone.text  # an enterprise, not an institution
    cables = await client.get("/public/institutions", params={"field": "电线电缆"})
    assert ZJIM in cables.text
    assert ZJU not in cables.text
    elsewhere = await client.get("/public/institutions", params={"city": "宁波"})
    assert ZJIM not in elsewhere.text


async def test_notice_board_shows_only_published_violations(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login("admin@platform.demo")
    for published, text in ((True, "出具虚假检测报告"), (False, "内部核查意见")):
        response = await client.post(
            f"{API}/credit/findings",
            json={
                "organisation_id": str(demo.organisations[ZJU].id),
                "found_on": date.today().isoformat(),
                "kind": "flying_inspection",
                "severity": "serious",
                "description": text,
                "evidence": "检查笔录",
                "published": published,
            },
            headers=admin,
        )
        assert response.status_code == 201
    board = await client.get("/public/notices")
    assert _title(board.text).startswith("违规公告")
    assert "出具虚假检测报告" in board.text
    assert "内部核查意见" not in board.text


async def test_complaint_form_works_as_plain_html(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    form = await client.get("/public/complaints/new")
    assert 'enctype="multipart/form-data"' in form.text
    # A booking's complaint needs its customer logged in: the form sends them to the web app
    # instead of offering a choice that would be refused.
    assert 'value="booking"' not in form.text
    assert 'name="booking_id"' not in form.text
    assert '<a href="/complaints">' in form.text
    filed = await client.post(
        "/public/complaints",
        data={
            "organisation_id": str(demo.organisations[ZJU].id),
            "subject_kind": "institution",
            "summary": "收费高于公示价格",
            "details": "实际收费比公示的每小时收费高出一倍。",
            "anonymous": "true",
            "contact_phone": "13900000000",
        },
    )
    assert filed.status_code == 201
    number = re.search(r'id="tracking-number">([^<]+)<', filed.text)
    assert number is not None
    tracked = await client.get("/public/complaints/track", params={"number": number.group(1)})
    assert "等待机构答复" in tracked.text
    # Anonymous: the telephone number given anyway is not kept.
    admin = await login("admin@platform.demo")
    listed = (await client.get(f"{API}/complaints", headers=admin)).json()
    assert listed[0]["complainant"]["phone"] is None

    refused = await client.post(
        "/public/complaints",
        data={
            "organisation_id": str(demo.organisations[ZJU].id),
            "subject_kind": "report",
            "summary": "x",
            "details": "y",
        },
    )
    assert refused.status_code == 422
    assert "report_number" in refused.text

    page = await client.get(f"/public/institutions/{demo.organisations[ZJU].id}")
    assert re.search(r"<td>1</td><td>1</td><td>0</td>", page.text)


async def test_social_responsibility_report_is_published_as_pdf(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    org = demo.organisations[ZJIM].id
    url = f"{API}/credit/institutions/{org}/social-responsibility-reports/2025"
    pdf = b"%PDF-1.4\n% social responsibility 2025\n%%EOF\n"
    staff = await login("staff@zjim.demo")
    refused = await client.put(
        url, files={"file": ("r.pdf", pdf, "application/pdf")}, headers=staff
    )
    assert refused.status_code == 403
    manager = await login("manager@zjim.demo")
    not_pdf = await client.put(
        url, files={"file": ("r.pdf", b"<html>", "application/pdf")}, headers=manager
    )
    assert not_pdf.status_code == 422
    other = await login("manager@zju.demo")
    hidden = await client.put(url, files={"file": ("r.pdf", pdf, "application/pdf")}, headers=other)
    assert hidden.status_code == 404
    uploaded = await client.put(
        url, files={"file": ("社会责任报告2025.pdf", pdf, "application/pdf")}, headers=manager
    )
    assert uploaded.status_code == 200, uploaded.text

    page = await client.get(f"/public/institutions/{org}")
    link = f"/public/institutions/{org}/social-responsibility-2025.pdf"
    assert link in page.text
    served = await client.get(link)
    assert served.headers["content-type"] == "application/pdf"
    assert served.content == pdf
