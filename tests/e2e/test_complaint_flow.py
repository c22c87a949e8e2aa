"""Complaints in Chromium: a visitor files anonymously on the server-rendered public pages
(JavaScript off) and follows the complaint to its decision; a logged-in enterprise user files
from the web app, the institution's manager answers there and the platform decides there."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.harness.browser import (
    Process,
    api_token,
    chromium,
    demo_server,
    open_as,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_anonymous_complaint_filed_and_followed_in_the_browser(
    database_url: str, processes: list[Process], workdir: Path, server_port: int
) -> None:
    base = demo_server(database_url, processes, workdir, server_port, "--catalogue")
    evidence = workdir / "收费单据.pdf"
    evidence.write_bytes(PDF)

    with chromium() as browser:
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{base}/public/institutions")
        expect(page).to_have_title("检验检测机构 · Testing institutions · labshare")
        page.get_by_role("link", name="浙江省计量科学研究院").click()
        expect(page.locator("h1")).to_contain_text("浙江省计量科学研究院")
        page.get_by_role(
            "link", name="投诉举报该机构 / File a complaint about this institution"
        ).click()
        page.select_option("select[name=subject_kind]", "institution")
        page.fill("input[name=summary]", "收费高于公示价格")
        page.fill("textarea[name=details]", "代为操作按每小时 900 元收费，高于公示价格。")
        page.set_input_files("input[name=attachments]", str(evidence))
        page.get_by_role("button", name="提交 / Submit").click()
        number = page.locator("#tracking-number").inner_text()
        assert number.startswith("TS")

        page.get_by_role("link", name="查询进度 / Follow the status").click()
        expect(page.locator("#complaint-status")).to_have_text(
            "等待机构答复 / awaiting the institution's answer"
        )

        manager = api_token(base, "manager@zjim.demo")
        mine = httpx.get(f"{base}/api/v1/complaints", headers=manager).json()
        filed = next(c for c in mine if c["tracking_number"] == number)
        assert filed["complainant"] is None
        assert filed["attachments"][0]["content_type"] == "application/pdf"
        answered = httpx.post(
            f"{base}/api/v1/complaints/{filed['id']}/response",
            json={"response": "已核对，系费率配置错误，差额已退还。"},
            headers=manager,
        )
        assert answered.status_code == 200, answered.text
        decided = httpx.post(
            f"{base}/api/v1/complaints/{filed['id']}/decision",
            json={"outcome": "upheld", "reason": "多收费用属实。"},
            headers=api_token(base, "admin@platform.demo"),
        )
        assert decided.status_code == 200, decided.text

        page.reload()
        expect(page.locator("#complaint-status")).to_have_text("已办结 / closed")
        expect(page.get_by_text("处理结论 / Decision: 多收费用属实。")).to_be_visible()


def test_logged_in_complaint_filed_and_followed_in_the_web_app(
    database_url: str, processes: list[Process], workdir: Path, server_port: int
) -> None:
    base = demo_server(database_url, processes, workdir, server_port, "--catalogue")
    evidence = workdir / "report.pdf"
    evidence.write_bytes(PDF)

    with chromium() as browser:
        page = open_as(browser, base, "buyer@jingce.demo", "/complaints")
        form = page.get_by_role("form")
        # Ant Design selects: open the list, click the option.
        form.get_by_role("combobox", name="被投诉机构").click()
        page.locator(
            ".ant-select-dropdown .ant-select-item-option[title='浙江大学分析测试中心']"
        ).click()
        form.get_by_role("combobox", name="投诉对象").click()
        page.locator(".ant-select-dropdown .ant-select-item-option[title='检测报告']").click()
        form.locator("input[name=report_number]").fill("ZJU-2026-0815")
        form.locator("input[name=summary]").fill("报告结论与样品不符")
        form.locator("textarea[name=details]").fill("报告所列样品编号与送检样品不一致。")
        form.locator("input[name=contact_phone]").fill("13700000000")
        form.locator("input[name=attachments]").set_input_files(str(evidence))
        form.locator("button[type=submit]").click()
        filed = page.get_by_test_id("complaint-filed")
        expect(filed).to_contain_text("TS")
        number = filed.inner_text().rsplit(" ", 1)[-1]
        row = page.get_by_test_id("my-complaint")
        expect(row).to_contain_text(number)
        expect(row).to_contain_text("报告结论与样品不符")

        # The institution's manager answers in the web app and does not see who complained.
        manager = open_as(browser, base, "manager@zju.demo", "/complaints")
        card = manager.get_by_test_id("complaint-to-handle").filter(has_text=number)
        expect(card).to_contain_text("报告所列样品编号与送检样品不一致")
        expect(card).not_to_contain_text("13700000000")
        card.locator("textarea").fill("已核查，样品编号录入错误，报告已重新出具。")
        card.get_by_role("button", name="提交答复").click()
        expect(card).to_contain_text("平台审查中")

        # The platform sees the complainant and decides.
        admin = open_as(browser, base, "admin@platform.demo", "/complaints")
        card = admin.get_by_test_id("complaint-to-handle").filter(has_text=number)
        expect(card).to_contain_text("13700000000")
        expect(card).to_contain_text("样品编号录入错误")
        card.locator("textarea").fill("报告错误属实，机构已重新出具。")
        card.get_by_role("button", name="投诉成立").click()
        expect(card).to_contain_text("已办结")

        page.reload()
        expect(page.get_by_test_id("my-complaint")).to_contain_text("已办结")
        zju = api_token(base, "manager@zju.demo")
        theirs = httpx.get(f"{base}/api/v1/complaints", headers=zju).json()
        assert "13700000000" not in str(theirs)
